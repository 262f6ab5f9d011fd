import Basics
import Foundation
import Intake
import Journal
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Observability

/// `POST /webhook[/name]`: authenticate, check the media type and size, check the body on the thread that
/// read it, and answer 2xx only for an event the journal stored.
struct WebhookResponder: Sendable {
    let endpoint: EndpointSettings
    let authenticator: Authenticator
    let intake: Intake
    let telemetry: Telemetry
    let maxBody: Int

    init(endpoint: EndpointSettings, intake: Intake, telemetry: Telemetry, maxBody: Int) {
        self.endpoint = endpoint
        authenticator = Authenticator(endpoint)
        self.intake = intake
        self.telemetry = telemetry
        self.maxBody = maxBody
    }

    /// What the request line and headers alone decide: nil to read the body, else the answer (and whether the
    /// body must not be read at all: one declared over the limit).
    func screen(_ headers: HTTPHeaders, logger: Logger) -> (answer: Answer, stopReading: Bool)? {
        telemetry.received(endpoint: endpoint.name)
        if let wrong = authenticator.check(headers) {
            return (reject(.unauthorized, "unauthorized", "missing or wrong \(wrong) header", logger: logger), false)
        }
        let contentType = headers.first(name: "content-type")
        guard Self.isJSON(contentType) else {
            return (reject(.unsupportedMediaType, "unsupported_media_type",
                           "the body must be sent as Content-Type: application/json (got \(contentType.map { "'\(JSONResponse.excerpt($0))'" } ?? "none"))",
                           logger: logger), false)
        }
        if let length = headers.first(name: "content-length").flatMap(Int.init), length > maxBody {
            return (tooLarge(logger: logger), true)
        }
        return nil
    }

    func tooLarge(logger: Logger) -> Answer {
        reject(.payloadTooLarge, "body_too_large", "the body is larger than the limit of \(maxBody) bytes (see --max-body)",
               logger: logger)
    }

    /// Bodies up to this size are checked on the event loop that read them (the contract's largest events,
    /// about 100 KB, take a fraction of a millisecond); larger ones on a thread of NIO's pool, so that no
    /// delivery holds the loop for long: a body of hundreds of thousands of keys takes tens of milliseconds,
    /// and held `/healthz` for as long (`Benchmarks/NOTES.md`, "Which bodies are checked on the event loop").
    static let checkedOnTheLoop = 128 << 10

    /// Checks the whole body, then journals it: `answer` gets the response on `loop` (the caller's), once the
    /// event is stored, or at once for a rejection. Only the hand-over runs on the journal's thread.
    func respond(to body: [UInt8], requestID: String, logger: Logger, on loop: any EventLoop,
                 answer: @escaping @Sendable (Answer) -> Void) {
        guard body.count > Self.checkedOnTheLoop else {
            return check(body, requestID: requestID, logger: logger, on: loop, answer: answer)
        }
        NIOThreadPool.singleton.submit { _ in
            check(body, requestID: requestID, logger: logger, on: loop) { reply in
                if loop.inEventLoop { answer(reply) } else { loop.execute { answer(reply) } }  // a rejection: from here
            }
        }
    }

    /// `respond`'s work, on whichever thread: a rejection goes to `answer` at once, on this thread.
    private func check(_ body: [UInt8], requestID: String, logger: Logger, on loop: any EventLoop,
                       answer: @escaping @Sendable (Answer) -> Void) {
        let started = ContinuousClock.now
        let receivedAt = intake.clock.now()
        let checked: Intake.Checked
        switch intake.accept(body, endpoint: endpoint.name, receivedAt: receivedAt) {
        case .success(let passed): checked = passed
        case .failure(let rejection):
            logger.warning("delivery rejected", metadata: [
                "status": "\(rejection.status)", "code": "\(rejection.code)", "endpoint": "\(endpoint.name)",
            ])
            answer(JSONResponse.error(HTTPResponseStatus(statusCode: rejection.status), code: rejection.code,
                                      message: rejection.message, pointer: rejection.pointer))
            return
        }
        intake.store(checked, endpoint: endpoint.name, subscribed: endpoint.events, requestID: requestID,
                     receivedAt: receivedAt) { result in
            loop.execute { answer(respond(to: result, elapsed: ContinuousClock.now - started, logger: logger)) }
        }
    }

    private func respond(to result: IntakeResult, elapsed: Duration, logger: Logger) -> Answer {
        switch result {
        case .accepted(let id, let warnings, let skipped):
            var fields: [(String, JSONField)] = [("accepted", .bool(true)), ("id", .string(id.description))]
            if skipped { fields.append(("processed", .bool(false))) }
            if !warnings.isEmpty { fields.append(("warnings", .strings(warnings.map(\.description)))) }
            logger.info("event accepted", metadata: [
                "event_id": "\(id)", "endpoint": "\(endpoint.name)", "warnings": "\(warnings.count)",
                "skipped": "\(skipped)", "elapsed_ms": "\(elapsed.wholeMilliseconds)",
            ])
            return JSONResponse.make(.ok, fields)
        case .duplicate(let id):
            logger.info("duplicate delivery", metadata: ["event_id": "\(id)", "endpoint": "\(endpoint.name)"])
            return JSONResponse.make(.ok, [("accepted", .bool(true)), ("duplicate", .bool(true)), ("id", .string(id.description))])
        case .unavailable(let error):
            logger.critical("JOURNAL CANNOT WRITE: delivery refused with 503, the event was NOT stored", metadata: [
                "endpoint": "\(endpoint.name)", "error": "\(error)",
            ])
            return JSONResponse.error(.serviceUnavailable, code: "journal_unavailable",
                                      message: "the event could not be stored, so it was not accepted (the journal cannot write)",
                                      headers: [("retry-after", "5")])
        }
    }

    private func reject(_ status: HTTPResponseStatus, _ code: String, _ message: String, logger: Logger) -> Answer {
        telemetry.rejected(endpoint: endpoint.name, reason: code)
        logger.warning("delivery rejected", metadata: ["status": "\(status.code)", "code": "\(code)", "endpoint": "\(endpoint.name)"])
        return JSONResponse.error(status, code: code, message: message)
    }

    /// True for `application/json`, in any case, with or without parameters (`; charset=utf-8`).
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let media = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }
            .drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        let trimmed = media.reversed().drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        return trimmed.reversed().elementsEqual("application/json".utf8) { byte, expected in
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte) == expected
        }
    }
}
