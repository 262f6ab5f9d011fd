import Foundation
import GRDB
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Serialises every write on one thread and commits whatever queued up meanwhile in one transaction:
/// concurrent requests share a commit (and its syncs) instead of paying one each.
///
/// Appends are durable by the log (`BodySegments`): the batch's records are written once, the commit that
/// indexes them is not synced by SQLite (`synchronous = NORMAL`), and an append is answered once the one
/// `fdatasync` of the segment file returned; the database catches up from the log after a crash of the machine
/// (`SQLiteJournal+Recovery.swift`). Every other write (runs' records, the store, timers, claims) is durable by
/// the database: the writer syncs the WAL file itself, beside the segment's sync, and answers them after it.
/// A batch's appends run first, so they are answered first: the jobs of one batch were all queued before any
/// was answered, so any order among them is one they could have had.
///
/// The WAL is copied back into the database here too, between two commits, every `checkpointInterval`.
/// Measured against the alternatives (a checkpoint thread, SQLite's automatic checkpoint; `Benchmarks/NOTES.md`):
/// a checkpoint from another connection never catches up with a steady stream of commits, so the WAL never
/// starts over and grows without bound, and its database sync lands in the middle of commits; here no commit
/// can land meanwhile, each checkpoint copies only `checkpointInterval` of frames, and the next commit starts
/// the WAL over, in pages the disk already has.
final class GroupCommitWriter: @unchecked Sendable {
    static let checkpointInterval = Duration.milliseconds(50)

    /// A write of rows, durable once the WAL is synced.
    typealias Work = (Database) throws -> Void
    /// An append's rows: given where its body will be, it answers the id it stored (nil for a duplicate).
    typealias AppendWork = (Database, BodyLocation) throws -> Int64?

    /// Called on the journal thread once a write is durable or failed, in commit order (at once, on the
    /// caller's thread, when the writer has stopped).
    typealias Done = @Sendable (Result<Void, JournalError>) -> Void

    private enum Kind {
        case append(LoggedEvent, AppendWork)
        case rows(Work)
        /// Body bytes to write past the last body and cut off again, with a row: a probe of the disk's room.
        case probe(Int)
    }

    private struct Job {
        let kind: Kind
        let done: Done

    }

    /// An append taken apart for the commit: its record gets the id its rows were stored with.
    private struct Append {
        var entry: LoggedEvent
        let work: AppendWork
        let done: Done
    }

