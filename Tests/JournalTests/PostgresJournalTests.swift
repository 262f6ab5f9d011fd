import Foundation
import Journal
@testable import PostgresJournal
import PostgresNIO
import Synchronization
import TestSupport
import Testing

/// The PostgreSQL journal's own ways, on the test server (see `TestDatabase`): its connection settings (TLS,
/// passwords kept out of sight), its schema's versions, work signals, one pruner at a time, and what a node
/// sees when the database cannot be reached.
@Suite struct PostgresJournalTests {
    static let nodeA = NodeIdentity(name: "a", incarnation: "a/1")
    static let nodeB = NodeIdentity(name: "b", incarnation: "b/1")

    /// A fresh database with one journal on it (more with `journals`), closed and dropped at the end.
    static func withDatabase(journals count: Int = 1, _ adjust: (inout PostgresConfiguration) -> Void = { _ in },
                             _ body: (PostgresConfiguration, [PostgresJournal]) async throws -> Void) async throws {
        var configuration = try await TestDatabase.create()
        adjust(&configuration)
        var journals: [PostgresJournal] = []
        do {
            for _ in 0..<count { journals.append(try await PostgresJournal(configuration)) }
            try await body(configuration, journals)
        } catch {
            for journal in journals { await journal.close() }
            await TestDatabase.drop(configuration)
            throw error
        }
        for journal in journals { await journal.close() }
        await TestDatabase.drop(configuration)
    }

