import Hummingbird
import Logging

/// Login with the console token, and logout. Showing the form makes a session that is not signed in, so that
/// the login post carries a CSRF token like every other; a good token replaces it with a new signed-in session
/// (a new id, so that an id planted before login is worth nothing).
struct LoginPage: Sendable {
    let token: String
    let tokenFile: String
    let throttle: LoginThrottle
    let lifetime: Duration
    let logger: Logger

    struct View {
        let csrf: String
        let problem: String?
        let tokenFile: String
    }

    func show(context: ConsoleContext, renderer: PageRenderer) -> Response {
        if context.session?.signedIn == true { return Response.redirect(to: ConsolePaths.events, type: .found) }
        let session = context.session ?? ConsoleSession.new(signedIn: false)
        if context.session == nil { context.sessions.createSession(session, expiresIn: .seconds(3600)) }
        return renderer.page("login", View(csrf: session.csrf, problem: nil, tokenFile: tokenFile))
    }

    func submit(_ request: Request, context: ConsoleContext, renderer: PageRenderer) async throws -> Response {
        if let wait = throttle.wait(for: context.peer) {
            var response = ConsoleRejection.response(.tooManyRequests, code: "too_many_logins",
                                                     message: "too many failed logins from this address; try again in \(wait.components.seconds + 1) s")
            response.headers[.retryAfter] = String(wait.components.seconds + 1)
            return response
        }
        var request = request
        let form = try await ConsoleForm.read(&request, context: context)
        guard let given = form["token"], ConsoleToken.matches(given, token) else {
            throttle.failed(context.peer)
            logger.notice("console login refused: wrong token", metadata: ["peer": "\(context.peer)"])
            let csrf = context.session?.csrf ?? ""
            return renderer.page("login", View(csrf: csrf, problem: "That token is not the console token.", tokenFile: tokenFile),
                                 status: .unauthorized)
        }
        throttle.succeeded(context.peer)
        context.sessions.createSession(ConsoleSession.new(signedIn: true), expiresIn: lifetime)
        logger.info("console login", metadata: ["peer": "\(context.peer)"])
        return Response.redirect(to: ConsolePaths.events, type: .normal)
    }

    func logout(context: ConsoleContext) -> Response {
        context.sessions.clearSession()
        return Response.redirect(to: ConsolePaths.login, type: .normal)
    }
}
