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

    /// Logs `bodies` as one batch of records (ids from `firstID` on), as the group-commit writer does.
    private static func log(_ bodies: [[UInt8]], firstID: Int64, in segments: BodySegments) throws -> [BodyLocation] {
        let entries = bodies.enumerated().map { index, body in
            LoggedEvent(NewEvent(receivedAt: 1_764_000_000_000 + Int64(index), endpoint: "default", type: "hang",
                                 callID: "call-\(index % 3)", dedupKey: "key-\(firstID + Int64(index))", requestID: "r\(index)",
                                 body: body, warnings: index % 2 == 0 ? [] : ["a \"warning\""]),
                        id: firstID + Int64(index))
        }
        let locations = try segments.reserve(entries)
        try segments.write(entries)
        return locations
    }

    /// A batch larger than the staging buffer (1 MiB; one body alone is larger), empty bodies among them: each
    /// reads back whole, the next batch starts on the block after, and the log gives back every record.
    @Test func bodiesOfOneBatchReadBackWhole() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookline-bodies-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let segments = try BodySegments(directory: directory, segmentLimit: 1 << 30)
        let bodies = (0..<150).map { n in [UInt8](repeating: UInt8(n % 251), count: n % 7 == 0 ? 0 : n * 37) }
            + [[UInt8](repeating: 7, count: 1_500_000)] + (0..<3).map { n in [UInt8](repeating: UInt8(n), count: 4096) }
        let first = try Self.log(bodies, firstID: 1, in: segments)
        let second = try Self.log([Array("after".utf8)], firstID: 1_000, in: segments)
        for (body, location) in zip(bodies + [Array("after".utf8)], first + second) {
            #expect(try segments.read(location) == body, "body at \(location.offset), \(location.length) bytes")
        }
        #expect(second[0].offset % Int64(BodySegments.block) > 0, "a record's header comes before its body")
        let total = bodies.map(\.count).reduce(0, +)
        #expect(second[0].offset >= Int64(total) && (second[0].offset - Int64(total)) / Int64(BodySegments.block) < 8)

        let records = try segments.records(from: (1, 0))
        #expect(records.map(\.entry.id) == Array(1...Int64(bodies.count)) + [1_000])
        #expect(records.map(\.body.offset) == (first + second).map(\.offset))
        let sample = try #require(records.dropFirst(3).first?.entry.event)
        #expect(sample.callID == "call-0" && sample.dedupKey == "key-4" && sample.requestID == "r3"
                && sample.warnings == ["a \"warning\""] && sample.receivedAt == 1_764_000_000_003 && sample.state == .pending)
    }

    /// A crash can tear the last batch's write: a record cut short or with bytes that never reached the disk is
    /// skipped, and so are the zeros after it; the records before it are found.
    @Test func aTornRecordIsNotTakenFromTheLog() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookline-torn-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let segments = try BodySegments(directory: directory, segmentLimit: 1 << 30)
        _ = try Self.log([Array("one".utf8), Array("two".utf8)], firstID: 1, in: segments)
        let torn = try Self.log([[UInt8](repeating: UInt8(ascii: "x"), count: 10_000)], firstID: 3, in: segments)
        let file = directory + "/000001.seg"
        #expect(try segments.records(from: (1, 0)).map(\.entry.id) == [1, 2, 3])

        // a block in the middle of the body left as zeros, as if its write never landed
        let handle = try #require(FileHandle(forUpdatingAtPath: file))
        try handle.seek(toOffset: UInt64(torn[0].offset) + 4_096)
        handle.write(Data(count: 100))
        #expect(try segments.records(from: (1, 0)).map(\.entry.id) == [1, 2])
        // cut short
        try handle.truncate(atOffset: UInt64(torn[0].offset) + 50)
        try handle.close()
        #expect(try segments.records(from: (1, 0)).map(\.entry.id) == [1, 2])
    }

    /// A segment file left by a writer that did not pad its batches (any size) is written on after its end; its
    /// old bodies are not records.
    @Test func anUnpaddedSegmentFileIsContinued() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookline-unpadded-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let old = [UInt8](repeating: 1, count: 5_000)
        try Data(old).write(to: URL(fileURLWithPath: directory + "/000001.seg"))
        let segments = try BodySegments(directory: directory, segmentLimit: 1 << 30)
        let new = try Self.log([Array("new".utf8)], firstID: 7, in: segments)
        #expect(new[0].segment == 1 && new[0].offset >= 5_000)
        #expect(try segments.read(new[0]) == Array("new".utf8))
        #expect(try segments.read(BodyLocation(segment: 1, offset: 0, length: old.count)) == old)
        #expect(try segments.records(from: (1, 0)).map(\.entry.id) == [7])
    }

    /// An append is durable by its record's sync in the log alone; every other write by the WAL's sync, which the
    /// writer does itself (SQLite commits at NORMAL and does not).
    @Test func appendsAreSyncedInTheLogAndOtherWritesInTheWAL() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookline-sync-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try SQLiteJournal(directory: directory)
        _ = try await journal.append(Self.event(1), claimant: Self.node)
        let afterAppend = journal.syncs
        try await journal.storeSet(endpoint: "default", key: "k", value: "v", expiresAt: nil, fence: nil)
        let afterStore = journal.syncs
        await journal.close()
        #expect(afterAppend == .init(segments: 1, wal: 0))
        #expect(afterStore == .init(segments: 1, wal: 1))
    }

    static func event(_ n: Int, call: String = "call-1") -> NewEvent {
        NewEvent(receivedAt: 1_764_000_000_000 + Int64(n), endpoint: "default", type: "conversation-update", callID: call,
                 dedupKey: "key-\(n)", requestID: "request-\(n)", body: Array("{\"message\":{\"n\":\(n)}}".utf8),
                 warnings: n % 2 == 0 ? ["warning \(n)"] : [])
    }

    /// A crash of the machine can take the database's last commits (they are only in the page cache when an
    /// append is answered) but not the log's records: opening the journal puts the rows back, with the ids the
    /// appends were answered with, and nothing twice; a torn record at the end is left out.
    @Test func eventsTheDatabaseLostComeBackFromTheLog() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookline-recover-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var journal = try SQLiteJournal(directory: directory)
        var ids: [EventID] = []
        for n in 1...3 {
            guard case .stored(let stored) = try await journal.append(Self.event(n), claimant: Self.node) else {
                Issue.record("event \(n) was not stored")
                return
            }
            ids.append(stored.id)
        }
        await journal.close()
        // the database as the disk had it when the machine stopped, later: without the commits after this point
        let database = directory + "/journal.sqlite"
        let survivor = directory + "/survivor"
        try FileManager.default.createDirectory(atPath: survivor, withIntermediateDirectories: false)
        for file in ["", "-wal"] where FileManager.default.fileExists(atPath: database + file) {
            try FileManager.default.copyItem(atPath: database + file, toPath: survivor + "/journal.sqlite" + file)
        }

        journal = try SQLiteJournal(directory: directory)
        #expect(journal.recoveredEvents == 0)
        for n in 4...6 {
            guard case .stored(let stored) = try await journal.append(Self.event(n, call: "call-2"), claimant: Self.node) else {
                Issue.record("event \(n) was not stored")
                return
            }
            ids.append(stored.id)
        }
        let duplicate = try await journal.append(Self.event(2), claimant: Self.node)
        #expect(duplicate == .duplicate(of: ids[1]))
        await journal.close()
        for file in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: database + file)
            try? FileManager.default.moveItem(atPath: survivor + "/journal.sqlite" + file, toPath: database + file)
        }
        // and the start of a record whose write the crash cut short
        let segment = try #require(FileHandle(forUpdatingAtPath: directory + "/bodies/000001.seg"))
        try segment.seekToEnd()
        segment.write(Data(LoggedEvent(Self.event(7), id: 99).header().prefix(30)))
        try segment.close()

        // a process with the journal open (here this test's own lock) leaves the scan to the first opener: it
        // might see the records of a commit under way in that process
        let holder = open(directory + "/journal.lock", O_RDONLY)
        #expect(flock(holder, LOCK_SH) == 0)
        journal = try SQLiteJournal(directory: directory)
        #expect(journal.recoveredEvents == 0)
        await journal.close()
        close(holder)

        journal = try SQLiteJournal(directory: directory)
        #expect(journal.recoveredEvents == 3)
        let details = try await journal.events(ids)
        #expect(details.map(\.summary.id) == ids)
        for (n, detail) in zip(1...6, details) {
            let event = Self.event(n, call: n > 3 ? "call-2" : "call-1")
            #expect(detail.body == event.body && detail.dedupKey == event.dedupKey && detail.requestID == event.requestID)
            #expect(detail.summary.callID == event.callID && detail.summary.receivedAt == event.receivedAt
                    && detail.summary.warnings == event.warnings && detail.summary.state == .pending)
        }
        #expect(try await journal.event(EventID(99)) == nil)
        let next = try await journal.append(Self.event(8), claimant: Self.node)
        guard case .stored(let stored) = next else {
            Issue.record("event 8 was not stored: \(next)")
            return
        }
        #expect(stored.id.rawValue > ids.last!.rawValue)
        await journal.close()

        journal = try SQLiteJournal(directory: directory)
        #expect(journal.recoveredEvents == 0, "a second opening finds every row there")
        await journal.close()
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
