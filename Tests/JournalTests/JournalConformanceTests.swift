import Foundation
import TestSupport
import Journal
import Testing

/// What every journal backend must do, run against each: the event log, the work queue with its claims,
/// leases and fences, the scripts' store and alert folding, the queries and pruning.
@Suite struct JournalConformanceTests {
    static let nodeA = NodeIdentity(name: "a", incarnation: "a/1")
    static let nodeB = NodeIdentity(name: "b", incarnation: "b/1")
    static let lease = Duration.seconds(30)
    static let now: Int64 = 1_764_000_000_000

    static func event(_ call: String, _ key: String, endpoint: String = "default", state: EventState = .pending,
                      receivedAt: Int64 = now) -> NewEvent {
        NewEvent(receivedAt: receivedAt, endpoint: endpoint, type: "hang", callID: call, dedupKey: key, requestID: "r-" + key,
                 body: Array(#"{"message":{"type":"hang","key":"\#(key)"}}"#.utf8), warnings: ["w-" + key], state: state)
    }

    static func stored(_ journal: any Journal, _ event: NewEvent, by node: NodeIdentity = nodeA) async throws -> StoredEvent {
        guard case .stored(let stored) = try await journal.append(event, claimant: node) else {
            throw TestFailure("\(event.dedupKey) was taken for a duplicate")
        }
        return stored
    }

    static func run(_ id: EventID, _ script: String, _ outcome: RunOutcome, attempt: Int = 1, generation: Int = 0) -> RunRecord {
        RunRecord(eventID: id, generation: generation, script: script, scriptVersion: "v1", attempt: attempt, startedAt: now,
                  durationMicroseconds: 10, outcome: outcome, error: outcome == .ok ? nil : "boom", errorLine: outcome == .ok ? nil : 3,
                  effects: effects)
    }

    /// What a run's host calls did, as every run of these tests records it: a body with a NUL and a quote, a
    /// nested value, numbers of both kinds.
    static let effects = EffectRecord(entries: [
        EffectEntry(call: "http.post", arguments: [
            EffectField("method", .text("POST")), EffectField("url", .text("https://crm.example/calls")),
            EffectField("headers", .object([EffectField("Authorization", .text("[redacted]")),
                                            EffectField("Idempotency-Key", .text("1-a.lua-1"))])),
            EffectField("body", .object([EffectField("length", .integer(9)), EffectField("sha256", .text("ab12")),
                                         EffectField("text", .text("{\"a\":\"\u{0}\"}"))])),
        ], result: .object([EffectField("status", .integer(201)), EffectField("ms", .number(1.5))]), replayable: true),
        EffectEntry(call: "alert", arguments: [EffectField("title", .text("Hang")), EffectField("severity", .text("critical")),
                                               EffectField("fields", .list([.null, .bool(false)]))],
                    result: .bool(true), replayable: true, reused: true),
        EffectEntry(call: "store.get", arguments: [EffectField("key", .text("k"))], error: "the journal is unavailable"),
    ])

    static func done(_ id: EventID, generation: Int = 0, state: EventState = .done) -> EventCompletion {
        EventCompletion(eventID: id, generation: generation, state: state, finishedAt: now + 5)
    }

    // MARK: event log

    @Test(arguments: Backend.all) func appendsDeduplicateByEndpointAndKey(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let journal = journals.first
            let first = try await Self.stored(journal, Self.event("CA1", "k1"))
            #expect(try await journal.append(Self.event("CA1", "k1"), claimant: Self.nodeA) == .duplicate(of: first.id))
            #expect(try await journals.second.append(Self.event("CA1", "k1"), claimant: Self.nodeB) == .duplicate(of: first.id),
                    "a re-delivery that reaches another node is a duplicate too")
            let other = try await Self.stored(journal, Self.event("CA1", "k1", endpoint: "clinic"))
            #expect(other.id != first.id, "the same key on another endpoint is another event")
            #expect(try await journal.body(of: first.id) == Self.event("CA1", "k1").body)
            #expect(try await journal.body(of: EventID(first.id.rawValue + 1_000)) == nil)
        }
    }

