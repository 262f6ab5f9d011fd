import Foundation
import Journal
import PostgresJournal
import TestSupport
import Testing

/// `hookline journal copy`'s work: a SQLite journal with the contract's fixture events (pending, done with runs,
/// failed, skipped) and store values, copied into a fresh PostgreSQL database, twice.
@Suite struct JournalCopyTests {
    static let node = NodeIdentity(name: "one", incarnation: "one/1")
    static let now: Int64 = 1_764_000_000_000

    @Test func aSQLiteJournalMovesIntoPostgreSQLWholeAndOnlyOnce() async throws {
        let scratch = Scratch()
        let sqlite = try SQLiteJournal(directory: scratch.path)
        try await sqlite.heartbeat(Self.node, lease: .seconds(60))
        let files = fixtureFiles(in: "fixtures")
        #expect(files.count >= 8, "the contract's fixtures are there")
        var stored: [(NewEvent, StoredEvent)] = []
        for (index, file) in files.enumerated() {
            let type = file.deletingPathExtension().lastPathComponent
            let event = NewEvent(receivedAt: Self.now + Int64(index), endpoint: index % 3 == 0 ? "clinic" : "default",
                                 type: type, callID: "CA\(index % 4)", dedupKey: "key-\(type)", requestID: "req-\(index)",
                                 body: try [UInt8](Data(contentsOf: file)), warnings: index == 1 ? ["a warning"] : [],
                                 state: index == 2 ? .skipped : .pending)
            guard case .stored(let result) = try await sqlite.append(event, claimant: Self.node) else {
                throw TestFailure("\(type) was taken for a duplicate")
            }
            stored.append((event, result))
        }
        // the first two pending ones finish (one with a retried run), one is dead, the rest stay pending
        let finished = [0, 1, 3]
        for index in finished {
            let (_, result) = stored[index]
            let claim = try #require(result.claim)
            var runs = [RunRecord(eventID: result.id, generation: 0, script: "hang.lua", scriptVersion: "v\(index)", attempt: 1,
                                  startedAt: Self.now, durationMicroseconds: 40, outcome: index == 3 ? .dead : .ok,
                                  errorKind: index == 3 ? "runtime" : nil, error: index == 3 ? "boom" : nil,
                                  errorLine: index == 3 ? 7 : nil, effects: JournalConformanceTests.effects)]
            if index == 1 {
                runs.insert(RunRecord(eventID: result.id, generation: 0, script: "hang.lua", scriptVersion: "v1", attempt: 1,
                                      startedAt: Self.now - 5, durationMicroseconds: 9, outcome: .failed, error: "first try"), at: 0)
                runs[1].attempt = 2
            }
            _ = try await sqlite.record([CallRecords(claim: claim, runs: runs, completions: [
                EventCompletion(eventID: result.id, generation: 0, state: index == 3 ? .failed : .done, finishedAt: Self.now + 50),
            ])], for: Self.node)
        }
        try await sqlite.storeSet(endpoint: "default", key: "greeting", value: #""hello""#, expiresAt: nil, fence: nil)
        try await sqlite.storeSet(endpoint: "clinic", key: "hangs", value: "3", expiresAt: Self.now + 60_000, fence: nil)
        // the first event's run left a timer pending
        var setting = RunRecord(eventID: stored[0].1.id, generation: 0, script: "hang.lua", scriptVersion: "v0", attempt: 1,
                                startedAt: Self.now, durationMicroseconds: 5, outcome: .ok)
        setting.timerOperations = [TimerOperation(name: "report-missing", kind: .set(dueAt: Self.now + 600_000, setAt: Self.now,
                                                                                      data: #"{"status":"finished"}"#))]
        _ = try await sqlite.record([CallRecords(claim: try #require(stored[0].1.claim), runs: [setting])], for: Self.node)

        let configuration = try await TestDatabase.create()
        let postgres: PostgresJournal
        do {
            postgres = try await PostgresJournal(configuration)
        } catch {
            await TestDatabase.drop(configuration)
            throw error
        }
        do {
            var reports: [JournalCopy.Progress] = []
            let first = try await JournalCopy.run(from: sqlite, to: postgres, batchSize: 3) { reports.append($0) }
            #expect(first.total == files.count && first.read == files.count && first.copied == files.count)
            #expect(first.runs == 5 && first.storeValues == 2 && first.timers == 1)
            let timer = try #require(try await postgres.timers(matching: TimerQuery()).first)
            #expect(timer.name == "report-missing" && timer.call == CallKey(endpoint: stored[0].0.endpoint, callID: stored[0].0.callID))
            #expect(timer.dueAt == Self.now + 600_000 && timer.data == #"{"status":"finished"}"#)
            #expect(reports.map(\.read) == Array(stride(from: 3, to: files.count, by: 3)) + [files.count], "a report per batch of 3")

            let copied = try await postgres.events(matching: EventQuery(limit: 1_000)).reversed()
            #expect(copied.count == files.count)
            for ((event, result), summary) in zip(stored, copied) {
                let original = try #require(try await sqlite.event(result.id))
                let detail = try #require(try await postgres.event(summary.id))
                #expect(detail.dedupKey == event.dedupKey && detail.requestID == event.requestID)
                #expect(detail.body == event.body, "\(event.type)'s body")
                #expect(detail.summary.receivedAt == event.receivedAt && detail.summary.endpoint == event.endpoint)
                #expect(detail.summary.type == event.type && detail.summary.callID == event.callID)
                #expect(detail.summary.state == original.summary.state && detail.summary.finishedAt == original.summary.finishedAt)
                #expect(detail.summary.warnings == event.warnings && detail.summary.size == event.body.count)
                #expect(detail.runs.map(\.attempt) == original.runs.map(\.attempt))
                #expect(detail.runs.map(\.error) == original.runs.map(\.error))
                #expect(detail.runs.map(\.outcome) == original.runs.map(\.outcome))
                #expect(detail.runs.map(\.effects) == original.runs.map(\.effects))
                #expect(detail.runs.map(\.errorLine) == original.runs.map(\.errorLine))
            }
            #expect(try await postgres.append(stored[0].0, claimant: Self.node) == .duplicate(of: copied.first!.id),
                    "a re-delivery of a copied event is a duplicate")
            let pending = stored.indices.filter { !finished.contains($0) && $0 != 2 }.count
            #expect(try await postgres.statistics().pending == pending)
            try await postgres.heartbeat(Self.node, lease: .seconds(60))
            let claims = try await postgres.claimWaitingCalls(for: Self.node, limit: 100)
            let waitingCalls = Set(stored.indices.filter { !finished.contains($0) && $0 != 2 }.map {
                CallKey(endpoint: stored[$0].0.endpoint, callID: stored[$0].0.callID)
            })
            #expect(Set(claims.map(\.call)) == waitingCalls, "the copied pending events are work to claim")
            #expect(try await postgres.storeGet(endpoint: "default", key: "greeting", now: Self.now) == #""hello""#)
            #expect(try await postgres.storeGet(endpoint: "clinic", key: "hangs", now: Self.now + 59_999) == "3")
            #expect(try await postgres.storeGet(endpoint: "clinic", key: "hangs", now: Self.now + 60_000) == nil,
                    "the expiry came along")

            let again = try await JournalCopy.run(from: sqlite, to: postgres)
            #expect(again.read == files.count && again.copied == 0 && again.present == files.count)
            #expect(again.runs == 0 && again.storeValues == 0 && again.timers == 0)
            #expect(try await postgres.events(matching: EventQuery(limit: 1_000)).count == files.count)
        } catch {
            await postgres.close()
            await sqlite.close()
            await TestDatabase.drop(configuration)
            throw error
        }
        await postgres.close()
        await sqlite.close()
        await TestDatabase.drop(configuration)
    }
}
