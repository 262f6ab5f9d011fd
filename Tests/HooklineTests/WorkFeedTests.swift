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
import TestSupport

/// A work queue whose reads of a call's pending work come back late, as on a busy disk or a far database
/// (what is recorded while such a read is in flight must not run again), and that counts those reads.
final class LateReads: WorkQueue {
    let base: SQLiteJournal
    let delay: Duration
    let reads = Atomic<Int>(0)

    init(_ base: SQLiteJournal, delay: Duration) {
        self.base = base
        self.delay = delay
    }

    func pendingWork(of claim: CallClaim, for node: NodeIdentity, after: EventID?, limit: Int) async throws(JournalError) -> CallWork? {
        reads.add(1, ordering: .relaxed)
        let work = try await base.pendingWork(of: claim, for: node, after: after, limit: limit)
        try? await Task.sleep(for: delay)
        return work
    }

    func heartbeat(_ node: NodeIdentity, lease: Duration) async throws(JournalError) { try await base.heartbeat(node, lease: lease) }
    func leave(_ node: NodeIdentity) async throws(JournalError) { try await base.leave(node) }
    func announce(_ node: NodeIdentity, scriptsVersion: String) async throws(JournalError) {
        try await base.announce(node, scriptsVersion: scriptsVersion)
    }
    func claimWaitingCalls(for node: NodeIdentity, limit: Int) async throws(JournalError) -> [CallClaim] {
        try await base.claimWaitingCalls(for: node, limit: limit)
    }
    func heldCalls(of node: NodeIdentity) async throws(JournalError) -> [CallClaim: Int64] { try await base.heldCalls(of: node) }
    func record(_ batch: [CallRecords], for node: NodeIdentity) async throws(JournalError) -> [RecordOutcome] {
        try await base.record(batch, for: node)
    }
    func requeue(_ ids: [EventID], reuseEffects: Bool) async throws(JournalError) -> Int {
        try await base.requeue(ids, reuseEffects: reuseEffects)
    }
    func fireDueTimers(now: Int64, claimant: NodeIdentity, limit: Int) async throws(JournalError) -> [FiredTimer] {
        try await base.fireDueTimers(now: now, claimant: claimant, limit: limit)
    }
    func nextTimerDue() async throws(JournalError) -> Int64? { try await base.nextTimerDue() }
    func workSignals(for node: NodeIdentity) -> AsyncStream<CallKey>? { nil }
}

/// The work feed end to end on the SQLite journal: which events need a journal read, and that none runs
/// twice however reads and records interleave.
@Suite struct WorkFeedTests {
    static let node = NodeIdentity(name: "test", incarnation: "test/1")

    /// A dispatcher with one Lua state for `scratch/scripts`, writing to `scratch/out`; shut the clients down last.
    private func makeDispatcher(over queue: LateReads, in scratch: Scratch,
                                poll: Duration = .milliseconds(100)) throws -> (Dispatcher, HTTPClients) {
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let clients = HTTPClients()
        let telemetry = Telemetry(eventTypes: EventTypes.known)
        let alerter = Alerter(channels: AlertChannels(), client: clients.direct, logger: logger, telemetry: telemetry)
        let effects = LiveEffects(settings: LiveSettings(), clients: clients, files: try FileJail(root: scratch.path + "/out"),
                                  alerter: alerter, journal: queue.base, logger: logger)
        let dispatcher = Dispatcher(queue: queue, node: Self.node, effects: effects, telemetry: telemetry, logger: logger,
                                    settings: DispatchSettings(poolSize: 1, reloadInterval: nil, pollInterval: poll),
                                    defaultFolder: scratch.path + "/scripts")
        return (dispatcher, clients)
    }

    private func store(_ intake: Intake, _ body: [UInt8], subscribed: Set<String>? = nil) async throws -> IntakeResult {
        guard case .success(let checked) = intake.accept(body, endpoint: "default", receivedAt: 0) else {
            throw TestFailure("fixture rejected")
        }
        return await withCheckedContinuation { continuation in
            intake.store(checked, endpoint: "default", subscribed: subscribed, requestID: "r", receivedAt: 0) {
                continuation.resume(returning: $0)
            }
        }
    }

    private func drain(_ journal: SQLiteJournal) async throws {
        try await eventually("every event is processed", timeout: .seconds(30)) { try await journal.statistics().pending == 0 }
    }

