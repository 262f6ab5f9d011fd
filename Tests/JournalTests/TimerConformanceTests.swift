import Foundation
import JSON
import Journal
import TestSupport
import Testing

/// What every journal backend does with timers: operations applied with successful runs' records in the
/// order of their events, fired once into events of their call, before any event appended after they came due.
@Suite struct TimerConformanceTests {
    typealias C = JournalConformanceTests
    static let call = CallKey(endpoint: "default", callID: "CA1")
    /// A place in the call's order after every event: the timers pending now.
    static let latest = EventID(Int64.max)

    static func setting(_ id: EventID, _ name: String, dueAt: Int64, data: String? = nil, outcome: RunOutcome = .ok) -> RunRecord {
        var run = C.run(id, "hang.lua", outcome)
        run.timerOperations = [TimerOperation(name: name, kind: .set(dueAt: dueAt, setAt: C.now, data: data))]
        return run
    }

    static func cancelling(_ id: EventID, _ name: String) -> RunRecord {
        var run = C.run(id, "conversation-update.lua", .ok)
        run.timerOperations = [TimerOperation(name: name, kind: .cancel)]
        return run
    }

    static func names(_ journal: any Journal) async throws -> [String] {
        try await journal.pendingTimers(of: call, asOf: latest).map(\.name)
    }

