import Basics
import NIOCore
import PostgresNIO
import Synchronization

/// Bounds how long one database operation may take: a database or network that stops answering must turn
/// into an error in time (a delivery answered 503, a lease renewal that fails), never into a wait without end.
/// The operation is cancelled at the deadline, and left to end by itself if it cannot be.
enum Deadline {
    struct Exceeded: Error, CustomStringConvertible {
        let limit: Duration
        var description: String { "the database did not answer within \(limit)" }
    }

    static func run<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async -> Result<T, any Error> {
        await withCheckedContinuation { continuation in
            let outcome = Outcome(continuation)
            let work = Task {
                do {
                    outcome.resume(.success(try await body()))
                } catch {
                    outcome.resume(.failure(error))
                }
            }
            let nanoseconds = limit.wholeNanoseconds
            let timer = PostgresClient.defaultEventLoopGroup.any().scheduleTask(in: .nanoseconds(nanoseconds)) {
                if outcome.resume(.failure(Exceeded(limit: limit))) { work.cancel() }
            }
            outcome.whenResumed { timer.cancel() }
        }
    }

    /// Resumes its continuation once, with whichever comes first.
    private final class Outcome<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<Result<T, any Error>, Never>?
            var onResume: (@Sendable () -> Void)?
        }

        private let state: Mutex<State>

        init(_ continuation: CheckedContinuation<Result<T, any Error>, Never>) {
            state = Mutex(State(continuation: continuation))
        }

        /// True when this was the first.
        @discardableResult
        func resume(_ result: Result<T, any Error>) -> Bool {
            let (continuation, onResume) = state.withLock { state in
                defer { state.continuation = nil; state.onResume = nil }
                return (state.continuation, state.onResume)
            }
            guard let continuation else { return false }
            continuation.resume(returning: result)
            onResume?()
            return true
        }

        /// Runs `action` once resumed (at once if it was already).
        func whenResumed(_ action: @escaping @Sendable () -> Void) {
            let already = state.withLock { state in
                guard state.continuation != nil else { return true }
                state.onResume = action
                return false
            }
            if already { action() }
        }
    }
}
