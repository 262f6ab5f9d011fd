import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where an event body lives: segment number, byte offset, length.
struct BodyLocation: Sendable {
    let segment: Int
    let offset: Int64
    let length: Int
}

/// The journal's log: each appended event as a record (`LoggedEvent`: its row's fields and its body) in
/// append-only segment files (`bodies/000001.seg`, ...), beside the SQLite database that indexes them. A
/// batch's records are written once per group commit and synced (`GroupCommitWriter`); an append is
/// acknowledged once that one sync returned, while the database commit that indexes it reaches the disk
/// later. After a crash of the machine the database may lack the last commits: the rows are put back from
/// the records past the end the database last knew (`SQLiteJournal+Recovery.swift`). Bytes past the last
/// whole record (a torn write, the padding after a batch) are skipped.
///
/// Keeping bodies out of SQLite writes each byte once instead of three times (WAL, checkpoint, overflow
/// pages), which is most of the journal's cost at webhook sizes. Writes bypass the page cache (`O_DIRECT`):
/// the kernel's copy of each body into cached pages, and their writeback, cost more CPU than anything else
/// in the journal (`Benchmarks/NOTES.md`, "Body segments written around the page cache"). Direct I/O wants
/// block-aligned offsets, lengths and memory, so a batch is copied into an aligned staging buffer and its tail
/// padded with zeros to the next block; a filesystem without direct I/O gets the same writes through the page
/// cache.
final class BodySegments: @unchecked Sendable {
    static let block = 4096
    private static let stagingSize = 1 << 20
    private static let directIO: Int32 = 0o40000  // O_DIRECT on Linux; Glibc does not export it to Swift

    private let segmentLimit: Int64
    private let directory: String
    // Written only by the group-commit thread; reads use pread and need no lock.
    private var segment: Int
    private var descriptor: Int32
    private var size: Int64  // where the next batch starts: always a multiple of `block`
    private var direct = true
    private let staging: UnsafeMutableRawBufferPointer
    private let readers = NSLock()
    private var readDescriptors: [Int: Int32] = [:]

    /// A new segment file is started when the next batch would take one past `segmentLimit` bytes.
    init(directory: String, segmentLimit: Int64) throws(JournalError) {
        self.directory = directory
        self.segmentLimit = segmentLimit
        try OwnerOnly.folder(directory)
        let existing = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .compactMap { $0.hasSuffix(".seg") ? Int($0.dropLast(4)) : nil }
        segment = existing.max() ?? 1
        descriptor = -1
        size = 0
        staging = .allocate(byteCount: Self.stagingSize, alignment: Self.block)
        for number in existing { try OwnerOnly.file(path(number), create: false) }  // an older version's files
        try open(segment)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        for (_, fd) in readDescriptors { close(fd) }
        staging.deallocate()
    }

    private func path(_ segment: Int) -> String {
        let number = String(segment)
        return directory + "/" + String(repeating: "0", count: max(0, 6 - number.count)) + number + ".seg"
    }

    private static func blockAligned(_ count: Int64) -> Int64 {
        (count + Int64(block) - 1) / Int64(block) * Int64(block)
    }

    private func open(_ number: Int) throws(JournalError) {
        var fd: Int32 = -1
        if direct {
            fd = Glibc.open(path(number), O_WRONLY | O_CREAT | O_CLOEXEC | Self.directIO, 0o600)
            if fd < 0 && errno == EINVAL { direct = false }
        }
        if !direct { fd = Glibc.open(path(number), O_WRONLY | O_CREAT | O_CLOEXEC, 0o600) }
        guard fd >= 0 else { throw failure("open \(path(number))") }
        if descriptor >= 0 { close(descriptor) }
        descriptor = fd
        segment = number
        size = Self.blockAligned(Int64(lseek(fd, 0, SEEK_END)))  // a file from an older, unpadded writer
    }

    /// Where each entry's body will be once `write` has stored the entries after the last batch: a new file is
    /// started first when they would take this one past its limit.
    func reserve(_ entries: [LoggedEvent]) throws(JournalError) -> [BodyLocation] {
        let total = entries.reduce(0) { $0 + $1.recordLength }
        if size > 0 && size + Int64(total) > segmentLimit { try open(segment + 1) }
        var locations: [BodyLocation] = []
        locations.reserveCapacity(entries.count)
        var offset = size
        for entry in entries {
            locations.append(BodyLocation(segment: segment, offset: offset + Int64(entry.headerLength), length: entry.body.count))
            offset += Int64(entry.recordLength)
        }
        return locations
    }

    /// Writes the entries where `reserve` placed them, each record its header and body, without syncing them
    /// (the caller syncs `descriptorToSync`).
    func write(_ entries: [LoggedEvent]) throws(JournalError) {
        let end = size + Int64(entries.reduce(0) { $0 + $1.recordLength })
        // A failed write leaves `size` alone: the next batch writes over whatever part of this one landed.
        guard write(entries.flatMap { [$0.header(), $0.body] }, at: size) else { throw failure("write to \(path(segment))") }
        size = Self.blockAligned(end)
    }

