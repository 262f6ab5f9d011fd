import Basics
import Foundation
import GRDB
import Synchronization

/// Timers in the embedded journal: a table of each call's timers by name, changed by run records and fired
/// inside commits of the journal's writer (see `Timers`).
extension SQLiteJournal {
    public func pendingTimers(of call: CallKey, asOf event: EventID) async throws(JournalError) -> [PendingTimer] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT endpoint, call_id, name, due_at, set_at, data, set_by FROM timers
                WHERE endpoint = ? AND call_id = ? AND (state = 'pending' OR (state = 'fired' AND fired_event > ?)) ORDER BY name
                """, arguments: [call.endpoint, call.callID, event.rawValue]).map(pendingTimer)
        }
    }

    public func timers(matching query: TimerQuery) async throws(JournalError) -> [PendingTimer] {
        try await read { db in
            var sql = "SELECT endpoint, call_id, name, due_at, set_at, data, set_by FROM timers WHERE state = 'pending'"
            var arguments: StatementArguments = []
            if let call = query.callID { sql += " AND call_id = ?"; arguments += [call] }
            if let endpoint = query.endpoint { sql += " AND endpoint = ?"; arguments += [endpoint] }
            if let before = query.dueBefore { sql += " AND due_at < ?"; arguments += [before] }
            arguments += [query.limit]
            return try Row.fetchAll(db, sql: sql + " ORDER BY due_at, endpoint, call_id, name LIMIT ?", arguments: arguments)
                .map(pendingTimer)
        }
    }

    public func nextTimerDue() async throws(JournalError) -> Int64? {
        try await read { db in try Int64.fetchOne(db, sql: "SELECT min(due_at) FROM timers WHERE state = 'pending'") }
    }

    public func fireDueTimers(now: Int64, claimant: NodeIdentity, limit: Int) async throws(JournalError) -> [FiredTimer] {
        guard dueTimers.anyDue(at: now) else { return [] }
        nonisolated(unsafe) var fired: [FiredTimer] = []
        let claims = self.claims
        let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<Void, JournalError>, Never>) in
            writer.write({ [dueTimers] db in
                let calls = try Row.fetchAll(db, sql: """
                    SELECT endpoint, call_id, min(due_at) AS first FROM timers WHERE state = 'pending' AND due_at <= ?
                    GROUP BY endpoint, call_id ORDER BY first LIMIT ?
                    """, arguments: [now, limit]).map { CallKey(endpoint: $0["endpoint"], callID: $0["call_id"]) }
                for call in calls { fired += try Self.fireTimers(of: call, now: now, db, dueTimers) }
            }, done: { result in
                if case .success = result {
                    for index in fired.indices {
                        fired[index].stored = claims.appended(fired[index].timer.call, claimant: claimant, id: fired[index].event.id)
                    }
                }
                continuation.resume(returning: result)
            })
        }
        try result.get()
        return fired.filter { $0.stored.claim != nil }
    }

    /// Turns the call's timers due at `now` into events, inside a commit; their `stored` is to be filled in
    /// once it is done (claims change in commit order).
    static func fireTimers(of call: CallKey, now: Int64, _ db: Database, _ dueTimers: DueTimers) throws -> [FiredTimer] {
        let due = try Row.fetchAll(db, sql: """
            SELECT endpoint, call_id, name, due_at, set_at, data, set_by FROM timers
            WHERE endpoint = ? AND call_id = ? AND state = 'pending' AND due_at <= ? ORDER BY due_at, name
            """, arguments: [call.endpoint, call.callID, now]).map(pendingTimer)
        var fired: [FiredTimer] = []
        for timer in due {
            let event = Timers.event(timer, now: now)
            try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO events (received_at, endpoint, type, call_id, dedup_key, request_id, segment, offset, size,
                                              inline_body, state)
                VALUES (?, ?, ?, ?, ?, ?, -1, 0, ?, ?, 'pending')
                """).execute(arguments: [event.receivedAt, event.endpoint, event.type, event.callID, event.dedupKey,
                                         event.requestID, event.body.count, Data(event.body)])
            let stored = db.changesCount == 1 ? EventID(db.lastInsertedRowID) : nil  // nil: fired before (a key fires once)
            try db.execute(sql: """
                UPDATE timers SET state = 'fired', changed_at = ?, fired_event = ? WHERE endpoint = ? AND call_id = ? AND name = ?
                """, arguments: [now, stored?.rawValue, call.endpoint, call.callID, timer.name])
            guard let id = stored else { continue }
            fired.append(FiredTimer(timer: timer, event: PendingEvent(id: id, receivedAt: now, endpoint: event.endpoint,
                                                                      type: event.type, callID: event.callID, warnings: [],
                                                                      generation: 0),
                                    body: event.body, stored: StoredEvent(id: id, claim: nil, version: 0, inheritedWork: false)))
        }
        try dueTimers.refresh(call, db)
        return fired
    }

    /// Applies a successful run's timer operations, each unless the timer was changed for a later event.
    static func apply(_ operations: [TimerOperation], of call: CallKey, by event: EventID, _ db: Database,
                      _ dueTimers: DueTimers) throws {
        let now = epochMilliseconds()
        for operation in operations {
            let changedFor = try Int64.fetchOne(db, sql: """
                SELECT op_event FROM timers WHERE endpoint = ? AND call_id = ? AND name = ?
                """, arguments: [call.endpoint, call.callID, operation.name])
            if let changedFor, changedFor > event.rawValue { continue }
            let replace = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO timers (endpoint, call_id, name, state, due_at, set_at, data, set_by, op_event, changed_at,
                                               fired_event)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
                """)
            switch operation.kind {
            case .set(let dueAt, let setAt, let data):
                try replace.execute(arguments: [call.endpoint, call.callID, operation.name, "pending", dueAt, setAt, data,
                                                event.rawValue, event.rawValue, now])
            case .cancel:
                try replace.execute(arguments: [call.endpoint, call.callID, operation.name, "cancelled", nil, nil, nil, nil,
                                                event.rawValue, now])
            }
        }
        try dueTimers.refresh(call, db)
    }
}

private func pendingTimer(_ row: Row) -> PendingTimer {
    PendingTimer(call: CallKey(endpoint: row["endpoint"], callID: row["call_id"]), name: row["name"], dueAt: row["due_at"],
                 setAt: row["set_at"], data: row["data"], setBy: EventID(row["set_by"] as Int64))
}

/// Where an event's body is kept: in a segment file, or in its row (a fired timer's).
enum BodyPlace: Sendable {
    case segment(BodyLocation)
    case inline([UInt8])

    /// From a row with `segment`, `offset`, `size` and `inline_body`.
    init(_ row: Row) {
        if let bytes = (row["inline_body"] as Data?).map(Array.init) {
            self = .inline(bytes)
        } else {
            self = .segment(BodyLocation(segment: row["segment"], offset: row["offset"], length: row["size"]))
        }
    }

    func read(_ segments: BodySegments) throws(JournalError) -> [UInt8] {
        switch self {
        case .segment(let location): try segments.read(location)
        case .inline(let bytes): bytes
        }
    }
}

/// The earliest pending timer of each call with one, kept beside the table: an append asks it on every
/// event, without a read. Changed only inside the writer's commits, after the table.
final class DueTimers: Sendable {
    private let earliest = Mutex<[CallKey: Int64]>([:])

    func load(_ db: Database) throws {
        let rows = try Row.fetchAll(db, sql: """
            SELECT endpoint, call_id, min(due_at) AS first FROM timers WHERE state = 'pending' GROUP BY endpoint, call_id
            """)
        var loaded: [CallKey: Int64] = [:]
        for row in rows { loaded[CallKey(endpoint: row["endpoint"], callID: row["call_id"])] = row["first"] }
        earliest.withLock { $0 = loaded }
    }

    func hasDue(_ call: CallKey, at now: Int64) -> Bool {
        earliest.withLock { $0[call].map { $0 <= now } ?? false }
    }

    func anyDue(at now: Int64) -> Bool {
        earliest.withLock { $0.values.contains { $0 <= now } }
    }

    /// Reads the call's earliest pending timer again, after a change in the commit under way.
    func refresh(_ call: CallKey, _ db: Database) throws {
        let first = try Int64.fetchOne(db, sql: """
            SELECT min(due_at) FROM timers WHERE endpoint = ? AND call_id = ? AND state = 'pending'
            """, arguments: [call.endpoint, call.callID])
        earliest.withLock { $0[call] = first }
    }
}
