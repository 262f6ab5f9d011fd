import Synchronization

/// Whether the database takes writes, as the last outcomes showed: readiness asks often, so it is answered
/// from what the operations saw, and a write is probed at most once a second when nothing was seen lately.
final class WriteHealth: Sendable {
    static let freshness = Duration.seconds(1)

    private struct State {
        var writable = true
        var seen: ContinuousClock.Instant?
        var probing = false
    }

    private let state = Mutex(State())

    func noted(writable: Bool) {
        state.withLock { state in
            state.writable = writable
            state.seen = .now
        }
    }

    /// The last outcome when it is fresh or a probe is under way; else the outcome of `probe`.
    func answer(probing probe: () async -> Bool) async -> Bool {
        let known: Bool? = state.withLock { state in
            if state.probing { return state.writable }
            if let seen = state.seen, ContinuousClock.now - seen < Self.freshness { return state.writable }
            state.probing = true
            return nil
        }
        if let known { return known }
        let writable = await probe()
        state.withLock { state in
            state.probing = false
            state.writable = writable
            state.seen = .now
        }
        return writable
    }
}
