import JSON
import Journal
import PostgresNIO

/// Where `JournalCopy` writes: events copied whole from another journal, and the scripts' store.
extension PostgresJournal {
    /// Stores events copied from another journal, each with its body and runs, in one statement. They get new ids
    /// (in the order given); their deduplication keys are kept, and an event whose key is here already is left
    /// as it is, runs and all, so that a copy made twice copies nothing twice. Pending events become work.
    /// Returns how many events and runs were stored.
    package func importEvents(_ events: [EventDetail]) async throws(JournalError) -> (events: Int, runs: Int) {
        guard !events.isEmpty else { return (0, 0) }
        let statement = ImportStatement(events: events)
        let rows = try await perform("copy events", writes: true, within: .seconds(300)) { connection in
            try await connection.rows(statement)
        }
        return rows.first ?? (0, 0)
    }

    /// Stores values of the scripts' store; a key that is here already keeps the value it has. Returns how many
    /// were stored.
    package func importStore(_ entries: [StoreEntry]) async throws(JournalError) -> Int {
        guard !entries.isEmpty else { return 0 }
        let (endpoints, keys, values) = (entries.map(\.endpoint), entries.map { storable($0.key) }, entries.map { storable($0.value) })
        // no expiry as -1: postgres-nio's arrays cannot hold NULL
        let expiries = entries.map { $0.expiresAt ?? -1 }
        return try await perform("copy the store", writes: true, within: .seconds(300)) { connection in
            try await connection.rows("""
                WITH stored AS (
                    INSERT INTO store (endpoint, key, value, expires_at)
                    SELECT endpoint, key, value, nullif(expires_at, -1)
                    FROM unnest(\(endpoints)::text[], \(keys)::text[], \(values)::text[], \(expiries)::bigint[])
                         AS s(endpoint, key, value, expires_at)
                    ON CONFLICT (endpoint, key) DO NOTHING
                    RETURNING 1
                )
                SELECT count(*) FROM stored
                """).first?.decode(Int.self) ?? 0
        }
    }
}

extension PostgresJournal {
    /// Stores pending timers; a call's timer of the same name that is here already is left as it is. Event ids
    /// do not carry over, so each counts as set before every event here (by event 0): any later operation on it
    /// applies. Returns how many were stored.
    package func importTimers(_ timers: [PendingTimer]) async throws(JournalError) -> Int {
        guard !timers.isEmpty else { return 0 }
        let (endpoints, calls, names) = (timers.map(\.call.endpoint), timers.map(\.call.callID), timers.map(\.name))
        let (dues, sets, data) = (timers.map(\.dueAt), timers.map(\.setAt), timers.map { $0.data ?? "null" })
        return try await perform("copy the timers", writes: true, within: .seconds(300)) { connection in
            try await connection.rows("""
                WITH stored AS (
                    INSERT INTO timers (endpoint, call_id, name, state, due_at, set_at, data, set_by, op_event, changed_at)
                    SELECT endpoint, call_id, name, 'pending', due_at, set_at, data, 0, 0, set_at
                    FROM unnest(\(endpoints)::text[], \(calls)::text[], \(names)::text[], \(dues)::bigint[], \(sets)::bigint[],
                                \(data)::text[]) AS t(endpoint, call_id, name, due_at, set_at, data)
                    ON CONFLICT (endpoint, call_id, name) DO NOTHING
                    RETURNING 1
                )
                SELECT count(*) FROM stored
                """).first?.decode(Int.self) ?? 0
        }
    }
}

