/// The work of running events, shared by every node on one journal: calls are claimed, one node at a time,
/// under a lease that the node renews; every write that completes a run is fenced by the claim.
///
/// A node's loop, in short:
///
/// ```swift
/// try await queue.heartbeat(node, lease: .seconds(15))                // every lease / 3
/// for claim in try await queue.claimWaitingCalls(for: node, limit: 64) {
///     guard let work = try await queue.pendingWork(of: claim, for: node, after: nil, limit: 256) else { continue }
///     let records = run(work.items)                                   // in event order, per script
///     let outcome = try await queue.record([CallRecords(claim: claim, runs: records.runs,
///                                                       completions: records.completions,
///                                                       releaseAt: work.version)], for: node)
///     // .fenced: another node took the call over; nothing of it was written
/// }
/// ```
///
/// The unit of ownership is the call (endpoint and call id): runs of one script for one call keep the order
/// of the events within the call, and one node at a time holds each call. A node that dies keeps its claims
/// until its lease ends; then any node that asks for work takes them over, with a new fencing token.
public protocol WorkQueue: Sendable {
    /// Starts or renews `node`'s lease: until `lease` from now, no other node takes over its claims.
    func heartbeat(_ node: NodeIdentity, lease: Duration) async throws(JournalError)

    /// Tells the nodes sharing the journal which scripts `node` runs (a fingerprint of its scripts folders, shown
    /// by the console beside its heartbeat). A journal of one process keeps nothing.
    func announce(_ node: NodeIdentity, scriptsVersion: String) async throws(JournalError)

    /// Ends `node`'s lease and gives up its claims at once (a graceful shutdown), so that other nodes need not
    /// wait for the lease to end. Pending work stays pending.
    func leave(_ node: NodeIdentity) async throws(JournalError)

    /// Claims up to `limit` calls with pending work that no live node holds (never claimed, given up, or
    /// held by a node whose lease ended), the call with the oldest such work first.
    func claimWaitingCalls(for node: NodeIdentity, limit: Int) async throws(JournalError) -> [CallClaim]

    /// The calls `node` holds now, each with its work version: a version above the one the node last read
    /// means that work was added elsewhere (an event stored by another node, a replay).
    func heldCalls(of node: NodeIdentity) async throws(JournalError) -> [CallClaim: Int64]

    /// The pending events of a claimed call with ids above `after` (from the first when nil), in id order,
    /// at most `limit`, each with its body and what earlier attempts did; nil when the claim is no longer
    /// `node`'s. The version is read before the events, so nothing added after it is missing from them.
    func pendingWork(of claim: CallClaim, for node: NodeIdentity, after: EventID?, limit: Int) async throws(JournalError) -> CallWork?

    /// Writes finished run attempts and completed events, each call's in one piece and only while its claim
    /// is still `node`'s; a call whose `releaseAt` is still its version is given up in the same commit.
    /// Returns one outcome per element of `batch`, in order. A failure writes nothing.
    func record(_ batch: [CallRecords], for node: NodeIdentity) async throws(JournalError) -> [RecordOutcome]

    /// Puts events back to pending under a new generation (every script runs again); returns how many. With
    /// `reuseEffects`, each script's first run of the new generation returns what its latest run before did for
    /// the host calls that match it (`RunProgress.effects`), instead of performing them again.
    func requeue(_ ids: [EventID], reuseEffects: Bool) async throws(JournalError) -> Int

    /// Turns timers due at `now` (epoch ms) or before into events of their calls, each exactly once, at most
    /// `limit`, the earliest first. Each is stored like an append by `claimant`: the ones whose call `claimant`
    /// holds after the commit come back (the others' holders learn of them as of any work added elsewhere).
    func fireDueTimers(now: Int64, claimant: NodeIdentity, limit: Int) async throws(JournalError) -> [FiredTimer]

