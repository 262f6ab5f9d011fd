import Foundation
import GRDB
import JSON

/// The embedded journal, for one node: each appended event a record in the log (`BodySegments`), indexed by
/// one SQLite file in WAL mode; writes grouped by `GroupCommitWriter`, an append durable once its record is
/// synced, every other write once the WAL is; reads from a pool of readers that never wait for the writer,
/// and the claims on calls in memory (`LocalClaims`): one process uses the file at a time.
public final class SQLiteJournal: Journal {
    public let path: String
    private let pool: DatabasePool
    private let segments: BodySegments
    let writer: GroupCommitWriter
    let claims = LocalClaims()
    /// The earliest pending timer of each call, so that an append knows without a read whether it fires one.
    let dueTimers: DueTimers

    /// Opens (creating if needed) `journal.sqlite` in `directory`; event bodies go to `bodies/`, in files
    /// of about `bodyFileLimit` bytes.
    public init(directory: String, bodyFileLimit: Int64 = 1 << 30) throws(JournalError) {
        try OwnerOnly.folder(directory)
        path = (directory as NSString).appendingPathComponent("journal.sqlite")
        // SQLite gives its -wal and -shm files the database file's mode: that one is made owner-only first
        try OwnerOnly.file(path, create: true)
        for companion in [path + "-wal", path + "-shm"] { try OwnerOnly.file(companion, create: false) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // Checkpoints are run by the writer between commits (GroupCommitWriter), never inside one.
            // When the WAL starts over, a file that grew past 64 MiB is cut back to that size.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // Opening and recovering commit with FULL sync; the writer then syncs what it commits itself.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try pool.write { db in try Self.migrate(db) }
        } catch {
            throw JournalError(.unavailable, "cannot open the journal at \(path): \(error)")
        }
        segments = try BodySegments(directory: (directory as NSString).appendingPathComponent("bodies"),
                                    segmentLimit: bodyFileLimit)
        let dueTimers = DueTimers()
        self.dueTimers = dueTimers
        do {
            try pool.read { db in try dueTimers.load(db) }
        } catch {
            throw JournalError(.unavailable, "cannot read the pending timers of the journal at \(path): \(error)")
        }
        opened = try OpenersLock(path: (directory as NSString).appendingPathComponent("journal.lock"))
        recoveredEvents = opened.first ? try Self.recover(pool, segments, dueTimers, path: path) : 0
        opened.share()
        writer = try GroupCommitWriter(pool: pool, segments: segments, walPath: path + "-wal",
                                       onAppendsRolledBack: { [dueTimers] db in try? dueTimers.load(db) })
    }

    /// How many events opening the journal put back into the database from the log (after a crash of the
    /// machine lost the database's last commits; see `SQLiteJournal+Recovery.swift`).
    package let recoveredEvents: Int
    /// Held while the journal is open, so that only the first opener (`hookline serve`, or a command run beside
    /// it) recovers, before anything is appended (`SQLiteJournal+Recovery.swift`).
    private let opened: OpenersLock

