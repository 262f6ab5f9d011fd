/// Waits until `condition` holds, asking again every `interval`; fails naming `what` after `timeout`.
/// The one way tests wait for something that happens in the background (a run, a drain, a listener).
public func eventually(_ what: @autoclosure () -> String, timeout: Duration = .seconds(60), interval: Duration = .milliseconds(20),
                       isolation: isolated (any Actor)? = #isolation, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return }
        guard ContinuousClock.now < deadline else { throw TestFailure("timed out after \(timeout) waiting until \(what())") }
        try await Task.sleep(for: interval)
    }
}

/// A test's own failure, with a message saying what did not happen.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
