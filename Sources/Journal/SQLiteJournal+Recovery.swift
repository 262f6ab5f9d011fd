import Foundation
import GRDB
import Synchronization

/// Putting back what a crash of the machine took from the database. An append is answered once its record is
/// synced in the log (`BodySegments`), while the commit that indexes it is only written to the page cache; a
/// power cut can then leave a database without its last commits (SQLite keeps them whole and in order: what
/// survives is everything up to some commit). Each commit that appends records where the log ended
/// (`log_end`), so on opening, every record past that point whose row is missing is inserted again, with the
/// id it was acknowledged with and the timers of its call fired first, as the append did. A crash of the
/// process alone loses nothing (the page cache survives it): the scan then finds every row present.
///
/// Only the journal's first opener scans (`OpenersLock`): a command opened beside a running server would find
/// the records of a batch whose commit is under way and insert them first, and the server's own insert would
/// then take its fresh event for a duplicate. After a crash of the machine no process holds the journal, so the
/// first opener scans before anyone appends.
extension SQLiteJournal {
    /// Records where the log ends, in the commit that appended up to there.
    static func saveLogEnd(_ end: (segment: Int, offset: Int64), _ db: Database) throws {
        try db.cachedStatement(sql: "UPDATE log_end SET segment = ?, offset = ?").execute(arguments: [end.segment, end.offset])
    }

    static func recover(_ pool: DatabasePool, _ segments: BodySegments, _ dueTimers: DueTimers,
                        path: String) throws(JournalError) -> Int {
        do {
            return try pool.write { db in
                let end = try Row.fetchOne(db, sql: "SELECT segment, offset FROM log_end")
                guard let segment: Int = end?["segment"], let offset: Int64 = end?["offset"] else {
                    return 0  // nothing appended since the journal had a log
                }
                var recovered = 0
                for (entry, body) in try segments.records(from: (segment, offset)) where entry.id > 0 {
                    guard try !Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM events WHERE id = ?)",
                                             arguments: [entry.id])! else { continue }
                    let call = CallKey(endpoint: entry.event.endpoint, callID: entry.event.callID)
                    if entry.event.state == .pending && dueTimers.hasDue(call, at: entry.event.receivedAt) {
                        _ = try fireTimers(of: call, now: entry.event.receivedAt, db, dueTimers)
                    }
                    if try insert(entry.event, id: entry.id, warnings: entry.warningsText, at: body, db) != nil {
                        recovered += 1
                    }
                }
                try saveLogEnd(segments.end, db)
                return recovered
            }
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError(.unavailable, "cannot put back the events the database at \(path) lost from its log: \(error)")
        }
    }
}

/// An `flock` on `journal.lock` beside the database, held as long as a process has the journal open: exclusive
/// at first when no other process has it open (`first`), then shared.
final class OpenersLock: Sendable {
    private let descriptor: Mutex<Int32>  // -1 once released
    let first: Bool

    init(path: String) throws(JournalError) {
        try OwnerOnly.file(path, create: true)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw JournalError(.unavailable, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        descriptor = Mutex(fd)
        first = flock(fd, LOCK_EX | LOCK_NB) == 0
    }

    deinit { release() }

    /// From exclusive to shared, waiting while another opener scans.
    func share() {
        descriptor.withLock { fd in
            while flock(fd, LOCK_SH) != 0 && errno == EINTR {}
        }
    }

    func release() {
        descriptor.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }
}