    private let pool: DatabasePool
    private let segments: BodySegments
    /// The database's write-ahead log, synced by the writer (SQLite does not, at `synchronous = NORMAL`).
    private let wal: Int32
    /// The outcome of each commit and each write of bodies, for `/healthz`.
    let health = WriteHealth()
    private let walSync = BackgroundSync(named: "hl-journal-wal")
    private let condition = NSCondition()  // guards `queue` and `stopping`
    private var queue: [Job] = []
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)
    private let syncCounts = Mutex(SyncCounts())
    private let onAppendsRolledBack: (Database) -> Void

    /// How many times each file was synced: what the journal's durability rests on, for its tests.
    struct SyncCounts: Equatable {
        var segments = 0
        var wal = 0
    }

    var syncs: SyncCounts { syncCounts.withLock { $0 } }

    /// `onAppendsRolledBack` is called inside the commit when the appends' rows were rolled back (their records
    /// could not be written), so that what mirrors rows in memory is read again.
    init(pool: DatabasePool, segments: BodySegments, walPath: String,
         onAppendsRolledBack: @escaping (Database) -> Void) throws(JournalError) {
        self.pool = pool
        self.segments = segments
        self.onAppendsRolledBack = onAppendsRolledBack
        do {
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        } catch {
            throw JournalError(.unavailable, "cannot configure the journal's commits: \(error)")
        }
        wal = Glibc.open(walPath, O_RDONLY | O_CLOEXEC)
        guard wal >= 0 else {
            throw JournalError(.unavailable, "cannot open \(walPath) to sync it: \(String(cString: strerror(errno)))")
        }
        startJournalThread(named: "hl-journal") { [unowned self] in self.loop() }
    }

    deinit { close(wal) }

    /// Stores an event: `work` inserts its row, given where the record's body will be; `done` follows once the
    /// record is synced (or the batch failed).
    func append(_ entry: LoggedEvent, _ work: @escaping AppendWork, done: @escaping Done) {
        enqueue(Job(kind: .append(entry, work), done: done))
    }

    /// Runs `work` inside the next group commit; `done` follows once it is durable (or failed with the batch).
    func write(_ work: @escaping Work, done: @escaping Done) {
        enqueue(Job(kind: .rows(work), done: done))
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
            enqueue(Job(kind: .probe(max(1, bodyBytes)), done: { _ in continuation.resume() }))
        }
    }

    /// `write(_:done:)`, awaited.
    func write(_ work: @escaping Work) async throws(JournalError) {
        let result = await withUnsafeContinuation { continuation in
            write(work) { continuation.resume(returning: $0) }
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
                walSync.stop()
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
        var appends: [Append] = []
        var others: [(work: Work?, probe: Int, done: Done)] = []  // rows to write, or a probe's body bytes
        for job in batch {
            switch job.kind {
            case .append(let entry, let work): appends.append(Append(entry: entry, work: work, done: job.done))
            case .rows(let work): others.append((work, 0, job.done))
            case .probe(let bytes): others.append((nil, bytes, job.done))
            }
        }
        let bodyBytes = appends.reduce(0) { $0 + $1.entry.body.count }
        var locations: [BodyLocation] = []
        if !appends.isEmpty {
            do {
                locations = try segments.reserve(appends.map(\.entry))
            } catch {
                fail(&appends, error, bodyBytes: bodyBytes)
            }
        }
        // probes after the bodies' place, past it: the next batch writes over what they wrote
        others.removeAll { job in
            guard job.probe > 0 else { return false }
            do throws(JournalError) {
                try segments.probe(job.probe)
                health.record(.bodies, failure: nil)
                return false
            } catch {
                health.record(.bodies, failure: error.description, bytes: job.probe)
                job.done(.failure(error))
                return true
            }
        }
        var outcome: Result<Void, JournalError> = .success(())
        if !appends.isEmpty || !others.isEmpty {
            do {
                try pool.writeWithoutTransaction { db in
                    try db.inTransaction(.immediate) {
                        if !appends.isEmpty { try store(&appends, at: locations, db, bodyBytes: bodyBytes) }
                        for job in others {
                            if let work = job.work {
                                try work(db)
                            } else {
                                try db.execute(sql: "CREATE TABLE IF NOT EXISTS probe (x); DELETE FROM probe; INSERT INTO probe VALUES (1)")
                            }
                        }
                        return .commit
                    }
                }
            } catch {
                outcome = .failure(JournalError(.unavailable, "the journal cannot write: \(error)"))
            }
            health.record(.rows, failure: outcome.failureDescription)
        }
        let syncsLog = !appends.isEmpty && outcome.isSuccess  // `store` leaves only appends whose records it wrote
        let syncsWAL = !others.isEmpty && outcome.isSuccess
        if syncsWAL { walSync.start(wal) }  // beside the log's, on a thread of its own
        var appended = outcome
        if syncsLog {
            // on this thread: a batch of appends alone hands nothing to another thread
            if fdatasync(segments.descriptorToSync) != 0 {
                appended = .failure(JournalError(.unavailable, "cannot sync the body file: \(String(cString: strerror(errno)))"))
            }
            syncCounts.withLock { $0.segments += 1 }
            health.record(.bodies, failure: appended.failureDescription, bytes: bodyBytes)
        }
        for job in appends { job.done(appended) }
        var durable = outcome
        if syncsWAL {
            if let reason = walSync.wait() {
                durable = .failure(JournalError(.unavailable, "cannot sync the journal's WAL: \(String(cString: strerror(reason)))"))
                health.record(.rows, failure: durable.failureDescription)
            }
            syncCounts.withLock { $0.wal += 1 }
        }
        for job in others { job.done(durable) }
    }

    /// Inserts the appends' rows, then writes their records with the ids they got, in a savepoint: when the
    /// records cannot be written, only the appends fail (answered here, and removed from `appends`) and the
    /// rest of the batch still commits.
    private func store(_ appends: inout [Append], at locations: [BodyLocation], _ db: Database, bodyBytes: Int) throws {
        var failure: JournalError?
        try db.inSavepoint {
            for index in appends.indices {
                appends[index].entry.id = try appends[index].work(db, locations[index]) ?? 0
            }
            do throws(JournalError) {
                try segments.write(appends.map(\.entry))
            } catch {
                failure = error
                return .rollback
            }
            try SQLiteJournal.saveLogEnd(segments.end, db)
            return .commit
        }
        if let failure {
            fail(&appends, failure, bodyBytes: bodyBytes)
            onAppendsRolledBack(db)
        }
    }

    private func fail(_ appends: inout [Append], _ error: JournalError, bodyBytes: Int) {
        health.record(.bodies, failure: error.description, bytes: bodyBytes)
        for job in appends { job.done(.failure(error)) }
        appends.removeAll()
    }
}

/// One `fdatasync` at a time on a thread of its own, started by the group-commit thread and waited for by it
/// (the WAL's, while the group-commit thread syncs the log).
private final class BackgroundSync: @unchecked Sendable {
    private let condition = NSCondition()  // guards everything below
    private var request: Int32?
    private var result: Int32?  // 0, or the errno of the failed sync
    private var stopping = false

    init(named name: String) {
        startJournalThread(named: name) { [self] in loop() }
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
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }

    var failureDescription: String? {
        if case .failure(let error) = self { return error.description }
        return nil
    }
}
