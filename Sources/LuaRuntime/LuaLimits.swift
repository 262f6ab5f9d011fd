/// The limits every run of a state lives under.
public struct LuaLimits: Sendable, Equatable {
    /// Wall-clock time from a run's start to its end, host calls included.
    public var timeout: Duration
    /// Bytes the whole state may hold (all runs in flight on it share them).
    public var memory: Int

    public init(timeout: Duration = .seconds(5), memory: Int = 64 << 20) {
        self.timeout = timeout
        self.memory = memory
    }

    var timeoutNanoseconds: Int64 {
        let (seconds, attoseconds) = timeout.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

extension Duration {
    /// "5s", "250ms", "1.5s": how limits are written in flags and messages.
    public var shortDescription: String {
        let (seconds, attoseconds) = components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        return "\(Double(milliseconds) / 1000)s"
    }
}

/// Bytes as "64 MiB", "512 KiB" for messages.
public func formatBytes(_ bytes: Int) -> String {
    if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
    if bytes >= 1 << 20 { return String(format2(Double(bytes) / Double(1 << 20))) + " MiB" }
    if bytes >= 1 << 10 { return "\(bytes >> 10) KiB" }
    return "\(bytes) bytes"
}

private func format2(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}
