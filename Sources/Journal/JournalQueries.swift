/// What the command line (and the console) ask of the journal: events by filter, one event in full, the
/// backlog. Read-only; the answers are value types that any module can build and show.
///
/// ```swift
/// let failed = try await journal.events(matching: EventQuery(states: [.failed], since: yesterday, limit: 50))
/// if let detail = try await journal.event(failed[0].id) { print(detail.runs.last?.error ?? "") }
/// ```
public protocol JournalQueries: Sendable {
    /// Events matching the query, newest first.
    func events(matching query: EventQuery) async throws(JournalError) -> [EventSummary]
    /// One event with its body and every run attempt.
    func event(_ id: EventID) async throws(JournalError) -> EventDetail?
    /// Several events in full, in the order of `ids` (those pruned meanwhile left out): for reading many at
    /// once (`hookline shadow`).
    func events(_ ids: [EventID]) async throws(JournalError) -> [EventDetail]
    /// Events waiting for processing, and the size of the journal (cheap at any journal size).
    func statistics() async throws(JournalError) -> JournalStatistics
    /// Pending timers matching the query, the earliest due first.
    func timers(matching query: TimerQuery) async throws(JournalError) -> [PendingTimer]
    /// The dead runs of events still failed (their current generation), newest first: what a fix and a replay
    /// would run again.
    func deadRuns(since: Int64?, limit: Int) async throws(JournalError) -> [RunRecord]
    /// Runs started since `since` (epoch ms), newest first, at most `limit`: outcomes and durations by script.
    func runs(since: Int64, limit: Int) async throws(JournalError) -> [RunRecord]
    /// The dead runs of events still failed, grouped by script and error, counted in SQL.
    func deadRunGroups(since: Int64?) async throws(JournalError) -> [DeadRunGroup]
    /// Events received since `since` (epoch ms) counted by minute and type.
    func eventCounts(since: Int64) async throws(JournalError) -> [EventCount]
    /// The nodes that share this journal with their last heartbeat, the latest first; empty for a journal that
    /// only its own process uses (SQLite).
    func sharingNodes() async throws(JournalError) -> [NodeStatus]
}

extension JournalQueries {
    /// One `event(_:)` after another, for a backend without a read of its own for many.
    public func events(_ ids: [EventID]) async throws(JournalError) -> [EventDetail] {
        var details: [EventDetail] = []
        for id in ids {
            if let detail = try await event(id) { details.append(detail) }
        }
        return details
    }
}

public struct EventQuery: Sendable {
    package var type: String?
    package var callID: String?
    package var endpoint: String?
    package var states: [EventState]
    package var since: Int64?
    package var ids: [EventID]
    package var limit: Int
    /// Received before this time (epoch ms), for a time range.
    package var until: Int64?
    /// Only ids below this one: the cursor of the next page, which new events do not shift.
    package var before: EventID?
    /// Only ids above this one: what arrived after the last one seen.
    package var after: EventID?

    package init(type: String? = nil, callID: String? = nil, endpoint: String? = nil, states: [EventState] = [],
                since: Int64? = nil, ids: [EventID] = [], limit: Int = 100, until: Int64? = nil, before: EventID? = nil,
                after: EventID? = nil) {
        self.type = type
        self.callID = callID
        self.endpoint = endpoint
        self.states = states
        self.since = since
        self.ids = ids
        self.limit = limit
        self.until = until
        self.before = before
        self.after = after
    }
}

public struct EventSummary: Sendable {
    package var id: EventID
    package var receivedAt: Int64
    package var endpoint: String
    package var type: String
    package var callID: String
    package var state: EventState
    package var generation: Int
    package var warnings: [String]
    package var size: Int
    package var finishedAt: Int64?

    package init(id: EventID, receivedAt: Int64, endpoint: String, type: String, callID: String, state: EventState,
                generation: Int, warnings: [String], size: Int, finishedAt: Int64?) {
        self.id = id
        self.receivedAt = receivedAt
        self.endpoint = endpoint
        self.type = type
        self.callID = callID
        self.state = state
        self.generation = generation
        self.warnings = warnings
        self.size = size
        self.finishedAt = finishedAt
    }
}

public struct EventDetail: Sendable {
    package var summary: EventSummary
    package var requestID: String
    package var dedupKey: String
    public var body: [UInt8]
    /// Every recorded attempt, oldest first.
    package var runs: [RunRecord]

    package init(summary: EventSummary, requestID: String, dedupKey: String, body: [UInt8], runs: [RunRecord]) {
        self.summary = summary
        self.requestID = requestID
        self.dedupKey = dedupKey
        self.body = body
        self.runs = runs
    }
}

public struct JournalStatistics: Sendable {
    /// Events waiting for processing, on every node.
    public var pending: Int
    /// The journal's size: its files, or the database's relations.
    package var bytesOnDisk: Int64

    package init(pending: Int, bytesOnDisk: Int64) {
        self.pending = pending
        self.bytesOnDisk = bytesOnDisk
    }
}
