import Journal
import Logging
import Synchronization

/// Collects finished run attempts and completed events, and writes them to the journal in batches (one
/// commit for many runs), each call's fenced by its claim. A failed write is kept and tried again: records
/// are never dropped, unless the journal refuses them because the call was taken over.
final class RunRecorder: Sendable {
    /// What one call's records came to, for the work feed.
    struct Written: Sendable {
        var claim: CallClaim
        var outcome: RecordOutcome
        var completed: [EventID]
        var releaseAsked: Int64?
    }

    private struct Buffer {
        var order: [CallClaim] = []
        var records: [CallClaim: CallRecords] = [:]
        var waiter: CheckedContinuation<Void, Never>?
        var stopping = false

        var isEmpty: Bool { order.isEmpty }

        mutating func take() -> [CallRecords] {
            defer {
                order.removeAll(keepingCapacity: true)
                records.removeAll(keepingCapacity: true)
            }
            return order.map { records[$0]! }
        }
    }

    private let queue: any WorkQueue
    private let node: NodeIdentity
    private let logger: Logger
    private let buffer = Mutex(Buffer())

    init(queue: any WorkQueue, node: NodeIdentity, logger: Logger) {
        self.queue = queue
        self.node = node
        self.logger = logger
    }

    /// Queues a run attempt and/or an event's completion under `claim`; `releaseAt` asks to give the call up
    /// in the same commit if its version is still that one.
    func add(_ run: RunRecord?, completion: EventCompletion?, claim: CallClaim, releaseAt: Int64? = nil) {
        let waiter: CheckedContinuation<Void, Never>? = buffer.withLock { buffer in
            if buffer.records[claim] == nil {
                buffer.order.append(claim)
                buffer.records[claim] = CallRecords(claim: claim)
            }
            if let run { buffer.records[claim]!.runs.append(run) }
            if let completion { buffer.records[claim]!.completions.append(completion) }
            if let releaseAt { buffer.records[claim]!.releaseAt = releaseAt }
            defer { buffer.waiter = nil }
            return buffer.waiter
        }
        waiter?.resume()
    }

    /// Writes batches until `stop()`, then writes what is left; tells `written` what each batch came to.
    func run(written: @Sendable ([Written]) -> Void) async {
        while true {
            let (batch, stopping) = await next()
            if !batch.isEmpty {
                let outcomes = await write(batch)
                written(zip(batch, outcomes).map { records, outcome in
                    Written(claim: records.claim, outcome: outcome, completed: records.completions.map(\.eventID),
                            releaseAsked: records.releaseAt)
                })
            }
            if stopping { return }
        }
    }

    func stop() {
        let waiter = buffer.withLock { buffer in
            buffer.stopping = true
            defer { buffer.waiter = nil }
            return buffer.waiter
        }
        waiter?.resume()
    }

    private func next() async -> ([CallRecords], Bool) {
        while true {
            // everything at once: an event's completion is never written before its runs
            let taken: ([CallRecords], Bool)? = buffer.withLock { buffer in
                guard !buffer.isEmpty || buffer.stopping else { return nil }
                return (buffer.take(), buffer.stopping)
            }
            if let taken { return taken }
            await withCheckedContinuation { continuation in
                let resumeNow = buffer.withLock { buffer in
                    if !buffer.isEmpty || buffer.stopping { return true }
                    buffer.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    private func write(_ batch: [CallRecords]) async -> [RecordOutcome] {
        var delay = Duration.milliseconds(100)
        while true {
            do {
                let outcomes = try await queue.record(batch, for: node)
                for (records, outcome) in zip(batch, outcomes) where outcome == .fenced {
                    logger.warning("records of a call another node took over were not written; that node runs its events",
                                   metadata: ["call": "\(records.claim.call)", "runs": "\(records.runs.count)"])
                }
                return outcomes
            } catch {
                logger.critical("cannot record script runs in the journal; retrying (events stay pending and are not lost)",
                                metadata: ["error": "\(error)", "calls": "\(batch.count)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(10))
            }
        }
    }
}
