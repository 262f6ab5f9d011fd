import Basics
import EventDispatch
import Foundation
import HostAPI
import Intake
import Journal
import Logging
import LuaRuntime
import Observability
import PostgresJournal
import Server
import ServiceLifecycle
import Synchronization

/// A running Hookline: journal, dispatcher and HTTP server, started together and stopped in reverse
/// order (the server stops accepting and finishes requests in flight, then the dispatcher finishes its
/// runs and records them, then the journal closes).
public final class Hookline: Sendable {
    package let settings: Settings
    package let port: Int
    package let journal: any Journal
    /// This process as a node of the journal's work (its name and incarnation).
    package let node: NodeIdentity
    package let dispatcher: Dispatcher
    package let telemetry: Telemetry
    /// The secret deliveries to `/webhook` must carry (configured or generated), nil when running open.
    package let secret: String?
    /// The web console's port, nil when it is off or could not listen.
    package let consolePort: Int?
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    private init(settings: Settings, port: Int, journal: any Journal, node: NodeIdentity, dispatcher: Dispatcher, telemetry: Telemetry,
                 secret: String?, group: ServiceGroup, running: Task<Void, any Error>, consolePort: Int?) {
        self.settings = settings
        self.port = port
        self.journal = journal
        self.node = node
        self.dispatcher = dispatcher
        self.telemetry = telemetry
        self.secret = secret
        self.group = group
        self.running = running
        self.consolePort = consolePort
    }

