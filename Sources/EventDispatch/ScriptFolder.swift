#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a scripts folder could not be read: which path, and the system's reason. A folder that cannot be
/// read is never taken for an empty one: the scripts loaded before keep running.
package struct ScriptFolderError: Error, Sendable, CustomStringConvertible {
    package let path: String
    package let code: Int32

    /// True when the folder itself does not exist (not a file or folder inside it).
    package let folderIsMissing: Bool

    package var description: String {
        let advice = code == EMFILE || code == ENFILE
            ? "the process is out of file descriptors (see ulimit -n and --max-connections)"
            : "check that the folder and its files are readable"
        return "cannot read \(path): \(String(cString: strerror(code))); \(advice)"
    }
}

/// The `.lua` files of a scripts folder tree, read with the system's own calls so that every failure is
/// seen (Foundation's enumerator ends early, without an error, when it cannot open a folder: out of
/// descriptors, a listing looked empty). Names starting with `.` are skipped, folders included; symbolic
/// links to files count as files, links to folders are not followed.
enum ScriptFolder {
    struct File: Equatable {
        /// Relative to the folder: `hang.lua`, `hang/slack.lua`, `lib/team/format.lua`.
        var path: String
        var size: Int64
        var modified: Int64  // nanoseconds since the epoch
    }

    /// Every `.lua` file under `folder`, sorted by path.
    static func files(in folder: String) throws(ScriptFolderError) -> [File] {
        var files: [File] = []
        do throws(ScriptFolderError) {
            try collect(folder, relative: "", into: &files)
        } catch {
            throw ScriptFolderError(path: error.path, code: error.code, folderIsMissing: error.path == folder && error.code == ENOENT)
        }
        return files.sorted { $0.path < $1.path }
    }

    /// The bytes of one file of the folder.
    static func read(_ path: String) throws(ScriptFolderError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(path) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n == 0 { return bytes }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure(path)
            }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    private static func collect(_ folder: String, relative: String, into files: inout [File]) throws(ScriptFolderError) {
        let path = relative.isEmpty ? folder : folder + "/" + relative
        guard let directory = opendir(path) else { throw failure(path) }
        defer { closedir(directory) }
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { throw failure(path) }
                return
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            guard !name.hasPrefix(".") else { continue }
            let child = relative.isEmpty ? name : relative + "/" + name
            let type = Int32(entry.pointee.d_type)
            var isFolder = type == Int32(DT_DIR)
            if type == Int32(DT_UNKNOWN) {  // some file systems do not say: ask without following links
                var status = stat()
                guard lstat(folder + "/" + child, &status) == 0 else { throw failure(folder + "/" + child) }
                isFolder = status.st_mode & S_IFMT == S_IFDIR
            }
            if isFolder {
                try collect(folder, relative: child, into: &files)
                continue
            }
            guard name.hasSuffix(".lua") else { continue }
            var status = stat()
            if stat(folder + "/" + child, &status) != 0 {
                if errno == ENOENT { continue }  // a dangling link, or removed since the listing
                throw failure(folder + "/" + child)
            }
            guard status.st_mode & S_IFMT == S_IFREG else { continue }
            files.append(File(path: child, size: Int64(status.st_size),
                              modified: Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)))
        }
    }

    private static func failure(_ path: String) -> ScriptFolderError {
        ScriptFolderError(path: path, code: errno, folderIsMissing: false)
    }
}
