import HTTPTypes
import Hummingbird
import HummingbirdCore

/// Refusals as JSON naming the problem (also a path the console does not have), and headers on every console
/// response: a Content-Security-Policy that allows only the console's own script and
/// stylesheet (no inline script, no other origin, no framing), nosniff, no referrer, no caching of pages; and the
/// session cookie marked `Secure` when the request came over TLS through a proxy (`X-Forwarded-Proto: https`).
struct SecurityHeaders<Context: RequestContext>: RouterMiddleware {
    static var policy: String {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError {
            // the router's own 404 (no route) has no message: say which path
            let message = error.body ?? (error.status == .notFound ? "the console has no page at \(request.uri.path.prefix(100))"
                                                                   : error.status.reasonPhrase)
            response = ConsoleRejection.response(error.status, code: error.status == .notFound ? "not_found" : "bad_request",
                                                 message: message)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.contentSecurityPolicy] = Self.policy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.referrerPolicy] = "no-referrer"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        if request.headers[.xForwardedProto]?.lowercased() == "https" {
            let cookies = response.headers[values: .setCookie]
            response.headers[values: .setCookie] = cookies.map { $0.contains("; Secure") ? $0 : $0 + "; Secure" }
        }
        return response
    }
}

extension HTTPField.Name {
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
