import Journal
import PostgresNIO

extension PostgresJournal {
    public func append(_ event: NewEvent, claimant: NodeIdentity,
                       done: @escaping @Sendable (Result<AppendOutcome, JournalError>) -> Void) {
        guard !isClosed else {
            done(.failure(JournalError(.unavailable, "the journal is closed")))
            return
        }
        let call = CallKey(endpoint: event.endpoint, callID: event.callID)
        let statement = AppendStatement(event: event, claimant: claimant)
        let limit = configuration.operationTimeout
        let job: CallSequencer.Job = { [self] in
            let (ended, end) = AsyncStream<Void>.makeStream()
            do {
                let rows = try await perform("store an event", writes: true, ended: { end.finish() }) { connection in
                    try await connection.rows(statement)
                }
                guard let (id, duplicate, token, version, inherited) = rows.first else {
                    throw JournalError(.corrupt, "cannot store an event: the database answered no row")
                }
                done(.success(duplicate ? .duplicate(of: EventID(id))
                    : .stored(StoredEvent(id: EventID(id), claim: token.map { CallClaim(call: call, token: $0) },
                                          version: version, inheritedWork: inherited))))
            } catch let error as JournalError {
                done(.failure(error))
            } catch {
                done(.failure(JournalError(.unavailable, "cannot store an event: \(error)")))
            }
            await Self.wait(for: ended, atMost: limit)
        }
        // only pending events touch their call, and need its order
        if event.state == .pending {
            appends.run(call, job)
        } else {
            Task { await job() }
        }
    }

    /// An append answered as failed at its deadline may still commit afterwards: the next append of its call
    /// waits until it has really ended (for at most another `limit`), so that it cannot commit after a later
    /// event of the call and run after it. (A database stopped under load ran some calls' events out of order.)
    private static func wait(for ended: AsyncStream<Void>, atMost limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await _ in ended {} }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }

    public func body(of id: EventID) async throws(JournalError) -> [UInt8]? {
        try await perform("read an event's body") { connection in
            try await connection.rows("SELECT body FROM events WHERE id = \(id.rawValue)").first
                .map { Array(try $0.decode(ByteBuffer.self).readableBytesView) }
        }
    }
}

/// One append, in one round trip (hookline_append in `Schema`).
struct AppendStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT event_id, duplicate, claim_token, call_version, inherited
        FROM hookline_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        """
    typealias Row = (Int64, Bool, Int64?, Int64, Bool)

    var event: NewEvent
    var claimant: NodeIdentity

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 10)
        bindings.append(claimant.incarnation)
        bindings.append(event.receivedAt)
        bindings.append(storable(event.endpoint))
        bindings.append(storable(event.type))
        bindings.append(storable(event.callID))
        bindings.append(storable(event.dedupKey))
        bindings.append(storable(event.requestID))
        bindings.append(ByteBuffer(bytes: event.body))
        bindings.append(event.warnings.map(storable))
        bindings.append(event.state.rawValue)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
