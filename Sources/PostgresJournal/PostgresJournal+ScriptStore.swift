import Journal
import PostgresNIO

extension PostgresJournal {
    public func storeGet(endpoint: String, key: String, now: Int64) async throws(JournalError) -> String? {
        try await perform("read the store") { connection in
            try await connection.rows("""
                SELECT value FROM store WHERE endpoint = \(endpoint) AND key = \(storable(key))
                  AND (expires_at IS NULL OR expires_at > \(now))
                """).first?.decode(String.self)
        }
    }

    public func storeSet(endpoint: String, key: String, value: String, expiresAt: Int64?,
                         fence: Fence?) async throws(JournalError) {
        try await write(StoreWriteStatement(endpoint: endpoint, key: storable(key), value: storable(value), expiresAt: expiresAt,
                                            fence: fence))
    }

    public func storeDelete(endpoint: String, key: String, fence: Fence?) async throws(JournalError) {
        try await write(StoreWriteStatement(endpoint: endpoint, key: storable(key), value: nil, expiresAt: nil, fence: fence))
    }

    public func storeIncrement(endpoint: String, key: String, by: Double, expiresAt: Int64?, now: Int64,
                               fence: Fence?) async throws(JournalError) -> Double {
        let statement = StoreIncrementStatement(endpoint: endpoint, key: storable(key), by: by, expiresAt: expiresAt, now: now,
                                                fence: fence)
        let rows = try await perform("add to a number in the store", writes: true) { connection in try await connection.rows(statement) }
        guard let value = rows.first ?? nil else { throw JournalError.fenced(fence!.claim) }
        return value
    }

    public func foldAlert(key: String, window: Int64, now: Int64) async throws(JournalError) -> Int? {
        try await perform("fold an alert", writes: true) { connection in
            try await connection.rows("SELECT hookline_fold_alert(\(storable(key)), \(window), \(now))::bigint").first?.decode(Int?.self) ?? nil
        }
    }

    private func write(_ statement: StoreWriteStatement) async throws(JournalError) {
        let rows = try await perform("write to the store", writes: true) { connection in try await connection.rows(statement) }
        guard rows.first == true else { throw JournalError.fenced(statement.fence!.claim) }
    }
}

/// The fence of a store write as the four parameters hookline_fence_holds takes (all NULL: no fence).
private func appendFence(_ fence: Fence?, to bindings: inout PostgresBindings) {
    bindings.append(fence?.claim.call.endpoint)
    bindings.append(fence?.claim.call.callID)
    bindings.append(fence?.node.incarnation)
    bindings.append(fence?.claim.token)
}

/// A set, or a delete (no value), under its fence; the row says whether the fence held.
struct StoreWriteStatement: PostgresPreparedStatement {
    static let sql = "SELECT hookline_store_write($1, $2, $3, $4, $5, $6, $7, $8)"
    typealias Row = Bool

    var endpoint: String
    var key: String
    var value: String?
    var expiresAt: Int64?
    var fence: Fence?

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 8)
        bindings.append(endpoint)
        bindings.append(key)
        bindings.append(value)
        bindings.append(expiresAt)
        appendFence(fence, to: &bindings)
        return bindings
    }
}

/// NULL: fenced.
struct StoreIncrementStatement: PostgresPreparedStatement {
    static let sql = "SELECT hookline_store_increment($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    typealias Row = Double?

    var endpoint: String
    var key: String
    var by: Double
    var expiresAt: Int64?
    var now: Int64
    var fence: Fence?

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 9)
        bindings.append(endpoint)
        bindings.append(key)
        bindings.append(by)
        bindings.append(expiresAt)
        bindings.append(now)
        appendFence(fence, to: &bindings)
        return bindings
    }
}