    /// Starts everything and returns once the server listens. `handleSignals` makes SIGTERM and SIGINT
    /// shut down gracefully (the command line wants it; tests do not). `clock` is the wall clock every part
    /// reads (tests move a `ManualClock`).
    package static func start(_ settings: Settings, logger: Logger, clock: any WallClock = SystemClock(),
                             handleSignals: Bool = false) async throws -> Hookline {
        let telemetry = Telemetry(eventTypes: EventTypes.known)
        let node = NodeIdentity.starting(name: settings.nodeName ?? ProcessInfo.processInfo.hostName)
        var logger = logger
        logger[metadataKey: "node"] = .string(node.name)
        guard settings.lease >= settings.scriptTimeout + .seconds(2) else {
            throw SettingsError("""
                --lease (\(settings.lease)) must be at least --script-timeout (\(settings.scriptTimeout)) plus 2 s: a node stops \
                starting runs when its lease might end before a run could finish
                """)
        }
        let journal = try await openJournal(settings, logger: logger)
        let secret = try resolveSecret(settings, logger: logger)
        let services = try LiveServices(settings: settings, journal: journal, logger: logger, telemetry: telemetry, clock: clock)
        var endpointFolders: [String: String] = [:]
        for endpoint in settings.endpoints { if let scripts = endpoint.scripts { endpointFolders[endpoint.name] = scripts } }
        let dispatcher = Dispatcher(
            queue: journal, node: node, effects: services.effects, telemetry: telemetry, logger: logger,
            settings: DispatchSettings(limits: LuaLimits(timeout: settings.scriptTimeout, memory: settings.scriptMemory),
                                       retries: settings.retries, retryBackoff: settings.retryBackoff, poolSize: settings.workers,
                                       runsPerEngine: settings.runsPerWorker, window: settings.dispatchWindow,
                                       reloadInterval: settings.reloadInterval > .zero ? settings.reloadInterval : nil,
                                       lease: settings.lease, pollInterval: settings.pollInterval,
                                       timerLimits: TimerLimits(perCall: settings.timersPerCall, maxDelay: settings.timerMaxDelay),
                                       idempotencyHeader: try idempotencyHeader(settings.httpIdempotencyHeader)),
            defaultFolder: settings.scripts, endpointFolders: endpointFolders, clock: clock)
        try await dispatcher.start()
        let intake = Intake(journal: journal, node: node, telemetry: telemetry, deduplicate: settings.dedup, clock: clock,
                            onAccepted: { dispatcher.submit($0.event, document: $0.document, stored: $0.stored) })
        let endpoints = [EndpointSettings(secret: secret)] + settings.endpoints.map {
            EndpointSettings(name: $0.name, secret: $0.secret, requiredHeaders: $0.headers, events: $0.events)
        }
        let server = HooklineServer(
            settings: ServerSettings(host: settings.host, port: settings.port, maxBody: settings.maxBody,
                                     idleTimeout: settings.idleTimeout, endpoints: endpoints,
                                     maxConnections: settings.maxConnections,
                                     maxInflightBytes: settings.maxInflightBytes, headTimeout: settings.headTimeout,
                                     minBodyRate: settings.minBodyRate),
            intake: intake, journal: journal, telemetry: telemetry, logger: logger,
            backlog: {
                // a database that does not answer must not hold up /healthz: this node's own backlog then
                await answer(within: .milliseconds(300), or: dispatcher.inFlight) { try? await journal.statistics().pending }
            },
            refreshGauges: { telemetry.setCallsHeld(dispatcher.callsHeld, node: node.name) })

        let (bound, boundContinuation) = AsyncStream<Int>.makeStream()
        let application = server.service { port in
            boundContinuation.yield(port)
            boundContinuation.finish()
        }
        let (consoleBound, consoleBoundContinuation) = AsyncStream<Int?>.makeStream()
        let console = try ConsoleAssembly.make(settings, journal: journal, node: node, dispatcher: dispatcher, telemetry: telemetry,
                                               logger: logger) { port in
            consoleBoundContinuation.yield(port)
            consoleBoundContinuation.finish()
        }
        let group = ServiceGroup(configuration: .init(
            services: [
                .init(service: Shutdown { await services.close() }),
                .init(service: Shutdown { await journal.close() }),
                .init(service: JournalPruner(journal: journal, retention: settings.retention, clock: clock, logger: logger)),
                .init(service: Shutdown { await dispatcher.stop() }),
                .init(service: application),
            ] + (console.map { [.init(service: $0)] } ?? []),
            gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
            logger: logger))
        let running = Task { try await group.run() }
        var port: Int?
        for await value in bound {
            port = value
            break
        }
        guard let port else {
            try await running.value
            throw SettingsError("the server stopped before it started listening")
        }
        var consolePort: Int?
        if console != nil { for await value in consoleBound { consolePort = value; break } }
        return Hookline(settings: settings, port: port, journal: journal, node: node, dispatcher: dispatcher, telemetry: telemetry,
                        secret: secret, group: group, running: running, consolePort: consolePort)
    }

    /// Shuts down gracefully and waits until everything has stopped.
    package func shutdown() async {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }

    /// Waits until Hookline stops (after a signal, when started with `handleSignals`).
    package func wait() async throws {
        try await running.value
    }

