import Journal
import Logging
import PostgresNIO

extension Schema {
    /// Brings the database to the newest version this code knows, in one transaction under the migration lock
    /// (a node that starts meanwhile waits, then finds nothing left to do). Refuses a database that a newer
    /// Hookline migrated further.
    static func migrate(_ client: PostgresClient) async throws {
        let logger = Logger(label: "hookline.journal.migrations")
        try await client.withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
                try await connection.query("""
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version integer PRIMARY KEY,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """, logger: logger)
                var current = 0
                for try await version in try await connection.query(
                    "SELECT coalesce(max(version), 0)::bigint FROM schema_migrations", logger: logger).decode(Int.self) {
                    current = version
                }
                guard current <= migrations.count else {
                    throw JournalError(.corrupt, """
                        the database's schema is version \(current), newer than this Hookline knows (\(migrations.count)): \
                        a newer Hookline migrated it; run that version (on every node), or restore a backup
                        """)
                }
                for version in current..<migrations.count {
                    for statement in migrations[version] {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query("INSERT INTO schema_migrations (version) VALUES (\(version + 1))", logger: logger)
                }
            }
        }
    }
}
