import Journal
import PostgresNIO

/// Timers in PostgreSQL (the `timers` migration in `Schema`): fired by one node at a time, each exactly once.
extension PostgresJournal {
    public func pendingTimers(of call: CallKey, asOf event: EventID) async throws(JournalError) -> [PendingTimer] {
        var binds = PostgresBindings(capacity: 3)
        binds.append(call.endpoint)
        binds.append(call.callID)
        binds.append(event.rawValue)
        return try await timers(PostgresQuery(unsafeSQL: """
            SELECT endpoint, call_id, name, due_at, set_at, data, set_by FROM timers
            WHERE endpoint = $1 AND call_id = $2 AND (state = 'pending' OR (state = 'fired' AND fired_event > $3)) ORDER BY name
            """, binds: binds), "read a call's timers")
    }

    public func timers(matching query: TimerQuery) async throws(JournalError) -> [PendingTimer] {
        var sql = Self.timerColumns
        var binds = PostgresBindings()
        if let call = query.callID { binds.append(call); sql += " AND call_id = $\(binds.count)" }
        if let endpoint = query.endpoint { binds.append(endpoint); sql += " AND endpoint = $\(binds.count)" }
        if let before = query.dueBefore { binds.append(before); sql += " AND due_at < $\(binds.count)" }
        binds.append(query.limit)
        sql += " ORDER BY due_at, endpoint, call_id, name LIMIT $\(binds.count)"
        return try await timers(PostgresQuery(unsafeSQL: sql, binds: binds), "list timers")
    }

    public func nextTimerDue() async throws(JournalError) -> Int64? {
        try await perform("read when the next timer is due") { connection in
            try await connection.rows("SELECT min(due_at) FROM timers WHERE state = 'pending'").first?.decode(Int64?.self) ?? nil
        }
    }

    public func fireDueTimers(now: Int64, claimant: NodeIdentity, limit: Int) async throws(JournalError) -> [FiredTimer] {
        let rows = try await perform("fire due timers", writes: true) { connection in
            try await connection.rows("SELECT * FROM hookline_fire_due(\(claimant.incarnation), \(now), \(limit))")
        }
        do {
            var fired: [FiredTimer] = []
            // several timers of one call share its new version: each gets its own place in it, in id order
            var seen: [CallKey: Int64] = [:]
            for row in rows {
                let (id, endpoint, callID, name, dueAt, setAt, data, setBy, body, token, version, inherited) = try row.decode(
                    (Int64, String, String, String, Int64, Int64, String?, Int64, ByteBuffer, Int64?, Int64, Bool).self)
                let call = CallKey(endpoint: endpoint, callID: callID)
                guard let token else { continue }  // another live node holds the call: it was signalled
                seen[call, default: 0] += 1
                let timer = PendingTimer(call: call, name: name, dueAt: dueAt, setAt: setAt, data: data, setBy: EventID(setBy))
                let event = PendingEvent(id: EventID(id), receivedAt: now, endpoint: endpoint, type: Timers.eventType(name),
                                         callID: callID, warnings: [], generation: 0)
                fired.append(FiredTimer(timer: timer, event: event, body: Array(body.readableBytesView),
                                        stored: StoredEvent(id: EventID(id), claim: CallClaim(call: call, token: token),
                                                            version: version, inheritedWork: inherited)))
            }
            var counts = seen
            for index in fired.indices {
                let call = fired[index].timer.call
                counts[call]! -= 1
                fired[index].stored.version -= counts[call]!
            }
            return fired
        } catch {
            throw JournalError(.corrupt, "cannot read the timers fired: \(error)")
        }
    }

    private static let timerColumns = """
        SELECT endpoint, call_id, name, due_at, set_at, data, set_by FROM timers WHERE state = 'pending'
        """

    private func timers(_ query: PostgresQuery, _ what: String) async throws(JournalError) -> [PendingTimer] {
        let rows = try await perform(what) { connection in try await connection.rows(query) }
        do {
            return try rows.map { row in
                let (endpoint, callID, name, dueAt, setAt, data, setBy) = try row.decode(
                    (String, String, String, Int64, Int64, String?, Int64).self)
                return PendingTimer(call: CallKey(endpoint: endpoint, callID: callID), name: name, dueAt: dueAt, setAt: setAt,
                                    data: data, setBy: EventID(setBy))
            }
        } catch {
            throw JournalError(.corrupt, "cannot \(what): \(error)")
        }
    }
}
