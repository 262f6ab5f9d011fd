import Journal
import Logging
import PostgresNIO
import Synchronization

/// Work signals for the nodes of one journal: one dedicated connection LISTENs on `Schema.signalChannel`
/// (a pooled connection cannot: LISTEN belongs to a session), and each payload, "<holder> <endpoint> <call>",
/// goes to the streams of the node it names. The connection is made again whenever it is lost; signals sent
/// meanwhile are missed, which is why nodes also poll (`WorkQueue.heldCalls`).
final class WorkSignals: Sendable {
    private struct State {
        var streams: [String: [Int: AsyncStream<CallKey>.Continuation]] = [:]
        var nextID = 0
        var listener: Task<Void, Never>?
        var listening = false
        var stopped = false
    }

    private let configuration: PostgresConfiguration
    private let logger: Logger
    private let state = Mutex(State())

    init(configuration: PostgresConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The calls of `node` that got work elsewhere; the listening connection is opened with the first stream.
    func stream(for node: NodeIdentity) -> AsyncStream<CallKey> {
        let (stream, continuation) = AsyncStream.makeStream(of: CallKey.self, bufferingPolicy: .bufferingNewest(4_096))
        let id = state.withLock { state -> Int? in
            guard !state.stopped else { return nil }
            state.nextID += 1
            state.streams[node.incarnation, default: [:]][state.nextID] = continuation
            if state.listener == nil { state.listener = Task { await self.listen() } }
            return state.nextID
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { state in
                state.streams[node.incarnation]?[id] = nil
                if state.streams[node.incarnation]?.isEmpty == true { state.streams[node.incarnation] = nil }
            }
        }
        return stream
    }

    /// Whether the connection listens now (signals sent while it does not are missed).
    var isListening: Bool { state.withLock { $0.listening } }

    func stop() async {
        let (listener, continuations) = state.withLock { state in
            state.stopped = true
            defer { state.streams = [:] }
            return (state.listener, state.streams.values.flatMap(\.values))
        }
        listener?.cancel()
        await listener?.value
        for continuation in continuations { continuation.finish() }
    }

    private func listen() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration.connectionConfiguration(),
                                                                      id: 0, logger: logger)
                failures = 0
                do {
                    try await connection.listen(on: Schema.signalChannel) { notifications in
                        state.withLock { $0.listening = true }
                        defer { state.withLock { $0.listening = false } }
                        for try await notification in notifications { deliver(notification.payload) }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                guard !Task.isCancelled else { return }
                failures += 1
                logger.warning("lost the connection that listens for work signals; polling until it is back",
                               metadata: ["error": "\(DatabaseFailure(error))"])
            }
            // at once after a clean end, then 0.5 s, 1 s, 2 s ... at most 10 s between attempts
            if failures > 0 { try? await Task.sleep(for: .milliseconds(min(10_000, 250 << min(failures, 6)))) }
        }
    }

    /// "<holder> <endpoint> <call>": the holder may contain spaces, the endpoint and the call cannot.
    private func deliver(_ payload: String) {
        let parts = payload.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return }
        let holder = parts.dropLast(2).joined(separator: " ")
        let call = CallKey(endpoint: String(parts[parts.count - 2]), callID: String(parts[parts.count - 1]))
        let continuations = state.withLock { state in state.streams[holder].map { Array($0.values) } ?? [] }
        for continuation in continuations { continuation.yield(call) }
    }
}
