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
/// indexes them. A batch's bodies are written once, by one `writev` per group commit, and synced while the
/// commit that references them is synced (`GroupCommitWriter`); no event is acknowledged before both syncs
/// returned. Bytes past the last committed body are never referenced and are simply skipped. A power cut
/// between the two syncs can leave a committed row whose body did not reach the disk: that event was never
/// acknowledged, and its runs fail with "the event's body could not be read from the journal" (Dispatcher).
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

    /// Appends the bodies to the current segment file without syncing it (the caller syncs
    /// `descriptorToSync`); returns where each one is.
    func append(_ bodies: [[UInt8]]) throws(JournalError) -> [BodyLocation] {
        let total = bodies.reduce(0) { $0 + $1.count }
        if size > 0 && size + Int64(total) > segmentLimit { try open(segment + 1) }
        var locations: [BodyLocation] = []
        locations.reserveCapacity(bodies.count)
        var offset = size
        for body in bodies {
            locations.append(BodyLocation(segment: segment, offset: offset, length: body.count))
            offset += Int64(body.count)
        }
        guard writeAll(bodies) else {
            let error = failure("write to \(path(segment))")
            size = Int64(lseek(descriptor, 0, SEEK_END))  // a partial write is never referenced
            throw error
        }
        size = offset
        return locations
    }

    /// The descriptor to `fdatasync` for the bodies appended so far (the current segment's: a batch never
    /// spans two segments, and the previous segment was synced with the batch before).
    var descriptorToSync: Int32 { descriptor }

    /// Writes the bodies in order, up to 64 per `writev` (each iovec borrows its body for the call, one nested
    /// borrow per body), resuming after short writes.
    private func writeAll(_ bodies: [[UInt8]]) -> Bool {
        var pending = bodies.filter { !$0.isEmpty }[...]
        var skip = 0  // bytes of the first pending body already written
        while !pending.isEmpty {
            let chunk = pending.prefix(64)
            let n = withIOVecs(chunk, skip: skip) { vectors in writev(descriptor, vectors.baseAddress, Int32(vectors.count)) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            var written = skip + n
            while let first = pending.first, written >= first.count {
                written -= first.count
                pending = pending.dropFirst()
            }
            skip = written
        }
        return true
    }

    /// Calls `body` with an iovec per body (the first starting `skip` bytes in), valid only during the call.
    private func withIOVecs(_ bodies: ArraySlice<[UInt8]>, skip: Int, _ body: (UnsafeBufferPointer<iovec>) -> Int) -> Int {
        var vectors: [iovec] = []
        vectors.reserveCapacity(bodies.count)
        func collect(_ index: ArraySlice<[UInt8]>.Index) -> Int {
            guard index < bodies.endIndex else { return vectors.withUnsafeBufferPointer(body) }
            return bodies[index].withUnsafeBytes { bytes in
                let start = index == bodies.startIndex ? skip : 0
                vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress! + start),
                                     iov_len: bytes.count - start))
                return collect(bodies.index(after: index))
            }
        }
        return collect(bodies.startIndex)
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
