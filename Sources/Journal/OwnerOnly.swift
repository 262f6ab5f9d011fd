import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The data folder and everything Hookline keeps in it are its owner's alone: the journal holds transcripts
/// and phone numbers. Folders are made 0700 and files 0600, those left by an older Hookline included (its
/// journal files were 0644, like any file SQLite creates).
enum OwnerOnly {
    /// Creates `path` (and its parents) when missing; takes group and other permissions away either way.
    static func folder(_ path: String) throws(JournalError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw JournalError(.unavailable, "cannot create the folder \(path): \(error.localizedDescription)")
        }
        try restrict(path)
    }

    /// Creates an empty file at `path` when `create` and it is missing; takes group and other permissions
    /// away from the file when it exists.
    static func file(_ path: String, create: Bool) throws(JournalError) {
        if create {
            let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                throw JournalError(.unavailable, "cannot create \(path): \(String(cString: strerror(errno)))")
            }
            close(fd)
        }
        try restrict(path)
    }

    private static func restrict(_ path: String) throws(JournalError) {
        var status = stat()
        guard stat(path, &status) == 0 else {
            if errno == ENOENT { return }
            throw JournalError(.unavailable, "cannot read the permissions of \(path): \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & 0o077 != 0 else { return }
        guard chmod(path, status.st_mode & 0o7700) == 0 else {
            throw JournalError(.unavailable, """
                \(path) can be read by other users and cannot be made owner-only: \(String(cString: strerror(errno))) \
                (run Hookline as the folder's owner, or chmod go= it)
                """)
        }
    }
}
