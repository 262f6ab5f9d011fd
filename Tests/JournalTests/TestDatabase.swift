import Foundation
import TestSupport
import Journal
import Logging
import PostgresJournal
import PostgresNIO

/// The throwaway PostgreSQL server that tools/test.sh starts (tools/postgres.sh), and a fresh database on it per
/// test. A test that needs it fails, saying how to get it, when it is not there: it never skips.
enum TestDatabase {
    /// The server's URL, as an administrator on its `postgres` database.
    static func adminURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["HOOKLINE_TEST_POSTGRES"], !url.isEmpty else {
            throw TestFailure("""
                HOOKLINE_TEST_POSTGRES is not set, and the PostgreSQL tests need a server: run them with tools/test.sh, \
                which starts a throwaway one, or start one yourself with `eval "$(tools/postgres.sh start)"`
                """)
        }
        return url
    }

    /// The folder tools/postgres.sh made (its password file, its TLS certificates).
    static func folder() throws -> String {
        guard let folder = ProcessInfo.processInfo.environment["HOOKLINE_TEST_POSTGRES_DIR"], !folder.isEmpty else {
            throw TestFailure("HOOKLINE_TEST_POSTGRES_DIR is not set: start the server with tools/postgres.sh (tools/test.sh does)")
        }
        return folder
    }

    static func adminConfiguration() throws -> PostgresConfiguration {
        try PostgresConfiguration.parse(adminURL())
    }

    /// A new empty database; its configuration (on the test server's URL) comes back.
    static func create() async throws -> PostgresConfiguration {
        var configuration = try adminConfiguration()
        let name = "hookline_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await administer(configuration, "CREATE DATABASE \(name)")
        configuration.database = name
        configuration.poolSize = 4
        return configuration
    }

    static func drop(_ configuration: PostgresConfiguration) async {
        var admin = configuration
        admin.database = "postgres"
        try? await administer(admin, "DROP DATABASE IF EXISTS \(configuration.database) WITH (FORCE)")
    }

    /// Runs one statement on a connection of its own (statements such as CREATE DATABASE run outside any
    /// transaction and pool).
    static func administer(_ configuration: PostgresConfiguration, _ sql: String) async throws {
        _ = try await query(configuration, sql)
    }

    /// The rows of one statement, on a connection of its own, for checks the journal's API does not offer.
    static func query(_ configuration: PostgresConfiguration, _ sql: String) async throws -> [PostgresRow] {
        let logger = Logger(label: "hookline.tests")
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: PostgresConnection.Configuration(host: configuration.host, port: configuration.port,
                                                                username: configuration.username,
                                                                password: try password(), database: configuration.database,
                                                                tls: .disable),
                id: 1, logger: logger)
        } catch {
            throw TestFailure("""
                cannot reach the test PostgreSQL server at \(configuration) (\(String(reflecting: error))): is it running? \
                tools/test.sh starts one (tools/postgres.sh)
                """)
        }
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
            try? await connection.close()
            return rows
        } catch {
            try? await connection.close()
            throw TestFailure("\(sql) failed: \(String(reflecting: error))")
        }
    }

    /// The test server's password (tools/postgres.sh writes it to a file).
    static func password() throws -> String {
        let path = try folder() + "/password"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw TestFailure("cannot read the test server's password at \(path)")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
