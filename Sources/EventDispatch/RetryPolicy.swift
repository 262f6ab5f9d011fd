/// When a failed run is tried again: after `backoff`, doubling with each attempt (at most 5 minutes), until
/// `retries` retries were made; then the run is dead.
///
/// ```swift
/// let policy = RetryPolicy(retries: 5, backoff: .seconds(1))
/// policy.afterFailure(ofAttempt: 1)   // .retry(after: 1 s)
/// policy.afterFailure(ofAttempt: 6)   // .dead
/// ```
struct RetryPolicy: Sendable, Equatable {
    static let longestWait = Duration.seconds(300)

    var retries: Int
    var backoff: Duration

    enum Decision: Equatable {
        case retry(after: Duration)
        case dead
    }

    func afterFailure(ofAttempt attempt: Int) -> Decision {
        guard attempt <= retries else { return .dead }
        return .retry(after: min(backoff * (1 << min(attempt - 1, 20)), Self.longestWait))
    }
}