    /// When the earliest pending timer comes due (epoch ms); nil when none is pending.
    func nextTimerDue() async throws(JournalError) -> Int64?

    /// Calls of `node` that got work elsewhere, as the journal learns of it (LISTEN/NOTIFY); nil when the
    /// backend has no such signals, and the node polls `heldCalls` instead.
    func workSignals(for node: NodeIdentity) -> AsyncStream<CallKey>?
}

extension WorkQueue {
    /// Puts events back to pending under a new generation; every script runs again, its effects performed.
    package func requeue(_ ids: [EventID]) async throws(JournalError) -> Int {
        try await requeue(ids, reuseEffects: false)
    }
}

/// One node as this process is: a name for people and logs, and an incarnation unique to the process, so
/// that the claims of an earlier run of the same node are never taken for its own.
public struct NodeIdentity: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public let incarnation: String

    public init(name: String, incarnation: String) {
        self.name = name
        self.incarnation = incarnation
    }

    /// `name` with a new random incarnation.
    public static func starting(name: String) -> NodeIdentity {
        var generator = SystemRandomNumberGenerator()
        return NodeIdentity(name: name, incarnation: name + "/" + String(generator.next() >> 16, radix: 36))
    }

    public var description: String { incarnation }
}

/// What work is ordered and claimed by: one call of one endpoint.
public struct CallKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var endpoint: String
    public var callID: String

    public init(endpoint: String, callID: String) {
        self.endpoint = endpoint
        self.callID = callID
    }

    public var description: String { endpoint + "/" + callID }

    public static func < (a: CallKey, b: CallKey) -> Bool { (a.endpoint, a.callID) < (b.endpoint, b.callID) }
}

/// A node's hold on a call. `token` grows with every new holder: a write carrying an older token is refused.
public struct CallClaim: Hashable, Sendable, CustomStringConvertible {
    public var call: CallKey
    package var token: Int64

    public init(call: CallKey, token: Int64) {
        self.call = call
        self.token = token
    }

    public var description: String { "\(call)#\(token)" }
}

/// A claimed call's pending work as read from the journal.
public struct CallWork: Sendable {
    package var claim: CallClaim
    /// Grows with every change to the call's work (an event stored, a replay, a release): a release at this
    /// version succeeds only if nothing changed since these events were read.
    public var version: Int64
    public var items: [WorkItem]

    package init(claim: CallClaim, version: Int64, items: [WorkItem]) {
        self.claim = claim
        self.version = version
        self.items = items
    }
}

/// A pending event with its body and what its earlier attempts (in its current generation) did.
public struct WorkItem: Sendable {
    public var event: PendingEvent
    package var body: [UInt8]
    package var progress: RunProgress

    package init(event: PendingEvent, body: [UInt8], progress: RunProgress) {
        self.event = event
        self.body = body
        self.progress = progress
    }
}

/// The records of one claimed call to write together.
public struct CallRecords: Sendable {
    public var claim: CallClaim
    public var runs: [RunRecord]
    public var completions: [EventCompletion]
    /// Give the claim up in the same commit when the call's version is still this one (no work was added).
    public var releaseAt: Int64?

    public init(claim: CallClaim, runs: [RunRecord] = [], completions: [EventCompletion] = [], releaseAt: Int64? = nil) {
        self.claim = claim
        self.runs = runs
        self.completions = completions
        self.releaseAt = releaseAt
    }
}

public enum RecordOutcome: Sendable, Equatable {
    /// Written; `released` when the claim was given up too (a release asked for at an older version is not).
    case recorded(released: Bool)
    /// Nothing written: the claim is no longer this node's.
    case fenced
}

/// A claim to check before a write made during a run (a store write), so that a node that lost the call
/// cannot write over the newer holder's state.
public struct Fence: Sendable, Hashable {
    package var node: NodeIdentity
    package var claim: CallClaim

    package init(node: NodeIdentity, claim: CallClaim) {
        self.node = node
        self.claim = claim
    }
}
