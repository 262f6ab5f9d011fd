import Journal
import TestSupport
import Testing

/// What the web console asks of every journal backend: pages by cursor and time range, the dead runs a replay
/// would run again, the latest runs.
@Suite struct ConsoleQueryConformanceTests {
    typealias Base = JournalConformanceTests

    @Test(arguments: Backend.all) func pagesByCursorAndTimeRange(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let journal = journals.first
            var ids: [EventID] = []
            for index in 0..<5 {
                ids.append(try await Base.stored(journal, Base.event("CA\(index)", "k\(index)", receivedAt: Base.now + Int64(index) * 1_000)).id)
            }
            #expect(try await journal.events(matching: EventQuery(limit: 2, before: ids[3])).map(\.id) == [ids[2], ids[1]],
                    "the page below a cursor, newest first")
            #expect(try await journal.events(matching: EventQuery(limit: 10, after: ids[2])).map(\.id) == [ids[4], ids[3]])
            #expect(try await journal.events(matching: EventQuery(since: Base.now + 1_000, limit: 10, until: Base.now + 3_000)).map(\.id)
                    == [ids[2], ids[1]], "since is inclusive, until is not")
            let newer = try await Base.stored(journal, Base.event("CA9", "k9"))
            #expect(try await journal.events(matching: EventQuery(limit: 2, before: ids[3])).map(\.id) == [ids[2], ids[1]],
                    "a new event does not shift a page")
            #expect(newer.id > ids[4])
        }
    }

    @Test(arguments: Backend.all) func deadRunsAreThoseAReplayWouldRunAgain(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let journal = journals.first
            try await journal.heartbeat(Base.nodeA, lease: Base.lease)
            let failed = try await Base.stored(journal, Base.event("CA1", "k1"))
            let fine = try await Base.stored(journal, Base.event("CA2", "k2"))
            _ = try await journal.record([
                CallRecords(claim: try #require(failed.claim),
                            runs: [Base.run(failed.id, "a.lua", .failed), Base.run(failed.id, "a.lua", .dead, attempt: 2),
                                   Base.run(failed.id, "b.lua", .ok)],
                            completions: [Base.done(failed.id, state: .failed)]),
                CallRecords(claim: try #require(fine.claim), runs: [Base.run(fine.id, "a.lua", .ok)], completions: [Base.done(fine.id)]),
            ], for: Base.nodeA)
            let dead = try await journal.deadRuns(since: nil, limit: 100)
            #expect(dead.map(\.eventID) == [failed.id] && dead[0].script == "a.lua" && dead[0].attempt == 2)
            #expect(dead[0].error == "boom" && dead[0].errorLine == 3 && dead[0].effects == Base.effects)
            #expect(try await journal.deadRuns(since: Base.now + 1, limit: 100).isEmpty, "since is the run's start")
            let latest = try await journal.runs(since: Base.now, limit: 100)
            #expect(latest.count == 4 && latest[0].eventID == fine.id, "every run, newest first")
            #expect(try await journal.runs(since: Base.now, limit: 2).count == 2)
            #expect(try await journal.runs(since: Base.now + 1, limit: 100).isEmpty)
            #expect(try await journal.deadRunGroups(since: nil) == [
                DeadRunGroup(script: "a.lua", errorLine: 3, error: "boom", events: 1, latestAt: Base.now, latestEvent: failed.id),
            ])
            #expect(try await journal.deadRunGroups(since: Base.now + 1).isEmpty)
            #expect(try await journal.requeue([failed.id]) == 1)
            #expect(try await journal.deadRuns(since: nil, limit: 100).isEmpty, "a replayed event's dead runs are history")
            #expect(try await journal.deadRunGroups(since: nil).isEmpty)
        }
    }

    @Test(arguments: Backend.all) func eventsAreCountedByMinuteAndType(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let journal = journals.first
            let minute = Base.now / 60_000 * 60_000
            for (index, offset) in [0, 1_000, 59_999, 60_000, -1].enumerated() {
                _ = try await Base.stored(journal, Base.event("CA\(index)", "k\(index)", receivedAt: minute + Int64(offset)))
            }
            var other = Base.event("CA9", "k9", receivedAt: minute)
            other.type = "error"
            _ = try await Base.stored(journal, other)
            let counts = try await journal.eventCounts(since: minute).sorted { ($0.minute, $0.type) < ($1.minute, $1.type) }
            #expect(counts == [EventCount(minute: minute, type: "error", count: 1), EventCount(minute: minute, type: "hang", count: 3),
                               EventCount(minute: minute + 60_000, type: "hang", count: 1)], "the event before `since` is not counted")
        }
    }

    @Test(arguments: Backend.all) func theNodesSharingTheJournalAreListedWithTheirHeartbeats(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            try await journals.first.heartbeat(Base.nodeA, lease: Base.lease)
            try await journals.second.heartbeat(Base.nodeB, lease: Base.lease)
            let nodes = try await journals.first.sharingNodes()
            if backend.name == "SQLite" {
                #expect(nodes.isEmpty, "one process owns an SQLite journal")
            } else {
                #expect(Set(nodes.map(\.name)) == ["a", "b"] && Set(nodes.map(\.incarnation)) == ["a/1", "b/1"])
                for node in nodes {
                    #expect(node.startedAt <= node.heartbeatAt && node.expiresAt - node.heartbeatAt == Base.lease.components.seconds * 1000)
                }
                try await journals.second.announce(Base.nodeB, scriptsVersion: "b1c2d3")
                #expect(try await journals.first.sharingNodes().first { $0.name == "b" }?.scriptsVersion == "b1c2d3",
                        "each node's scripts' version, as it announced it")
                try await journals.second.leave(Base.nodeB)
                #expect(try await journals.first.sharingNodes().map(\.name) == ["a"], "a node that leaves is gone")
            }
        }
    }
}