    /// The schema's versions, in order: a journal at version n runs the migrations after the nth, each in
    /// the transaction that sets `PRAGMA user_version`. The first is written so that it also fits a journal
    /// made before versions were counted.
    static let migrations = [
        """
        CREATE TABLE IF NOT EXISTS events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            received_at INTEGER NOT NULL,
            endpoint TEXT NOT NULL,
            type TEXT NOT NULL,
            call_id TEXT NOT NULL,
            dedup_key TEXT NOT NULL,
            request_id TEXT NOT NULL,
            -- the body is in bodies/<segment>.seg at <offset>, <size> bytes (see BodySegments)
            segment INTEGER NOT NULL,
            offset INTEGER NOT NULL,
            size INTEGER NOT NULL,
            warnings TEXT,
            state TEXT NOT NULL,
            generation INTEGER NOT NULL DEFAULT 0,
            finished_at INTEGER
        );
        CREATE UNIQUE INDEX IF NOT EXISTS events_dedup ON events(endpoint, dedup_key);
        CREATE INDEX IF NOT EXISTS events_pending ON events(id) WHERE state = 'pending';
        CREATE INDEX IF NOT EXISTS events_call ON events(call_id, id);
        CREATE TABLE IF NOT EXISTS runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id INTEGER NOT NULL,
            generation INTEGER NOT NULL,
            script TEXT NOT NULL,
            script_version TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            started_at INTEGER NOT NULL,
            duration_us INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            error_kind TEXT,
            error TEXT,
            error_line INTEGER,
            host_calls TEXT
        );
        CREATE INDEX IF NOT EXISTS runs_event ON runs(event_id, generation);
        CREATE TABLE IF NOT EXISTS store (
            endpoint TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            expires_at INTEGER,
            PRIMARY KEY (endpoint, key)
        ) WITHOUT ROWID;
        """,
        // Work is taken by call: pending events are found per call, in id order, by one index.
        """
        DROP INDEX events_pending;
        CREATE INDEX events_call_pending ON events(endpoint, call_id, id) WHERE state = 'pending';
        CREATE TABLE alert_folds (
            key TEXT PRIMARY KEY,
            delivered_at INTEGER NOT NULL,
            folded INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
        // Timers (see `Timers`). A fired timer's event keeps its small body in its row (`inline_body`, segment
        // -1): it is written inside the commit that fires it, after the batch's bodies went to their segment.
        // Cancelled and fired timers stay as tombstones (`op_event` drops older operations) until pruned.
        """
        ALTER TABLE events ADD COLUMN inline_body BLOB;
        CREATE TABLE timers (
            endpoint TEXT NOT NULL,
            call_id TEXT NOT NULL,
            name TEXT NOT NULL,
            state TEXT NOT NULL,
            due_at INTEGER,
            set_at INTEGER,
            data TEXT,
            set_by INTEGER,
            op_event INTEGER NOT NULL,
            fired_event INTEGER,
            changed_at INTEGER NOT NULL,
            PRIMARY KEY (endpoint, call_id, name)
        ) WITHOUT ROWID;
        CREATE INDEX timers_due ON timers(due_at) WHERE state = 'pending';
        """,
        // The effect record of each run (`EffectRecord`, as JSON); `host_calls` stays for the runs recorded before.
        // `reuse_effects`: a replay whose runs return the effects of the generation before (`replay --reuse-effects`).
        """
        ALTER TABLE runs ADD COLUMN effects TEXT;
        ALTER TABLE events ADD COLUMN reuse_effects INTEGER NOT NULL DEFAULT 0;
        """,
        consoleIndexes,
        // Where the log ended at the latest commit that appended (`SQLiteJournal+Recovery.swift`); NULL until the
        // first such commit (the journal's older bodies have no records to recover from).
        """
        CREATE TABLE log_end (segment INTEGER, offset INTEGER);
        INSERT INTO log_end VALUES (NULL, NULL);
        """,
    ]

    static func migrate(_ db: Database) throws {
        let current = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        guard current <= migrations.count else {
            throw JournalError(.corrupt, """
                the journal's schema is version \(current), newer than this Hookline knows (\(migrations.count)): \
                it was written by a newer version; run that one, or restore a backup
                """)
        }
        for version in current..<migrations.count {
            try db.execute(sql: migrations[version])
            try db.execute(sql: "PRAGMA user_version = \(version + 1)")
        }
    }

    // MARK: intake

    public func append(_ event: NewEvent, claimant: NodeIdentity,
                       done: @escaping @Sendable (Result<AppendOutcome, JournalError>) -> Void) {
        // set by the work on the journal thread, read by `done` after it on the same thread
        nonisolated(unsafe) var outcome = AppendOutcome.duplicate(of: EventID(0))
        let entry = LoggedEvent(event)
        let call = CallKey(endpoint: event.endpoint, callID: event.callID)
        // timers of the call that came due before this event are stored before it (see `Timers`)
        let firesTimers = event.state == .pending && dueTimers.hasDue(call, at: event.receivedAt)
        nonisolated(unsafe) var fired: [FiredTimer] = []
        writer.append(entry, { [dueTimers] db, location in
            if firesTimers { fired = try Self.fireTimers(of: call, now: event.receivedAt, db, dueTimers) }
            if let id = try Self.insert(event, warnings: entry.warningsText, at: location, db) {
                outcome = .stored(StoredEvent(id: EventID(id), claim: nil, version: 0, inheritedWork: false))
                return id
            }
            let existing = try Int64.fetchOne(db, sql: "SELECT id FROM events WHERE endpoint = ? AND dedup_key = ?",
                                              arguments: [event.endpoint, event.dedupKey]) ?? 0
            outcome = .duplicate(of: EventID(existing))
            return nil
        }, done: { [claims] result in
            // the call changes hands in commit order, after the commit (see LocalClaims); the timers' events count
            // as work this event's claimant must read (its version moved past them)
            if case .success = result {
                for timer in fired { _ = claims.appended(call, claimant: claimant, id: timer.event.id) }
            }
            if case .success = result, case .stored(let stored) = outcome, event.state == .pending {
                outcome = .stored(claims.appended(call, claimant: claimant, id: stored.id))
            }
            done(result.map { outcome })
        })
    }

    /// Inserts an event's row (with `id` when it is known, from the log); nil when the row was not added
    /// (a duplicate, or already there).
    static func insert(_ event: NewEvent, id: Int64? = nil, warnings: String?, at location: BodyLocation,
                       _ db: Database) throws -> Int64? {
        let insert = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO events (id, received_at, endpoint, type, call_id, dedup_key, request_id, segment, offset,
                                          size, warnings, state)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try insert.execute(arguments: [id, event.receivedAt, event.endpoint, event.type, event.callID, event.dedupKey,
                                       event.requestID, location.segment, location.offset, location.length, warnings,
                                       event.state.rawValue])
        return db.changesCount == 1 ? db.lastInsertedRowID : nil
    }

    public func body(of id: EventID) async throws(JournalError) -> [UInt8]? {
        let place = try await read { db in
            try Row.fetchOne(db, sql: "SELECT segment, offset, size, inline_body FROM events WHERE id = ?",
                             arguments: [id.rawValue]).map(BodyPlace.init)
        }
        guard let place else { return nil }
        return try place.read(segments)
    }

    // MARK: work

    public func heartbeat(_ node: NodeIdentity, lease: Duration) async throws(JournalError) {
        claims.heartbeat(node, lease: lease)
    }

    public func announce(_ node: NodeIdentity, scriptsVersion: String) async throws(JournalError) {}

    public func leave(_ node: NodeIdentity) async throws(JournalError) {
        claims.leave(node)
    }

    public func claimWaitingCalls(for node: NodeIdentity, limit: Int) async throws(JournalError) -> [CallClaim] {
        let waiting = try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT endpoint, call_id, min(id) AS first FROM events WHERE state = 'pending'
                GROUP BY endpoint, call_id ORDER BY first
                """).map { CallKey(endpoint: $0["endpoint"], callID: $0["call_id"]) }
        }
        guard !waiting.isEmpty else { return [] }
        let claims = self.claims
        return try await afterCommitsAnswered { claims.claim(waiting, for: node, limit: limit) }
    }

    public func heldCalls(of node: NodeIdentity) async throws(JournalError) -> [CallClaim: Int64] {
        let claims = self.claims
        return try await afterCommitsAnswered { claims.held(by: node) }
    }

    /// `body`'s result, computed on the journal thread after every commit before it was answered: claims and
    /// versions read there never run ahead of what an append's claimant was told, and an event committed
    /// but not yet handed to its claimant is never taken from it.
    private func afterCommitsAnswered<T: Sendable>(_ body: @escaping @Sendable () -> T) async throws(JournalError) -> T {
        nonisolated(unsafe) var value: T?
        let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<Void, JournalError>, Never>) in
            writer.write({ _ in }, done: { result in
                value = body()
                continuation.resume(returning: result)
            })
        }
        try result.get()
        return value!
    }

    public func pendingWork(of claim: CallClaim, for node: NodeIdentity, after: EventID?,
                            limit: Int) async throws(JournalError) -> CallWork? {
        guard let version = claims.version(of: claim, for: node) else { return nil }
        let found: [(PendingEvent, BodyPlace, RunProgress)] = try await read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, received_at, endpoint, type, call_id, warnings, generation, segment, offset, size, inline_body,
                       reuse_effects FROM events
                WHERE endpoint = ? AND call_id = ? AND state = 'pending' AND id > ? ORDER BY id LIMIT ?
                """, arguments: [claim.call.endpoint, claim.call.callID, after?.rawValue ?? 0, limit])
            let events = rows.map { row in
                (PendingEvent(id: EventID(row["id"]), receivedAt: row["received_at"], endpoint: row["endpoint"],
                              type: row["type"], callID: row["call_id"], warnings: decodeStrings(row["warnings"]),
                              generation: row["generation"]),
                 BodyPlace(row))
            }
            let reusing = Set(rows.filter { $0["reuse_effects"] as Bool }.map { EventID($0["id"] as Int64) })
            let progress = try Self.progress(of: events.map(\.0), reusing: reusing, db)
            return events.map { ($0.0, $0.1, progress[$0.0.id] ?? RunProgress()) }
        }
        var items: [WorkItem] = []
        items.reserveCapacity(found.count)
        for (event, place, progress) in found {
            items.append(WorkItem(event: event, body: try place.read(segments), progress: progress))
        }
        return CallWork(claim: claim, version: version, items: items)
    }

    /// What the attempts recorded so far did, for each event's current generation; for the events replayed
    /// `reusing` effects, what each script's latest run before that generation did, until it runs again.
    private static func progress(of events: [PendingEvent], reusing: Set<EventID>, _ db: Database) throws -> [EventID: RunProgress] {
        guard !events.isEmpty else { return [:] }
        let generations = Dictionary(uniqueKeysWithValues: events.map { ($0.id, $0.generation) })
        var progress: [EventID: RunProgress] = [:]
        let rows = try Row.fetchAll(db, sql: """
            SELECT event_id, generation, script, outcome, attempt, effects FROM runs
            WHERE event_id IN (\(events.map { _ in "?" }.joined(separator: ","))) ORDER BY id
            """, arguments: StatementArguments(events.map(\.id.rawValue)))
        var before: [EventID: [String: EffectRecord]] = [:]
        for row in rows {
            let id = EventID(row["event_id"] as Int64)
            guard generations[id] == (row["generation"] as Int) else {
                if reusing.contains(id) { before[id, default: [:]][row["script"]] = effectRecord(row) ?? EffectRecord() }
                continue
            }
            progress[id, default: RunProgress()].count(script: row["script"], outcome: RunOutcome(rawValue: row["outcome"]),
                                                       attempt: row["attempt"], effects: effectRecord(row))
        }
        for (id, records) in before {
            for (script, record) in records where progress[id]?.attempts[script] == nil && progress[id]?.finished.contains(script) != true {
                progress[id, default: RunProgress()].effects[script] = record
            }
        }
        return progress
    }

    public func record(_ batch: [CallRecords], for node: NodeIdentity) async throws(JournalError) -> [RecordOutcome] {
        // fenced calls are found before writing; releases happen after the commit, in commit order, so that an
        // event appended in the same commit keeps its call held
        nonisolated(unsafe) var outcomes = [RecordOutcome](repeating: .fenced, count: batch.count)
        let claims = self.claims
        let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<Void, JournalError>, Never>) in
            writer.write({ [dueTimers] db in
                let insert = try db.cachedStatement(sql: """
                    INSERT INTO runs (event_id, generation, script, script_version, attempt, started_at, duration_us, outcome,
                                      error_kind, error, error_line, effects)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                let finish = try db.cachedStatement(sql: """
                    UPDATE events SET state = ?, finished_at = ? WHERE id = ? AND generation = ? AND state = 'pending'
                    """)
                for (index, records) in batch.enumerated() where claims.holds(records.claim, node) {
                    outcomes[index] = .recorded(released: false)
                    for run in records.runs {
                        try insert.execute(arguments: [
                            run.eventID.rawValue, run.generation, run.script, run.scriptVersion, run.attempt, run.startedAt,
                            run.durationMicroseconds, run.outcome.rawValue, run.errorKind, run.error, run.errorLine,
                            run.effects.isEmpty ? nil : run.effects.json,
                        ])
                        if run.outcome == .ok && !run.timerOperations.isEmpty {
                            try Self.apply(run.timerOperations, of: records.claim.call, by: run.eventID, db, dueTimers)
                        }
                    }
                    for completion in records.completions {
                        try finish.execute(arguments: [completion.state.rawValue, completion.finishedAt,
                                                       completion.eventID.rawValue, completion.generation])
                    }
                }
            }, done: { result in
                if case .success = result {
                    for (index, records) in batch.enumerated() where outcomes[index] != .fenced {
                        if let version = records.releaseAt, claims.release(records.claim, for: node, at: version) {
                            outcomes[index] = .recorded(released: true)
                        }
                    }
                }
                continuation.resume(returning: result)
            })
        }
        try result.get()
        return outcomes
    }

    public func requeue(_ ids: [EventID], reuseEffects: Bool) async throws(JournalError) -> Int {
        nonisolated(unsafe) var calls = Set<CallKey>()
        nonisolated(unsafe) var count = 0
        try await writer.write { db in
            let statement = try db.cachedStatement(sql: """
                UPDATE events SET state = 'pending', generation = generation + 1, finished_at = NULL, reuse_effects = ?
                WHERE id = ? RETURNING endpoint, call_id
                """)
            for id in ids {
                if let row = try Row.fetchOne(statement, arguments: [reuseEffects, id.rawValue]) {
                    calls.insert(CallKey(endpoint: row["endpoint"], callID: row["call_id"]))
                    count += 1
                }
            }
        }
        claims.requeued(calls)
        return count
    }

    public func workSignals(for node: NodeIdentity) -> AsyncStream<CallKey>? { nil }

    // MARK: store

    public func storeGet(endpoint: String, key: String, now: Int64) async throws(JournalError) -> String? {
        try await read { db in
            try String.fetchOne(db, sql: """
                SELECT value FROM store WHERE endpoint = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)
                """, arguments: [endpoint, key, now])
        }
    }

    public func storeSet(endpoint: String, key: String, value: String, expiresAt: Int64?,
                         fence: Fence?) async throws(JournalError) {
        try await writer.write { [claims] db in
            try claims.check(fence)
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO store (endpoint, key, value, expires_at) VALUES (?, ?, ?, ?)")
                .execute(arguments: [endpoint, key, value, expiresAt])
        }
    }

    public func storeIncrement(endpoint: String, key: String, by: Double, expiresAt: Int64?, now: Int64,
                               fence: Fence?) async throws(JournalError) -> Double {
        nonisolated(unsafe) var result = 0.0
        try await writer.write { [claims] db in
            try claims.check(fence)
            let row = try Row.fetchOne(db, sql: "SELECT value, expires_at FROM store WHERE endpoint = ? AND key = ?",
                                       arguments: [endpoint, key])
            var current = 0.0
            var expiry = expiresAt
            if let row, (row["expires_at"] as Int64?).map({ $0 > now }) ?? true {
                current = Double(row["value"] as String) ?? 0
                // an existing counter keeps its window unless this call sets a new one
                if expiresAt == nil { expiry = row["expires_at"] }
            }
            result = current + by
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO store (endpoint, key, value, expires_at) VALUES (?, ?, ?, ?)")
                .execute(arguments: [endpoint, key, formatNumber(result), expiry])
        }
        return result
    }

    public func storeDelete(endpoint: String, key: String, fence: Fence?) async throws(JournalError) {
        try await writer.write { [claims] db in
            try claims.check(fence)
            try db.cachedStatement(sql: "DELETE FROM store WHERE endpoint = ? AND key = ?").execute(arguments: [endpoint, key])
        }
    }

    public func foldAlert(key: String, window: Int64, now: Int64) async throws(JournalError) -> Int? {
        nonisolated(unsafe) var folded: Int?
        try await writer.write { db in
            let row = try Row.fetchOne(db, sql: "SELECT delivered_at, folded FROM alert_folds WHERE key = ?", arguments: [key])
            if let row, now - (row["delivered_at"] as Int64) < window {
                try db.execute(sql: "UPDATE alert_folds SET folded = folded + 1 WHERE key = ?", arguments: [key])
                folded = nil
            } else {
                folded = row?["folded"] ?? 0
                try db.execute(sql: "INSERT OR REPLACE INTO alert_folds (key, delivered_at, folded) VALUES (?, ?, 0)",
                               arguments: [key, now])
            }
        }
        return folded
    }

    // MARK: command line

    public func events(matching query: EventQuery) async throws(JournalError) -> [EventSummary] {
        try await read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let type = query.type { conditions.append("type = ?"); arguments += [type] }
            if let call = query.callID { conditions.append("call_id = ?"); arguments += [call] }
            if let endpoint = query.endpoint { conditions.append("endpoint = ?"); arguments += [endpoint] }
            if let since = query.since { conditions.append("received_at >= ?"); arguments += [since] }
            if let until = query.until { conditions.append("received_at < ?"); arguments += [until] }
            if let before = query.before { conditions.append("id < ?"); arguments += [before.rawValue] }
            if let after = query.after { conditions.append("id > ?"); arguments += [after.rawValue] }
            if !query.states.isEmpty {
                conditions.append("state IN (\(query.states.map { _ in "?" }.joined(separator: ",")))")
                arguments += StatementArguments(query.states.map(\.rawValue))
            }
            if !query.ids.isEmpty {
                conditions.append("id IN (\(query.ids.map { _ in "?" }.joined(separator: ",")))")
                arguments += StatementArguments(query.ids.map(\.rawValue))
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            arguments += [query.limit]
            return try Row.fetchAll(db, sql: """
                SELECT id, received_at, endpoint, type, call_id, state, generation, warnings, size, finished_at
                FROM events \(filter) ORDER BY id DESC LIMIT ?
                """, arguments: arguments).map(summary)
        }
    }

    public func event(_ id: EventID) async throws(JournalError) -> EventDetail? {
        let found: (EventSummary, String, String, BodyPlace, [RunRecord])? = try await read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT id, received_at, endpoint, type, call_id, state, generation, warnings, size, finished_at,
                       request_id, dedup_key, segment, offset, inline_body
                FROM events WHERE id = ?
                """, arguments: [id.rawValue]) else { return nil }
            let runs = try Row.fetchAll(db, sql: "SELECT * FROM runs WHERE event_id = ? ORDER BY id", arguments: [id.rawValue])
                .map(runRecord)
            return (summary(row), row["request_id"], row["dedup_key"], BodyPlace(row), runs)
        }
        guard let (summary, requestID, dedupKey, place, runs) = found else { return nil }
        return EventDetail(summary: summary, requestID: requestID, dedupKey: dedupKey, body: try place.read(segments), runs: runs)
    }

    /// Several events in full in two queries (events, then their runs), however many.
    public func events(_ ids: [EventID]) async throws(JournalError) -> [EventDetail] {
        guard !ids.isEmpty else { return [] }
        let found: [(EventSummary, String, String, BodyPlace, [RunRecord])] = try await read { db in
            let list = ids.map { _ in "?" }.joined(separator: ",")
            let arguments = StatementArguments(ids.map(\.rawValue))
            var runs: [Int64: [RunRecord]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM runs WHERE event_id IN (\(list)) ORDER BY id", arguments: arguments) {
                runs[row["event_id"], default: []].append(runRecord(row))
            }
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, received_at, endpoint, type, call_id, state, generation, warnings, size, finished_at,
                       request_id, dedup_key, segment, offset, inline_body
                FROM events WHERE id IN (\(list))
                """, arguments: arguments)
            let byID = Dictionary(rows.map { ($0["id"] as Int64, $0) }) { a, _ in a }
            return ids.compactMap { id in
                byID[id.rawValue].map { row in
                    (summary(row), row["request_id"], row["dedup_key"], BodyPlace(row), runs[id.rawValue] ?? [])
                }
            }
        }
        var details: [EventDetail] = []
        details.reserveCapacity(found.count)
        for (summary, requestID, dedupKey, place, runs) in found {
            details.append(EventDetail(summary: summary, requestID: requestID, dedupKey: dedupKey, body: try place.read(segments),
                                       runs: runs))
        }
        return details
    }

    public func statistics() async throws(JournalError) -> JournalStatistics {
        let pending = try await read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE state = 'pending'") ?? 0  // partial index
        }
        let files = [path, path + "-wal"]
        let bytes = files.compactMap { try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int64 }.reduce(0, +)
        return JournalStatistics(pending: pending, bytesOnDisk: bytes)
    }

    public func prune(receivedBefore cutoff: Int64) async throws(JournalError) -> PruneReport? {
        // Old events are at the start of the table (ids grow with time): walk it from the first id to the
        // first event kept for its age, in slices of 2,000 ids, one commit each.
        let (first, end) = try await read { db -> (Int64, Int64) in
            let first = try Int64.fetchOne(db, sql: "SELECT min(id) FROM events") ?? 0
            let end = try Int64.fetchOne(db, sql: "SELECT id FROM events WHERE received_at >= ? ORDER BY id LIMIT 1",
                                         arguments: [cutoff])
                ?? (try Int64.fetchOne(db, sql: "SELECT max(id) FROM events") ?? 0) + 1
            return (first, end)
        }
        var report = PruneReport(events: 0, bodyFiles: 0)
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM timers WHERE state != 'pending' AND changed_at < ?", arguments: [cutoff])
        }
        var low = first
        while low < end {
            let high = min(low + 2_000, end)
            nonisolated(unsafe) var deleted = 0
            try await writer.write { db in
                let finished = "SELECT id FROM events WHERE id >= ? AND id < ? AND received_at < ? AND state != 'pending'"
                try db.execute(sql: "DELETE FROM runs WHERE event_id IN (\(finished))", arguments: [low, high, cutoff])
                try db.execute(sql: "DELETE FROM events WHERE id IN (\(finished))", arguments: [low, high, cutoff])
                deleted = db.changesCount
            }
            report.events += deleted
            low = high
        }
        // Bodies are appended in id order: every file before the oldest kept event's file is unused.
        nonisolated(unsafe) var removed = 0
        let segments = segments
        try await writer.write { db in
            let oldest = try Int.fetchOne(db, sql: "SELECT segment FROM events WHERE segment >= 0 ORDER BY id LIMIT 1") ?? Int.max
            removed = segments.remove(before: oldest)
        }
        report.bodyFiles = removed
        return report
    }

    public func checkWritable() async -> Bool {
        let assessment = writer.health.assess()
        if let bytes = assessment.probe {
            let writer = self.writer
            Task { await writer.probe(bodyBytes: bytes) }  // its outcome answers the next checks
        }
        return assessment.failure == nil
    }

    /// How many times the writer synced the log and the WAL: what the journal's durability rests on.
    var syncs: GroupCommitWriter.SyncCounts { writer.syncs }

    public func close() async {
        writer.stop()
        try? pool.close()
        opened.release()
    }

    // MARK: helpers

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(JournalError) -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw JournalError(.unavailable, "the journal cannot read: \(error)")
        }
    }
}

