import Hummingbird
import HummingbirdAuth
import Foundation
import Journal

/// The console's routes and the middleware in front of them, outermost first: security headers, sessions, the
/// sign-in gate, the CSRF guard.
struct ConsoleRoutes: Sendable {
    let renderer: PageRenderer
    let sources: ConsoleSources
    let feed: LiveFeed
    let login: LoginPage

    /// `sessions` keeps the sessions; it must run (as a service of the application) to drop expired ones.
    func router(sessionLifetime: Duration, sessions: MemoryPersistDriver<ContinuousClock>) -> Router<ConsoleContext> {
        let router = Router(context: ConsoleContext.self)
        router.add(middleware: SecurityHeaders())
        router.add(middleware: SessionMiddleware(
            storage: sessions,
            configuration: .init(sessionCookieParameters: .init(name: "hookline_console", path: ConsolePaths.root, sameSite: .strict),
                                 defaultSessionExpiration: sessionLifetime)))
        router.add(middleware: SignInGate())
        router.add(middleware: CSRFGuard())

        let renderer = self.renderer, sources = self.sources, login = self.login
        router.get("/console") { _, _ in Response.redirect(to: ConsolePaths.events, type: .found) }
        router.get("/console/login") { _, context in login.show(context: context, renderer: renderer) }
        router.post("/console/login") { request, context in try await login.submit(request, context: context, renderer: renderer) }
        router.post("/console/logout") { _, context in login.logout(context: context) }
        router.get("/console/assets/{name}") { _, context in try ConsoleAssets.response(named: context.parameters.require("name")) }

        let events = EventsPage(journal: sources.journal)
        router.get("/console/events") { request, context in
            try await events.render(request, session: context.session!, renderer: renderer)
        }
        let live = LiveEvents(journal: sources.journal, feed: feed)
        router.get("/console/events/live") { request, _ in try await live.stream(request) }
        let event = EventPage(sources: sources)
        router.get("/console/events/{id}") { request, context in
            try await event.render(try Self.eventID(context), request: request, session: context.session!, renderer: renderer)
        }
        router.post("/console/events/{id}/replay") { _, context in try await event.replay(try Self.eventID(context)) }
        let call = CallPage(sources: sources)
        router.get("/console/calls/{call}") { _, context in
            try await call.render(try context.parameters.require("call").removingPercentEncoding ?? "", session: context.session!, renderer: renderer)
        }
        let failures = FailuresPage(journal: sources.journal)
        router.get("/console/failures") { request, context in try await failures.render(request, session: context.session!, renderer: renderer) }
        router.post("/console/failures/replay") { request, context in try await failures.replay(request, context: context) }
        let scripts = ScriptsPage(sources: sources)
        router.get("/console/scripts") { _, context in try await scripts.render(session: context.session!, renderer: renderer) }
        let overview = OverviewPage(sources: sources)
        router.get("/console/overview") { _, context in try await overview.render(session: context.session!, renderer: renderer) }
        return router
    }

    static func eventID(_ context: ConsoleContext) throws -> EventID {
        guard let id = EventID(try context.parameters.require("id")) else {
            throw HTTPError(.notFound, message: "an event id is a positive whole number")
        }
        return id
    }
}
