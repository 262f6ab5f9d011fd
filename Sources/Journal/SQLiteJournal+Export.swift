import GRDB

/// A value of the scripts' store as it is kept, for copying a journal elsewhere.
package struct StoreEntry: Sendable, Equatable {
    package var endpoint: String
    package var key: String
    /// JSON text.
    package var value: String
    /// Epoch milliseconds; nil: kept until deleted.
    package var expiresAt: Int64?

    package init(endpoint: String, key: String, value: String, expiresAt: Int64?) {
        self.endpoint = endpoint
        self.key = key
        self.value = value
        self.expiresAt = expiresAt
    }
}

/// What `hookline journal copy` reads from the journal of one node, to move it into PostgreSQL.
extension SQLiteJournal {
    /// How many events the journal holds.
    package func eventCount() async throws(JournalError) -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0 }
    }

    /// Up to `limit` events with ids above `after` (from the first when nil), oldest first, each whole: its
    /// body and every run.
    package func exportEvents(after: EventID?, limit: Int) async throws(JournalError) -> [EventDetail] {
        let ids = try await read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM events WHERE id > ? ORDER BY id LIMIT ?",
                               arguments: [after?.rawValue ?? 0, limit])
        }
        var events: [EventDetail] = []
        events.reserveCapacity(ids.count)
        for id in ids {
            if let event = try await event(EventID(id)) { events.append(event) }  // else pruned meanwhile
        }
        return events
    }

    /// Every pending timer.
    package func exportTimers() async throws(JournalError) -> [PendingTimer] {
        try await timers(matching: TimerQuery(limit: Int.max))
    }

    /// Every value of the scripts' store, expired ones too (their expiry goes with them).
    package func exportStore() async throws(JournalError) -> [StoreEntry] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT endpoint, key, value, expires_at FROM store ORDER BY endpoint, key").map {
                StoreEntry(endpoint: $0["endpoint"], key: $0["key"], value: $0["value"], expiresAt: $0["expires_at"])
            }
        }
    }
}