    /// The journal the settings name: PostgreSQL with `--database`, shared by every node; else SQLite in the
    /// data folder.
    package static func openJournal(_ settings: Settings, logger: Logger,
                                   environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> any Journal {
        guard let url = settings.database else {
            let journal = try SQLiteJournal(directory: settings.data)
            if journal.recoveredEvents > 0 {
                logger.warning("the journal's database had lost its last commits (the machine stopped without syncing them); the events are back from the body log", metadata: [
                    "recovered_events": "\(journal.recoveredEvents)", "data": "\(settings.data)",
                ])
            }
            return journal
        }
        let password: PostgresConfiguration.PasswordSource? =
            if let file = settings.databasePasswordFile { .file(file) }
            else if environment["HOOKLINE_DATABASE_PASSWORD"] != nil { .environment("HOOKLINE_DATABASE_PASSWORD") }
            else { nil }
        var configuration = try PostgresConfiguration.parse(url, password: password, environment: environment)
        if let authorities = settings.databaseCA { configuration.rootCertificatePath = authorities }
        configuration.workSignals = settings.databaseSignals
        logger.info("journal in PostgreSQL", metadata: ["database": "\(configuration)"])
        return try await PostgresJournal(configuration, logger: logger)
    }

    /// The configured secret, or the one stored in the data folder, or a new one (stored owner-only). Nodes
    /// sharing a database never make one of their own: each would refuse the others' deliveries.
    /// --http-idempotency-header: a header name, or off.
    static func idempotencyHeader(_ name: String) throws -> String? {
        if name.isEmpty || name.lowercased() == "off" { return nil }
        let allowed = "!#$%&'*+-.^_`|~".utf8
        guard name.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 122) || allowed.contains($0) }) else {
            throw SettingsError("--http-idempotency-header must be a header name (letters, digits, '-') or off; got '\(name.prefix(100))'")
        }
        return name
    }

    static func resolveSecret(_ settings: Settings, logger: Logger) throws -> String? {
        if let secret = settings.secret { return secret }
        if settings.open {
            logger.warning("running OPEN: deliveries to /webhook are accepted without any secret (--open); anyone who can reach this port can post events")
            return nil
        }
        if settings.database != nil {
            throw SettingsError("""
                with --database every node must take the same secret: set --secret or HOOKLINE_SECRET (e.g. from a \
                secrets file) on each node; a node of several never generates one of its own
                """)
        }
        let path = (settings.data as NSString).appendingPathComponent("secret")
        if let stored = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
           !stored.isEmpty {
            return stored
        }
        var generator = SystemRandomNumberGenerator()
        let secret = hex((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let created = FileManager.default.createFile(atPath: path, contents: Data((secret + "\n").utf8),
                                                     attributes: [.posixPermissions: 0o600])
        guard created else { throw SettingsError("cannot store the generated secret in \(path)") }
        logger.notice("generated a webhook secret and stored it (owner-only) in the data folder; put it in Interactly's assistantServer.secret",
                      metadata: ["file": "\(path)"])
        return secret
    }
}

/// What `body` gives within `limit`, or `fallback` (when it gives nil or takes longer; it then finishes on its
/// own, unawaited).
func answer<T: Sendable>(within limit: Duration, or fallback: T, _ body: @escaping @Sendable () async -> T?) async -> T {
    let waiting = Mutex<CheckedContinuation<T, Never>?>(nil)
    return await withCheckedContinuation { continuation in
        waiting.withLock { $0 = continuation }
        let finish: @Sendable (T) -> Void = { value in
            waiting.withLock { pending in
                pending?.resume(returning: value)
                pending = nil
            }
        }
        Task { finish(await body() ?? fallback) }
        Task {
            try? await Task.sleep(for: limit)
            finish(fallback)
        }
    }
}

/// Runs `action` when the service group shuts down (services stop in reverse order of the list).
private struct Shutdown: Service {
    let action: @Sendable () async -> Void

    func run() async throws {
        try? await gracefulShutdown()
        await action()
    }
}

/// Prunes finished events past the retention from the journal, a minute after start and then hourly, so
/// that the data folder stops growing; stops with the service group, before the journal closes.
private struct JournalPruner: Service {
    let journal: any Journal
    let retention: Duration
    let clock: any WallClock
    let logger: Logger
    static let interval = Duration.seconds(3600)

    func run() async throws {
        guard retention > .zero else {
            try? await gracefulShutdown()  // nothing to do; returning now would end the whole service group
            return
        }
        try? await cancelWhenGracefulShutdown {
            var wait = Duration.seconds(60)
            while true {
                try await Task.sleep(for: wait)
                wait = Self.interval
                let cutoff = clock.now() - retention.wholeMilliseconds
                do {
                    if let report = try await journal.prune(receivedBefore: cutoff), report.events > 0 || report.bodyFiles > 0 {
                        logger.info("journal pruned", metadata: [
                            "events": "\(report.events)", "body_files": "\(report.bodyFiles)",
                            "retention_days": "\(Double(retention.components.seconds) / 86_400)",
                        ])
                    }
                } catch {
                    logger.error("journal prune failed; it is tried again in an hour", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