private func summary(_ row: Row) -> EventSummary {
    EventSummary(id: EventID(row["id"]), receivedAt: row["received_at"], endpoint: row["endpoint"], type: row["type"],
                 callID: row["call_id"], state: EventState(rawValue: row["state"]) ?? .pending, generation: row["generation"],
                 warnings: decodeStrings(row["warnings"]), size: row["size"], finishedAt: row["finished_at"])
}

/// A list of strings as a JSON array (warnings, host calls): one per event or run, so without Foundation's coders.
func encodeStrings(_ strings: [String]) -> String {
    var out: [UInt8] = [UInt8(ascii: "[")]
    for (index, string) in strings.enumerated() {
        if index > 0 { out.append(UInt8(ascii: ",")) }
        JSONStrings.appendQuoted(string, to: &out)
    }
    out.append(UInt8(ascii: "]"))
    return String(decoding: out, as: UTF8.self)
}

func decodeStrings(_ text: String?) -> [String] {
    guard let text, let document = try? JSONParser.parse(Array(text.utf8)) else { return [] }
    return document.root.elements.compactMap(\.string)
}

/// A row of `runs` (every column).
func runRecord(_ run: Row) -> RunRecord {
    RunRecord(eventID: EventID(run["event_id"] as Int64), generation: run["generation"], script: run["script"],
              scriptVersion: run["script_version"], attempt: run["attempt"], startedAt: run["started_at"],
              durationMicroseconds: run["duration_us"], outcome: RunOutcome(rawValue: run["outcome"]) ?? .failed,
              errorKind: run["error_kind"], error: run["error"], errorLine: run["error_line"],
              effects: effectRecord(run) ?? EffectRecord())
}

/// A run's effect record, or the host-call lines of a run recorded before effects were kept.
func effectRecord(_ row: Row) -> EffectRecord? {
    if let text: String = row["effects"] { return EffectRecord(json: text) }
    let notes = decodeStrings(row.hasColumn("host_calls") ? row["host_calls"] : nil)
    return notes.isEmpty ? nil : EffectRecord(notes: notes)
}

/// Integers without a fraction, other numbers in their shortest form.
private func formatNumber(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return String(value)
}