    /// Events this node stores for calls it holds, skipped events among them, run straight from intake. (The
    /// poll for waiting work, which may read a call it finds pending just before its last record commits, is
    /// made rare here: it is not the path under test.)
    @Test func eventsStoredByTheHolderRunWithoutAJournalRead() async throws {
        let scratch = Scratch()
        scratch.write("scripts/hang.lua", #"file.append("ran.txt", ctx.event_id .. "\n")"#)
        let journal = try SQLiteJournal(directory: scratch.path + "/data")
        let queue = LateReads(journal, delay: .zero)
        let (dispatcher, clients) = try makeDispatcher(over: queue, in: scratch, poll: .seconds(30))
        try await dispatcher.start()
        let intake = Intake(journal: journal, node: Self.node, telemetry: Telemetry(eventTypes: EventTypes.known),
                            onAccepted: { dispatcher.submit($0.event, document: $0.document, stored: $0.stored) })
        var processed: [String] = []
        for i in 0..<30 {
            let result = try await store(intake, event("fixtures/hang.json", callID: "CALL\(i % 10)", timestamp: 1_764_000_000_000 + Int64(i)),
                                         subscribed: i % 3 == 1 ? ["status-update"] : nil)
            guard case .accepted(let id, _, let skipped) = result else { throw TestFailure("not stored: \(result)") }
            if !skipped { processed.append(id.description) }
        }
        try await drain(journal)
        await dispatcher.stop()
        await clients.shutdown()
        await journal.close()
        #expect((scratch.read("out/ran.txt") ?? "").split(separator: "\n").map(String.init).sorted() == processed.sorted())
        #expect(queue.reads.load(ordering: .relaxed) == 0, "the feed read a call's work from the journal")
    }

    /// Events of the same calls stored by another node that died (its lease ends; its calls are taken over,
    /// from the poll or by this node's next event of the call), and replays, while reads come back late: each
    /// run happens once, and every call keeps its order.
    @Test func eventsFromElsewhereAndReplaysRunOnceInOrder() async throws {
        let scratch = Scratch()
        scratch.write("scripts/hang.lua", """
            local until_ = os.clock() + 0.005
            while os.clock() < until_ do end
            file.append(ctx.call_id .. ".txt", ctx.event_id .. "\\n")
            """)
        let journal = try SQLiteJournal(directory: scratch.path + "/data")
        let queue = LateReads(journal, delay: .milliseconds(150))
        let (dispatcher, clients) = try makeDispatcher(over: queue, in: scratch)
        try await dispatcher.start()
        let intake = Intake(journal: journal, node: Self.node, telemetry: Telemetry(eventTypes: EventTypes.known),
                            onAccepted: { dispatcher.submit($0.event, document: $0.document, stored: $0.stored) })
        let elsewhere = NodeIdentity(name: "other", incarnation: "other/1")
        let otherIntake = Intake(journal: journal, node: elsewhere, telemetry: Telemetry(eventTypes: EventTypes.known))  // it runs nothing
        try await journal.heartbeat(elsewhere, lease: .milliseconds(200))
        var expected: [String: [EventID]] = [:]
        var replayed: [EventID] = []
        for i in 0..<120 {
            let call = "CALL\(i % 6)"
            let body = event("fixtures/hang.json", callID: call, timestamp: 1_764_000_000_000 + Int64(i))
            let result = try await store(i % 4 == 3 ? otherIntake : intake, body)
            guard case .accepted(let id, _, _) = result else { throw TestFailure("not stored: \(result)") }
            expected[call, default: []].append(id)
            if i % 30 == 29, let finished = try await journal.events(matching: EventQuery(states: [.done], limit: 10))
                .first(where: { !replayed.contains($0.id) }) {
                _ = try await journal.requeue([finished.id])
                replayed.append(finished.id)
            }
            try await Task.sleep(for: .milliseconds(15))
        }
        try await drain(journal)
        try await Task.sleep(for: .milliseconds(300))  // a few more polls: nothing may run again
        await dispatcher.stop()
        await clients.shutdown()
        await journal.close()
        for (call, ids) in expected {
            var runs = (scratch.read("out/\(call).txt") ?? "").split(separator: "\n").compactMap { EventID(String($0)) }
            for id in replayed where ids.contains(id) {
                // a replay runs the event a second time, after the first
                let second = try #require(runs.lastIndex(of: id), "\(call): replayed \(id) did not run")
                #expect(runs.firstIndex(of: id)! < second, "\(call): replayed \(id) ran only once")
                runs.remove(at: second)
            }
            #expect(runs == ids, "\(call): each event once, in order")
        }
        #expect(queue.reads.load(ordering: .relaxed) > 0, "events stored elsewhere were read from the journal")
    }
}
