import Foundation
import Hummingbird
import JSON
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A local HTTP server standing in for Slack, PagerDuty, a CRM: records every request and answers as
/// told (optionally after a delay).
final class Receiver: Sendable {
    struct Recorded: Sendable {
        let method: String
        let path: String
        let headers: [String: String]
        let body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: JSONValue? { (try? JSONParser.parse(body))?.root }
    }

    struct Answer: Sendable {
        var status: Int = 200
        var body: String = "ok"
        var contentType = "text/plain"
        var delay: Duration = .zero
    }

    /// The requests received so far, shared with the responder.
    final class Log: Sendable {
        let items = Mutex<[Recorded]>([])
    }

    let port: Int
    private let log: Log
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    var url: String { "http://127.0.0.1:\(port)" }
    var requests: [Recorded] { log.items.withLock { $0 } }

    private init(port: Int, log: Log, group: ServiceGroup, running: Task<Void, any Error>) {
        self.port = port
        self.log = log
        self.group = group
        self.running = running
    }

    static func start(delay: Duration = .zero, answer: @escaping @Sendable (Recorded) -> Answer = { _ in Answer() }) async throws -> Receiver {
        let log = Log()
        let responder = RecordingResponder(delay: delay, answer: answer) { request in log.items.withLock { $0.append(request) } }
        let (bound, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(responder: responder, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in
                                  continuation.yield(channel.localAddress?.port ?? 0)
                                  continuation.finish()
                              },
                              logger: Logger(label: "receiver", factory: { _ in SwiftLogNoOpLogHandler() }))
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "receiver", factory: { _ in SwiftLogNoOpLogHandler() })))
        let running = Task { try await group.run() }
        var port = 0
        for await value in bound {
            port = value
            break
        }
        return Receiver(port: port, log: log, group: group, running: running)
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }

    func waitForRequests(_ count: Int, timeout: Duration = .seconds(20)) async throws -> [Recorded] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let current = requests
            if current.count >= count { return current }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("expected \(count) requests at the receiver, got \(requests.count)")
    }
}

private struct RecordingResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let delay: Duration
    let answer: @Sendable (Receiver.Recorded) -> Receiver.Answer
    let record: @Sendable (Receiver.Recorded) -> Void

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
        let recorded = Receiver.Recorded(method: request.method.rawValue, path: request.uri.path, headers: headers,
                                         body: Array(body.readableBytesView))
        record(recorded)
        let reply = answer(recorded)
        if delay > .zero { try await Task.sleep(for: delay) }
        if reply.delay > .zero { try await Task.sleep(for: reply.delay) }
        return Response(status: .init(code: reply.status), headers: [.contentType: reply.contentType],
                        body: .init(byteBuffer: ByteBuffer(string: reply.body)))
    }
}
