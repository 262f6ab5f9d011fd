import Basics
import Journal
import PostgresNIO

extension PostgresJournal {
    public func heartbeat(_ node: NodeIdentity, lease: Duration) async throws(JournalError) {
        let milliseconds = lease.wholeMilliseconds
        _ = try await perform("renew this node's lease", writes: true) { connection in
            try await connection.rows(HeartbeatStatement(node: node, leaseMilliseconds: milliseconds))
        }
    }

    public func announce(_ node: NodeIdentity, scriptsVersion: String) async throws(JournalError) {
        _ = try await perform("announce this node's scripts", writes: true) { connection in
            try await connection.rows("UPDATE nodes SET scripts_version = \(scriptsVersion) WHERE incarnation = \(node.incarnation)")
        }
    }

    public func leave(_ node: NodeIdentity) async throws(JournalError) {
        _ = try await perform("give this node's calls up", writes: true) { connection in
            try await connection.rows("SELECT hookline_leave(\(node.incarnation))")
        }
    }

    public func claimWaitingCalls(for node: NodeIdentity, limit: Int) async throws(JournalError) -> [CallClaim] {
        let rows = try await perform("claim waiting calls", writes: true) { connection in
            try await connection.rows("""
                SELECT endpoint, call_id, token, oldest_pending FROM hookline_claim_waiting(\(node.incarnation), \(limit))
                """).map { try $0.decode((String, String, Int64, Int64).self) }
        }
        return rows.sorted { $0.3 < $1.3 }.map { CallClaim(call: CallKey(endpoint: $0.0, callID: $0.1), token: $0.2) }
    }

    public func heldCalls(of node: NodeIdentity) async throws(JournalError) -> [CallClaim: Int64] {
        let rows = try await perform("read which calls this node holds") { connection in
            try await connection.rows("SELECT endpoint, call_id, token, version FROM calls WHERE holder = \(node.incarnation)")
                .map { try $0.decode((String, String, Int64, Int64).self) }
        }
        return Dictionary(uniqueKeysWithValues: rows.map { (CallClaim(call: CallKey(endpoint: $0.0, callID: $0.1), token: $0.2), $0.3) })
    }

    public func pendingWork(of claim: CallClaim, for node: NodeIdentity, after: EventID?,
                            limit: Int) async throws(JournalError) -> CallWork? {
        let statement = PendingWorkStatement(claim: claim, node: node.incarnation, after: after?.rawValue ?? 0, limit: limit)
        let rows = try await perform("read a call's pending events") { connection in try await connection.rows(statement) }
        guard let version = rows.first?.version else { return nil }  // no row: the claim is not this node's
        return CallWork(claim: claim, version: version, items: rows.compactMap(\.item))
    }

    public func record(_ batch: [CallRecords], for node: NodeIdentity) async throws(JournalError) -> [RecordOutcome] {
        guard !batch.isEmpty else { return [] }
        let statement = RecordStatement(node: node.incarnation, batch: RecordBatch.json(batch), now: epochMilliseconds())
        let outcomes = try await perform("record runs", writes: true) { connection in try await connection.rows(statement) }
        guard outcomes.count == batch.count else {
            throw JournalError(.corrupt, "cannot record runs: the database answered \(outcomes.count) outcomes for \(batch.count) calls")
        }
        return outcomes.map { $0 == "fenced" ? .fenced : .recorded(released: $0 == "released") }
    }

    public func requeue(_ ids: [EventID], reuseEffects: Bool) async throws(JournalError) -> Int {
        try await perform("put events back to pending", writes: true) { connection in
            try await connection.rows("SELECT hookline_requeue_effects(\(ids.map(\.rawValue)), \(reuseEffects))").first?.decode(Int.self) ?? 0
        }
    }

    public func workSignals(for node: NodeIdentity) -> AsyncStream<CallKey>? {
        signals?.stream(for: node)
    }
}

struct HeartbeatStatement: PostgresPreparedStatement {
    static let sql = """
        INSERT INTO nodes (incarnation, name, heartbeat_at, expires_at)
        VALUES ($1, $2, now(), now() + $3 * interval '1 millisecond')
        ON CONFLICT (incarnation) DO UPDATE SET heartbeat_at = now(), expires_at = EXCLUDED.expires_at
        """
    typealias Row = ()

