import EventDispatch
import Foundation
import HostAPI
import Intake
import JSON
import Journal
import Logging
import Observability
import Synchronization
import Testing

/// A journal whose reads of pending events come back late, as on a busy disk (completions recorded while
/// such a read is in flight must not make the dispatcher take those events again), and which counts the
/// reads that start after some event (the loader's, past its cursor; the rescan starts from the beginning).
final class LateReads: Journal {
    let base: SQLiteJournal
    let delay: Duration
    let readsPastAnEvent = Atomic<Int>(0)
    init(_ base: SQLiteJournal, delay: Duration = .milliseconds(400)) {
        self.base = base
        self.delay = delay
    }

    func pendingEvents(after: EventID?, limit: Int) async throws(JournalError) -> [(event: PendingEvent, body: [UInt8])] {
        if let after, after.rawValue > 0 { readsPastAnEvent.add(1, ordering: .relaxed) }
        let events = try await base.pendingEvents(after: after, limit: limit)
        try? await Task.sleep(for: delay)
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
    /// A dispatcher with one Lua state for `scratch/scripts`, writing to `scratch/out`; shut the clients down last.
    private func makeDispatcher(over journal: LateReads, in scratch: Scratch) throws -> (Dispatcher, HTTPClients) {
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let clients = HTTPClients()
        let alerter = Alerter(channels: AlertChannels(), client: clients.direct, logger: logger, telemetry: Telemetry())
        let effects = LiveEffects(settings: LiveSettings(), clients: clients, files: try FileJail(root: scratch.path + "/out"),
                                  alerter: alerter, journal: journal, logger: logger)
        let dispatcher = Dispatcher(journal: journal, effects: effects, telemetry: Telemetry(), logger: logger,
                                    settings: DispatchSettings(poolSize: 1, reloadInterval: nil), defaultFolder: scratch.path + "/scripts")
        return (dispatcher, clients)
    }

    /// Events stored but not processed (their endpoint does not take their type) are announced too, so the
    /// loader, which follows ids in order, passes over them instead of reading the journal at each gap.
    @Test func skippedEventsLeaveNoGapToRead() async throws {
        let scratch = Scratch()
        scratch.write("scripts/hang.lua", #"file.append("ran.txt", ctx.event_id .. "\n")"#)
        let base = try SQLiteJournal(directory: scratch.path + "/data")
        let journal = LateReads(base, delay: .zero)
        let (dispatcher, clients) = try makeDispatcher(over: journal, in: scratch)
        await dispatcher.start()
        let intake = Intake(journal: journal, telemetry: Telemetry(),
                            onAccepted: { dispatcher.submit($0.event, document: $0.document) },
                            onSkipped: { dispatcher.pass(over: $0) })
        var processed: [String] = []
        for i in 0..<30 {
            let body = event("fixtures/hang.json", callID: "SKIP\(i)")
            guard case .success(let checked) = intake.accept(body, endpoint: "default", receivedAt: 0) else {
                throw TestFailure("fixture rejected")
            }
            let result = await withCheckedContinuation { continuation in
                intake.store(checked, endpoint: "default", subscribed: i % 3 == 1 ? ["status-update"] : nil,
                             requestID: "r\(i)", receivedAt: 0) { continuation.resume(returning: $0) }
            }
            guard case .accepted(let id, _, let skipped) = result else { throw TestFailure("not stored: \(result)") }
            if !skipped { processed.append(id.description) }
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while try await base.statistics().pending > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        await dispatcher.stop()
        await clients.shutdown()
        await base.close()
        #expect((scratch.read("out/ran.txt") ?? "").split(separator: "\n").map(String.init) == processed)
        #expect(journal.readsPastAnEvent.load(ordering: .relaxed) == 0, "the loader read the journal to fill a gap")
    }

    @Test func eventsFinishedDuringALateReadRunOnce() async throws {
        let scratch = Scratch()
        scratch.write("scripts/hang.lua", """
            local until_ = os.clock() + 0.05
            while os.clock() < until_ do end
            file.append("ran.txt", ctx.event_id .. "\\n")
            """)
        let base = try SQLiteJournal(directory: scratch.path + "/data")
        let journal = LateReads(base)
        let (dispatcher, clients) = try makeDispatcher(over: journal, in: scratch)
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
