import HTTPTypes
import Hummingbird
import HummingbirdCore

/// Every request that changes something (anything but GET and HEAD) must carry the session's CSRF token, in
/// the form field `csrf` or the header `X-CSRF-Token`; otherwise it is refused with 403 before any handler runs.
/// The login form has one too: a session is made for it when the login page is shown.
struct CSRFGuard: RouterMiddleware {
    typealias Context = ConsoleContext
    static let field = "csrf"
    static let header = HTTPField.Name("X-CSRF-Token")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method != .get, request.method != .head else { return try await next(request, context) }
        var request = request
        let form = try await ConsoleForm.read(&request, context: context)
        let given = request.headers[Self.header] ?? form[Self.field]
        guard let expected = context.session?.csrf, let given, ConsoleToken.matches(given, expected) else {
            return ConsoleRejection.response(.forbidden, code: "csrf_token_missing",
                                             message: "this form's CSRF token is missing or stale: reload the page and try again")
        }
        return try await next(request, context)
    }
}