    @Test(arguments: Backend.all) func anAppendClaimsAnUnheldCallForItsNode(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            try await journals.first.heartbeat(Self.nodeA, lease: Self.lease)
            try await journals.second.heartbeat(Self.nodeB, lease: Self.lease)
            let first = try await Self.stored(journals.first, Self.event("CA1", "k1"))
            let claim = try #require(first.claim, "the first event of a call is claimed by the node that stored it")
            #expect(claim.call == CallKey(endpoint: "default", callID: "CA1"))
            #expect(!first.inheritedWork)

            let second = try await Self.stored(journals.first, Self.event("CA1", "k2"))
            #expect(second.claim == claim, "the holder keeps its claim")
            #expect(second.version == first.version + 1, "each change to a call's work is one version")
            #expect(second.id > first.id)
            #expect(second.inheritedWork, "the call has pending work, which the holder may not have in memory")

            let elsewhere = try await Self.stored(journals.second, Self.event("CA1", "k3"), by: Self.nodeB)
            #expect(elsewhere.claim == nil, "a call held by a live node is not taken by another")
            #expect(elsewhere.version == second.version + 1)
            #expect(try await journals.first.heldCalls(of: Self.nodeA) == [claim: elsewhere.version])

            let skipped = try await Self.stored(journals.second, Self.event("CA2", "k4", state: .skipped), by: Self.nodeB)
            #expect(skipped.claim == nil, "an event that is not processed makes no work")
            #expect(try await journals.second.heldCalls(of: Self.nodeB).isEmpty)
        }
    }

    // MARK: work queue

    @Test(arguments: Backend.all) func pendingWorkComesInIdOrderWithBodiesAndProgress(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let journal = journals.first
            try await journal.heartbeat(Self.nodeA, lease: Self.lease)
            var ids: [EventID] = []
            var claim: CallClaim?
            for n in 0..<5 {
                let stored = try await Self.stored(journal, Self.event("CA1", "k\(n)"))
                ids.append(stored.id)
                claim = stored.claim
            }
            _ = try await Self.stored(journal, Self.event("CA2", "other"))
            let held = try #require(claim)
            #expect(try await journal.record([CallRecords(claim: held, runs: [Self.run(ids[0], "a.lua", .failed),
                                                                             Self.run(ids[0], "b.lua", .ok)])],
                                             for: Self.nodeA) == [.recorded(released: false)])

            let firstPage = try #require(try await journal.pendingWork(of: held, for: Self.nodeA, after: nil, limit: 3))
            #expect(firstPage.items.map(\.event.id) == Array(ids[0..<3]))
            #expect(firstPage.items[0].body == Self.event("CA1", "k0").body)
            #expect(firstPage.items[0].event.warnings == ["w-k0"])
            #expect(firstPage.items[0].event.callID == "CA1")
            #expect(firstPage.items[0].progress == RunProgress(finished: ["b.lua"], attempts: ["a.lua": 1],
                                                               effects: ["a.lua": Self.effects]),
                    "a failed attempt's effects come with its progress, for its retry")
            #expect(firstPage.items[1].progress == RunProgress())
            let rest = try #require(try await journal.pendingWork(of: held, for: Self.nodeA, after: ids[2], limit: 10))
            #expect(rest.items.map(\.event.id) == Array(ids[3...]))
            #expect(try await journal.pendingWork(of: CallClaim(call: held.call, token: held.token + 1_000), for: Self.nodeA,
                                                  after: nil, limit: 10) == nil, "a claim not held reads nothing")
        }
    }

    @Test(arguments: Backend.all) func recordingCompletesEventsAndReleasesAnUnchangedCall(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let journal = journals.first
            try await journal.heartbeat(Self.nodeA, lease: Self.lease)
            try await journals.second.heartbeat(Self.nodeB, lease: Self.lease)
            let e1 = try await Self.stored(journal, Self.event("CA1", "k1"))
            let claim = try #require(e1.claim)
            let work = try #require(try await journal.pendingWork(of: claim, for: Self.nodeA, after: nil, limit: 10))
            let e2 = try await Self.stored(journal, Self.event("CA1", "k2"))  // after the read

            let stale = try await journal.record([CallRecords(claim: claim, runs: [Self.run(e1.id, "a.lua", .ok)],
                                                              completions: [Self.done(e1.id)], releaseAt: work.version)],
                                                 for: Self.nodeA)
            #expect(stale == [.recorded(released: false)], "work added after the read keeps the call held")
            #expect(try await journal.event(e1.id)?.summary.state == .done)
            #expect(try await journal.event(e1.id)?.runs.map(\.script) == ["a.lua"])

            let again = try #require(try await journal.pendingWork(of: claim, for: Self.nodeA, after: nil, limit: 10))
            #expect(again.items.map(\.event.id) == [e2.id])
            let final = try await journal.record([CallRecords(claim: claim, runs: [Self.run(e2.id, "a.lua", .dead)],
                                                              completions: [Self.done(e2.id, state: .failed)],
                                                              releaseAt: again.version)], for: Self.nodeA)
            #expect(final == [.recorded(released: true)])
            #expect(try await journal.heldCalls(of: Self.nodeA).isEmpty)
            #expect(try await journal.event(e2.id)?.summary.state == .failed)
            #expect(try await journal.statistics().pending == 0)

            let next = try await Self.stored(journals.second, Self.event("CA1", "k3"), by: Self.nodeB)
            let taken = try #require(next.claim, "a released call goes to the next node that stores one of its events")
            #expect(taken.token > claim.token)
            #expect(!next.inheritedWork, "a call released with nothing pending leaves nothing to inherit")
        }
    }

    @Test(arguments: Backend.all) func aNodeWhoseLeaseEndedIsFencedOut(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let (a, b) = (journals.first, journals.second)
            // long enough that a loaded machine's synced commits do not outlast it before the first check
            try await a.heartbeat(Self.nodeA, lease: .seconds(2))
            try await b.heartbeat(Self.nodeB, lease: Self.lease)
            let e1 = try await Self.stored(a, Self.event("CA1", "k1"))
            let old = try #require(e1.claim)
            #expect(try await b.claimWaitingCalls(for: Self.nodeB, limit: 10).isEmpty, "the holder's lease still runs")
            try await Task.sleep(for: .milliseconds(2_500))

            let taken = try await b.claimWaitingCalls(for: Self.nodeB, limit: 10)
            #expect(taken.map(\.call) == [old.call])
            #expect(try #require(taken.first).token > old.token)
            let fence = Fence(node: Self.nodeA, claim: old)
            #expect(try await a.record([CallRecords(claim: old, runs: [Self.run(e1.id, "a.lua", .ok)],
                                                    completions: [Self.done(e1.id)], releaseAt: e1.version)],
                                       for: Self.nodeA) == [.fenced])
            #expect(try await b.event(e1.id)?.summary.state == .pending, "a fenced record writes nothing")
            #expect(try await b.event(e1.id)?.runs.isEmpty == true)
            #expect(try await a.pendingWork(of: old, for: Self.nodeA, after: nil, limit: 10) == nil)
            await #expect(throws: JournalError.self) {
                try await a.storeSet(endpoint: "default", key: "k", value: "1", expiresAt: nil, fence: fence)
            }
            await #expect(throws: JournalError.self) {
                _ = try await a.storeIncrement(endpoint: "default", key: "n", by: 1, expiresAt: nil, now: Self.now, fence: fence)
            }
            #expect(try await b.storeGet(endpoint: "default", key: "k", now: Self.now) == nil)

            try await a.heartbeat(Self.nodeA, lease: Self.lease)  // back, but the call is b's now
            #expect(try await a.heldCalls(of: Self.nodeA).isEmpty)
            let work = try #require(try await b.pendingWork(of: taken[0], for: Self.nodeB, after: nil, limit: 10))
            #expect(work.items.map(\.event.id) == [e1.id])
            let fresh = Fence(node: Self.nodeB, claim: taken[0])
            try await b.storeSet(endpoint: "default", key: "k", value: "2", expiresAt: nil, fence: fresh)
            #expect(try await b.storeGet(endpoint: "default", key: "k", now: Self.now) == "2")
        }
    }

    @Test(arguments: Backend.all) func waitingCallsAreClaimedOldestWorkFirst(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let (a, b) = (journals.first, journals.second)
            try await a.heartbeat(Self.nodeA, lease: .milliseconds(300))
            try await b.heartbeat(Self.nodeB, lease: Self.lease)
            for call in ["CA3", "CA1", "CA2"] { _ = try await Self.stored(a, Self.event(call, "k-" + call)) }
            _ = try await Self.stored(b, Self.event("CB1", "k-CB1"), by: Self.nodeB)  // b's own, live
            try await Task.sleep(for: .milliseconds(600))
            let first = try await b.claimWaitingCalls(for: Self.nodeB, limit: 2)
            #expect(first.map(\.call.callID) == ["CA3", "CA1"])
            let second = try await b.claimWaitingCalls(for: Self.nodeB, limit: 10)
            #expect(second.map(\.call.callID) == ["CA2"])
            #expect(try await b.claimWaitingCalls(for: Self.nodeB, limit: 10).isEmpty)
            #expect(Set(try await b.heldCalls(of: Self.nodeB).keys.map(\.call.callID)) == ["CA1", "CA2", "CA3", "CB1"])
        }
    }

    @Test(arguments: Backend.all) func anInheritedCallSaysSo(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let (a, b) = (journals.first, journals.second)
            try await a.heartbeat(Self.nodeA, lease: .milliseconds(300))
            try await b.heartbeat(Self.nodeB, lease: Self.lease)
            let left = try await Self.stored(a, Self.event("CA1", "k1"))
            try await Task.sleep(for: .milliseconds(600))
            let next = try await Self.stored(b, Self.event("CA1", "k2"), by: Self.nodeB)
            let claim = try #require(next.claim, "a dead node's call goes to the next node that stores an event of it")
            #expect(next.inheritedWork, "the dead node's pending event must be read before this one runs")
            let work = try #require(try await b.pendingWork(of: claim, for: Self.nodeB, after: nil, limit: 10))
            #expect(work.items.map(\.event.id) == [left.id, next.id])
        }
    }

    @Test(arguments: Backend.all) func aNodeThatLeavesHandsItsCallsOverAtOnce(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let (a, b) = (journals.first, journals.second)
            try await a.heartbeat(Self.nodeA, lease: Self.lease)
            try await b.heartbeat(Self.nodeB, lease: Self.lease)
            let e1 = try await Self.stored(a, Self.event("CA1", "k1"))
            try await a.leave(Self.nodeA)
            let taken = try await b.claimWaitingCalls(for: Self.nodeB, limit: 10)
            #expect(taken.map(\.call.callID) == ["CA1"])
            #expect(try await a.record([CallRecords(claim: try #require(e1.claim), completions: [Self.done(e1.id)])],
                                       for: Self.nodeA) == [.fenced])
        }
    }

    @Test(arguments: Backend.all) func aReplayPutsEventsBackAsWork(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let journal = journals.first
            try await journal.heartbeat(Self.nodeA, lease: Self.lease)
            let e1 = try await Self.stored(journal, Self.event("CA1", "k1"))
            let claim = try #require(e1.claim)
            _ = try await journal.record([CallRecords(claim: claim, runs: [Self.run(e1.id, "a.lua", .ok)],
                                                      completions: [Self.done(e1.id)], releaseAt: e1.version)], for: Self.nodeA)
            #expect(try await journal.claimWaitingCalls(for: Self.nodeA, limit: 10).isEmpty)
            #expect(try await journal.requeue([e1.id, EventID(e1.id.rawValue + 1_000)]) == 1)
            let summary = try #require(try await journal.event(e1.id)?.summary)
            #expect(summary.state == .pending && summary.generation == 1)
            let again = try await journal.claimWaitingCalls(for: Self.nodeA, limit: 10)
            #expect(again.map(\.call) == [claim.call])
            let work = try #require(try await journal.pendingWork(of: again[0], for: Self.nodeA, after: nil, limit: 10))
            #expect(work.items.map(\.event.id) == [e1.id])
            #expect(work.items[0].event.generation == 1)
            #expect(work.items[0].progress == RunProgress(), "the runs of the earlier generation do not count")
        }
    }

    @Test(arguments: Backend.all) func aReplayOfAHeldCallRaisesItsVersion(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let journal = journals.first
            try await journal.heartbeat(Self.nodeA, lease: Self.lease)
            let e1 = try await Self.stored(journal, Self.event("CA1", "k1"))
            let e2 = try await Self.stored(journal, Self.event("CA1", "k2"))
            let claim = try #require(e2.claim)
            _ = try await journal.record([CallRecords(claim: claim, completions: [Self.done(e1.id)])], for: Self.nodeA)
            #expect(try await journal.requeue([e1.id]) == 1)
            let version = try #require(try await journal.heldCalls(of: Self.nodeA)[claim])
            #expect(version > e2.version, "the holder must learn that its call has work again")
            let released = try await journal.record([CallRecords(claim: claim, completions: [Self.done(e2.id)],
                                                                 releaseAt: e2.version)], for: Self.nodeA)
            #expect(released == [.recorded(released: false)])
        }
    }

    @Test(arguments: Backend.all) func recordsOfSeveralCallsAreFencedOneByOne(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let (a, b) = (journals.first, journals.second)
            try await a.heartbeat(Self.nodeA, lease: .milliseconds(300))
            try await b.heartbeat(Self.nodeB, lease: Self.lease)
            let lost = try await Self.stored(a, Self.event("CA1", "k1"))
            try await Task.sleep(for: .milliseconds(600))
            _ = try await b.claimWaitingCalls(for: Self.nodeB, limit: 10)
            try await a.heartbeat(Self.nodeA, lease: Self.lease)
            let kept = try await Self.stored(a, Self.event("CA2", "k2"))
            let outcomes = try await a.record([
                CallRecords(claim: try #require(lost.claim), completions: [Self.done(lost.id)]),
                CallRecords(claim: try #require(kept.claim), completions: [Self.done(kept.id)]),
            ], for: Self.nodeA)
            #expect(outcomes == [.fenced, .recorded(released: false)])
            #expect(try await a.event(lost.id)?.summary.state == .pending)
            #expect(try await a.event(kept.id)?.summary.state == .done)
        }
    }

    // MARK: store and alert folding

    @Test(arguments: Backend.all) func theStoreKeepsValuesPerEndpointWithExpiry(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let store = journals.first
            try await store.storeSet(endpoint: "default", key: "k", value: #"{"a":1}"#, expiresAt: nil, fence: nil)
            #expect(try await store.storeGet(endpoint: "default", key: "k", now: Self.now) == #"{"a":1}"#)
            #expect(try await journals.second.storeGet(endpoint: "default", key: "k", now: Self.now) == #"{"a":1}"#)
            #expect(try await store.storeGet(endpoint: "clinic", key: "k", now: Self.now) == nil)
            try await store.storeSet(endpoint: "default", key: "t", value: "1", expiresAt: Self.now + 1_000, fence: nil)
            #expect(try await store.storeGet(endpoint: "default", key: "t", now: Self.now + 999) == "1")
            #expect(try await store.storeGet(endpoint: "default", key: "t", now: Self.now + 1_000) == nil)
            try await store.storeDelete(endpoint: "default", key: "k", fence: nil)
            #expect(try await store.storeGet(endpoint: "default", key: "k", now: Self.now) == nil)

            #expect(try await store.storeIncrement(endpoint: "default", key: "n", by: 2, expiresAt: Self.now + 1_000,
                                                   now: Self.now, fence: nil) == 2)
            #expect(try await store.storeIncrement(endpoint: "default", key: "n", by: 0.5, expiresAt: nil, now: Self.now + 10,
                                                   fence: nil) == 2.5)
            #expect(try await store.storeGet(endpoint: "default", key: "n", now: Self.now + 999) == "2.5",
                    "an increment without a ttl keeps the counter's expiry")
            #expect(try await store.storeIncrement(endpoint: "default", key: "n", by: 1, expiresAt: nil, now: Self.now + 1_000,
                                                   fence: nil) == 1, "an expired counter starts over")
        }
    }

    @Test(arguments: Backend.all) func concurrentIncrementsAddUpExactly(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<60 {
                    let store = n % 2 == 0 ? journals.first : journals.second
                    group.addTask {
                        _ = try await store.storeIncrement(endpoint: "default", key: "hits", by: 1, expiresAt: nil,
                                                           now: Self.now, fence: nil)
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await journals.first.storeGet(endpoint: "default", key: "hits", now: Self.now) == "60")
        }
    }

    @Test(arguments: Backend.all) func alertsAreFoldedWithinTheWindowOnEveryNode(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let (a, b) = (journals.first, journals.second)
            #expect(try await a.foldAlert(key: "hang:CA1", window: 600_000, now: Self.now) == 0)
            #expect(try await b.foldAlert(key: "hang:CA1", window: 600_000, now: Self.now + 1_000) == nil)
            #expect(try await a.foldAlert(key: "hang:CA1", window: 600_000, now: Self.now + 2_000) == nil)
            #expect(try await b.foldAlert(key: "hang:CA2", window: 600_000, now: Self.now + 2_000) == 0)
            #expect(try await b.foldAlert(key: "hang:CA1", window: 600_000, now: Self.now + 600_000) == 2,
                    "the first alert after the window says how many were folded")
            #expect(try await a.foldAlert(key: "hang:CA1", window: 600_000, now: Self.now + 600_001) == nil)
        }
    }

    // MARK: queries and retention

    @Test(arguments: Backend.all) func queriesFilterAndShowEverything(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let journal = journals.first
            try await journal.heartbeat(Self.nodeA, lease: Self.lease)
            let e1 = try await Self.stored(journal, Self.event("CA1", "k1", receivedAt: Self.now - 10_000))
            let e2 = try await Self.stored(journal, Self.event("CA2", "k2"))
            let e3 = try await Self.stored(journal, Self.event("CA2", "k3", endpoint: "clinic", state: .skipped))
            _ = try await journal.record([CallRecords(claim: try #require(e1.claim), runs: [Self.run(e1.id, "a.lua", .ok)],
                                                      completions: [Self.done(e1.id)])], for: Self.nodeA)
            #expect(try await journal.events(matching: EventQuery()).map(\.id) == [e3.id, e2.id, e1.id])
            #expect(try await journal.events(matching: EventQuery(callID: "CA2")).map(\.id) == [e3.id, e2.id])
            #expect(try await journal.events(matching: EventQuery(endpoint: "clinic")).map(\.id) == [e3.id])
            #expect(try await journal.events(matching: EventQuery(states: [.pending])).map(\.id) == [e2.id])
            #expect(try await journal.events(matching: EventQuery(since: Self.now - 5_000)).map(\.id) == [e3.id, e2.id])
            #expect(try await journal.events(matching: EventQuery(ids: [e1.id, e3.id])).map(\.id) == [e3.id, e1.id])
            #expect(try await journal.events(matching: EventQuery(limit: 1)).map(\.id) == [e3.id])
            let detail = try #require(try await journal.event(e1.id))
            #expect(detail.summary.state == .done && detail.summary.finishedAt == Self.now + 5)
            #expect(detail.summary.warnings == ["w-k1"] && detail.summary.size == detail.body.count)
            #expect(detail.requestID == "r-k1" && detail.dedupKey == "k1")
            #expect(detail.runs.count == 1 && detail.runs[0].effects == Self.effects && detail.runs[0].outcome == .ok)
            #expect(try await journal.statistics().pending == 1)
        }
    }

    @Test(arguments: Backend.all) func pruningKeepsPendingEventsAndRecentOnes(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let journal = journals.first
            try await journal.heartbeat(Self.nodeA, lease: Self.lease)
            let day: Int64 = 86_400_000
            let old = try await Self.stored(journal, Self.event("CA1", "old", receivedAt: Self.now - 40 * day))
            let oldPending = try await Self.stored(journal, Self.event("CA2", "old-pending", receivedAt: Self.now - 35 * day))
            let recent = try await Self.stored(journal, Self.event("CA3", "recent", receivedAt: Self.now - day))
            for stored in [old, recent] {
                _ = try await journal.record([CallRecords(claim: try #require(stored.claim),
                                                          runs: [Self.run(stored.id, "a.lua", .ok)],
                                                          completions: [Self.done(stored.id)])], for: Self.nodeA)
            }
            let report = try #require(try await journal.prune(receivedBefore: Self.now - 30 * day))
            #expect(report.events == 1)
            #expect(try await journal.event(old.id) == nil)
            #expect(try await journal.event(oldPending.id)?.summary.state == .pending)
            #expect(try await journal.event(recent.id)?.runs.count == 1)
        }
    }
}
