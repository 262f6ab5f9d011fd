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
