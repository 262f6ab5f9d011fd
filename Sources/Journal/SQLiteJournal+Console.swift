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