    var node: NodeIdentity
    var leaseMilliseconds: Int64

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(node.incarnation)
        bindings.append(storable(node.name))
        bindings.append(leaseMilliseconds)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {}
}

/// A claimed call's version and its pending events with their bodies and runs, in one statement: one snapshot,
/// so the events are exactly those of the version. No row: the claim is not the node's; one row without an
/// event: nothing is pending after `after`.
struct PendingWorkStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT c.version, e.id, e.received_at, e.type, e.warnings, e.generation, e.body, p.scripts, p.outcomes, p.attempts,
               p.effects, pr.scripts, pr.effects
        FROM calls c
        LEFT JOIN LATERAL (
            SELECT id, received_at, type, warnings, generation, body, reuse_effects FROM events
            WHERE endpoint = c.endpoint AND call_id = c.call_id AND state = 'pending' AND id > $5
            ORDER BY id LIMIT $6
        ) e ON true
        LEFT JOIN LATERAL (
            SELECT array_agg(r.script ORDER BY r.id) AS scripts, array_agg(r.outcome ORDER BY r.id) AS outcomes,
                   array_agg(r.attempt::bigint ORDER BY r.id) AS attempts,
                   array_agg(CASE WHEN r.outcome = 'failed' THEN coalesce(r.effects, '') ELSE '' END ORDER BY r.id) AS effects
            FROM runs r WHERE r.event_id = e.id AND r.generation = e.generation
        ) p ON true
        LEFT JOIN LATERAL (
            SELECT array_agg(q.script) AS scripts, array_agg(q.effects) AS effects FROM (
                SELECT DISTINCT ON (r.script) r.script, coalesce(r.effects, '') AS effects FROM runs r
                WHERE e.reuse_effects AND r.event_id = e.id AND r.generation < e.generation ORDER BY r.script, r.id DESC
            ) q
        ) pr ON true
        WHERE c.endpoint = $1 AND c.call_id = $2 AND c.holder = $3 AND c.token = $4
        ORDER BY e.id
        """

    struct Row {
        var version: Int64
        var item: WorkItem?
    }

    var claim: CallClaim
    var node: String
    var after: Int64
    var limit: Int

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 6)
        bindings.append(claim.call.endpoint)
        bindings.append(claim.call.callID)
        bindings.append(node)
        bindings.append(claim.token)
        bindings.append(after)
        bindings.append(limit)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let (version, id, receivedAt, type, warnings, generation, body, scripts, outcomes, attempts, effects, earlierScripts,
             earlierEffects) = try row.decode(
            (Int64, Int64?, Int64?, String?, [String]?, Int?, ByteBuffer?, [String]?, [String]?, [Int]?, [String]?, [String]?,
             [String]?).self)
        guard let id, let receivedAt, let type, let generation, let body else { return Row(version: version, item: nil) }
        var progress = RunProgress()
        for (index, script) in (scripts ?? []).enumerated() {
            progress.count(script: script, outcome: outcomes.map { RunOutcome(rawValue: $0[index]) } ?? nil,
                           attempt: attempts?[index] ?? 0,
                           effects: effects.flatMap { $0[index].isEmpty ? nil : EffectRecord(json: $0[index]) })
        }
        // a replay that reuses effects: each script's latest run before it, until the script runs again
        for (index, script) in (earlierScripts ?? []).enumerated()
        where progress.attempts[script] == nil && !progress.finished.contains(script) {
            let text = earlierEffects?[index] ?? ""
            progress.effects[script] = text.isEmpty ? EffectRecord() : EffectRecord(json: text) ?? EffectRecord()
        }
        let event = PendingEvent(id: EventID(id), receivedAt: receivedAt, endpoint: claim.call.endpoint, type: type,
                                 callID: claim.call.callID, warnings: warnings ?? [], generation: generation)
        return Row(version: version, item: WorkItem(event: event, body: Array(body.readableBytesView), progress: progress))
    }
}

struct RecordStatement: PostgresPreparedStatement {
    static let sql = "SELECT r FROM hookline_record_with_timers($1, $2::jsonb, $3) r"
    typealias Row = String

    var node: String
    var batch: String
    var now: Int64

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(node)
        bindings.append(batch)
        bindings.append(now)
        return bindings
    }
}
