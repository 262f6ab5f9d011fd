/// Where every accepted event, every script run and the scripts' durable state are kept.
///
/// Intake appends events (only a stored event is acknowledged), dispatch takes pending events and records
/// runs, host functions keep state in the store. SQLite is the embedded implementation; the protocol is
/// the seam for a shared database when several Hookline nodes serve one team.
public protocol Journal: Sendable {
    /// Stores an event durably, or finds the event already stored under the same deduplication key, then
    /// calls `done`. Calls come in commit order, so new events are announced in id order, from the journal's
    /// own thread (a closed journal fails at once, on the caller's): `done` must be quick (hand the result
    /// on, never wait).
    func append(_ event: NewEvent, done: @escaping @Sendable (Result<AppendOutcome, JournalError>) -> Void)

    /// Events still to be processed, in the order they were received, after `after`, with their bodies.
    func pendingEvents(after: EventID?, limit: Int) async throws(JournalError) -> [(event: PendingEvent, body: [UInt8])]
    /// The id of the newest event (0 when there is none).
    func newestEventID() async throws(JournalError) -> EventID
    /// The stored (redacted) body of an event.
    func body(of id: EventID) async throws(JournalError) -> [UInt8]?
    /// The runs of an event's current generation that need no retry (succeeded or dead), by script, and the
    /// attempts already made by the others: what a restart must not redo.
    func runProgress(of id: EventID, generation: Int) async throws(JournalError) -> RunProgress
    /// Records finished run attempts and the events they complete, in one transaction.
    func record(runs: [RunRecord], completions: [EventCompletion]) async throws(JournalError)

    /// Durable key-value state of the scripts of one endpoint. Values are JSON texts.
    func storeGet(endpoint: String, key: String, now: Int64) async throws(JournalError) -> String?
    func storeSet(endpoint: String, key: String, value: String, expiresAt: Int64?) async throws(JournalError)
    /// Adds `by` to a numeric value (absent or expired counts as 0) and returns the new value, atomically.
    func storeIncrement(endpoint: String, key: String, by: Double, expiresAt: Int64?, now: Int64) async throws(JournalError) -> Double
    func storeDelete(endpoint: String, key: String) async throws(JournalError)

    /// Events for the command line, newest first.
    func events(matching query: EventQuery) async throws(JournalError) -> [EventSummary]
    /// One event with its body and every run attempt.
    func event(_ id: EventID) async throws(JournalError) -> EventDetail?
    /// Puts matching events back to pending under a new generation, so that every script runs again.
    func requeue(_ ids: [EventID]) async throws(JournalError) -> Int
    /// Events waiting for processing, and the size of the journal on disk (cheap at any journal size).
    func statistics() async throws(JournalError) -> JournalStatistics

    /// Deletes the finished events (any state but pending) received before `cutoff` (epoch ms), their runs, and
    /// the body files that only they used, a slice at a time so deliveries never wait long.
    func prune(receivedBefore cutoff: Int64) async throws(JournalError) -> PruneReport

    /// Whether a write can be committed right now (for readiness).
    func checkWritable() async -> Bool
    func close() async
}

extension Journal {
    /// `append(_:done:)`, awaited.
    public func append(_ event: NewEvent) async throws(JournalError) -> AppendOutcome {
        let result = await withUnsafeContinuation { continuation in append(event) { continuation.resume(returning: $0) } }
        return try result.get()
    }
}

public struct EventID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: Int64
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public init?(_ text: String) {
        guard let value = Int64(text), value > 0 else { return nil }
        rawValue = value
    }
    public var description: String { String(rawValue) }
    public static func < (a: EventID, b: EventID) -> Bool { a.rawValue < b.rawValue }
}

public enum EventState: String, Sendable, CaseIterable {
    /// Waiting for (or in) processing.
    case pending
    /// Every script ran successfully.
    case done
    /// Processed, but at least one script is dead (failed all its attempts).
    case failed
    /// Kept but not processed: the endpoint does not subscribe to its type.
    case skipped
}

public struct NewEvent: Sendable {
    public var receivedAt: Int64
    public var endpoint: String
    public var type: String
    public var callID: String
    public var dedupKey: String
    public var requestID: String
    public var body: [UInt8]
    public var warnings: [String]
    public var state: EventState

    public init(receivedAt: Int64, endpoint: String, type: String, callID: String, dedupKey: String, requestID: String,
                body: [UInt8], warnings: [String], state: EventState = .pending) {
        self.receivedAt = receivedAt
        self.endpoint = endpoint
        self.type = type
        self.callID = callID
        self.dedupKey = dedupKey
        self.requestID = requestID
        self.body = body
        self.warnings = warnings
        self.state = state
    }
}

