import Foundation
import GRDB

/// Copies the WAL back into the database file from a connection and a thread of its own, twice a second.
/// SQLite's automatic checkpoint would run inside a commit, making every delivery of that group commit wait
/// for the database file's sync; a passive checkpoint here never blocks the writer.
final class Checkpointer: @unchecked Sendable {
    private let connection: DatabaseQueue
    private let stopped = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(path: String) throws(JournalError) {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0") }
        do {
            connection = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw JournalError(.unavailable, "cannot open the journal's checkpoint connection: \(error)")
        }
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "hl-checkpoint"
        thread.start()
    }

    private func loop() {
        while stopped.wait(timeout: .now() + .milliseconds(500)) == .timedOut {
            try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        }
        try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        finished.signal()
    }

    func stop() {
        stopped.signal()
        finished.wait()
        try? connection.close()
    }
}
