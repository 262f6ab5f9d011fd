import Synchronization

/// The claims on calls and the nodes' leases of a journal used by one process, kept in memory: a restarted
/// process is a new incarnation and starts with no claims, so nothing about them needs to be durable.
/// It follows the rules `WorkQueue` states, which PostgreSQL keeps in tables for several processes.
///
/// The journal calls `appended` and `release` on its own thread in commit order, so that versions and
/// releases follow the order in which their commits happened.
final class LocalClaims: Sendable {
    private struct Call {
        var holder: String?
        var token: Int64 = 0
        var version: Int64 = 0
        var hasPending = false
    }

    private struct State {
        /// Node incarnation -> when its lease ends.
        var leases: [String: ContinuousClock.Instant] = [:]
        /// Calls that are held or have pending work; a call given up with nothing pending is forgotten.
        var calls: [CallKey: Call] = [:]
        /// Tokens come from one counter, so that a call forgotten and taken again never repeats a token it
        /// had (a call's versions start over then, but are only ever compared under one token).
        var lastToken: Int64 = 0

        func isLive(_ holder: String?, at now: ContinuousClock.Instant) -> Bool {
            guard let holder, let end = leases[holder] else { return false }
            return end > now
        }

        mutating func nextToken() -> Int64 {
            lastToken += 1
            return lastToken
        }
    }

    private let state = Mutex(State())

    func heartbeat(_ node: NodeIdentity, lease: Duration) {
        state.withLock { $0.leases[node.incarnation] = ContinuousClock.now + lease }
    }

    func leave(_ node: NodeIdentity) {
        state.withLock { state in
            state.leases[node.incarnation] = nil
            for (key, var call) in state.calls where call.holder == node.incarnation {
                call.holder = nil
                call.version += 1
                state.calls[key] = call.hasPending ? call : nil
            }
        }
    }

    /// A pending event of `call` was committed: the call's version grows, and `claimant` gets the call unless
    /// a live node holds it.
    func appended(_ call: CallKey, claimant: NodeIdentity, id: EventID) -> StoredEvent {
        state.withLock { state in
            var entry = state.calls[call] ?? Call()
            entry.version += 1
            var claim: CallClaim?
            var inherited = false
            if entry.holder == claimant.incarnation {
                claim = CallClaim(call: call, token: entry.token)
                inherited = entry.hasPending
            } else if !state.isLive(entry.holder, at: .now) {
                inherited = entry.hasPending
                entry.holder = claimant.incarnation
                entry.token = state.nextToken()
                claim = CallClaim(call: call, token: entry.token)
            }
            entry.hasPending = true
            state.calls[call] = entry
            return StoredEvent(id: id, claim: claim, version: entry.version, inheritedWork: inherited)
        }
    }

    /// Events of these calls were put back to pending.
    func requeued(_ calls: Set<CallKey>) {
        state.withLock { state in
            for call in calls {
                var entry = state.calls[call] ?? Call()
                entry.version += 1
                entry.hasPending = true
                state.calls[call] = entry
            }
        }
    }

    /// Claims, for `node`, those of `candidates` (calls with pending work, oldest work first) that no live node
    /// holds, at most `limit`.
    func claim(_ candidates: [CallKey], for node: NodeIdentity, limit: Int) -> [CallClaim] {
        state.withLock { state in
            let now = ContinuousClock.now
            var claims: [CallClaim] = []
            for call in candidates where claims.count < limit {
                var entry = state.calls[call] ?? Call(hasPending: true)
                guard entry.holder != node.incarnation, !state.isLive(entry.holder, at: now) else { continue }
                entry.holder = node.incarnation
                entry.token = state.nextToken()
                entry.hasPending = true
                state.calls[call] = entry
                claims.append(CallClaim(call: call, token: entry.token))
            }
            return claims
        }
    }

    func held(by node: NodeIdentity) -> [CallClaim: Int64] {
        state.withLock { state in
            var held: [CallClaim: Int64] = [:]
            for (key, call) in state.calls where call.holder == node.incarnation {
                held[CallClaim(call: key, token: call.token)] = call.version
            }
            return held
        }
    }

    /// Whether `claim` is still `node`'s.
    func holds(_ claim: CallClaim, _ node: NodeIdentity) -> Bool {
        state.withLock { state in
            let entry = state.calls[claim.call]
            return entry?.holder == node.incarnation && entry?.token == claim.token
        }
    }

    /// Throws `fenced` unless the fence's claim is still its node's.
    func check(_ fence: Fence?) throws(JournalError) {
        guard let fence, !holds(fence.claim, fence.node) else { return }
        throw JournalError.fenced(fence.claim)
    }

    /// The call's version now, when `claim` is still `node`'s.
    func version(of claim: CallClaim, for node: NodeIdentity) -> Int64? {
        state.withLock { state in
            guard let entry = state.calls[claim.call], entry.holder == node.incarnation, entry.token == claim.token else {
                return nil
            }
            return entry.version
        }
    }

    /// Gives the call up when `claim` is `node`'s and its version is still `version`; true when it did.
    func release(_ claim: CallClaim, for node: NodeIdentity, at version: Int64) -> Bool {
        state.withLock { state in
            guard let entry = state.calls[claim.call], entry.holder == node.incarnation, entry.token == claim.token,
                  entry.version == version else { return false }
            state.calls[claim.call] = nil
            return true
        }
    }
}
