import Journal
import Logging
import PostgresNIO

extension PostgresJournal {
    /// Events are deleted a slice of about 2,000 ids at a time, one transaction each, so that no append waits
    /// long for a lock and autovacuum can keep up. One node prunes at a time (an advisory lock; the others get
    /// nil). Also removed: rows of calls that nobody holds and that have no pending work, nodes whose lease
    /// ended over an hour ago, store values and alert-folding state last touched before the cutoff.
    public func prune(receivedBefore cutoff: Int64) async throws(JournalError) -> PruneReport? {
        let logger = self.logger
        // a prune takes as long as it takes: only each slice must be short
        let pruned: Int? = try await perform("prune old events", writes: true, within: .seconds(3_600)) { connection in
            let locked = try await connection.query("SELECT pg_try_advisory_lock(\(Schema.pruneLock))", logger: logger)
                .collect().first?.decode(Bool.self) ?? false
            guard locked else { return nil }
            do {
                let deleted = try await Self.prune(before: cutoff, on: connection, logger: logger)
                try await connection.query("SELECT pg_advisory_unlock(\(Schema.pruneLock))", logger: logger)
                return deleted
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Schema.pruneLock))", logger: logger)
                throw error
            }
        }
        return pruned.map { PruneReport(events: $0, bodyFiles: 0) }
    }

    private static func prune(before cutoff: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        // Old events are at the start of the table (ids grow with time): walk it from the first id to the first
        // event kept for its age.
        let bounds = try await connection.query("""
            SELECT (SELECT min(id) FROM events),
                   coalesce((SELECT id FROM events WHERE received_at >= \(cutoff) ORDER BY id LIMIT 1),
                            (SELECT max(id) + 1 FROM events))
            """, logger: logger).collect().first?.decode((Int64?, Int64?).self)
        var deleted = 0
        if case let (first?, end?)? = bounds {
            var low = first
            while low < end {
                let high = min(low + 2_000, end)
                let rows = try await connection.query("""
                    WITH finished AS (
                        SELECT id FROM events
                        WHERE id >= \(low) AND id < \(high) AND received_at < \(cutoff) AND state <> 'pending'
                    ), runs_deleted AS (
                        DELETE FROM runs WHERE event_id IN (SELECT id FROM finished)
                    ), events_deleted AS (
                        DELETE FROM events WHERE id IN (SELECT id FROM finished) RETURNING 1
                    )
                    SELECT count(*) FROM events_deleted
                    """, logger: logger).collect()
                deleted += try rows.first?.decode(Int.self) ?? 0
                low = high
            }
        }
        try await connection.query("DELETE FROM calls WHERE holder IS NULL AND NOT has_pending", logger: logger)
        try await connection.query("DELETE FROM nodes WHERE expires_at < now() - interval '1 hour'", logger: logger)
        try await connection.query("DELETE FROM store WHERE expires_at < \(cutoff)", logger: logger)
        try await connection.query("DELETE FROM alert_folds WHERE delivered_at < \(cutoff)", logger: logger)
        try await connection.query("DELETE FROM timers WHERE state <> 'pending' AND changed_at < \(cutoff)", logger: logger)
        return deleted
    }

    /// From the outcomes of the last second's writes when there were any; else a write is probed (nextval,
    /// which a read-only server refuses).
    public func checkWritable() async -> Bool {
        guard !isClosed else { return false }
        return await health.answer { [self] in
            do {
                _ = try await perform("probe a write", writes: true) { connection in
                    try await connection.rows("SELECT nextval('write_probes')")
                }
                return true
            } catch {
                return false
            }
        }
    }
}
