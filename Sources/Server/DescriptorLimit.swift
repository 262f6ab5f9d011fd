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

    /// Connections allowed when `--max-connections` is not set: a quarter of the descriptors (at least 64)
    /// is left for the journal, the scripts folder and the scripts' HTTP calls; at most 10,000.
    public static func defaultMaxConnections(soft: Int = DescriptorLimit.soft) -> Int {
        max(8, min(10_000, soft - max(64, soft / 4)))
    }
}
