import Synchronization

/// The de-duplication of alerts by key: within `window` of a delivered alert, alerts with the same key are
/// folded into it; the next one delivered after the window carries how many were folded.
public final class AlertFolding: Sendable {
    public let window: Duration
    private let windowMilliseconds: Int64
    private let seen = Mutex<[String: (deliveredAt: Int64, folded: Int)]>([:])

    public init(window: Duration) {
        self.window = window
        let (seconds, attoseconds) = window.components
        windowMilliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// nil when the alert is folded; otherwise how many alerts with this key were folded since the last
    /// delivered one. `now` is epoch milliseconds (the run's clock, so that tests can move it).
    public func admit(key: String, now: Int64) -> Int? {
        seen.withLock { seen in
            if let entry = seen[key], now - entry.deliveredAt < windowMilliseconds {
                seen[key] = (entry.deliveredAt, entry.folded + 1)
                return nil
            }
            let folded = seen[key]?.folded ?? 0
            seen[key] = (now, 0)
            if seen.count > 10_000 { seen = seen.filter { now - $0.value.deliveredAt < windowMilliseconds } }
            return folded
        }
    }
}