    static func event(_ call: String, _ key: String) -> NewEvent {
        NewEvent(receivedAt: 1_764_000_000_000, endpoint: "default", type: "hang", callID: call, dedupKey: key, requestID: "r",
                 body: Array(#"{"message":{"type":"hang"}}"#.utf8), warnings: [])
    }

    static func stored(_ journal: any Journal, _ event: NewEvent, by node: NodeIdentity) async throws -> StoredEvent {
        guard case .stored(let stored) = try await journal.append(event, claimant: node) else {
            throw TestFailure("\(event.dedupKey) was taken for a duplicate")
        }
        return stored
    }

    /// Whether the journal's connections use TLS, as the server sees them.
    static func usesTLS(_ journal: PostgresJournal) async throws -> Bool {
        let rows = try await journal.client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").collect()
        return try rows.first?.decode(Bool.self) ?? false
    }

    /// The test server's URL with its password left out, with another host and query.
    static func url(host: String = "127.0.0.1", _ query: String) throws -> String {
        let admin = try TestDatabase.adminConfiguration()
        return "postgres://\(admin.username)@\(host):\(admin.port)/\(admin.database)?\(query)"
    }

    // MARK: settings

    @Test func theConfigurationNeverShowsThePassword() throws {
        let secret = "s3cr%21t-pw"
        let configuration = try PostgresConfiguration.parse("postgres://hookline:\(secret)@db.internal:6432/events?sslmode=require")
        #expect(configuration.password == "s3cr!t-pw", "percent-encoding is decoded")
        var dumped = ""
        dump(configuration, to: &dumped)
        for shown in [configuration.description, configuration.debugDescription, "\(configuration)",
                      String(reflecting: configuration), dumped] {
            #expect(!shown.contains("s3cr"), "the password shows in: \(shown)")
        }
        #expect(configuration.description == "postgres://hookline@db.internal:6432/events?sslmode=require (password from the URL)")

        let scratch = Scratch()
        scratch.write("password", "from-a-file\n")
        let file = scratch.path + "/password"
        let fromFile = try PostgresConfiguration.parse("postgres://hookline@db/events", password: .file(file))
        #expect(fromFile.password == "from-a-file")
        #expect(fromFile.description == "postgres://hookline@db:5432/events?sslmode=prefer (password from the file \(file))")
        let fromEnvironment = try PostgresConfiguration.parse("postgres://hookline@db/events", password: .environment("DB_PASSWORD"),
                                                              environment: ["DB_PASSWORD": "from-the-environment"])
        #expect(fromEnvironment.password == "from-the-environment")
        #expect(!String(reflecting: fromEnvironment).contains("from-the-environment"))
    }

    @Test func badURLsAreRefusedSayingWhatToChange() throws {
        let cases: [(String, PostgresConfiguration.PasswordSource?, String)] = [
            ("mysql://u@h/db", nil, "must start with postgres:// or postgresql://"),
            ("postgres:///db", nil, "has no host"),
            ("postgres://h/db", nil, "has no user name"),
            ("postgres://u@h:99999/db", nil, "has port 99999, outside 1-65535"),
            ("postgres://u@h1,h2/db", nil, "names several hosts"),
            ("postgres://u@h/db?sslmode=sometimes", nil, "use one of disable, prefer, require, verify-ca, verify-full"),
            ("postgres://u@h/db?sslmode=require&sslrootcert=/nonexistent/ca.pem", nil, "not a readable file"),
            ("postgres://u@h/db?pool=3", nil, "does not know; it knows sslmode, sslrootcert, connect_timeout"),
            ("postgres://u@h/db?connect_timeout=soon", nil, "whole number of seconds"),
            ("postgres://u@h/db?sslmode=disable&sslmode=require", nil, "sets sslmode twice"),
            ("postgres://u:pw@h/db", .environment("PW"), "give it in one place"),
            ("postgres://u@h/db", .environment("HOOKLINE_UNSET_VARIABLE"), "HOOKLINE_UNSET_VARIABLE, named for the database password, is not set"),
            ("postgres://u@h/db", .file("/nonexistent/password"), "cannot read the database password file /nonexistent/password"),
        ]
        for (url, source, expected) in cases {
            do {
                _ = try PostgresConfiguration.parse(url, password: source, environment: [:])
                Issue.record("\(url) was taken")
            } catch {
                #expect(error.description.contains(expected), "\(url): \(error.description)")
            }
        }
        do {
            _ = try PostgresConfiguration.parse("postgres://u:hunter2@h/db?sslmode=sometimes")
        } catch {
            #expect(!error.description.contains("hunter2"), "the message shows the password: \(error.description)")
            #expect(error.description.contains("postgres://u:***@h/db"))
        }
    }

    @Test func thePasswordCanComeFromAFileOrTheEnvironment() async throws {
        let folder = try TestDatabase.folder()
        let fromFile = try PostgresConfiguration.parse(try Self.url("sslmode=disable"), password: .file(folder + "/password"))
        let journal = try await PostgresJournal(fromFile)
        #expect(await journal.checkWritable())
        await journal.close()

        let fromEnvironment = try PostgresConfiguration.parse(try Self.url("sslmode=disable"), password: .environment("PW"),
                                                              environment: ["PW": try TestDatabase.password()])
        let again = try await PostgresJournal(fromEnvironment)
        await again.close()

        var wrong = try PostgresConfiguration.parse(try Self.url("sslmode=disable"), password: .environment("PW"),
                                                    environment: ["PW": "not-the-password"])
        wrong.operationTimeout = .seconds(5)
        do {
            _ = try await PostgresJournal(wrong)
            Issue.record("a wrong password was let in")
        } catch {
            #expect(error.kind == .unavailable)
            #expect(error.message.contains("password authentication failed"), "\(error)")
            #expect(!error.message.contains("not-the-password"))
        }
    }

    // MARK: TLS

    @Test func sslmodeRequireEncryptsTheConnection() async throws {
        let configuration = try PostgresConfiguration.parse(try Self.url("sslmode=require"), password: .file(try TestDatabase.folder() + "/password"))
        let journal = try await PostgresJournal(configuration)
        let encrypted = try await Self.usesTLS(journal)
        await journal.close()
        #expect(encrypted, "sslmode=require connected without TLS")

        let plain = try PostgresConfiguration.parse(try Self.url("sslmode=disable"), password: .file(try TestDatabase.folder() + "/password"))
        let unencrypted = try await PostgresJournal(plain)
        #expect(try await Self.usesTLS(unencrypted) == false, "the check itself must see the difference")
        await unencrypted.close()
    }

    @Test func verifyFullChecksTheAuthorityAndTheServerName() async throws {
        let folder = try TestDatabase.folder()
        func open(host: String, authority: String) async throws(JournalError) -> PostgresJournal {
            var configuration = try! PostgresConfiguration.parse(
                try! Self.url(host: host, "sslmode=verify-full&sslrootcert=\(folder)/tls/\(authority)"),
                password: .file(folder + "/password"))
            configuration.operationTimeout = .seconds(5)
            return try await PostgresJournal(configuration)
        }
        for host in ["localhost", "127.0.0.1"] {
            let journal = try await open(host: host, authority: "ca.pem")
            #expect(try await Self.usesTLS(journal), "\(host)")
            await journal.close()
        }
        for (host, authority, why) in [("127.0.0.1", "other-ca.pem", "a certificate the authority did not sign"),
                                       ("127.0.0.2", "ca.pem", "a certificate that does not name the host")] {
            do {
                let journal = try await open(host: host, authority: authority)
                await journal.close()
                Issue.record("verify-full accepted \(why)")
            } catch {
                #expect(error.kind == .unavailable, "\(why): \(error)")
            }
        }
    }

    // MARK: schema

    @Test func nodesStartingAtOnceMigrateOnce() async throws {
        try await Self.withDatabase(journals: 0) { configuration, _ in
            let journals = try await withThrowingTaskGroup(of: PostgresJournal.self) { group in
                for _ in 0..<4 { group.addTask { try await PostgresJournal(configuration) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for journal in journals { await journal.close() }
            let rows = try await TestDatabase.query(configuration, "SELECT count(*), max(version) FROM schema_migrations")
            let (count, newest) = try rows[0].decode((Int, Int).self)
            #expect(count == Schema.migrations.count && newest == Schema.migrations.count)
        }
    }

    @Test func aDatabaseMigratedByANewerHooklineIsRefused() async throws {
        try await Self.withDatabase { configuration, _ in
            try await TestDatabase.administer(configuration, "INSERT INTO schema_migrations (version) VALUES (\(Schema.migrations.count + 1))")
            do {
                let journal = try await PostgresJournal(configuration)
                await journal.close()
                Issue.record("a newer schema was taken")
            } catch {
                #expect("\(error)".contains("newer than this Hookline knows"), "\(error)")
            }
        }
    }

    // MARK: work signals

    @Test func theHolderOfACallIsSignalledWhenItGetsWorkElsewhere() async throws {
        try await Self.withDatabase(journals: 2) { _, journals in
            let (a, b) = (journals[0], journals[1])
            try await a.heartbeat(Self.nodeA, lease: .seconds(30))
            try await b.heartbeat(Self.nodeB, lease: .seconds(30))
            let signals = try #require(b.workSignals(for: Self.nodeB))
            try await eventually("the signal connection listens", timeout: .seconds(10)) { b.signals?.isListening == true }
            let held = try await Self.stored(b, Self.event("CA1", "k1"), by: Self.nodeB)
            #expect(held.claim != nil)
            _ = try await Self.stored(b, Self.event("CA2", "k2"), by: Self.nodeB)  // b's own: no signal
            let elsewhere = try await Self.stored(a, Self.event("CA1", "k3"), by: Self.nodeA)
            #expect(elsewhere.claim == nil)
            #expect(try await a.requeue([held.id]) == 1)
            var received: [CallKey] = []
            for await call in signals {
                received.append(call)
                if received.count == 2 { break }
            }
            #expect(received == [CallKey(endpoint: "default", callID: "CA1"), CallKey(endpoint: "default", callID: "CA1")],
                    "one signal for the append elsewhere, one for the replay")
        }
    }

    /// The listening connection is made again when it is lost (here: its server process ended by an
    /// administrator), and signals flow again.
    @Test func signalsComeBackAfterTheListeningConnectionIsLost() async throws {
        try await Self.withDatabase(journals: 2) { configuration, journals in
            let (a, b) = (journals[0], journals[1])
            try await a.heartbeat(Self.nodeA, lease: .seconds(30))
            try await b.heartbeat(Self.nodeB, lease: .seconds(30))
            let signals = try #require(b.workSignals(for: Self.nodeB))
            func listener() async throws -> Int32? {
                try await TestDatabase.query(configuration, """
                    SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'
                    """).first?.decode(Int32.self)
            }
            func waitForListener(replacing old: Int32?) async throws -> Int32 {
                var pid: Int32?
                try await eventually("a new connection listens for signals", timeout: .seconds(15), interval: .milliseconds(50)) {
                    pid = try await listener()
                    return pid != nil && pid != old && b.signals?.isListening == true
                }
                return pid!
            }
            let first = try await waitForListener(replacing: nil)
            try await TestDatabase.administer(configuration, "SELECT pg_terminate_backend(\(first))")
            let second = try await waitForListener(replacing: first)
            #expect(second != first)
            _ = try await Self.stored(b, Self.event("CA1", "k1"), by: Self.nodeB)
            _ = try await Self.stored(a, Self.event("CA1", "k2"), by: Self.nodeA)
            var iterator = signals.makeAsyncIterator()
            #expect(await iterator.next() == CallKey(endpoint: "default", callID: "CA1"))
        }
    }

    @Test func withoutSignalsNodesPoll() async throws {
        try await Self.withDatabase(journals: 1, { $0.workSignals = false }) { _, journals in
            #expect(journals[0].workSignals(for: Self.nodeA) == nil)
        }
    }

    // MARK: appends

    /// Appends of one call that a node makes at once come back in commit order: each continues the version
    /// of the one before, so dispatch takes every one without a read.
    @Test func concurrentAppendsOfOneCallComeBackInCommitOrder() async throws {
        try await Self.withDatabase { _, journals in
            let journal = journals[0]
            try await journal.heartbeat(Self.nodeA, lease: .seconds(30))
            let seen = Versions()
            await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
                for n in 0..<40 {
                    journal.append(Self.event("CA1", "k\(n)"), claimant: Self.nodeA) { result in
                        if case .success(.stored(let stored)) = result { seen.add(stored.version) } else { seen.add(-1) }
                        if seen.all.count == 40 { finished.resume() }
                    }
                }
            }
            let versions = seen.all
            #expect(versions == Array(1...40), "the versions in the order the results came back")
        }
    }

    /// Text that PostgreSQL cannot keep (a NUL character, which a script's error may carry) must not make a
    /// record fail: a record that keeps failing would be retried for ever.
    @Test func aNulCharacterInARunDoesNotStopItsRecord() async throws {
        try await Self.withDatabase { _, journals in
            let journal = journals[0]
            try await journal.heartbeat(Self.nodeA, lease: .seconds(30))
            let stored = try await Self.stored(journal, Self.event("CA1", "k1"), by: Self.nodeA)
            let run = RunRecord(eventID: stored.id, generation: 0, script: "a.lua", scriptVersion: "v1", attempt: 1, startedAt: 0,
                                durationMicroseconds: 1, outcome: .dead, errorKind: "runtime", error: "bad\u{0}byte",
                                errorLine: 2, effects: EffectRecord(notes: ["log.info \u{0}"]))
            let outcome = try await journal.record([CallRecords(claim: try #require(stored.claim), runs: [run])], for: Self.nodeA)
            #expect(outcome == [.recorded(released: false)])
            #expect(try await journal.event(stored.id)?.runs.first?.error == "bad\u{FFFD}byte")
        }
    }

    /// A write counts only once its transaction committed. PostgreSQL commits a statement's implicit transaction
    /// when it handles the Sync after the statement's results, and postgres-nio ends the statement at its
    /// results: a database that failed or died at the commit (here a deferred trigger refuses it) must make
    /// the append fail, never answer an id that no row holds. (Before, the append answered `.stored`, and a
    /// database stopped under load lost acknowledged events.)
    @Test func anAppendRefusedAtTheCommitIsNotStored() async throws {
        try await Self.withDatabase { configuration, journals in
            try await TestDatabase.administer(configuration, """
                CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'refused at commit'; END $$
                """)
            try await TestDatabase.administer(configuration, """
                CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON events DEFERRABLE INITIALLY DEFERRED
                FOR EACH ROW WHEN (NEW.call_id = 'AT-COMMIT') EXECUTE FUNCTION refuse_at_commit()
                """)
            let journal = journals[0]
            await #expect(throws: JournalError.self) {
                _ = try await journal.append(Self.event("AT-COMMIT", "k1"), claimant: Self.nodeA)
            }
            let count = try await TestDatabase.query(configuration, "SELECT count(*) FROM events").first?.decode(Int.self)
            #expect(count == 0)
            _ = try await Self.stored(journal, Self.event("CA1", "k2"), by: Self.nodeA)  // the journal goes on
            #expect(try await journal.storeIncrement(endpoint: "default", key: "n", by: 1, expiresAt: nil, now: 0, fence: nil) == 1)
        }
    }

    // MARK: availability and maintenance

    @Test func anUnreachableDatabaseFailsInTime() async throws {
        let closedPort = try TestDatabase.adminConfiguration().port + 1
        var configuration = try PostgresConfiguration.parse("postgres://hookline:pw@127.0.0.1:\(closedPort)/hookline?sslmode=disable")
        configuration.operationTimeout = .seconds(2)
        let started = ContinuousClock.now
        do {
            let journal = try await PostgresJournal(configuration)
            await journal.close()
            Issue.record("a journal opened on a closed port")
        } catch {
            #expect(error.kind == .unavailable)
            #expect(error.message.contains("cannot open the journal at postgres://hookline@127.0.0.1:\(closedPort)/hookline"), "\(error)")
        }
        #expect(ContinuousClock.now - started < .seconds(6))
    }

    @Test func aClosedJournalIsNotWritableAndRefusesAppendsAtOnce() async throws {
        try await Self.withDatabase { configuration, journals in
            let journal = journals[0]
            #expect(await journal.checkWritable())
            _ = try await Self.stored(journal, Self.event("CA1", "k0"), by: Self.nodeA)
            let statistics = try await journal.statistics()
            #expect(statistics.pending == 1)
            #expect(statistics.bytesOnDisk > 8_192, "the size of Hookline's tables, indexes and TOAST: \(statistics.bytesOnDisk)")
            await journal.close()
            #expect(await journal.checkWritable() == false)
            await #expect(throws: JournalError.self) {
                _ = try await journal.append(Self.event("CA1", "k1"), claimant: Self.nodeA)
            }
        }
    }

    @Test func oneNodePrunesAtATime() async throws {
        try await Self.withDatabase(journals: 1) { configuration, journals in
            let logger = Logger(label: "hookline.tests")
            let holder = try await PostgresConnection.connect(
                configuration: PostgresConnection.Configuration(host: configuration.host, port: configuration.port,
                                                                username: configuration.username,
                                                                password: try TestDatabase.password(),
                                                                database: configuration.database, tls: .disable),
                id: 2, logger: logger)
            try await holder.query("SELECT pg_advisory_lock(\(Schema.pruneLock))", logger: logger)
            #expect(try await journals[0].prune(receivedBefore: 0) == nil, "another node prunes")
            try await holder.query("SELECT pg_advisory_unlock(\(Schema.pruneLock))", logger: logger)
            try await holder.close()
            #expect(try await journals[0].prune(receivedBefore: 0) == PruneReport(events: 0, bodyFiles: 0))
        }
    }
}

/// Versions in the order they were seen, from several tasks.
private final class Versions: Sendable {
    private let seen = Mutex<[Int64]>([])
    func add(_ version: Int64) { seen.withLock { $0.append(version) } }
    var all: [Int64] { seen.withLock { $0 } }
}
