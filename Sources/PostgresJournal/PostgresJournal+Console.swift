import Journal
import PostgresNIO

/// The runs the console shows: what failed for good, and what ran lately.
extension PostgresJournal {
    public func deadRuns(since: Int64?, limit: Int) async throws(JournalError) -> [RunRecord] {
        try await runRecords("list the dead runs", """
            SELECT \(unescaped: Self.runColumns) FROM runs r JOIN events e ON e.id = r.event_id AND e.generation = r.generation
            WHERE r.outcome = 'dead' AND e.state = 'failed' AND r.started_at >= \(since ?? 0)
            ORDER BY r.id DESC LIMIT \(limit)
            """)
    }

    public func runs(since: Int64, limit: Int) async throws(JournalError) -> [RunRecord] {
        try await runRecords("list the latest runs", """
            SELECT \(unescaped: Self.runColumns) FROM runs r WHERE r.started_at >= \(since) ORDER BY r.id DESC LIMIT \(limit)
            """)
    }

    static let runColumns = """
        r.event_id, r.generation, r.script, r.script_version, r.attempt, r.started_at, r.duration_us, r.outcome, r.error_kind,
        r.error, r.error_line, r.host_calls
        """

    private func runRecords(_ what: String, _ query: PostgresQuery) async throws(JournalError) -> [RunRecord] {
        let rows = try await perform(what) { connection in try await connection.rows(query) }
        do {
            return try rows.map { row in
                let (event, generation, script, version, attempt, started, duration, outcome, kind, error, line, calls) = try row.decode(
                    (Int64, Int, String, String, Int, Int64, Int64, String, String?, String?, Int?, [String]).self)
                return RunRecord(eventID: EventID(event), generation: generation, script: script, scriptVersion: version,
                                 attempt: attempt, startedAt: started, durationMicroseconds: duration,
                                 outcome: RunOutcome(rawValue: outcome) ?? .failed, errorKind: kind, error: error,
                                 errorLine: line, hostCalls: calls)
            }
        } catch {
            throw JournalError(.corrupt, "cannot \(what): \(error)")
        }
    }
}
