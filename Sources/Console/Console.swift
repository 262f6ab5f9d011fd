import Hummingbird
import HummingbirdAuth
import Journal
import Logging
import ServiceLifecycle

/// The web console: Hummingbird on its own port in this process, every page under `/console`, sessions in
/// memory. A service of Hookline's service group; when its port cannot be bound it says so in the log and the
/// webhook keeps serving.
///
/// ```swift
/// let console = try Console(configuration: ConsoleConfiguration(port: 8081, token: token), tokenFile: path,
///                           sources: ConsoleSources(journal: journal, scriptSets: { dispatcher.scriptSets },
///                                                   telemetry: telemetry, node: node.incarnation),
///                           logger: logger) { port in print("console on \(port)") }
/// ```
package struct Console: Service {
    let configuration: ConsoleConfiguration
    let routes: ConsoleRoutes
    let feed: LiveFeed
    let logger: Logger
    let onListening: @Sendable (Int?) -> Void

    package init(configuration: ConsoleConfiguration, tokenFile: String, sources: ConsoleSources, logger: Logger,
                onListening: @escaping @Sendable (Int?) -> Void) throws {
        self.configuration = configuration
        self.logger = logger
        self.onListening = onListening
        feed = LiveFeed(journal: sources.journal, interval: configuration.livePollInterval, heartbeat: configuration.heartbeat,
                        logger: logger)
        routes = ConsoleRoutes(
            renderer: try PageRenderer(), sources: sources, feed: feed,
            login: LoginPage(token: configuration.token, tokenFile: tokenFile, throttle: LoginThrottle(),
                             lifetime: configuration.sessionLifetime, logger: logger))
    }

    package func run() async throws {
        let sessions = MemoryPersistDriver()
        let router = routes.router(sessionLifetime: configuration.sessionLifetime, sessions: sessions)
        let onListening = self.onListening
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            services: [sessions],
            onServerRunning: { channel in onListening(channel.localAddress?.port) },
            logger: logger)
        await withGracefulShutdownHandler {
            do {
                try await application.run()
            } catch {
                onListening(nil)
                logger.error("""
                    the console cannot listen on \(configuration.host):\(configuration.port): \(error); the webhook keeps \
                    serving. Choose another --console-port, or --no-console
                    """)
                try? await gracefulShutdown()
            }
        } onGracefulShutdown: {
            feed.finish()
        }
    }
}
