/// Where accepted events are kept: an append-only log with deduplication by each event's natural key.
///
/// Intake appends (only a stored event is acknowledged); the append also hands the event's call to the
/// appending node when no live node holds it, so that the node that received an event usually runs it
/// without reading it back.
///
/// ```swift
/// journal.append(event, claimant: node) { result in
///     switch result {
///     case .success(.stored(let stored)): answer200(stored.id)   // durable; stored.claim says who runs it
///     case .success(.duplicate(let id)): answerDuplicate(id)
///     case .failure(let error): answer503(error)                 // nothing was stored
///     }
/// }
/// ```
public protocol EventLog: Sendable {
    /// Stores an event durably, or finds the event already stored under the same deduplication key, then
    /// calls `done`. A pending event's call is claimed for `claimant` in the same commit when no live node
    /// holds it. Calls of `done` come in commit order, from the journal's own thread (a closed journal fails
    /// at once, on the caller's): `done` must be quick (hand the result on, never wait).
    func append(_ event: NewEvent, claimant: NodeIdentity, done: @escaping @Sendable (Result<AppendOutcome, JournalError>) -> Void)

    /// The stored (redacted) body of an event.
    func body(of id: EventID) async throws(JournalError) -> [UInt8]?
}

extension EventLog {
    /// `append(_:claimant:done:)`, awaited.
    public func append(_ event: NewEvent, claimant: NodeIdentity) async throws(JournalError) -> AppendOutcome {
        let result = await withUnsafeContinuation { continuation in
            append(event, claimant: claimant) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }
}

public enum AppendOutcome: Sendable, Equatable {
    case stored(StoredEvent)
    case duplicate(of: EventID)
}

/// A newly stored event and what its commit did to its call's work.
public struct StoredEvent: Sendable, Equatable {
    package var id: EventID
    /// The claimant's claim on the event's call, when it holds it after this commit (it held it already, or
    /// took it now); nil when another live node holds the call, or when the event is not to be processed.
    public var claim: CallClaim?
    /// The call's work version after this commit (see `CallWork.version`): the claimant knows the whole of
    /// the call's work when it knew it at `version - 1`.
    package var version: Int64
    /// True when the call had pending work already: work of a node that gave the call up or died, or this
    /// node's own that it may not have in memory (an append that committed after it was answered as failed).
    /// A node that does not hold the call in memory must read that work from the journal before this event runs.
    package var inheritedWork: Bool

    package init(id: EventID, claim: CallClaim?, version: Int64, inheritedWork: Bool) {
        self.id = id
        self.claim = claim
        self.version = version
        self.inheritedWork = inheritedWork
    }
}