    /// Where the next batch goes: what a commit records as the end of the log (`SQLiteJournal+Recovery`).
    var end: (segment: Int, offset: Int64) { (segment, size) }

    /// The whole records from `start` to the end of the log, with where each one's body is; a record a crash
    /// tore, or padding between batches, is skipped to the next block.
    func records(from start: (segment: Int, offset: Int64)) throws(JournalError) -> [(entry: LoggedEvent, body: BodyLocation)] {
        var found: [(entry: LoggedEvent, body: BodyLocation)] = []
        var number = start.segment
        var offset = start.offset
        while FileManager.default.fileExists(atPath: path(number)) {
            let fd = try readDescriptor(number)
            let length = Int64(lseek(fd, 0, SEEK_END))
            var bytes = [UInt8](repeating: 0, count: Int(max(0, length - offset)))
            try readFully(fd, into: &bytes, at: offset, path: path(number))
            var position = 0
            while position < bytes.count {
                if let (entry, recordLength) = LoggedEvent.decode(bytes[position...]) {
                    let body = BodyLocation(segment: number, offset: offset + Int64(position + entry.headerLength),
                                            length: entry.body.count)
                    found.append((entry, body))
                    position += recordLength
                } else {
                    position = Int(Self.blockAligned(offset + Int64(position) + 1) - offset)
                }
            }
            number += 1
            offset = 0
        }
        return found
    }

    /// Writes `count` bytes of zeros (in whole blocks) past the last body, then cuts the file back: whether
    /// the disk has room for that much, keeping nothing.
    func probe(_ count: Int) throws(JournalError) {
        let written = write([[UInt8](repeating: 0, count: Int(Self.blockAligned(Int64(count))))], at: size)
        let problem = written ? nil : failure("write to \(path(segment))")
        _ = ftruncate(descriptor, off_t(size))
        if let problem { throw problem }
    }

    /// The descriptor to `fdatasync` for the bodies appended so far (the current segment's: a batch never
    /// spans two segments, and the previous segment was synced with the batch before).
    var descriptorToSync: Int32 { descriptor }

    /// Copies the bodies through the staging buffer, one `pwrite` per full buffer and one for the padded tail.
    private func write(_ bodies: [[UInt8]], at start: Int64) -> Bool {
        var position = start
        var filled = 0
        func flush() -> Bool {
            let count = Int(Self.blockAligned(Int64(filled)))
            memset(staging.baseAddress! + filled, 0, count - filled)
            var done = 0
            while done < count {
                let n = pwrite(descriptor, staging.baseAddress! + done, count - done, off_t(position) + off_t(done))
                if n >= 0 {
                    done += n
                } else if errno == EINTR {
                    continue
                } else if errno == EINVAL && direct && fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~Self.directIO) == 0 {
                    direct = false  // the filesystem opened the file for direct I/O but refuses such writes
                } else {
                    return false
                }
            }
            position += Int64(count)
            filled = 0
            return true
        }
        for body in bodies {
            var copied = 0
            while copied < body.count {
                let n = min(body.count - copied, staging.count - filled)
                body.withUnsafeBytes { bytes in
                    (staging.baseAddress! + filled).copyMemory(from: bytes.baseAddress! + copied, byteCount: n)
                }
                filled += n
                copied += n
                if filled == staging.count, !flush() { return false }
            }
        }
        return filled == 0 || flush()
    }

    func read(_ location: BodyLocation) throws(JournalError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: location.length)
        try readFully(try readDescriptor(location.segment), into: &out, at: location.offset, path: path(location.segment))
        return out
    }

    private func readFully(_ fd: Int32, into out: inout [UInt8], at offset: Int64, path: String) throws(JournalError) {
        var done = 0
        let count = out.count
        while done < count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw failure("read \(path)") }
            done += n
        }
    }

    /// Deletes the segment files numbered below `number`, never the one being written; returns how many.
    /// Called on the group-commit thread, which owns `segment`.
    func remove(before number: Int) -> Int {
        let limit = min(number, segment)
        let doomed = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .compactMap { $0.hasSuffix(".seg") ? Int($0.dropLast(4)) : nil }
            .filter { $0 < limit }
        readers.lock()
        for number in doomed {
            if let fd = readDescriptors.removeValue(forKey: number) { close(fd) }
        }
        readers.unlock()
        return doomed.filter { unlink(path($0)) == 0 }.count
    }

    private func readDescriptor(_ number: Int) throws(JournalError) -> Int32 {
        readers.lock()
        defer { readers.unlock() }
        if let fd = readDescriptors[number] { return fd }
        let fd = Glibc.open(path(number), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open \(path(number))") }
        readDescriptors[number] = fd
        return fd
    }

    private func failure(_ what: String) -> JournalError {
        JournalError(.unavailable, "cannot \(what): \(String(cString: strerror(errno)))")
    }
}
