import GRDB

/// The runs the console shows: what failed for good, and what ran lately.
extension SQLiteJournal {
    public func deadRuns(since: Int64?, limit: Int) async throws(JournalError) -> [RunRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT runs.* FROM runs JOIN events ON events.id = runs.event_id AND events.generation = runs.generation
                WHERE runs.outcome = 'dead' AND events.state = 'failed' AND runs.started_at >= ?
                ORDER BY runs.id DESC LIMIT ?
                """, arguments: [since ?? 0, limit]).map(runRecord)
        }
    }

    public func runs(since: Int64, limit: Int) async throws(JournalError) -> [RunRecord] {
        try await read { db in
            // newest first by id, stopping at the first older run: runs are recorded in the order they finish
            try Row.fetchAll(db, sql: "SELECT * FROM runs WHERE started_at >= ? ORDER BY id DESC LIMIT ?",
                             arguments: [since, limit]).map(runRecord)
        }
    }
}

extension SQLiteJournal {
    public func deadRunGroups(since: Int64?) async throws(JournalError) -> [DeadRunGroup] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT runs.script, runs.error_line, runs.error, count(DISTINCT runs.event_id) AS events,
                       max(runs.started_at) AS latest_at, max(runs.event_id) AS latest_event
                FROM runs JOIN events ON events.id = runs.event_id AND events.generation = runs.generation
                WHERE runs.outcome = 'dead' AND events.state = 'failed' AND runs.started_at >= ?
                GROUP BY runs.script, runs.error_line, runs.error
                """, arguments: [since ?? 0]).map { row in
                DeadRunGroup(script: row["script"], errorLine: row["error_line"], error: row["error"], events: row["events"],
                             latestAt: row["latest_at"], latestEvent: EventID(row["latest_event"]))
            }
        }
    }

    public func eventCounts(since: Int64) async throws(JournalError) -> [EventCount] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT received_at / 60000 AS minute, type, count(*) AS count FROM events WHERE received_at >= ?
                GROUP BY minute, type
                """, arguments: [since]).map { row in
                EventCount(minute: (row["minute"] as Int64) * 60_000, type: row["type"], count: row["count"])
            }
        }
    }
}

extension SQLiteJournal {
    /// One process owns an SQLite journal: no other node shares it.
    public func sharingNodes() async throws(JournalError) -> [NodeStatus] { [] }
}
