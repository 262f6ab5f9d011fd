import Foundation
import LuaRuntime
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Script file access confined to one folder (`--out`).
///
/// Paths are relative; absolute paths and `..` are refused, and symbolic links are never followed: the path
/// is walked one folder at a time from the root with `openat(O_NOFOLLOW)`, so no check can be raced by a
/// link swapped in between the check and the open. Writes are atomic (a temporary file renamed over the
/// target), appends to one file are serialised so lines never interleave, and folders are created as needed.
///
/// The root is opened by its path for each operation, not held open: an output folder that an operator
/// removes, recreates or moves aside while Hookline runs is written afresh, not through a descriptor of a
/// deleted folder (every write then failed with "No such file or directory").
///
/// What it creates is its owner's alone (files 0600, folders 0700, the root and its missing parents too):
/// scripts write transcripts and phone numbers, and the default root is inside the data folder.
///
/// With `sharedWithOtherProcesses` (several nodes writing one `--out` folder), each append also holds an
/// exclusive `flock` on the file while it writes, so that appends of other processes, on the same machine or
/// through NFS (where Linux turns `flock` into the server's byte-range locks), never land inside a line.
public struct FileJail: Sendable {
    public let root: String
    package let sharedWithOtherProcesses: Bool
    package static let readLimit = 16 << 20

    public init(root: String, sharedWithOtherProcesses: Bool = false) throws {
        try Self.createOwnerOnly(root)
        self.root = root
        self.sharedWithOtherProcesses = sharedWithOtherProcesses
    }

    private static func createOwnerOnly(_ root: String) throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    public func write(_ path: String, _ data: [UInt8]) throws {
        let (folder, name, _) = try place(path, create: true)!
        defer { close(folder) }
        let temporary = ".\(name).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = openat(folder, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("write", path) }
        defer { close(fd) }
        guard writeAll(fd, data) else {
            unlinkat(folder, temporary, 0)
            throw failure("write", path)
        }
        guard renameat(folder, temporary, folder, name) == 0 else {
            let error = failure("write", path)
            unlinkat(folder, temporary, 0)
            throw error
        }
    }

    public func append(_ path: String, _ data: [UInt8]) throws {
        let (folder, name, file) = try place(path, create: true)!
        defer { close(folder) }
        try appendLocks.withLock(for: file) {
            let fd = openat(folder, name, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw failure("append to", path) }
            defer { close(fd) }  // closing also lets the flock go
            if sharedWithOtherProcesses {
                while flock(fd, LOCK_EX) != 0 {
                    guard errno == EINTR else { throw failure("lock for appending", path) }
                }
            }
            guard writeAll(fd, data) else { throw failure("append to", path) }
        }
    }

    /// The file's bytes, or nil when it does not exist.
    package func read(_ path: String) throws -> [UInt8]? {
        guard let (folder, name, _) = try place(path, create: false) else { return nil }
        defer { close(folder) }
        let fd = openat(folder, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
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

    /// Checks `path` and opens the folder that holds it, walking down from the root without following
    /// links and creating missing folders when `create`; returns the folder (to close), the file name and the
    /// path spelled one way ("a//b.txt" and "./a/b.txt" are "a/b.txt"), or nil when a folder is missing and
    /// not to be created.
    private func place(_ path: String, create: Bool) throws -> (folder: Int32, name: String, file: String)? {
        guard !path.isEmpty, !path.utf8.contains(0) else { throw HostError("file: the path must be a non-empty string") }
        guard !path.hasPrefix("/") else {
            throw HostError("file: '\(path)' is absolute; paths are relative to the output folder")
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        guard let name = components.last, !components.contains("..") else {
            throw HostError("file: '\(path)' leaves the output folder ('..' is not allowed)")
        }
        var folder = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder < 0 && errno == ENOENT && create {
            try? Self.createOwnerOnly(root)
            folder = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        guard folder >= 0 else {
            if errno == ENOENT && !create { return nil }
            throw HostError("file: cannot open the output folder \(root) for '\(path)': \(String(cString: strerror(errno)))")
        }
        for component in components.dropLast().map(String.init) {
            var next = openat(folder, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT && create {
                // another run may create it at the same moment: EEXIST is as good as success
                if mkdirat(folder, component, 0o700) == 0 || errno == EEXIST {
                    next = openat(folder, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                }
            }
            let reason = errno
            close(folder)
            guard next >= 0 else {
                if reason == ENOENT && !create { return nil }
                if reason == ELOOP || reason == ENOTDIR {
                    throw HostError("file: '\(path)' leads through a symbolic link or a file ('\(component)'); "
                                    + "links are not followed inside the output folder")
                }
                throw HostError("file: cannot open the folder '\(component)' of '\(path)': \(String(cString: strerror(reason)))")
            }
            folder = next
        }
        return (folder, String(name), components.joined(separator: "/"))
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
