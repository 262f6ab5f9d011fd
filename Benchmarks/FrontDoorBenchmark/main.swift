// The front door alone, to weigh it: `FrontDoorBenchmark hummingbird|nio read|check [PORT]` serves
// `POST /webhook` on 127.0.0.1, reads the body into one array and answers 200 `{"accepted":true}`; with
// `check` it also runs intake's checks (strict parse, inspection, redaction) first. No journal, no scripts.
// `Benchmarks/front-door.sh` loads each combination with the peer harness's mix, pinned like the harness.
//
// - hummingbird: a Router with one route, as `Sources/Server` uses it (without its middleware and logging);
//   the handler runs as a task on the cooperative pool, fed by the connection's NIO channel.
// - nio: NIO's HTTP/1 server pipeline and one channel handler; everything runs on the event loop's thread.
import Foundation
import Hummingbird
import Intake
import NIOCore
import NIOHTTP1
import NIOPosix

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 2, ["hummingbird", "nio"].contains(arguments[0]), ["read", "check"].contains(arguments[1]) else {
    print("usage: FrontDoorBenchmark hummingbird|nio read|check [PORT]")
    exit(2)
}
let checking = arguments[1] == "check"
let port = arguments.count > 2 ? Int(arguments[2]) ?? 18333 : 18333
let reply = #"{"accepted":true}"#

/// What both front doors do with a whole body.
@Sendable func handle(_ body: [UInt8]) {
    if checking { _ = Intake.check(body, receivedAt: Int64(Date().timeIntervalSince1970 * 1000)) }
}

final class WebhookHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private var body: [UInt8] = []
    private let answer = ByteBuffer(string: reply)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            body.removeAll(keepingCapacity: true)
            if let length = head.headers["content-length"].first.flatMap(Int.init) { body.reserveCapacity(length) }
        case .body(let buffer):
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            handle(body)
            let headers = HTTPHeaders([("content-type", "application/json"), ("content-length", String(answer.readableBytes))])
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(answer))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}

print("FrontDoorBenchmark: \(arguments[0]), \(arguments[1]), http://127.0.0.1:\(port)/webhook")
if arguments[0] == "nio" {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.backlog, value: 256)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                try channel.pipeline.syncOperations.addHandler(WebhookHandler())
            }
        }
        .bind(host: "127.0.0.1", port: port).get()
    try await channel.closeFuture.get()
} else {
    let router = Router()
    router.post("/webhook") { request, _ -> Response in
        var body: [UInt8] = []
        for try await part in request.body { body.append(contentsOf: part.readableBytesView) }
        handle(body)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: reply)))
    }
    try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port))).runService()
}
