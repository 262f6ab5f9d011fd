import Hummingbird

/// Lets only signed-in sessions through, except to the login page and the assets; a page request without one
/// is sent to the login page, a stream or a form post gets 401.
struct SignInGate: RouterMiddleware {
    typealias Context = ConsoleContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path == ConsolePaths.login || path.hasPrefix(ConsolePaths.assets) || context.session?.signedIn == true {
            return try await next(request, context)
        }
        if request.method == .get && !path.hasSuffix("/live") {
            return Response.redirect(to: ConsolePaths.login, type: .found)
        }
        return ConsoleRejection.response(.unauthorized, code: "not_signed_in",
                                         message: "log in to the console first (\(ConsolePaths.login))")
    }
}
