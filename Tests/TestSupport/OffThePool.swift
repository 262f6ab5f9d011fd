import Foundation

/// Runs `work`, which blocks its thread (it waits for a child process, a socket, a lock), on a thread of its
/// own, and resumes when it returns. Swift's cooperative pool has one thread per core: a test that blocked one of
/// them while it waited for something that needs the pool (a server or a receiver in this process, answering
/// a child process) could leave none for the task that would end the wait, once the suites run in parallel.
///
/// ```swift
/// let output = try await offThePool { try process.run(); process.waitUntilExit(); return process.terminationStatus }
/// ```
public func offThePool<Value: Sendable, Failure: Error>(_ work: @escaping @Sendable () throws(Failure) -> Value) async throws(Failure) -> Value {
    let result: Result<Value, Failure> = await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: Result(catching: work)) }.start()
    }
    return try result.get()
}
