import Foundation
import GRDB

/// Serialises every write on one thread and commits whatever queued up meanwhile in one transaction:
/// concurrent requests share a commit (and its fsync) instead of paying one each.
final class GroupCommitWriter: @unchecked Sendable {
    typealias Work = (Database) throws -> Void

    private struct Job {
        let work: Work
        let done: (Result<Void, JournalError>) -> Void
    }

    private let pool: DatabasePool
    private let condition = NSCondition()  // guards `queue` and `stopping`
    private var queue: [Job] = []
    private var stopping = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    init(pool: DatabasePool) {
        self.pool = pool
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "hookline-journal-writer"
        thread.qualityOfService = .userInitiated
        self.thread = thread
        thread.start()
    }

    /// Runs `work` inside the next group commit; returns once it is durable (or failed with the batch).
    func write(_ work: @escaping Work) async throws(JournalError) {
        let result: Result<Void, JournalError> = await withUnsafeContinuation { continuation in
            condition.lock()
            guard !stopping else {
                condition.unlock()
                continuation.resume(returning: .failure(JournalError(.unavailable, "the journal is closed")))
                return
            }
            queue.append(Job(work: work, done: { continuation.resume(returning: $0) }))
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
        }
    }

    private func commit(_ batch: [Job]) {
        do {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    for job in batch { try job.work(db) }
                    return .commit
                }
            }
            for job in batch { job.done(.success(())) }
        } catch {
            let failure = JournalError(.unavailable, "the journal cannot write: \(error)")
            for job in batch { job.done(.failure(failure)) }
        }
    }
}
