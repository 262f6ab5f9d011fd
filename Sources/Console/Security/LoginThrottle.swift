import Foundation
import Synchronization

/// Counts failed logins by peer address: after `limit` failures within `window`, that address is refused until
/// the oldest of them is older than the window. Guessing a 256-bit token is hopeless anyway; this keeps a
/// scanner from filling logs and CPU.
final class LoginThrottle: Sendable {
    let limit: Int
    let window: Duration
    private let failures = Mutex<[String: [ContinuousClock.Instant]]>([:])

    init(limit: Int = 5, window: Duration = .seconds(60)) {
        self.limit = limit
        self.window = window
    }

    /// How long `peer` must wait before trying again, or nil when it may try now.
    func wait(for peer: String, now: ContinuousClock.Instant = .now) -> Duration? {
        failures.withLock { table in
            let recent = (table[peer] ?? []).filter { now - $0 < window }
            table[peer] = recent.isEmpty ? nil : recent
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return window - (now - oldest)
        }
    }

    func failed(_ peer: String, now: ContinuousClock.Instant = .now) {
        failures.withLock { table in
            if table.count > 10_000 { table.removeAll() }  // a flood of addresses must not grow this without end
            table[peer, default: []].append(now)
        }
    }

    func succeeded(_ peer: String) {
        failures.withLock { _ = $0.removeValue(forKey: peer) }
    }
}