/// The events as JSON (all but their bodies) and their bodies as an array of bytea, matched by position.
struct ImportStatement: PostgresPreparedStatement {
    static let sql = """
        WITH incoming AS (
            SELECT * FROM jsonb_to_recordset($1::jsonb) AS e(n bigint, received_at bigint, endpoint text, type text,
                call_id text, dedup_key text, request_id text, warnings text[], state text, generation integer,
                finished_at bigint, runs jsonb)
        ), bodies AS (
            SELECT body, n FROM unnest($2::bytea[]) WITH ORDINALITY AS b(body, n)
        ), inserted AS (
            INSERT INTO events (received_at, endpoint, type, call_id, dedup_key, request_id, body, size, warnings, state,
                                generation, finished_at)
            SELECT i.received_at, i.endpoint, i.type, i.call_id, i.dedup_key, i.request_id, b.body, octet_length(b.body),
                   i.warnings, i.state, i.generation, i.finished_at
            FROM incoming i JOIN bodies b USING (n)
            ORDER BY i.n
            ON CONFLICT (endpoint, dedup_key) DO NOTHING
            RETURNING id, endpoint, dedup_key, call_id, state
        ), copied_runs AS (
            INSERT INTO runs (event_id, generation, script, script_version, attempt, started_at, duration_us, outcome,
                              error_kind, error, error_line, effects)
            SELECT ins.id, r.generation, r.script, r.version, r.attempt, r.started, r.duration, r.outcome, r.kind, r.error,
                   r.line, r.effects
            FROM inserted ins
            JOIN incoming i ON i.endpoint = ins.endpoint AND i.dedup_key = ins.dedup_key
            CROSS JOIN LATERAL jsonb_array_elements(i.runs) WITH ORDINALITY AS x(run, position)
            CROSS JOIN LATERAL jsonb_to_record(x.run) AS r(generation integer, script text, version text, attempt integer,
                 started bigint, duration bigint, outcome text, kind text, error text, line integer, effects text)
            ORDER BY ins.id, x.position
            RETURNING 1
        ), work AS (
            INSERT INTO calls AS c (endpoint, call_id, has_pending, oldest_pending)
            SELECT endpoint, call_id, true, min(id) FROM inserted WHERE state = 'pending' GROUP BY endpoint, call_id
            ON CONFLICT (endpoint, call_id) DO UPDATE SET
                has_pending = true, version = c.version + 1,
                oldest_pending = least(CASE WHEN c.has_pending THEN c.oldest_pending END, EXCLUDED.oldest_pending)
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM inserted)::bigint, (SELECT count(*) FROM copied_runs)::bigint
        """
    typealias Row = (Int, Int)

    var events: [EventDetail]

    func makeBindings() throws -> PostgresBindings {
        var json: [UInt8] = [UInt8(ascii: "[")]
        for (index, event) in events.enumerated() {
            let summary = event.summary
            if index > 0 { json.append(UInt8(ascii: ",")) }
            json += Array(#"{"n":\#(index + 1),"received_at":\#(summary.receivedAt),"endpoint":"#.utf8)
            JSONStrings.appendQuoted(storable(summary.endpoint), to: &json)
            json += Array(#","type":"#.utf8)
            JSONStrings.appendQuoted(storable(summary.type), to: &json)
            json += Array(#","call_id":"#.utf8)
            JSONStrings.appendQuoted(storable(summary.callID), to: &json)
            json += Array(#","dedup_key":"#.utf8)
            JSONStrings.appendQuoted(storable(event.dedupKey), to: &json)
            json += Array(#","request_id":"#.utf8)
            JSONStrings.appendQuoted(storable(event.requestID), to: &json)
            json += Array(#","warnings":["#.utf8)
            for (index, warning) in summary.warnings.enumerated() {
                if index > 0 { json.append(UInt8(ascii: ",")) }
                JSONStrings.appendQuoted(storable(warning), to: &json)
            }
            json += Array(#"],"state":"\#(summary.state.rawValue)","generation":\#(summary.generation),"finished_at":\#(summary.finishedAt.map(String.init) ?? "null"),"runs":["#.utf8)
            for (index, run) in event.runs.enumerated() {
                if index > 0 { json.append(UInt8(ascii: ",")) }
                RecordBatch.append(run, to: &json)
            }
            json += Array("]}".utf8)
        }
        json.append(UInt8(ascii: "]"))
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(String(decoding: json, as: UTF8.self))
        bindings.append(events.map { ByteBuffer(bytes: $0.body) })
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
