import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Per-request state: the channel (to stop reading an oversized body) and the request id every log
/// line and the response carry.
public struct HooklineRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel
    var requestID = ""

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Gives each request an id (the caller's `x-request-id` when it is a safe token, else a new one),
/// returns it in the response, and tags the request's logger with it.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = HooklineRequestContext
    static let header = HTTPField.Name("x-request-id")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let given = request.headers[Self.header].flatMap { Self.isSafe($0) ? $0 : nil }
        context.requestID = given ?? Self.newID()
        context.logger[metadataKey: "request_id"] = .string(context.requestID)
        context.logger[metadataKey: "hb.request.id"] = nil
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError {
            response = JSONResponse.error(error.status, code: error.status == .notFound ? "not_found" : "http_error",
                                          message: error.status == .notFound ? "no such path: \(request.uri.path) (webhooks go to POST /webhook)"
                                                                             : (error.body ?? error.status.reasonPhrase))
        }
        response.headers[Self.header] = context.requestID
        return response
    }

    static func isSafe(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.count <= 64 && value.utf8.allSatisfy { b in
            (b >= 48 && b <= 57) || (b | 0x20 >= 97 && b | 0x20 <= 122) || b == UInt8(ascii: "-") || b == UInt8(ascii: "_")
        }
    }

    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
