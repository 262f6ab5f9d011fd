import Foundation
import LuaRuntime
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Script file access confined to one folder (`--out`).
///
/// Paths are relative; absolute paths, `..` and symlinks that lead outside are refused. Writes are atomic
/// (a temporary file renamed over the target), appends to one file are serialised so lines never
/// interleave, and folders are created as needed.
public struct FileJail: Sendable {
    public let root: String
    private let realRoot: String
    public static let readLimit = 16 << 20

    public init(root: String) throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        self.root = root
        guard let resolved = realpath(root, nil) else { throw HostError("cannot open the output folder \(root)") }
        realRoot = String(cString: resolved)
        free(resolved)
    }

    public func write(_ path: String, _ data: [UInt8]) throws {
        let (directory, name) = try place(path, create: true)
        let temporary = directory + "/.\(name).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("write", path) }
        defer { close(fd) }
        guard writeAll(fd, data) else {
            unlink(temporary)
            throw failure("write", path)
        }
        guard rename(temporary, directory + "/" + name) == 0 else {
            let error = failure("write", path)
            unlink(temporary)
            throw error
        }
    }

    public func append(_ path: String, _ data: [UInt8]) throws {
        let (directory, name) = try place(path, create: true)
        let full = directory + "/" + name
        try appendLocks.withLock(for: full) {
            let fd = open(full, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw failure("append to", path) }
            defer { close(fd) }
            guard writeAll(fd, data) else { throw failure("append to", path) }
        }
    }

    /// The file's bytes, or nil when it does not exist.
    public func read(_ path: String) throws -> [UInt8]? {
        let (directory, name) = try place(path, create: false)
        let fd = open(directory + "/" + name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw failure("read", path)
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("read", path)
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
            if out.count > FileJail.readLimit { throw HostError("file.read: \(path) is larger than 16 MiB") }
        }
    }

    /// Checks `path` and returns its real parent folder (inside the root) and file name.
    private func place(_ path: String, create: Bool) throws -> (String, String) {
        guard !path.isEmpty, !path.utf8.contains(0) else { throw HostError("file: the path must be a non-empty string") }
        guard !path.hasPrefix("/") else {
            throw HostError("file: '\(path)' is absolute; paths are relative to the output folder")
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        guard let name = components.last, !components.contains("..") else {
            throw HostError("file: '\(path)' leaves the output folder ('..' is not allowed)")
        }
        let relativeDirectory = components.dropLast().joined(separator: "/")
        let directory = relativeDirectory.isEmpty ? root : root + "/" + relativeDirectory
        // The folder usually exists already: resolve it first, create it only when that fails.
        var resolved = realpath(directory, nil)
        if resolved == nil && create {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw HostError("file: cannot create the folder for '\(path)'")
            }
            resolved = realpath(directory, nil)
        }
        guard let resolved else {
            if create { throw HostError("file: cannot open the folder of '\(path)'") }
            return (directory, String(name))
        }
        defer { free(resolved) }
        let real = String(cString: resolved)
        guard real == realRoot || real.hasPrefix(realRoot + "/") else {
            throw HostError("file: '\(path)' leads outside the output folder (through a symbolic link)")
        }
        return (real, String(name))
    }

    private func failure(_ verb: String, _ path: String) -> HostError {
        let reason = String(cString: strerror(errno))
        if errno == ELOOP { return HostError("file: cannot \(verb) '\(path)': it is a symbolic link") }
        return HostError("file: cannot \(verb) '\(path)': \(reason)")
    }

    private func writeAll(_ fd: Int32, _ data: [UInt8]) -> Bool {
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }
}

/// Striped locks: appends to the same file never overlap; appends to different files rarely wait.
private let appendLocks = StripedLocks()

private final class StripedLocks: Sendable {
    private final class Lock: Sendable {
        let mutex = Mutex(())
    }
    private let locks = (0..<64).map { _ in Lock() }

    func withLock<T>(for key: String, _ body: () throws -> T) throws -> T {
        var hasher = Hasher()
        hasher.combine(key)
        return try locks[Int(UInt(bitPattern: hasher.finalize()) % UInt(locks.count))].mutex.withLock { _ in try body() }
    }
}
