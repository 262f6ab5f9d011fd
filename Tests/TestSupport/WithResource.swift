/// Runs `body` with `resource`, then `stop`s it, also when `body` throws: whatever a test starts (a server, a
/// receiver, a cluster, a connection) has stopped before the test ends, so the next one never shares the
/// machine with it.
public func withResource<Resource: Sendable, Result>(_ resource: Resource, stop: (Resource) async throws -> Void,
                                           isolation: isolated (any Actor)? = #isolation,
                                           _ body: (Resource) async throws -> Result) async throws -> Result {
    let result: Result
    do {
        result = try await body(resource)
    } catch {
        try? await stop(resource)
        throw error
    }
    try await stop(resource)
    return result
}
