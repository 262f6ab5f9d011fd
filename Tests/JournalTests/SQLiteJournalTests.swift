import Foundation
import TestSupport
@testable import Journal
import Testing

/// The SQLite journal's own ways: what it keeps on disk while writes never stop, its body files, its sync.
@Suite struct SQLiteJournalTests {
    static let node = NodeIdentity(name: "test", incarnation: "test/1")

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
                            dedupKey: "\(writer)-\(n)-\(UUID())", requestID: "r", body: body, warnings: []), claimant: Self.node)
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

    /// The journal holds transcripts and phone numbers: the data folder is 0700 and every file in it 0600,
    /// whatever the umask, and a folder an older version left readable by others is made owner-only.
    @Test func theDataFolderIsOwnerOnly() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookline-modes-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func mode(_ relative: String) throws -> Int {
            let path = relative.isEmpty ? directory : directory + "/" + relative
            return try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        }
        let files = ["journal.sqlite", "journal.sqlite-wal", "journal.sqlite-shm", "bodies/000001.seg"]
        for round in ["new", "left open by an older version"] {
            let journal = try SQLiteJournal(directory: directory)
            _ = try await journal.append(NewEvent(receivedAt: 0, endpoint: "default", type: "hang", callID: "CA\(round.count)",
                                                  dedupKey: round, requestID: "r", body: Array("{}".utf8), warnings: []),
                                         claimant: Self.node)
            #expect(try mode("") == 0o700, "\(round): the data folder")
            #expect(try mode("bodies") == 0o700, "\(round): bodies/")
            for file in files {
                let found = try mode(file)
                #expect(found == 0o600, "\(round): \(file) is \(String(found, radix: 8))")
            }
            await journal.close()
            for path in ["", "bodies"] { chmod(directory + "/" + path, 0o755) }
            for file in files { chmod(directory + "/" + file, 0o644) }
        }
    }

    /// A batch larger than the staging buffer (1 MiB; one body alone is larger), empty bodies among them: each
    /// reads back whole, and the next batch starts on the block after.
    @Test func bodiesOfOneBatchReadBackWhole() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookline-bodies-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let segments = try BodySegments(directory: directory, segmentLimit: 1 << 30)
        let bodies = (0..<150).map { n in [UInt8](repeating: UInt8(n % 251), count: n % 7 == 0 ? 0 : n * 37) }
            + [[UInt8](repeating: 7, count: 1_500_000)] + (0..<3).map { n in [UInt8](repeating: UInt8(n), count: 4096) }
        let first = try segments.append(bodies)
        let second = try segments.append([Array("after".utf8)])
        for (body, location) in zip(bodies + [Array("after".utf8)], first + second) {
            #expect(try segments.read(location) == body, "body at \(location.offset), \(location.length) bytes")
        }
        let total = bodies.map(\.count).reduce(0, +)
        #expect(second[0].offset >= Int64(total) && second[0].offset < Int64(total + BodySegments.block))
        #expect(second[0].offset % Int64(BodySegments.block) == 0)
    }

    /// A segment file left by a writer that did not pad its batches (any size) is written on after its end.
    @Test func anUnpaddedSegmentFileIsContinued() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookline-unpadded-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let old = [UInt8](repeating: 1, count: 5_000)
        try Data(old).write(to: URL(fileURLWithPath: directory + "/000001.seg"))
        let segments = try BodySegments(directory: directory, segmentLimit: 1 << 30)
        let new = try segments.append([Array("new".utf8)])
        #expect(new[0].segment == 1 && new[0].offset >= 5_000)
        #expect(try segments.read(new[0]) == Array("new".utf8))
        #expect(try segments.read(BodyLocation(segment: 1, offset: 0, length: old.count)) == old)
    }

    /// Events are acknowledged once their commit returns, so the commit must be synced to the disk (FULL), not
    /// only written to the page cache (NORMAL, which GRDB's pool sets when it turns WAL on).
    @Test func commitsAreSyncedToTheDisk() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookline-sync-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try SQLiteJournal(directory: directory)
        let level = try await journal.commitSyncLevel()
        await journal.close()
        #expect(level == 2, "PRAGMA synchronous is \(level) on the writer; 2 is FULL")
    }

    /// Retention: finished events older than the cutoff go with their runs and the body files only they used;
    /// a pending event is kept however old, and so is every body file from its own on.
    @Test func pruningRemovesOldFinishedEventsAndTheirBodyFiles() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookline-prune-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try SQLiteJournal(directory: directory, bodyFileLimit: 1)  // one body file per append
        let day: Int64 = 86_400_000
        let now: Int64 = 1_764_000_000_000
        try await journal.heartbeat(Self.node, lease: .seconds(60))
        var claims: [EventID: CallClaim] = [:]
        func append(_ receivedAt: Int64, _ body: String) async throws -> EventID {
            guard case .stored(let stored) = try await journal.append(NewEvent(
                receivedAt: receivedAt, endpoint: "default", type: "hang", callID: "c-" + body, dedupKey: body, requestID: "r",
                body: Array(body.utf8), warnings: []), claimant: Self.node) else { throw TestFailure("not stored") }
            claims[stored.id] = stored.claim
            return stored.id
        }
        func finish(_ id: EventID) async throws {
            let outcome = try await journal.record([CallRecords(
                claim: claims[id]!,
                runs: [RunRecord(eventID: id, generation: 0, script: "hang.lua", scriptVersion: "v", attempt: 1, startedAt: now,
                                 durationMicroseconds: 1, outcome: .ok)],
                completions: [EventCompletion(eventID: id, generation: 0, state: .done, finishedAt: now)])], for: Self.node)
            #expect(outcome == [.recorded(released: false)])
        }
        let old1 = try await append(now - 40 * day, "old1")
        let old2 = try await append(now - 35 * day, "old2")
        let oldPending = try await append(now - 33 * day, "old-pending")
        let recent = try await append(now - 1 * day, "recent")
        for id in [old1, old2, recent] { try await finish(id) }
        func bodyFiles() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/bodies")) ?? []).filter { $0.hasSuffix(".seg") }.sorted()
        }
        #expect(bodyFiles().count == 4)

        let first = try await journal.prune(receivedBefore: now - 30 * day)
        #expect(first == PruneReport(events: 2, bodyFiles: 2))
        #expect(try await journal.event(old1) == nil)
        #expect(try await journal.event(old2) == nil)
        #expect(try await journal.body(of: oldPending) == Array("old-pending".utf8), "a pending event is never pruned")
        #expect(try await journal.event(recent)?.runs.count == 1)
        #expect(bodyFiles().count == 2)
        #expect(try await journal.prune(receivedBefore: now - 30 * day) == PruneReport(events: 0, bodyFiles: 0))

        try await finish(oldPending)
        #expect(try await journal.prune(receivedBefore: now - 30 * day) == PruneReport(events: 1, bodyFiles: 1))
        #expect(try await journal.body(of: recent) == Array("recent".utf8))
        #expect(try await journal.statistics().pending == 0)
        await journal.close()
    }
}