    @Test(arguments: Backend.all) func aSuccessfulRunSetsAndAFailedOneLeavesNothing(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let journal = journals.first
            try await journal.heartbeat(C.nodeA, lease: C.lease)
            let e1 = try await C.stored(journal, C.event("CA1", "k1"))
            let claim = try #require(e1.claim)
            _ = try await journal.record([CallRecords(claim: claim, runs: [
                Self.setting(e1.id, "failed-attempt", dueAt: C.now + 1_000, outcome: .failed),
                Self.setting(e1.id, "hang-unresolved", dueAt: C.now + 30_000, data: #"{"question":"X-ray?"}"#),
            ])], for: C.nodeA)
            let pending = try await journal.pendingTimers(of: Self.call, asOf: Self.latest)
            #expect(pending == [PendingTimer(call: Self.call, name: "hang-unresolved", dueAt: C.now + 30_000, setAt: C.now,
                                             data: #"{"question":"X-ray?"}"#, setBy: e1.id)],
                    "a failed attempt's timer operations are dropped with it")
            #expect(try await journal.nextTimerDue() == C.now + 30_000)
            #expect(try await journal.timers(matching: TimerQuery(callID: "CA1")).map(\.name) == ["hang-unresolved"])
            #expect(try await journal.timers(matching: TimerQuery(dueBefore: C.now + 30_000)).isEmpty)
            #expect(try await journal.fireDueTimers(now: C.now + 29_999, claimant: C.nodeA, limit: 10).isEmpty)
        }
    }

    @Test(arguments: Backend.all) func operationsApplyInTheOrderOfTheirEventsWhateverOrderTheyAreRecordedIn(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let journal = journals.first
            try await journal.heartbeat(C.nodeA, lease: C.lease)
            let hang = try await C.stored(journal, C.event("CA1", "k1"))
            let update = try await C.stored(journal, C.event("CA1", "k2"))
            let claim = try #require(hang.claim)
            // the later event's cancel is recorded first; the earlier event's set, recorded after it, is dropped
            _ = try await journal.record([CallRecords(claim: claim, runs: [Self.cancelling(update.id, "t")])], for: C.nodeA)
            _ = try await journal.record([CallRecords(claim: claim, runs: [Self.setting(hang.id, "t", dueAt: C.now + 1)])],
                                         for: C.nodeA)
            #expect(try await Self.names(journal).isEmpty, "a set made for an earlier event than an applied cancel is dropped")

            // the other way round: a set for a later event survives a cancel for an earlier one recorded after it
            let third = try await C.stored(journal, C.event("CA1", "k3"))
            _ = try await journal.record([CallRecords(claim: claim, runs: [Self.setting(third.id, "u", dueAt: C.now + 5)])], for: C.nodeA)
            _ = try await journal.record([CallRecords(claim: claim, runs: [Self.cancelling(hang.id, "u")])], for: C.nodeA)
            #expect(try await Self.names(journal) == ["u"])
        }
    }

    @Test(arguments: Backend.all) func aDueTimerBecomesOneEventOfItsCallOnce(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let journal = journals.first
            try await journal.heartbeat(C.nodeA, lease: C.lease)
            try await journals.second.heartbeat(C.nodeB, lease: C.lease)
            let e1 = try await C.stored(journal, C.event("CA1", "k1"))
            let claim = try #require(e1.claim)
            _ = try await journal.record([CallRecords(claim: claim, runs: [Self.setting(e1.id, "report-missing", dueAt: C.now + 600_000,
                                                                                         data: #"{"status":"finished"}"#)],
                                                      completions: [C.done(e1.id)], releaseAt: e1.version)], for: C.nodeA)
            #expect(try await journal.heldCalls(of: C.nodeA).isEmpty, "the call was released with its timer pending")

            // both nodes try at once: the timer fires once
            async let onA = journal.fireDueTimers(now: C.now + 600_001, claimant: C.nodeA, limit: 10)
            async let onB = journals.second.fireDueTimers(now: C.now + 600_001, claimant: C.nodeB, limit: 10)
            let (firedOnA, firedOnB) = try await (onA, onB)
            let fired = firedOnA + firedOnB
            #expect(fired.count == 1)
            let (firer, firerJournal) = firedOnA.isEmpty ? (C.nodeB, journals.second) : (C.nodeA, journal)
            let timer = try #require(fired.first)
            #expect(timer.event.type == "timer:report-missing")
            #expect(timer.event.callID == "CA1")
            #expect(timer.event.id > e1.id)
            #expect(timer.stored.claim != nil, "the node that fired it holds the call (nobody else did)")
            let message = try JSONParser.parse(timer.body).root["message"]
            #expect(message?["timer"]?["name"]?.string == "report-missing")
            #expect(message?["timer"]?["due_at"]?.integer == C.now + 600_000)
            #expect(message?["timer"]?["set_by"]?.integer == e1.id.rawValue)
            #expect(message?["timer"]?["data"]?["status"]?.string == "finished")
            #expect(try await journal.pendingTimers(of: Self.call, asOf: Self.latest).isEmpty)
            #expect(try await journal.pendingTimers(of: Self.call, asOf: e1.id).map(\.name) == ["report-missing"],
                    "at an event before the timer's in the call's order, the timer is still pending")
            #expect(try await journal.nextTimerDue() == nil)
            #expect(try await journal.fireDueTimers(now: C.now + 700_000, claimant: C.nodeA, limit: 10).isEmpty, "once only")
            #expect(try await journals.second.fireDueTimers(now: C.now + 700_000, claimant: C.nodeB, limit: 10).isEmpty)

            let work = try #require(try await firerJournal.pendingWork(of: timer.stored.claim!, for: firer, after: nil, limit: 10))
            #expect(work.items.map(\.event.id) == [timer.event.id], "the fired timer is work of its call, with its body")
            #expect(work.items.first?.body == timer.body)
            #expect(try await journal.body(of: timer.event.id) == timer.body)
            #expect(try await journal.event(timer.event.id)?.summary.type == "timer:report-missing")
        }
    }

    @Test(arguments: Backend.all) func anEventAppendedAfterATimerCameDueIsStoredAfterIt(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let journal = journals.first
            try await journal.heartbeat(C.nodeA, lease: C.lease)
            let hang = try await C.stored(journal, C.event("CA1", "k1"))
            let claim = try #require(hang.claim)
            _ = try await journal.record([CallRecords(claim: claim, runs: [Self.setting(hang.id, "hang-unresolved", dueAt: C.now + 30_000)])],
                                         for: C.nodeA)
            let early = try await C.stored(journal, C.event("CA1", "k2", receivedAt: C.now + 29_999))
            #expect(try await Self.names(journal) == ["hang-unresolved"], "an event before the due time fires nothing")
            let late = try await C.stored(journal, C.event("CA1", "k3", receivedAt: C.now + 30_000))
            #expect(try await Self.names(journal).isEmpty, "the append fired the timer")
            #expect(late.version == early.version + 2, "the timer's event and this one each changed the call's work")
            #expect(late.inheritedWork)
            let work = try #require(try await journal.pendingWork(of: claim, for: C.nodeA, after: nil, limit: 10))
            #expect(work.items.map(\.event.type) == ["hang", "hang", "timer:hang-unresolved", "hang"],
                    "the timer's event comes between the events before and after its due time")
            #expect(work.items.last?.event.id == late.id)
        }
    }

    @Test(arguments: Backend.all) func anOperationForAnEarlierEventRecordedAfterTheFireSupersedesIt(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let journal = journals.first
            try await journal.heartbeat(C.nodeA, lease: C.lease)
            let hang = try await C.stored(journal, C.event("CA1", "k1"))
            let update = try await C.stored(journal, C.event("CA1", "k2"))
            let claim = try #require(hang.claim)
            _ = try await journal.record([CallRecords(claim: claim, runs: [Self.setting(hang.id, "t", dueAt: C.now + 100)])],
                                         for: C.nodeA)
            let fired = try await journal.fireDueTimers(now: C.now + 100, claimant: C.nodeA, limit: 10)
            let timer = try #require(fired.first)
            let before = EventID(timer.event.id.rawValue - 1)
            #expect(try await journal.pendingTimers(of: Self.call, asOf: before).map(\.setBy) == [hang.id])
            // the update, before the timer in the call's order, cancels it after the fire was committed
            _ = try await journal.record([CallRecords(claim: claim, runs: [Self.cancelling(update.id, "t")])], for: C.nodeA)
            #expect(try await journal.pendingTimers(of: Self.call, asOf: before).isEmpty,
                    "the timer no longer stands at its own place: its run is to be skipped")
        }
    }
}
