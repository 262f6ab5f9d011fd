import Foundation
import Hummingbird
import Intake
import Journal
import Logging
import NIOCore
import Observability

/// `POST /webhook[/name]`: authenticate, check the media type and size, hand the bytes to intake, and
/// answer 2xx only for an event the journal stored.
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

    func respond(_ request: Request, context: HooklineRequestContext) async -> Response {
        let started = ContinuousClock.now
        let logger = context.logger
        telemetry.received(endpoint: endpoint.name)
        if let wrong = authenticator.check(request.headers) {
            return reject(.unauthorized, "unauthorized", "missing or wrong \(wrong) header", logger: logger)
        }
        guard Self.isJSON(request.headers[.contentType]) else {
            return reject(.unsupportedMediaType, "unsupported_media_type",
                          "the body must be sent as Content-Type: application/json (got \(request.headers[.contentType].map { "'\($0)'" } ?? "none"))",
                          logger: logger)
        }
        let declaredLength = request.headers[.contentLength].flatMap(Int.init)
        if let length = declaredLength, length > maxBody {
            stopReading(context)
            return tooLarge(logger: logger)
        }
        // Read straight into the array intake keeps: one copy of the body, however many parts it came in.
        var body: [UInt8] = []
        body.reserveCapacity(declaredLength ?? 16 * 1024)
        do {
            for try await part in request.body {
                guard body.count + part.readableBytes <= maxBody else {
                    stopReading(context)
                    return tooLarge(logger: logger)
                }
                body.append(contentsOf: part.readableBytesView)
            }
        } catch {
            return reject(.badRequest, "unreadable_body", "the body could not be read: \(error)", logger: logger)
        }
        let receivedAt = Int64(Date().timeIntervalSince1970 * 1000)
        let result = await intake.receive(body, endpoint: endpoint.name, subscribed: endpoint.events,
                                          requestID: context.requestID, receivedAt: receivedAt)
        let elapsed = ContinuousClock.now - started
        switch result {
        case .accepted(let id, let warnings, let skipped):
            var fields: [(String, JSONField)] = [("accepted", .bool(true)), ("id", .string(id.description))]
            if skipped { fields.append(("processed", .bool(false))) }
            if !warnings.isEmpty { fields.append(("warnings", .strings(warnings.map(\.description)))) }
            logger.info("event accepted", metadata: [
                "event_id": "\(id)", "endpoint": "\(endpoint.name)", "warnings": "\(warnings.count)",
                "skipped": "\(skipped)", "elapsed_ms": "\(elapsed.milliseconds)",
            ])
            return JSONResponse.make(.ok, fields)
        case .duplicate(let id):
            logger.info("duplicate delivery", metadata: ["event_id": "\(id)", "endpoint": "\(endpoint.name)"])
            return JSONResponse.make(.ok, [("accepted", .bool(true)), ("duplicate", .bool(true)), ("id", .string(id.description))])
        case .rejected(let rejection):
            logger.warning("delivery rejected", metadata: [
                "status": "\(rejection.status)", "code": "\(rejection.code)", "endpoint": "\(endpoint.name)",
            ])
            return JSONResponse.error(.init(code: rejection.status), code: rejection.code, message: rejection.message,
                                      pointer: rejection.pointer)
        case .unavailable(let error):
            logger.critical("JOURNAL CANNOT WRITE: delivery refused with 503, the event was NOT stored", metadata: [
                "endpoint": "\(endpoint.name)", "error": "\(error)",
            ])
            return JSONResponse.error(.serviceUnavailable, code: "journal_unavailable",
                                      message: "the event could not be stored, so it was not accepted (the journal cannot write)",
                                      headers: [.retryAfter: "5"])
        }
    }

    private func reject(_ status: HTTPResponse.Status, _ code: String, _ message: String, logger: Logger) -> Response {
        telemetry.rejected(endpoint: endpoint.name, reason: code)
        logger.warning("delivery rejected", metadata: ["status": "\(status.code)", "code": "\(code)", "endpoint": "\(endpoint.name)"])
        return JSONResponse.error(status, code: code, message: message)
    }

    private func tooLarge(logger: Logger) -> Response {
        reject(.contentTooLarge, "body_too_large", "the body is larger than the limit of \(maxBody) bytes (see --max-body)",
               logger: logger)
    }

    /// An oversized body is not read to its end: stop reading, answer, and let the connection close.
    private func stopReading(_ context: HooklineRequestContext) {
        context.channel.close(mode: .input, promise: nil)
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

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
