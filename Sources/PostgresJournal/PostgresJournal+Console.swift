import Foundation
import Journal
import PostgresNIO

/// The runs the console shows: what failed for good, and what ran lately.
extension PostgresJournal {
    public func deadRuns(since: Int64?, limit: Int) async throws(JournalError) -> [RunRecord] {
        try await runRecords("list the dead runs", """
            SELECT \(unescaped: Self.joinedRunColumns) FROM runs r JOIN events e ON e.id = r.event_id AND e.generation = r.generation
            WHERE r.outcome = 'dead' AND e.state = 'failed' AND r.started_at >= \(since ?? 0)
            ORDER BY r.id DESC LIMIT \(limit)
            """)
    }

    public func runs(since: Int64, limit: Int) async throws(JournalError) -> [RunRecord] {
        try await runRecords("list the latest runs", """
            SELECT \(unescaped: Self.joinedRunColumns) FROM runs r WHERE r.started_at >= \(since) ORDER BY r.id DESC LIMIT \(limit)
            """)
    }

    /// `runColumns` of `runs r`, for queries that join events.
    static let joinedRunColumns = runColumns.split(separator: ",").map { "r." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        .joined(separator: ", ")

    private func runRecords(_ what: String, _ query: PostgresQuery) async throws(JournalError) -> [RunRecord] {
        let rows = try await perform(what) { connection in try await connection.rows(query) }
        do {
            return try rows.map(Self.run)
        } catch {
            throw JournalError(.corrupt, "cannot \(what): \(error)")
        }
    }
}

extension PostgresJournal {
    public func deadRunGroups(since: Int64?) async throws(JournalError) -> [DeadRunGroup] {
        let rows = try await perform("group the dead runs") { connection in
            try await connection.rows("""
                SELECT r.script, r.error_line, r.error, count(DISTINCT r.event_id)::bigint, max(r.started_at), max(r.event_id)
                FROM runs r JOIN events e ON e.id = r.event_id AND e.generation = r.generation
                WHERE r.outcome = 'dead' AND e.state = 'failed' AND r.started_at >= \(since ?? 0)
                GROUP BY r.script, r.error_line, r.error
                """)
        }
        do {
            return try rows.map { row in
                let (script, line, error, events, latestAt, latestEvent) = try row.decode((String, Int?, String?, Int64, Int64, Int64).self)
                return DeadRunGroup(script: script, errorLine: line, error: error, events: Int(events), latestAt: latestAt,
                                    latestEvent: EventID(latestEvent))
            }
        } catch {
            throw JournalError(.corrupt, "cannot group the dead runs: \(error)")
        }
    }

    public func eventCounts(since: Int64) async throws(JournalError) -> [EventCount] {
        let rows = try await perform("count the events by minute") { connection in
            try await connection.rows("""
                SELECT (received_at / 60000)::bigint, type, count(*)::bigint FROM events WHERE received_at >= \(since)
                GROUP BY 1, 2
                """)
        }
        do {
            return try rows.map { row in
                let (minute, type, count) = try row.decode((Int64, String, Int64).self)
                return EventCount(minute: minute * 60_000, type: type, count: Int(count))
            }
        } catch {
            throw JournalError(.corrupt, "cannot count the events by minute: \(error)")
        }
    }
}

extension PostgresJournal {
    public func sharingNodes() async throws(JournalError) -> [NodeStatus] {
        let rows = try await perform("list the nodes") { connection in
            try await connection.rows("""
                SELECT name, incarnation, (extract(epoch FROM started_at) * 1000)::bigint,
                       (extract(epoch FROM heartbeat_at) * 1000)::bigint, (extract(epoch FROM expires_at) * 1000)::bigint,
                       scripts_version
                FROM nodes ORDER BY heartbeat_at DESC LIMIT 100
                """)
        }
        do {
            return try rows.map { row in
                let (name, incarnation, started, heartbeat, expires, scripts) = try row.decode(
                    (String, String, Int64, Int64, Int64, String?).self)
                return NodeStatus(name: name, incarnation: incarnation, startedAt: started, heartbeatAt: heartbeat, expiresAt: expires,
                                  scriptsVersion: scripts)
            }
        } catch {
            throw JournalError(.corrupt, "cannot list the nodes: \(error)")
        }
    }
}
