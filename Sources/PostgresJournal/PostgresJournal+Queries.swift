import Journal
import PostgresNIO

extension PostgresJournal {
    public func events(matching query: EventQuery) async throws(JournalError) -> [EventSummary] {
        var sql = "SELECT \(Self.summaryColumns) FROM events"
        var binds = PostgresBindings()
        var conditions: [String] = []
        func bind(_ condition: (String) -> String, _ append: (inout PostgresBindings) -> Void) {
            append(&binds)
            conditions.append(condition("$\(binds.count)"))
        }
        if let type = query.type { bind({ "type = \($0)" }) { $0.append(type) } }
        if let call = query.callID { bind({ "call_id = \($0)" }) { $0.append(call) } }
        if let endpoint = query.endpoint { bind({ "endpoint = \($0)" }) { $0.append(endpoint) } }
        if let since = query.since { bind({ "received_at >= \($0)" }) { $0.append(since) } }
        if let until = query.until { bind({ "received_at < \($0)" }) { $0.append(until) } }
        if let before = query.before { bind({ "id < \($0)" }) { $0.append(before.rawValue) } }
        if let after = query.after { bind({ "id > \($0)" }) { $0.append(after.rawValue) } }
        if !query.states.isEmpty { bind({ "state = ANY(\($0))" }) { $0.append(query.states.map(\.rawValue)) } }
        if !query.ids.isEmpty { bind({ "id = ANY(\($0))" }) { $0.append(query.ids.map(\.rawValue)) } }
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        binds.append(query.limit)
        sql += " ORDER BY id DESC LIMIT $\(binds.count)"
        let statement = PostgresQuery(unsafeSQL: sql, binds: binds)
        let rows = try await perform("list events") { connection in try await connection.rows(statement) }
        do {
            return try rows.map(Self.summary)
        } catch {
            throw JournalError(.corrupt, "cannot read the events listed: \(error)")
        }
    }

    public func event(_ id: EventID) async throws(JournalError) -> EventDetail? {
        let (events, runs) = try await perform("read an event") { connection in
            async let event = connection.rows("""
                SELECT \(unescaped: Self.summaryColumns), request_id, dedup_key, body FROM events WHERE id = \(id.rawValue)
                """)
            async let runs = connection.rows("""
                SELECT \(unescaped: Self.runColumns) FROM runs WHERE event_id = \(id.rawValue) ORDER BY id
                """)
            return try await (event, runs)
        }
        guard let row = events.first else { return nil }
        do {
            let cells = row.makeRandomAccess()
            let requestID = try cells["request_id"].decode(String.self)
            let dedupKey = try cells["dedup_key"].decode(String.self)
            let body = try cells["body"].decode(ByteBuffer.self)
            return EventDetail(summary: try Self.summary(row), requestID: requestID, dedupKey: dedupKey,
                               body: Array(body.readableBytesView), runs: try runs.map(Self.run))
        } catch {
            throw JournalError(.corrupt, "cannot read event \(id): \(error)")
        }
    }

    /// Several events in full in two queries (events, then their runs), however many.
    public func events(_ ids: [EventID]) async throws(JournalError) -> [EventDetail] {
        guard !ids.isEmpty else { return [] }
        let numbers = ids.map(\.rawValue)
        let (events, runs) = try await perform("read events") { connection in
            async let events = connection.rows("""
                SELECT \(unescaped: Self.summaryColumns), request_id, dedup_key, body FROM events WHERE id = ANY(\(numbers))
                """)
            async let runs = connection.rows("""
                SELECT \(unescaped: Self.runColumns) FROM runs WHERE event_id = ANY(\(numbers)) ORDER BY id
                """)
            return try await (events, runs)
        }
        do {
            var runsOfEvent: [EventID: [RunRecord]] = [:]
            for row in runs {
                let run = try Self.run(row)
                runsOfEvent[run.eventID, default: []].append(run)
            }
            var details: [EventID: EventDetail] = [:]
            for row in events {
                let cells = row.makeRandomAccess()
                let summary = try Self.summary(row)
                details[summary.id] = EventDetail(summary: summary, requestID: try cells["request_id"].decode(String.self),
                                                  dedupKey: try cells["dedup_key"].decode(String.self),
                                                  body: Array(try cells["body"].decode(ByteBuffer.self).readableBytesView),
                                                  runs: runsOfEvent[summary.id] ?? [])
            }
            return ids.compactMap { details[$0] }
        } catch {
            throw JournalError(.corrupt, "cannot read events: \(error)")
        }
    }

    static let runColumns = """
        event_id, generation, script, script_version, attempt, started_at, duration_us, outcome, error_kind, error, error_line,
        host_calls, effects
        """

    /// A row of `runColumns`; a run recorded before effects were kept shows its host-call lines.
    static func run(_ row: PostgresRow) throws -> RunRecord {
        let (event, generation, script, version, attempt, started, duration, outcome, kind, error, line, calls, effects) = try row.decode(
            (Int64, Int, String, String, Int, Int64, Int64, String, String?, String?, Int?, [String], String?).self)
        return RunRecord(eventID: EventID(event), generation: generation, script: script, scriptVersion: version, attempt: attempt,
                         startedAt: started, durationMicroseconds: duration, outcome: RunOutcome(rawValue: outcome) ?? .failed,
                         errorKind: kind, error: error, errorLine: line,
                         effects: effects.flatMap(EffectRecord.init(json:)) ?? EffectRecord(notes: calls))
    }

    public func statistics() async throws(JournalError) -> JournalStatistics {
        let rows = try await perform("count the pending events") { connection in
            try await connection.rows("""
                SELECT (SELECT count(*) FROM events WHERE state = 'pending'),
                       (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
                        WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace
                          AND c.relname = ANY(\(Self.tables)))
                """)
        }
        guard let (pending, bytes) = try? rows.first?.decode((Int, Int64).self) else {
            throw JournalError(.corrupt, "cannot count the pending events: the database answered no row")
        }
        return JournalStatistics(pending: pending, bytesOnDisk: bytes)
    }

    /// Hookline's tables (their indexes and TOAST count with them).
    static let tables = ["events", "runs", "calls", "nodes", "store", "alert_folds", "timers", "schema_migrations"]

    static let summaryColumns = "id, received_at, endpoint, type, call_id, state, generation, warnings, size, finished_at"

    static func summary(_ row: PostgresRow) throws -> EventSummary {
        let (id, receivedAt, endpoint, type, callID, state, generation, warnings, size, finishedAt) = try row.decode(
            (Int64, Int64, String, String, String, String, Int, [String], Int, Int64?).self)
        return EventSummary(id: EventID(id), receivedAt: receivedAt, endpoint: endpoint, type: type, callID: callID,
                            state: EventState(rawValue: state) ?? .pending, generation: generation, warnings: warnings,
                            size: size, finishedAt: finishedAt)
    }
}
