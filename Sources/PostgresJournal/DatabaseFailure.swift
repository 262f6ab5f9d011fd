import Journal
import PostgresNIO

/// What went wrong with a database operation, told without the query's values (event bodies, the store's
/// values) or the connection's password: what the server said and its SQLSTATE, or why it could not be reached.
struct DatabaseFailure: CustomStringConvertible {
    let description: String
    /// The database cannot be reached or take writes now (rather than refusing this one operation): the node
    /// answers deliveries with 503 and readiness with false until it can again.
    let isOutage: Bool

    init(_ error: any Error) {
        (description, isOutage) = Self.describe(error)
    }

    private static func describe(_ error: any Error) -> (String, Bool) {
        switch error {
        case let error as PostgresTransactionError:
            guard let cause = error.closureError ?? error.beginError ?? error.commitError ?? error.rollbackError else {
                return ("a transaction failed", true)
            }
            return describe(cause)
        case let error as PSQLError:
            guard let server = error.serverInfo else {
                return ("the database connection failed (\(error.code))" + (error.underlying.map { ": \($0)" } ?? ""), true)
            }
            let state = server[.sqlState] ?? "?"
            return ("the database said: \(server[.message] ?? "an error") (SQLSTATE \(state))" + (server[.detail].map { "; \($0)" } ?? ""),
                    outageStates.contains(where: state.hasPrefix))
        case let error as Deadline.Exceeded:
            return (error.description, true)
        case let error as JournalError:
            return (error.message, error.kind == .unavailable)
        default:
            return ("\(error)", true)
        }
    }

    /// SQLSTATE classes and codes that mean the server is unavailable rather than the operation wrong: connection
    /// exceptions, a read-only transaction (a standby), authentication refused, lack of resources, an operator's
    /// intervention (shutdown, restart), a database that does not exist (yet).
    static let outageStates = ["08", "25006", "28", "53", "57", "3D000"]
}
