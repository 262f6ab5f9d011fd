import Foundation
import FuzzSupport
import Intake
import JSON
import Journal
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Observability
import Server

// The front door: arbitrary bytes into one connection's pipeline, exactly as the server builds it
// (`ConnectionPipeline`: NIO's HTTP/1 decoder and pipelining, deadlines, Hookline's handler), on NIO's
// thread-safe test channel, with a real intake and a real SQLite journal. Never a crash; every request
// received in full gets an answer; and a 2xx answers only a valid delivery (POST /webhook, one Host, the
// endpoint's secret, a JSON media type, within --max-body, a body intake accepts, and then the event is in
// the journal with that body, redacted) or GET /healthz or /metrics.

let secret = "fuzz-secret-0123456789"
let maxBody = 160 << 10

/// The journal, in memory-backed storage when there is some (/dev/shm), replaced now and then so that it stays small.
final class Backend: @unchecked Sendable {
    private(set) var journal: SQLiteJournal
    private(set) var pipeline: ConnectionPipeline
    private var folder: String
    private var uses = 0

    init() {
        (journal, pipeline, folder) = Backend.make()
    }

    static func make() -> (SQLiteJournal, ConnectionPipeline, String) {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let folder = (base as NSString).appendingPathComponent("hookline-fuzz-http-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let journal = try! SQLiteJournal(directory: folder)
        let telemetry = Telemetry(eventTypes: EventTypes.known)
        let intake = Intake(journal: journal, node: NodeIdentity.starting(name: "fuzz"), telemetry: telemetry)
        var logger = Logger(label: "fuzz")
        logger.logLevel = .critical
        let settings = ServerSettings(host: "127.0.0.1", port: 0, maxBody: maxBody,
                                      endpoints: [EndpointSettings(secret: secret)], eventLoops: 1)
        let server = HooklineServer(settings: settings, intake: intake, journal: journal, telemetry: telemetry,
                                    logger: logger, backlog: { 0 })
        return (journal, ConnectionPipeline(server: server), folder)
    }

    func next() {
        uses += 1
        guard uses % 5000 == 0 else { return }
        let (old, oldFolder) = (journal, folder)
        (journal, pipeline, folder) = Backend.make()
        Fuzz.wait { await old.close() }
        try? FileManager.default.removeItem(atPath: oldFolder)
    }
}

let backend = Backend()

/// One request as the answering handler received it.
final class Request: @unchecked Sendable {
    var head: HTTPRequestHead
    var body: [UInt8] = []
    var ended = false
    init(head: HTTPRequestHead) { self.head = head }
}

/// Sees each request part on its way to the answering handler, and passes it on.
final class Observer: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    var requests: [Request] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): requests.append(Request(head: head))
        case .body(let buffer): requests.last?.body += buffer.readableBytesView
        case .end: requests.last?.ended = true
        }
        context.fireChannelRead(data)
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    Fuzz.initialize {
        func post(_ body: [UInt8], headers: String = "Content-Type: application/json\r\nX-Interactly-Secret: \(secret)\r\n") -> [UInt8] {
            Array("POST /webhook HTTP/1.1\r\nHost: hookline\r\n\(headers)Content-Length: \(body.count)\r\n\r\n".utf8) + body
        }
        let bodies = Fuzz.fixtures().filter { $0.count <= maxBody }
        var seeds = bodies.map { post($0) }
        let small = bodies.min { $0.count < $1.count } ?? Array("{}".utf8)
        var chunked = Array("POST /webhook?x=1 HTTP/1.1\r\nHost: h\r\nContent-Type: Application/JSON; charset=utf-8\r\nX-Interactly-Secret: \(secret)\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n".utf8)
        chunked += Array("\(String(small.count / 2, radix: 16))\r\n".utf8) + small[..<(small.count / 2)] + Array("\r\n".utf8)
        chunked += Array("\(String(small.count - small.count / 2, radix: 16))\r\n".utf8) + small[(small.count / 2)...] + Array("\r\n0\r\n\r\n".utf8)
        seeds.append(chunked)
        seeds.append(post(small) + post(small) + Array("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        seeds.append(Array("GET /metrics HTTP/1.0\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        seeds.append(post(small, headers: "Content-Type: application/json\r\nX-Interactly-Secret: wrong\r\n"))
        seeds.append(post(small, headers: "Content-Type: text/plain\r\nX-Interactly-Secret: \(secret)\r\n"))
        seeds.append(Array("POST /webhook HTTP/1.1\r\nContent-Type: application/json\r\nX-Interactly-Secret: \(secret)\r\nContent-Length: 2\r\n\r\n{}".utf8))
        seeds.append(Array("POST /webhook HTTP/1.1\r\nHost: a\r\nHost: b\r\nTransfer-Encoding: identity, chunked\r\n\r\n".utf8))
        return seeds
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = data.bytes(size)
    backend.next()
    let (journal, pipeline) = (backend.journal, backend.pipeline)
    let observer = Observer()
    let (responses, requests): ([Response], [Request]) = Fuzz.wait { () -> ([Response], [Request]) in
        let channel = NIOAsyncTestingChannel()
        try! await channel.eventLoop.submit { try pipeline.install(on: channel, observer: observer) }.get()
        // in two writes, so that a request may arrive in pieces
        let half = input.count / 2
        for part in [input[..<half], input[half...]] where !part.isEmpty {
            do { try await channel.writeInbound(ByteBuffer(bytes: part)) } catch { break }
        }
        var output: [UInt8] = []
        var (responses, requests): ([Response], [Request]) = ([], [])
        // answers come from the journal's thread and from tasks: wait until every request received in full has
        // one (or the connection closed), and nothing more came in a round; at most 5 s
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(5)
        while true {
            await channel.testingEventLoop.run()
            var grew = false
            while let chunk = try? await channel.readOutbound(as: IOData.self) {
                if case .byteBuffer(let buffer) = chunk { output += buffer.readableBytesView; grew = true }
            }
            responses = parseResponses(output)
            let snapshot = try! await channel.eventLoop.submit { observer.requests.map { ($0.head, $0.body, $0.ended) } }.get()
            requests = snapshot.map { let r = Request(head: $0.0); r.body = $0.1; r.ended = $0.2; return r }
            let answered = responses.filter { $0.status >= 200 }.count
            let complete = requests.filter(\.ended).count
            let active = channel.isActive
            if !grew && (answered >= complete || !active) { break }
            if clock.now > deadline {
                Fuzz.fail("\(complete) requests received in full, \(answered) answered, the connection still open after 5 s")
            }
            if !grew { try? await Task.sleep(for: .microseconds(100)) }
        }
        _ = try? await channel.finish()
        return (responses, requests)
    }
    let finals = responses.filter { $0.status >= 200 }
    for (index, response) in finals.enumerated() where (200..<300).contains(response.status) {
        guard index < requests.count else { Fuzz.fail("a \(response.status) answers no request (\(requests.count) received)") }
        let request = requests[index]
        let path = String(request.head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        if request.head.method == HTTPMethod.GET && (path == "/healthz" || path == "/metrics") { continue }
        Fuzz.check(validDelivery(request), "\(response.status) for \(request.head.method) \(request.head.uri): not a valid delivery")
        // the event is in the journal, as intake stores it
        guard let id = response.json?["id"]?.string.flatMap(EventID.init) else { Fuzz.fail("a 2xx without an event id") }
        let stored = Fuzz.wait { try? await journal.event(id) }
        guard let stored else { Fuzz.fail("event \(id) was acknowledged but is not in the journal") }
        if case .success(let checked) = Intake.check(request.body, receivedAt: 0), response.json?["duplicate"] == nil {
            Fuzz.check(stored.body == checked.stored.bytes, "event \(id) is stored with another body")
        }
    }
    return 0
}

/// What makes a request a delivery the webhook may accept, read from the README's rules, not the server's code.
func validDelivery(_ request: Request) -> Bool {
    let head = request.head
    let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    guard head.method == .POST, path == "/webhook", request.ended else { return false }
    let hosts = head.headers["host"].count
    guard hosts == 1 || (hosts == 0 && head.version.major == 1 && head.version.minor == 0) else { return false }
    let codings = head.headers["transfer-encoding"].flatMap { $0.split(separator: ",") }
        .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    guard codings.isEmpty || codings == ["chunked"] else { return false }
    guard head.headers["x-interactly-secret"].first == secret else { return false }
    guard let type = head.headers["content-type"].first,
          type.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first?
            .trimmingCharacters(in: CharacterSet(charactersIn: " \t")).lowercased() == "application/json" else { return false }
    if let length = head.headers["content-length"].first.flatMap(Int.init), length > maxBody { return false }
    guard request.body.count <= maxBody else { return false }
    if case .success = Intake.check(request.body, receivedAt: 0) { return true }
    return false
}

struct Response: Sendable {
    var status: Int
    var closes: Bool
    var body: [UInt8]
    var json: JSONValue? { try? JSONParser.parse(body).root }
}

/// The responses in `bytes` (Hookline's own: a status line, headers, a content-length body), as far as complete.
func parseResponses(_ bytes: [UInt8]) -> [Response] {
    var responses: [Response] = []
    var at = 0
    let separator: [UInt8] = [13, 10, 13, 10]
    while at < bytes.count {
        guard let end = (at..<max(at, bytes.count - 3)).first(where: { bytes[$0..<($0 + 4)].elementsEqual(separator) }) else { break }
        let head = String(decoding: bytes[at..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let fields = head.first?.split(separator: " ") ?? []
        guard fields.count >= 2, let status = Int(fields[1]) else { Fuzz.fail("not a status line: \(head.first ?? "")") }
        var length = 0
        var closes = false
        for line in head.dropFirst() {
            let pair = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            if pair[0].lowercased() == "content-length" { length = Int(pair[1]) ?? 0 }
            if pair[0].lowercased() == "connection" && pair[1].lowercased() == "close" { closes = true }
        }
        guard end + 4 + length <= bytes.count else { break }
        responses.append(Response(status: status, closes: closes, body: Array(bytes[(end + 4)..<(end + 4 + length)])))
        at = end + 4 + length
    }
    return responses
}
