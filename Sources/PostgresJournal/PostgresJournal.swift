import Journal
import Logging
import PostgresNIO
import Synchronization

/// The journal of several nodes on one PostgreSQL database: events with their bodies, runs, the scripts'
/// store and alert folding in tables, and the claims on calls too (`calls`, `nodes`), so that every node sees
/// the same work, leases and fences. Leases run on the database's clock. Each operation is one round trip
/// where it can be (a function in the schema does the work: see `Schema`).
///
/// ```swift
/// let configuration = try PostgresConfiguration.parse("postgres://hookline@db:5432/hookline?sslmode=verify-full")
/// let journal = try await PostgresJournal(configuration)   // migrates the schema (safe with several nodes)
/// let outcome = try await journal.append(event, claimant: node)
/// await journal.close()
/// ```
public final class PostgresJournal: Journal {
    public let configuration: PostgresConfiguration
    let client: PostgresClient
    let logger: Logger
    /// Appends of one call, one after another (see `CallSequencer`).
    let appends = CallSequencer()
    let health = WriteHealth()
    let signals: WorkSignals?
    private let running: Task<Void, Never>
    private let closed = Atomic<Bool>(false)

    /// Brings the schema up to this version (on a connection of its own), then starts a pool of
    /// `configuration.poolSize` connections.
    public init(_ configuration: PostgresConfiguration, logger: Logger = Logger(label: "hookline.journal")) async throws(JournalError) {
        let migration = await Deadline.run(.seconds(300)) { try await Schema.migrate(configuration, logger: logger) }
        if case .failure(let error) = migration {
            let failure = DatabaseFailure(error)
            throw JournalError(failure.isOutage ? .unavailable : .corrupt, "cannot open the journal at \(configuration): \(failure)")
        }
        self.configuration = configuration
        self.logger = logger
        // the pool tells of every connection it makes or loses at info: kept for the debug level
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .notice)
        let client = PostgresClient(configuration: configuration.clientConfiguration(), backgroundLogger: poolLogger)
        self.client = client
        running = Task { await client.run() }
        signals = configuration.workSignals ? WorkSignals(configuration: configuration, logger: logger) : nil
    }

    public func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await signals?.stop()
        running.cancel()
        await running.value
    }

    var isClosed: Bool { closed.load(ordering: .acquiring) }

    /// Runs one operation on a connection of the pool within `configuration.operationTimeout`; what fails
    /// becomes a `JournalError` that says what could not be done. The outcome of a write (and any failure to
    /// reach the database) is what `checkWritable` answers from.
    ///
    /// A write succeeds only once its transaction committed. PostgreSQL commits a statement's implicit
    /// transaction when it handles the Sync message that follows the statement, after sending its rows, and
    /// postgres-nio ends a statement at its rows: a database that dies or refuses at the commit would leave an
    /// acknowledged event that no row holds. A statement on the same connection starts only after that Sync was
    /// answered, so a write is followed by one, and fails if it does.
    ///
    /// `ended` is called once the operation itself has ended, which can be after this returned: an operation
    /// abandoned at its deadline is cancelled, but a statement already sent may still commit.
    func perform<T: Sendable>(_ what: String, writes: Bool = false, within limit: Duration? = nil,
                              ended: (@Sendable () -> Void)? = nil,
                              _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws(JournalError) -> T {
        guard !isClosed else {
            ended?()
            throw JournalError(.unavailable, "the journal is closed")
        }
        let client = self.client
        let limit = limit ?? configuration.operationTimeout
        let work: @Sendable () async throws -> T = {
            defer { ended?() }
            return try await client.withConnection { connection in
                let value = try await body(connection)
                if writes { _ = try await connection.rows("SELECT 1") }
                return value
            }
        }
        switch await Deadline.run(limit, work) {
        case .success(let value):
            if writes { health.noted(writable: true) }
            return value
        case .failure(let error):
            let failure = DatabaseFailure(error)
            if writes || failure.isOutage { health.noted(writable: !failure.isOutage) }
            throw JournalError(failure.isOutage ? .unavailable : .corrupt, "cannot \(what): \(failure)")
        }
    }
}

extension PostgresPreparedStatement where Row: PostgresDecodable {
    /// Statements that answer one column.
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

extension PostgresConnection {
    /// postgres-nio logs each statement at the trace level only.
    private static let statementLogger = Logger(label: "hookline.journal")

    /// Every row of a prepared statement.
    func rows<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws -> [Statement.Row] {
        var rows: [Statement.Row] = []
        for try await row in try await execute(statement, logger: Self.statementLogger) { rows.append(row) }
        return rows
    }

    /// Every row of a query.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await self.query(query, logger: Self.statementLogger).collect()
    }
}

/// Text for a column: PostgreSQL's text cannot hold a NUL character, which scripts (errors, host calls) and
/// deliveries may carry; each becomes U+FFFD, so that the write never fails for it.
func storable(_ text: String) -> String {
    text.utf8.contains(0) ? text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : text
}
