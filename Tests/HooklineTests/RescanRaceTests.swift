import EventDispatch
import Foundation
import HostAPI
import JSON
import Journal
import Logging
import Observability
import Testing

/// A journal whose reads of pending events come back late, as on a busy disk: completions recorded while
/// such a read is in flight must not make the dispatcher take those events again.
final class LateReads: Journal {
    let base: SQLiteJournal
    init(_ base: SQLiteJournal) { self.base = base }

    func pendingEvents(after: EventID?, limit: Int) async throws(JournalError) -> [(event: PendingEvent, body: [UInt8])] {
        let events = try await base.pendingEvents(after: after, limit: limit)
        try? await Task.sleep(for: .milliseconds(400))
        return events
    }

    func append(_ event: NewEvent, done: @escaping @Sendable (Result<AppendOutcome, JournalError>) -> Void) {
        base.append(event, done: done)
    }
    func newestEventID() async throws(JournalError) -> EventID { try await base.newestEventID() }
    func body(of id: EventID) async throws(JournalError) -> [UInt8]? { try await base.body(of: id) }
    func runProgress(of id: EventID, generation: Int) async throws(JournalError) -> RunProgress {
        try await base.runProgress(of: id, generation: generation)
    }
    func record(runs: [RunRecord], completions: [EventCompletion]) async throws(JournalError) {
        try await base.record(runs: runs, completions: completions)
    }
    func storeGet(endpoint: String, key: String, now: Int64) async throws(JournalError) -> String? {
        try await base.storeGet(endpoint: endpoint, key: key, now: now)
    }
    func storeSet(endpoint: String, key: String, value: String, expiresAt: Int64?) async throws(JournalError) {
        try await base.storeSet(endpoint: endpoint, key: key, value: value, expiresAt: expiresAt)
    }
    func storeIncrement(endpoint: String, key: String, by: Double, expiresAt: Int64?, now: Int64) async throws(JournalError) -> Double {
        try await base.storeIncrement(endpoint: endpoint, key: key, by: by, expiresAt: expiresAt, now: now)
    }
    func storeDelete(endpoint: String, key: String) async throws(JournalError) { try await base.storeDelete(endpoint: endpoint, key: key) }
    func events(matching query: EventQuery) async throws(JournalError) -> [EventSummary] { try await base.events(matching: query) }
    func event(_ id: EventID) async throws(JournalError) -> EventDetail? { try await base.event(id) }
    func requeue(_ ids: [EventID]) async throws(JournalError) -> Int { try await base.requeue(ids) }
    func statistics() async throws(JournalError) -> JournalStatistics { try await base.statistics() }
    func prune(receivedBefore cutoff: Int64) async throws(JournalError) -> PruneReport { try await base.prune(receivedBefore: cutoff) }
    func checkWritable() async -> Bool { await base.checkWritable() }
    func close() async { await base.close() }
}

@Suite struct RescanRaceTests {
    @Test func eventsFinishedDuringALateReadRunOnce() async throws {
        let scratch = Scratch()
        scratch.write("scripts/hang.lua", """
            local until_ = os.clock() + 0.05
            while os.clock() < until_ do end
            file.append("ran.txt", ctx.event_id .. "\\n")
            """)
        let base = try SQLiteJournal(directory: scratch.path + "/data")
        let journal = LateReads(base)
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let clients = HTTPClients()
        let alerter = Alerter(channels: AlertChannels(), client: clients.direct, logger: logger, telemetry: Telemetry())
        let effects = LiveEffects(settings: LiveSettings(), clients: clients, files: try FileJail(root: scratch.path + "/out"),
                                  alerter: alerter, journal: journal, logger: logger)
        let dispatcher = Dispatcher(journal: journal, effects: effects, telemetry: Telemetry(), logger: logger,
                                    settings: DispatchSettings(poolSize: 1, reloadInterval: nil), defaultFolder: scratch.path + "/scripts")
        await dispatcher.start()
        // a steady trickle across several rescans (every 2 s), with runs finishing while reads are late
        var ids: [String] = []
        for i in 0..<120 {
            let body = event("fixtures/hang.json", callID: "RACE\(i)")
            let document = try JSONParser.parse(body)
            if case .stored(let id) = try await journal.append(NewEvent(
                receivedAt: Int64(Date().timeIntervalSince1970 * 1000), endpoint: "default", type: "hang", callID: "RACE\(i)",
                dedupKey: "race-\(i)", requestID: "r\(i)", body: body, warnings: [])) {
                ids.append(id.description)
                dispatcher.submit(PendingEvent(id: id, receivedAt: 0, endpoint: "default", type: "hang", callID: "RACE\(i)",
                                               warnings: [], generation: 0), document: document)
            }
            try await Task.sleep(for: .milliseconds(60))
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while try await base.statistics().pending > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .seconds(3))  // a few more rescans
        await dispatcher.stop()
        await clients.shutdown()
        await base.close()
        let ran = (scratch.read("out/ran.txt") ?? "").split(separator: "\n").map(String.init)
        #expect(Set(ran) == Set(ids))
        #expect(ran.count == ids.count, "\(ran.count - ids.count) events ran twice")
    }
}
