import Foundation
import GRDB

/// Serialises every write on one thread and commits whatever queued up meanwhile in one transaction:
/// concurrent requests share a commit (and its fsyncs) instead of paying one each. Event bodies of the
/// batch go to the segment files first, in one write and one sync, then the rows that point at them.
///
/// The WAL is copied back into the database here too, between two commits, every `checkpointInterval`.
/// Measured against the alternatives (a checkpoint thread every 100-500 ms, SQLite's automatic checkpoint
/// at 4-64 MiB): a checkpoint from another connection never catches up with a steady stream of commits, so
/// the WAL never starts over and grows without bound (370 MB in a 10 s benchmark), and its database sync
/// lands in the middle of commits; here no commit can land meanwhile, each checkpoint copies only 50 ms
/// of frames, and the next commit starts the WAL over, in pages the disk already has.
final class GroupCommitWriter: @unchecked Sendable {
    static let checkpointInterval = Duration.milliseconds(50)

    /// A write; it gets where its body was stored, when it came with one.
    typealias Work = (Database, BodyLocation?) throws -> Void

    private struct Job {
        let body: [UInt8]?
        let work: Work
        let done: (Result<Void, JournalError>) -> Void
    }

    private let pool: DatabasePool
    private let segments: BodySegments
    private let condition = NSCondition()  // guards `queue` and `stopping`
    private var queue: [Job] = []
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)

    init(pool: DatabasePool, segments: BodySegments) {
        self.pool = pool
        self.segments = segments
        startJournalThread(named: "hl-journal") { [unowned self] in self.loop() }
    }

    /// Runs `work` inside the next group commit; returns once it is durable (or failed with the batch).
    func write(body: [UInt8]? = nil, _ work: @escaping Work) async throws(JournalError) {
        let result: Result<Void, JournalError> = await withUnsafeContinuation { continuation in
            condition.lock()
            guard !stopping else {
                condition.unlock()
                continuation.resume(returning: .failure(JournalError(.unavailable, "the journal is closed")))
                return
            }
            queue.append(Job(body: body, work: work, done: { continuation.resume(returning: $0) }))
            condition.signal()
            condition.unlock()
        }
        try result.get()
    }

    /// Commits what is queued, then stops the thread.
    func stop() {
        condition.lock()
        let wasStopping = stopping
        stopping = true
        condition.signal()
        condition.unlock()
        if !wasStopping { finished.wait() }
    }

    private func loop() {
        var batch: [Job] = []
        var lastCheckpoint = ContinuousClock.now
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty && stopping {
                condition.unlock()
                finished.signal()
                return
            }
            swap(&batch, &queue)
            condition.unlock()
            commit(batch)
            batch.removeAll(keepingCapacity: true)
            if ContinuousClock.now - lastCheckpoint > Self.checkpointInterval {
                try? pool.writeWithoutTransaction { db in try db.checkpoint(.passive) }
                lastCheckpoint = ContinuousClock.now
            }
        }
    }

    private func commit(_ batch: [Job]) {
        var jobs = batch
        var locations: [BodyLocation?] = Array(repeating: nil, count: batch.count)
        let withBodies = batch.indices.filter { batch[$0].body != nil }
        if !withBodies.isEmpty {
            do {
                let stored = try segments.append(withBodies.map { batch[$0].body! })
                for (index, location) in zip(withBodies, stored) { locations[index] = location }
            } catch {
                for index in withBodies { batch[index].done(.failure(error)) }
                let kept = Set(batch.indices).subtracting(withBodies).sorted()
                jobs = kept.map { batch[$0] }
                locations = kept.map { _ in nil }
            }
        }
        guard !jobs.isEmpty else { return }
        do {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    for (job, location) in zip(jobs, locations) { try job.work(db, location) }
                    return .commit
                }
            }
            for job in jobs { job.done(.success(())) }
        } catch {
            let failure = JournalError(.unavailable, "the journal cannot write: \(error)")
            for job in jobs { job.done(.failure(failure)) }
        }
    }
}
