import Foundation
import Journal
import Testing

/// The SQLite journal on its own: what it keeps on disk while writes never stop.
@Suite struct JournalTests {
    /// Under a steady stream of commits the WAL must keep starting over. It used to be checkpointed from another
    /// connection, which never caught up with the commits, so the WAL file grew by every page ever written.
    @Test func theWALStartsOverWhileWritesNeverStop() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookline-wal-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try SQLiteJournal(directory: directory)
        let started = ContinuousClock.now
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 2_000)
        let writers = 16
        let perWriter = 200
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for n in 0..<perWriter {
                        // a random call id per event spreads the index writes over many pages, as real traffic does
                        _ = try await journal.append(NewEvent(
                            receivedAt: 0, endpoint: "default", type: "hang", callID: UUID().uuidString,
                            dedupKey: "\(writer)-\(n)-\(UUID())", requestID: "r", body: body, warnings: []))
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - started
        // The WAL header counts the times the WAL started over (big-endian, at byte 12).
        let header = try #require(FileHandle(forReadingAtPath: directory + "/journal.sqlite-wal")?.readData(ofLength: 32))
        let restarts = header.dropFirst(12).prefix(4).reduce(0) { $0 << 8 | Int($1) }
        await journal.close()
        #expect(elapsed > .milliseconds(200), "the writes must span several checkpoint intervals to show anything")
        #expect(restarts >= 2, "the WAL started over \(restarts) times in \(elapsed) of commits")
    }
}
