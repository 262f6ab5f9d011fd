// The front door alone, to weigh it: `FrontDoorBenchmark hummingbird|nio MODE [PORT]` serves
// `POST /webhook` on 127.0.0.1, reads the body into one array and answers 200 `{"accepted":true}`; with
// `check` it also runs intake's checks (strict parse, inspection, redaction) first. No journal, no scripts.
// With `keep` (nio only) it checks nothing and answers once the body is appended to one file and synced,
// concurrent bodies sharing one `write` and one `fdatasync`: the ceiling for any durable intake, since
// Hookline's journal does this and more (an indexed SQLite row, synced too). `keep` writes through the page
// cache, `keep-direct` around it (O_DIRECT, batches padded to 4 KiB, as Hookline's body segments are);
// `check-keep-direct` runs intake's checks first: Hookline's intake without its SQLite index.
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
let modes = ["read", "check", "keep", "keep-direct", "check-keep-direct"]
guard arguments.count >= 2, ["hummingbird", "nio"].contains(arguments[0]), modes.contains(arguments[1]),
      !arguments[1].contains("keep") || arguments[0] == "nio" else {
    print("usage: FrontDoorBenchmark hummingbird|nio \(modes.joined(separator: "|")) [PORT]   (keep: nio only)")
    exit(2)
}
let checking = arguments[1].hasPrefix("check")
let keeper = arguments[1].contains("keep")
    ? SyncedAppender(path: "front-door-bodies.\(getpid()).bin", direct: arguments[1].hasSuffix("keep-direct")) : nil
let port = arguments.count > 2 ? Int(arguments[2]) ?? 18333 : 18333
let acceptedReply = #"{"accepted":true}"#

/// What both front doors do with a whole body.
@Sendable func handle(_ body: [UInt8]) {
    if checking { _ = Intake.check(body, receivedAt: Int64(Date().timeIntervalSince1970 * 1000)) }
}

final class WebhookHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private var body: [UInt8] = []
    private let reply = ByteBuffer(string: acceptedReply)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            body.removeAll(keepingCapacity: true)
            if let length = head.headers["content-length"].first.flatMap(Int.init) { body.reserveCapacity(length) }
        case .body(let buffer):
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            if let keeper {
                handle(body)
                let loop = context.eventLoop
                let bound = NIOLoopBound((self, context), eventLoop: loop)
                keeper.append(body) { loop.execute { bound.value.0.answer(context: bound.value.1) } }
            } else {
                handle(body)
                answer(context: context)
            }
        }
    }

    private func answer(context: ChannelHandlerContext) {
        let headers = HTTPHeaders([("content-type", "application/json"), ("content-length", String(reply.readableBytes))])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(reply))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

/// Appends bodies to one file from one thread: everything queued while a sync runs goes out in the next
/// `write` + `fdatasync`, then each body's `done` is called.
final class SyncedAppender: @unchecked Sendable {
    private let condition = NSCondition()  // guards `queue`
    private var queue: [([UInt8], @Sendable () -> Void)] = []
    private let descriptor: Int32
    private let block: Int  // 1, or 4096 for direct I/O

    init(path: String, direct: Bool) {
        block = direct ? 4096 : 1
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | (direct ? 0o40000 : 0), 0o600)
        precondition(descriptor >= 0, "cannot open \(path)")
        unlink(path)
        Thread.detachNewThread { self.run() }
    }

    func append(_ body: [UInt8], done: @escaping @Sendable () -> Void) {
        condition.lock()
        queue.append((body, done))
        condition.signal()
        condition.unlock()
    }

    private func run() {
        let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 20, alignment: 4096)
        while true {
            condition.lock()
            while queue.isEmpty { condition.wait() }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            condition.unlock()
            var filled = 0
            for (body, _) in batch {
                body.withUnsafeBytes { (staging.baseAddress! + filled).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                filled += body.count
            }
            let padded = (filled + block - 1) / block * block
            memset(staging.baseAddress! + filled, 0, padded - filled)
            precondition(write(descriptor, staging.baseAddress, padded) == padded, "write failed: \(errno)")
            precondition(fdatasync(descriptor) == 0, "fdatasync failed")
            for (_, done) in batch { done() }
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
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: acceptedReply)))
    }
    try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port))).runService()
}
