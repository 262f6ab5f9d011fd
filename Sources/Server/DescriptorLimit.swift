#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's descriptor limit, and the default connection limit it leaves room under.
public enum DescriptorLimit {
    /// The soft `RLIMIT_NOFILE` now.
    public static var soft: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return Int(clamping: limit.rlim_cur)  // unlimited is the largest value
    }

    /// Connections allowed when `--max-connections` is not set: `mostConnections`, at most 10,000.
    public static func defaultMaxConnections(soft: Int = DescriptorLimit.soft) -> Int {
        min(10_000, mostConnections(soft: soft))
    }

    /// The most connections the process may hold at once, whatever `--max-connections` asks: a quarter of the
    /// descriptors (at least 64) is left for the journal, the scripts folder, the scripts' files and HTTP calls.
    /// The process must never run out: besides failing those, on Linux libdispatch (which runs Swift's tasks)
    /// stops the process with SIGILL when its thread pool's monitor cannot open `/proc/self/task/…/stat`.
    package static func mostConnections(soft: Int = DescriptorLimit.soft) -> Int {
        max(8, soft - max(64, soft / 4))
    }
}
