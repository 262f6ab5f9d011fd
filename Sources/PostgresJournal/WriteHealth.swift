import Synchronization

/// Whether the database takes writes, as the last outcomes showed: readiness asks often, so it is answered
/// from what the operations saw in the last second, and otherwise from a write probed then (one at a time),
/// waited for half a second at most: a database that does not answer is not one to send deliveries to.
final class WriteHealth: Sendable {
    static let freshness = Duration.seconds(1)

    private struct State {
        var writable = true
        var seen: ContinuousClock.Instant?
        /// When the probe under way started.
        var probing: ContinuousClock.Instant?
    }

    private let state = Mutex(State())

    func noted(writable: Bool) {
        state.withLock { state in
            state.writable = writable
            state.seen = .now
        }
    }

    /// The last outcome when it is fresh; else a write is probed (one at a time) and its outcome awaited for
    /// at most half a second: no answer by then counts as a refusal.
    func answer(probing probe: @escaping @Sendable () async -> Bool) async -> Bool {
        let asked = ContinuousClock.now
        let (known, start): (Bool?, Bool) = state.withLock { state in
            if let seen = state.seen, asked - seen < Self.freshness { return (state.writable, false) }
            guard state.probing == nil else { return (nil, false) }
            state.probing = asked
            return (nil, true)
        }
        if let known { return known }
        if start {
            Task {
                let writable = await probe()
                state.withLock { state in
                    state.probing = nil
                    state.writable = writable
                    state.seen = .now
                }
            }
        }
        while ContinuousClock.now - asked < .milliseconds(500) {
            try? await Task.sleep(for: .milliseconds(20))
            let fresh: Bool? = state.withLock { state in state.seen.map { $0 >= asked } == true ? state.writable : nil }
            if let fresh { return fresh }
        }
        return false
    }
}
