import Foundation
import GRDB

/// Serialises every write on one thread and commits whatever queued up meanwhile in one transaction:
/// concurrent requests share a commit (and its fsyncs) instead of paying one each. Event bodies of the
/// batch go to the segment file first, in one write; its sync runs on a second thread while the rows that
/// point at them are committed, so a batch waits for the slower of the two syncs instead of their sum.
///
/// The WAL is copied back into the database here too, between two commits, every `checkpointInterval`.
/// Measured against the alternatives (a checkpoint thread, SQLite's automatic checkpoint; `Benchmarks/NOTES.md`):
/// a checkpoint from another connection never catches up with a steady stream of commits, so the WAL never
/// starts over and grows without bound, and its database sync lands in the middle of commits; here no commit
/// can land meanwhile, each checkpoint copies only `checkpointInterval` of frames, and the next commit starts
/// the WAL over, in pages the disk already has.
final class GroupCommitWriter: @unchecked Sendable {
    static let checkpointInterval = Duration.milliseconds(50)

    /// A write; it gets where its body was stored, when it came with one.
    typealias Work = (Database, BodyLocation?) throws -> Void

    /// Called on the journal thread once a write is durable or failed, in commit order (at once, on the
    /// caller's thread, when the writer has stopped).
    typealias Done = @Sendable (Result<Void, JournalError>) -> Void

    private struct Job {
        let body: [UInt8]?
        /// Body bytes to write past the last body and cut off again: a probe of the disk's room.
        var probe = 0
        let work: Work
        let done: Done
    }

    private let pool: DatabasePool
    private let segments: BodySegments
    /// The outcome of each commit and each write of bodies, for `/healthz`.
    let health = WriteHealth()
    private let segmentSync = BackgroundSync()
    private let condition = NSCondition()  // guards `queue` and `stopping`
    private var queue: [Job] = []
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)

    init(pool: DatabasePool, segments: BodySegments) {
        self.pool = pool
        self.segments = segments
        startJournalThread(named: "hl-journal") { [unowned self] in self.loop() }
    }

    /// Runs `work` inside the next group commit; `done` follows once it is durable (or failed with the batch).
    func write(body: [UInt8]? = nil, _ work: @escaping Work, done: @escaping Done) {
        enqueue(Job(body: body, work: work, done: done))
    }

    private func enqueue(_ job: Job) {
        condition.lock()
        guard !stopping else {
            condition.unlock()
            job.done(.failure(JournalError(.unavailable, "the journal is closed")))
            return
        }
        queue.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Whether a row and `bodyBytes` of bodies can be written now, without keeping either: the row goes to a
    /// table of its own, the bytes past the last body, cut off again. Recorded in `health` like any write.
    func probe(bodyBytes: Int) async {
        await withUnsafeContinuation { continuation in
            enqueue(Job(body: nil, probe: max(1, bodyBytes), work: { db, _ in
                try db.execute(sql: "CREATE TABLE IF NOT EXISTS probe (x); DELETE FROM probe; INSERT INTO probe VALUES (1)")
            }, done: { _ in continuation.resume() }))
        }
    }

    /// `write(body:_:done:)`, awaited.
    func write(body: [UInt8]? = nil, _ work: @escaping Work) async throws(JournalError) {
        let result = await withUnsafeContinuation { continuation in
            write(body: body, work) { continuation.resume(returning: $0) }
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
                segmentSync.stop()
                finished.signal()
                return
            }
            swap(&batch, &queue)
            condition.unlock()
            commit(batch)
            batch.removeAll(keepingCapacity: true)
            if ContinuousClock.now - lastCheckpoint > Self.checkpointInterval {
                _ = try? pool.writeWithoutTransaction { db in try db.checkpoint(.passive) }
                lastCheckpoint = ContinuousClock.now
            }
        }
    }

    private func commit(_ batch: [Job]) {
        var jobs = batch
        var locations: [BodyLocation?] = Array(repeating: nil, count: batch.count)
        let withBodies = batch.indices.filter { batch[$0].body != nil }
        var syncing = false
        let bodyBytes = withBodies.reduce(0) { $0 + batch[$1].body!.count }
        if !withBodies.isEmpty {
            do {
                let stored = try segments.append(withBodies.map { batch[$0].body! })
                for (index, location) in zip(withBodies, stored) { locations[index] = location }
                segmentSync.start(segments.descriptorToSync)
                syncing = true
            } catch {
                health.record(.bodies, failure: error.description, bytes: bodyBytes)
                for index in withBodies { batch[index].done(.failure(error)) }
                let kept = Set(batch.indices).subtracting(withBodies).sorted()
                jobs = kept.map { batch[$0] }
                locations = kept.map { _ in nil }
            }
        }
        // probes after the bodies, past them: the next batch writes over what they wrote
        for (index, job) in jobs.enumerated().reversed() where job.probe > 0 {
            do {
                try segments.probe(job.probe)
                health.record(.bodies, failure: nil)
            } catch {
                health.record(.bodies, failure: error.description, bytes: job.probe)
                job.done(.failure(error))
                jobs.remove(at: index)
                locations.remove(at: index)
            }
        }
        var outcome: Result<Void, JournalError> = .success(())
        if !jobs.isEmpty {
            do {
                try pool.writeWithoutTransaction { db in
                    try db.inTransaction(.immediate) {
                        for (job, location) in zip(jobs, locations) { try job.work(db, location) }
                        return .commit
                    }
                }
            } catch {
                outcome = .failure(JournalError(.unavailable, "the journal cannot write: \(error)"))
            }
            health.record(.rows, failure: outcome.failureDescription)
        }
        // Bodies count as stored once their sync returned too; a job without a body needs only the commit.
        var synced: Result<Void, JournalError> = .success(())
        if syncing {
            if let reason = segmentSync.wait() {
                synced = .failure(JournalError(.unavailable, "cannot sync the body file: \(String(cString: strerror(reason)))"))
            }
            health.record(.bodies, failure: synced.failureDescription, bytes: bodyBytes)
        }
        for (job, location) in zip(jobs, locations) {
            job.done(outcome.flatMap { location == nil ? .success(()) : synced })
        }
    }
}

/// One `fdatasync` at a time on a thread of its own, started by the group-commit thread and waited for by it.
private final class BackgroundSync: @unchecked Sendable {
    private let condition = NSCondition()  // guards everything below
    private var request: Int32?
    private var result: Int32?  // 0, or the errno of the failed sync
    private var stopping = false

    init() {
        startJournalThread(named: "hl-journal-sync") { [self] in loop() }
    }

    func start(_ descriptor: Int32) {
        condition.lock()
        request = descriptor
        result = nil
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for the sync started last; nil when it succeeded, else its errno.
    func wait() -> Int32? {
        condition.lock()
        while result == nil { condition.wait() }
        let reason = result!
        result = nil
        condition.unlock()
        return reason == 0 ? nil : reason
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while request == nil && !stopping { condition.wait() }
            guard let descriptor = request else {
                condition.unlock()
                return
            }
            request = nil
            condition.unlock()
            let reason = fdatasync(descriptor) == 0 ? 0 : errno
            condition.lock()
            result = reason
            condition.broadcast()
            condition.unlock()
        }
    }
}

extension Result where Failure == JournalError {
    var failureDescription: String? {
        if case .failure(let error) = self { return error.description }
        return nil
    }
}
