import Basics
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// One connection's requests, handled on its event loop: the webhook body is read and checked on the
/// thread that received it (no hop to another thread before the journal), other routes answer from a task.
/// NIO's pipelining assistance hands over one request at a time, so answers go out in request order.
final class HTTPConnection: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// What the request being received gets at its end.
    private enum Pending {
        case webhook(WebhookResponder, body: [UInt8])
        case answer(Answer)  // decided from the head; the body is read and dropped
        case route(@Sendable () async -> Answer)
    }

    private let routes: Routes
    private let logger: Logger
    private var pending: Pending?
    private var discarded = 0
    private var answering = false
    private var keepAlive = true
    private var requestID = ""
    private var requestLogger: Logger
    /// Body bytes this request holds of the connections' shared budget (`Routes.bodies`).
    private var heldBytes = 0

    init(routes: Routes, logger: Logger) {
        self.routes = routes
        self.logger = logger
        requestLogger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): begin(head, context: context)
        case .body(let buffer): receive(buffer, context: context)
        case .end: finish(context: context)
        }
    }

    private func begin(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        keepAlive = head.isKeepAlive
        requestID = head.headers.first(name: RequestIDs.header).flatMap { RequestIDs.isSafe($0) ? $0 : nil } ?? RequestIDs.next()
        requestLogger = logger
        requestLogger[metadataKey: "request_id"] = .string(requestID)
        discarded = 0
        context.triggerUserOutboundEvent(RequestDeadlines.Progress.headReceived, promise: nil)
        if let malformed = Self.framingProblem(head) { return refuseBody(malformed, context: context) }
        // a client asking before it sends the body (curl does past 1 KB) is told to go on, or answered at once
        let asks = head.headers.first(name: "expect")?.lowercased() == "100-continue"
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? head.uri
        let decided: Answer
        if let responder = routes.webhooks[path] {
            if head.method != .POST {
                decided = JSONResponse.error(.methodNotAllowed, code: "method_not_allowed",
                                             message: "\(path) accepts POST only (Interactly posts events)",
                                             headers: [("allow", "POST")])
            } else if let (answer, stopReading) = responder.screen(head.headers, logger: requestLogger) {
                if stopReading { return refuseBody(answer, context: context) }
                decided = answer
            } else {
                // a declared length takes its share of the budget now; a chunked body as its chunks arrive
                let declared = head.headers.first(name: "content-length").flatMap(Int.init)
                guard hold(declared ?? 0) else { return refuseBody(overloaded(), context: context) }
                var body: [UInt8] = []
                body.reserveCapacity(min(declared ?? 16 * 1024, responder.maxBody))
                pending = .webhook(responder, body: body)
                if asks {
                    context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))),
                                          promise: nil)
                }
                return
            }
        } else if head.method == .GET, let route = routes.others[path] {
            pending = .route(route)
            return
        } else {
            decided = JSONResponse.error(.notFound, code: "not_found",
                                         message: "no such path: \(JSONResponse.excerpt(path)) (webhooks go to POST /webhook)")
        }
        if asks { return refuseBody(decided, context: context) }
        pending = .answer(decided)
    }

    private func receive(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        switch pending {
        case .webhook(let responder, var body):
            guard body.count + buffer.readableBytes <= responder.maxBody else {
                return refuseBody(responder.tooLarge(logger: requestLogger), context: context)
            }
            guard hold(body.count + buffer.readableBytes) else { return refuseBody(overloaded(), context: context) }
            pending = nil  // the array is uniquely referenced while it grows
            body.append(contentsOf: buffer.readableBytesView)
            pending = .webhook(responder, body: body)
        case .answer(let answer):
            // a body nobody reads is dropped, but not forever
            discarded += buffer.readableBytes
            if discarded > routes.maxBody { refuseBody(answer, context: context) }
        case .route, nil:
            break
        }
    }

    private func finish(context: ChannelHandlerContext) {
        guard let request = pending else { return }
        pending = nil
        answering = true
        context.triggerUserOutboundEvent(RequestDeadlines.Progress.requestReceived, promise: nil)
        switch request {
        case .answer(let answer):
            write(answer, context: context)
        case .webhook(let responder, let body):
            let connection = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            responder.respond(to: body, requestID: requestID, logger: requestLogger, on: context.eventLoop) { answer in
                connection.value.0.write(answer, context: connection.value.1)
            }
        case .route(let route):
            let connection = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            Task {
                let answer = await route()
                connection.eventLoop.execute { connection.value.0.write(answer, context: connection.value.1) }
            }
        }
    }

    /// Answers without reading the rest of the body (over the limit, or refused before the client sent it),
    /// then closes the connection.
    private func refuseBody(_ answer: Answer, context: ChannelHandlerContext) {
        pending = nil
        keepAlive = false
        answering = true
        write(answer, context: context)
    }

    private func write(_ answer: Answer, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.reserveCapacity(5 + answer.headers.count)
        headers.add(name: "content-type", value: answer.contentType)
        headers.add(name: "content-length", value: String(answer.body.count))
        headers.add(name: RequestIDs.header, value: requestID)
        headers.add(name: "server", value: "Hookline")
        for (name, value) in answer.headers { headers.add(name: name, value: value) }
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: answer.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: answer.body)))), promise: nil)
        let close = !keepAlive
        answering = false
        releaseBody()
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        context.triggerUserOutboundEvent(RequestDeadlines.Progress.answered, promise: nil)
        if close { written.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }

    /// Makes sure this request holds `total` bytes of the shared body budget; false when there is no room.
    private func hold(_ total: Int) -> Bool {
        guard total > heldBytes else { return true }
        guard routes.bodies.take(total - heldBytes) else { return false }
        heldBytes = total
        return true
    }

    private func releaseBody() {
        routes.bodies.give(heldBytes)
        heldBytes = 0
    }

    private func overloaded() -> Answer {
        requestLogger.warning("delivery refused: the bodies being received fill --max-inflight-bytes", metadata: [
            "limit": "\(routes.bodies.limit)",
        ])
        return JSONResponse.error(.serviceUnavailable, code: "overloaded",
                                  message: "too many bodies are being received at once (over --max-inflight-bytes); try again shortly",
                                  headers: [("retry-after", "1")])
    }

    /// What makes a head unsafe to read a body after, answered 400 and closed: an HTTP/1.1 request without a
    /// Host header or any request with two (RFC 9112, section 3.2), or a transfer coding other than
    /// `chunked` alone (NIO's parser reads `identity, chunked` as chunked; a proxy in front may not).
    static func framingProblem(_ head: HTTPRequestHead) -> Answer? {
        let hosts = head.headers["host"].count
        if hosts > 1 || (hosts == 0 && (head.version.major, head.version.minor) >= (1, 1)) {
            return JSONResponse.error(.badRequest, code: "bad_host",
                                      message: "a request must carry exactly one Host header (it had \(hosts))")
        }
        let codings = head.headers["transfer-encoding"].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if !codings.isEmpty && codings != ["chunked"] {
            return JSONResponse.error(.badRequest, code: "unsupported_transfer_encoding",
                                      message: "Transfer-Encoding must be chunked alone (got \(JSONResponse.excerpt(codings.joined(separator: ", "))))")
        }
        return nil
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        releaseBody()
    }

    /// Idle: nothing read for the idle timeout, between requests or in the middle of one (not while this
    /// server is still working on an answer).
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            if !answering { context.close(promise: nil) }
            return
        }
        if let expired = event as? RequestDeadlines.Expired {
            // a head never finished has nobody to answer; a slow body is told why before the close
            guard expired == .body, pending != nil else { return context.close(promise: nil) }
            return refuseBody(JSONResponse.error(.requestTimeout, code: "request_timeout",
                                                 message: "the body arrived slower than \(routes.minBodyRate) bytes a second (see --min-body-rate)"),
                              context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection closed after an error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}

/// Request ids: the caller's `x-request-id` when it is a safe token, else a new one (a random start per
/// process, then a counter: no system call per request).
enum RequestIDs {
    static let header = "x-request-id"
    private static let counter = Atomic<UInt64>(UInt64.random(in: 0 ... .max))

    static func next() -> String {
        let hex = String(counter.add(1, ordering: .relaxed).newValue, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// At most 64 bytes of the identifier alphabet, any of them first.
    static func isSafe(_ value: String) -> Bool {
        IdentifierAlphabet.isIdentifier(value.utf8, maxLength: 64, alphanumericFirst: false)
    }
}
