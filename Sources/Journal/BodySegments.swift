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

/// Event bodies in append-only segment files (`bodies/000001.seg`, ...), beside the SQLite journal that
/// indexes them. A body is written once, by one `write` per group commit, and synced before the commit
/// that references it: SQLite never points at bytes that are not on disk. Bytes past the last committed
/// body (a crash between the two syncs) are never referenced and are simply skipped.
///
/// Keeping bodies out of SQLite writes each byte once instead of three times (WAL, checkpoint, overflow
/// pages), which is most of the journal's cost at webhook sizes.
final class BodySegments: @unchecked Sendable {
    private let segmentLimit: Int64
    private let directory: String
    // Written only by the group-commit thread; reads use pread and need no lock.
    private var segment: Int
    private var descriptor: Int32
    private var size: Int64
    private let readers = NSLock()
    private var readDescriptors: [Int: Int32] = [:]

    /// A new segment file is started when the next batch would take one past `segmentLimit` bytes.
    init(directory: String, segmentLimit: Int64) throws(JournalError) {
        self.directory = directory
        self.segmentLimit = segmentLimit
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw JournalError(.unavailable, "cannot create \(directory): \(error.localizedDescription)")
        }
        let existing = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .compactMap { $0.hasSuffix(".seg") ? Int($0.dropLast(4)) : nil }
        segment = existing.max() ?? 1
        descriptor = -1
        size = 0
        try open(segment)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        for (_, fd) in readDescriptors { close(fd) }
    }

    private func path(_ segment: Int) -> String {
        let number = String(segment)
        return directory + "/" + String(repeating: "0", count: max(0, 6 - number.count)) + number + ".seg"
    }

    private func open(_ number: Int) throws(JournalError) {
        let fd = Glibc.open(path(number), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("open \(path(number))") }
        if descriptor >= 0 { close(descriptor) }
        descriptor = fd
        segment = number
        size = Int64(lseek(fd, 0, SEEK_END))
    }

    /// Appends the bodies in one write and syncs them; returns where each one is.
    func append(_ bodies: [[UInt8]]) throws(JournalError) -> [BodyLocation] {
        let total = bodies.reduce(0) { $0 + $1.count }
        if size > 0 && size + Int64(total) > segmentLimit { try open(segment + 1) }
        var locations: [BodyLocation] = []
        locations.reserveCapacity(bodies.count)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(total)
        var offset = size
        for body in bodies {
            locations.append(BodyLocation(segment: segment, offset: offset, length: body.count))
            buffer.append(contentsOf: body)
            offset += Int64(body.count)
        }
        let written = buffer.withUnsafeBytes { bytes -> Bool in
            var done = 0
            while done < bytes.count {
                let n = write(descriptor, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                done += n
            }
            return true
        }
        guard written else {
            let error = failure("write to \(path(segment))")
            size = Int64(lseek(descriptor, 0, SEEK_END))  // a partial write is never referenced
            throw error
        }
        guard fdatasync(descriptor) == 0 else { throw failure("sync \(path(segment))") }
        size = offset
        return locations
    }

    func read(_ location: BodyLocation) throws(JournalError) -> [UInt8] {
        let fd = try readDescriptor(location.segment)
        var out = [UInt8](repeating: 0, count: location.length)
        var done = 0
        while done < location.length {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, location.length - done, off_t(location.offset) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw failure("read \(path(location.segment))") }
            done += n
        }
        return out
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
