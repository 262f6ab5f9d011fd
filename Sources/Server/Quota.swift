import Synchronization

/// A limited amount shared by every event loop, taken and given back: the open connections
/// (`--max-connections`) and the body bytes all connections hold at once (`--max-inflight-bytes`).
/// Whoever finds no room is refused at once, so the cost of many clients stays bounded.
///
/// ```swift
/// let bodies = Quota(limit: 64 << 20)
/// guard bodies.take(declaredLength) else { return refuse(.serviceUnavailable) }
/// defer { bodies.give(declaredLength) }
/// ```
final class Quota: Sendable {
    let limit: Int
    private let used = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes `amount`; false (and nothing taken) when that would pass the limit.
    func take(_ amount: Int = 1) -> Bool {
        var current = used.load(ordering: .relaxed)
        while current <= limit - amount {
            let (exchanged, original) = used.compareExchange(expected: current, desired: current + amount, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func give(_ amount: Int = 1) { used.subtract(amount, ordering: .relaxed) }

    var inUse: Int { used.load(ordering: .relaxed) }
}
