import Journal
import Logging
import PostgresNIO

extension Schema {
    /// Brings the database to the newest version this code knows, in one transaction under the migration lock
    /// (a node that starts meanwhile waits, then finds nothing left to do). Refuses a database that a newer
    /// Hookline migrated further. On a connection of its own, made at once: what keeps it from connecting (a
    /// wrong password, a certificate refused) is told as it is, where a pool would only retry.
    static func migrate(_ configuration: PostgresConfiguration, logger: Logger) async throws {
        let connection = try await PostgresConnection.connect(configuration: configuration.connectionConfiguration(), id: 0,
                                                              logger: logger)
        do {
            try await migrate(on: connection, logger: logger)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private static func migrate(on connection: PostgresConnection, logger: Logger) async throws {
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
