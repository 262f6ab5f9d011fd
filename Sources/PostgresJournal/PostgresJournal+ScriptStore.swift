import Journal
import PostgresNIO

extension PostgresJournal {
    public func storeGet(endpoint: String, key: String, now: Int64) async throws(JournalError) -> String? {
        let rows = try await perform("read the store") { client in
            try await client.rows(StoreGetStatement(endpoint: endpoint, key: storable(key), now: now))
        }
        return rows.first
    }

    public func storeSet(endpoint: String, key: String, value: String, expiresAt: Int64?,
                         fence: Fence?) async throws(JournalError) {
        let statement = StoreWriteStatement(
            operation: .set(value: storable(value), expiresAt: expiresAt), endpoint: endpoint, key: storable(key), fence: fence)
        try await write(statement, fence)
    }

    public func storeDelete(endpoint: String, key: String, fence: Fence?) async throws(JournalError) {
        try await write(StoreWriteStatement(operation: .delete, endpoint: endpoint, key: storable(key), fence: fence), fence)
    }

    public func storeIncrement(endpoint: String, key: String, by: Double, expiresAt: Int64?, now: Int64,
                               fence: Fence?) async throws(JournalError) -> Double {
        let statement = StoreIncrementStatement(endpoint: endpoint, key: storable(key), by: by, expiresAt: expiresAt, now: now,
                                                fence: fence)
        let rows = try await perform("add to a number in the store", writes: true) { client in try await client.rows(statement) }
        guard let value = rows.first ?? nil else { throw JournalError.fenced(fence!.claim) }
        return value
    }

    public func foldAlert(key: String, window: Int64, now: Int64) async throws(JournalError) -> Int? {
        try await perform("fold an alert", writes: true) { client in
            try await client.rows("SELECT hookline_fold_alert(\(storable(key)), \(window), \(now))::bigint").first?.decode(Int?.self) ?? nil
        }
    }

    private func write(_ statement: StoreWriteStatement, _ fence: Fence?) async throws(JournalError) {
        let rows = try await perform("write to the store", writes: true) { client in try await client.rows(statement) }
        guard rows.first == true else { throw JournalError.fenced(fence!.claim) }
    }
}

/// The fence of a store write as the four parameters hookline_fence_holds takes (all NULL: no fence).
private func appendFence(_ fence: Fence?, to bindings: inout PostgresBindings) {
    bindings.append(fence?.claim.call.endpoint)
    bindings.append(fence?.claim.call.callID)
    bindings.append(fence?.node.incarnation)
    bindings.append(fence?.claim.token)
}

struct StoreGetStatement: PostgresPreparedStatement {
    static let sql = "SELECT value FROM store WHERE endpoint = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > $3)"
    typealias Row = String

    var endpoint: String
    var key: String
    var now: Int64

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(endpoint)
        bindings.append(key)
        bindings.append(now)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(String.self) }
}

/// A set or a delete, under its fence; the row says whether the fence held.
struct StoreWriteStatement: PostgresPreparedStatement {
    // one statement for both, so that each has one plan cached per connection
    static let sql = """
        SELECT CASE WHEN $1 THEN hookline_store_set($2, $3, $4, $5, $6, $7, $8, $9)
                    ELSE hookline_store_delete($2, $3, $6, $7, $8, $9) END
        """
    typealias Row = Bool

    enum Operation {
        case set(value: String, expiresAt: Int64?)
        case delete
    }

    var operation: Operation
    var endpoint: String
    var key: String
    var fence: Fence?

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 9)
        switch operation {
        case .set(let value, let expiresAt):
            bindings.append(true)
            bindings.append(endpoint)
            bindings.append(key)
            bindings.append(value)
            bindings.append(expiresAt)
        case .delete:
            bindings.append(false)
            bindings.append(endpoint)
            bindings.append(key)
            bindings.append(String?.none)
            bindings.append(Int64?.none)
        }
        appendFence(fence, to: &bindings)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Bool.self) }
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

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Double?.self) }
}
