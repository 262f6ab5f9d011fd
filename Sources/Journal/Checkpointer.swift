import Foundation
import GRDB

/// Copies the WAL back into the database file from a connection and a thread of its own, twice a second.
/// SQLite's automatic checkpoint would run inside a commit, making every delivery of that group commit wait
/// for the database file's sync; a passive checkpoint here never blocks the writer. When the WAL has grown
/// past `restartFrames` (commits kept landing while it copied), `finishOnWriter` has the writer complete it.
final class Checkpointer: @unchecked Sendable {
    /// 16,384 frames of 4 KiB: a WAL of about 64 MiB.
    static let restartFrames = 16_384

    private let connection: DatabaseQueue
    private let finishOnWriter: @Sendable () -> Void
    private let stopped = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(path: String, finishOnWriter: @escaping @Sendable () -> Void) throws(JournalError) {
        self.finishOnWriter = finishOnWriter
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0") }
        do {
            connection = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw JournalError(.unavailable, "cannot open the journal's checkpoint connection: \(error)")
        }
        startJournalThread(named: "hl-checkpoint") { [unowned self] in self.loop() }
    }

    private func loop() {
        while stopped.wait(timeout: .now() + .milliseconds(500)) == .timedOut {
            let frames = try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive).walFrameCount }
            if let frames, frames > Self.restartFrames { finishOnWriter() }
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