public enum AppendOutcome: Sendable, Equatable {
    case stored(EventID)
    case duplicate(of: EventID)
}

public struct PendingEvent: Sendable {
    public var id: EventID
    public var receivedAt: Int64
    public var endpoint: String
    public var type: String
    public var callID: String
    public var warnings: [String]
    public var generation: Int

    public init(id: EventID, receivedAt: Int64, endpoint: String, type: String, callID: String, warnings: [String],
                generation: Int) {
        self.id = id
        self.receivedAt = receivedAt
        self.endpoint = endpoint
        self.type = type
        self.callID = callID
        self.warnings = warnings
        self.generation = generation
    }
}

public enum RunOutcome: String, Sendable {
    /// The script finished.
    case ok
    /// The attempt failed and will be retried.
    case failed
    /// The last attempt failed: no more retries.
    case dead
}

public struct RunRecord: Sendable {
    public var eventID: EventID
    public var generation: Int
    public var script: String
    public var scriptVersion: String
    public var attempt: Int
    public var startedAt: Int64
    public var durationMicroseconds: Int64
    public var outcome: RunOutcome
    public var errorKind: String?
    public var error: String?
    public var errorLine: Int?
    /// One line per host call the run made, e.g. "http.post https://crm.example/calls -> 201".
    public var hostCalls: [String]

    public init(eventID: EventID, generation: Int, script: String, scriptVersion: String, attempt: Int, startedAt: Int64,
                durationMicroseconds: Int64, outcome: RunOutcome, errorKind: String? = nil, error: String? = nil,
                errorLine: Int? = nil, hostCalls: [String] = []) {
        self.eventID = eventID
        self.generation = generation
        self.script = script
        self.scriptVersion = scriptVersion
        self.attempt = attempt
        self.startedAt = startedAt
        self.durationMicroseconds = durationMicroseconds
        self.outcome = outcome
        self.errorKind = errorKind
        self.error = error
        self.errorLine = errorLine
        self.hostCalls = hostCalls
    }
}

public struct EventCompletion: Sendable {
    public var eventID: EventID
    public var generation: Int
    public var state: EventState
    public var finishedAt: Int64

    public init(eventID: EventID, generation: Int, state: EventState, finishedAt: Int64) {
        self.eventID = eventID
        self.generation = generation
        self.state = state
        self.finishedAt = finishedAt
    }
}

public struct RunProgress: Sendable, Equatable {
    /// Scripts that need no further run (their last attempt succeeded or was the last one allowed).
    public var finished: Set<String>
    /// Attempts already made by scripts that failed and may be retried.
    public var attempts: [String: Int]

    public init(finished: Set<String> = [], attempts: [String: Int] = [:]) {
        self.finished = finished
        self.attempts = attempts
    }
}

public struct EventQuery: Sendable {
    public var type: String?
    public var callID: String?
    public var endpoint: String?
    public var states: [EventState]
    public var since: Int64?
    public var ids: [EventID]
    public var limit: Int

    public init(type: String? = nil, callID: String? = nil, endpoint: String? = nil, states: [EventState] = [],
                since: Int64? = nil, ids: [EventID] = [], limit: Int = 100) {
        self.type = type
        self.callID = callID
        self.endpoint = endpoint
        self.states = states
        self.since = since
        self.ids = ids
        self.limit = limit
    }
}

public struct EventSummary: Sendable {
    public var id: EventID
    public var receivedAt: Int64
    public var endpoint: String
    public var type: String
    public var callID: String
    public var state: EventState
    public var generation: Int
    public var warnings: [String]
    public var size: Int
    public var finishedAt: Int64?
}

public struct EventDetail: Sendable {
    public var summary: EventSummary
    public var requestID: String
    public var dedupKey: String
    public var body: [UInt8]
    /// Every recorded attempt, oldest first.
    public var runs: [RunRecord]
}

/// What one prune removed.
public struct PruneReport: Sendable, Equatable {
    public var events: Int
    public var bodyFiles: Int

    public init(events: Int, bodyFiles: Int) {
        self.events = events
        self.bodyFiles = bodyFiles
    }
}

public struct JournalStatistics: Sendable {
    public var pending: Int
    public var bytesOnDisk: Int64
}

/// Why the journal could not do what was asked; `unavailable` means nothing was stored.
public struct JournalError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case unavailable, corrupt }
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
