import Foundation
import JSON
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A local HTTP server standing in for Slack, PagerDuty, a CRM: records every request and answers as
/// told (optionally after a delay). SwiftNIO's HTTP/1 pipeline and one handler, on a free loopback port.
public final class Receiver: Sendable {
    public struct Recorded: Sendable {
        public let method: String
        public let path: String
        public let headers: [String: String]
        public let body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
        public var json: JSONValue? { (try? JSONParser.parse(body))?.root }
    }

    public struct Answer: Sendable {
        public var status: Int = 200
        public var body: String = "ok"
        public var contentType = "text/plain"
        public var delay: Duration = .zero

        public init(status: Int = 200, body: String = "ok", contentType: String = "text/plain", delay: Duration = .zero) {
            self.status = status
            self.body = body
            self.contentType = contentType
            self.delay = delay
        }
    }

    /// What the connections share with the receiver: the requests so far and the open connections.
    private final class State: Sendable {
        let requests = Mutex<[Recorded]>([])
        let connections = Mutex<[ObjectIdentifier: any Channel]>([:])
    }

    public let port: Int
    private let state: State
    private let listener: any Channel

    public var url: String { "http://127.0.0.1:\(port)" }
    public var requests: [Recorded] { state.requests.withLock { $0 } }

    private init(listener: any Channel, state: State) {
        self.port = listener.localAddress?.port ?? 0
        self.listener = listener
        self.state = state
    }

    public static func start(delay: Duration = .zero, answer: @escaping @Sendable (Recorded) -> Answer = { _ in Answer() }) async throws -> Receiver {
        let state = State()
        let respond: @Sendable (Recorded) async -> Answer = { request in
            state.requests.withLock { $0.append(request) }
            let reply = answer(request)
            if delay > .zero { try? await Task.sleep(for: delay) }
            if reply.delay > .zero { try? await Task.sleep(for: reply.delay) }
            return reply
        }
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let key = ObjectIdentifier(channel)
                state.connections.withLock { $0[key] = channel }
                channel.closeFuture.whenComplete { _ in _ = state.connections.withLock { $0.removeValue(forKey: key) } }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: true)
                    try channel.pipeline.syncOperations.addHandler(RecordingHandler(respond: respond))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return Receiver(listener: listener, state: state)
    }

    /// Stops listening and closes every open connection.
    public func stop() async {
        try? await listener.close()
        for connection in state.connections.withLock({ Array($0.values) }) { try? await connection.close() }
    }

    /// The requests so far once there are at least `count`.
    public func waitForRequests(_ count: Int, timeout: Duration = .seconds(20)) async throws -> [Recorded] {
        try await eventually("\(count) requests reached the receiver (\(requests.count) did)", timeout: timeout) { requests.count >= count }
        return requests
    }
}

/// Runs `body` with a receiver started as `Receiver.start` does, and returns once it has stopped.
public func withReceiver<Result>(delay: Duration = .zero, answer: @escaping @Sendable (Receiver.Recorded) -> Receiver.Answer = { _ in Receiver.Answer() },
                                 isolation: isolated (any Actor)? = #isolation,
                                 _ body: (Receiver) async throws -> Result) async throws -> Result {
    try await withResource(try await Receiver.start(delay: delay, answer: answer), stop: { await $0.stop() }, body)
}

/// One connection: collects each request, hands it to `respond` off the event loop, writes the answer.
private final class RecordingHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let respond: @Sendable (Receiver.Recorded) async -> Receiver.Answer
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(respond: @escaping @Sendable (Receiver.Recorded) async -> Receiver.Answer) {
        self.respond = respond
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(let buffer):
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard let head else { return }
            self.head = nil
            var headers: [String: String] = [:]
            for (name, value) in head.headers { headers[name.lowercased()] = value }
            let path = String(head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            let request = Receiver.Recorded(method: head.method.rawValue, path: path, headers: headers, body: body)
            let keepAlive = head.isKeepAlive
            let connection = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let respond = respond
            Task {
                let answer = await respond(request)
                connection.eventLoop.execute { connection.value.0.write(answer, keepAlive: keepAlive, context: connection.value.1) }
            }
        }
    }

    private func write(_ answer: Receiver.Answer, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders([("content-type", answer.contentType), ("content-length", String(answer.body.utf8.count))])
        if !keepAlive { headers.add(name: "connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: answer.status)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: answer.body)))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive { written.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
