import Basics
import Intake
import Journal
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import Observability
import ServiceLifecycle

/// The HTTP server: webhook endpoints, `/healthz` and `/metrics`, on SwiftNIO's HTTP/1 pipeline.
///
/// Not Hummingbird (the first choice, used until the third round): its handlers run as tasks on the
/// cooperative pool, so each delivery hopped from the event loop to the pool and back before and after the
/// journal, and the strict checks ran on a thread that had not read the body; it was also markedly slower
/// (`Benchmarks/NOTES.md`, "The front door").
public struct HooklineServer: Sendable {
    public let settings: ServerSettings
    let intake: Intake
    let journal: any Journal
    let telemetry: Telemetry
    let logger: Logger
    /// Events accepted and not yet processed, for `/healthz` and `/metrics`.
    let backlog: @Sendable () async -> Int
    /// Sets the gauges others keep (the calls this node holds) before `/metrics` is rendered.
    let refreshGauges: @Sendable () -> Void

    public init(settings: ServerSettings, intake: Intake, journal: any Journal, telemetry: Telemetry, logger: Logger,
                backlog: @escaping @Sendable () async -> Int, refreshGauges: @escaping @Sendable () -> Void = {}) {
        self.settings = settings
        self.intake = intake
        self.journal = journal
        self.telemetry = telemetry
        self.logger = logger
        self.backlog = backlog
        self.refreshGauges = refreshGauges
    }

    /// The server as a service to run in the process's service group. `onRunning` gets the bound port
    /// (useful with port 0). Graceful shutdown stops accepting, lets requests in flight finish, then returns.
    package func service(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some Service {
        HTTPService(settings: settings, routes: routes(), logger: logger, onRunning: onRunning)
    }

    func routes() -> Routes {
        var webhooks: [String: WebhookResponder] = [:]
        for endpoint in settings.endpoints {
            webhooks[endpoint.path] = WebhookResponder(endpoint: endpoint, intake: intake, telemetry: telemetry,
                                                       maxBody: settings.maxBody)
        }
        let journal = self.journal
        let backlog = self.backlog
        let telemetry = self.telemetry
        let health: @Sendable () async -> Answer = {
            let writable = await journal.checkWritable()
            let queued = await backlog()
            return JSONResponse.make(writable ? .ok : .serviceUnavailable, [
                ("status", .string(writable ? "ok" : "unavailable")),
                ("journal", .string(writable ? "writable" : "cannot write")),
                ("backlog", .int(queued)),
            ])
        }
        let refreshGauges = self.refreshGauges
        let metrics: @Sendable () async -> Answer = {
            refreshGauges()
            telemetry.setQueueDepth(await backlog())
            if let statistics = try? await journal.statistics() { telemetry.setJournalSize(bytes: statistics.bytesOnDisk) }
            return Answer(status: .ok, contentType: "text/plain; version=0.0.4", body: telemetry.render())
        }
        return Routes(webhooks: webhooks, others: ["/healthz": health, "/metrics": metrics], maxBody: settings.maxBody,
                      bodies: Quota(limit: settings.maxInflightBytes), minBodyRate: settings.minBodyRate)
    }
}

/// The handlers of one accepted connection, in order. The server installs them on each child channel; the
/// fuzz targets (FuzzTargets/) install the same on a test channel and feed it arbitrary bytes.
public struct ConnectionPipeline: Sendable {
    let settings: ServerSettings
    let routes: Routes
    let logger: Logger

    /// The pipeline of `server`'s connections; one per server (its routes share the body budget).
    public init(server: HooklineServer) {
        settings = server.settings
        routes = server.routes()
        logger = server.logger
    }

    /// Adds the handlers to `channel`'s pipeline; call on its event loop. An `observer` (a fuzz target's) goes
    /// just before the handler that answers, and sees each request part as that handler will
    /// (`HTTPServerRequestPart`); it must pass them on.
    public func install(on channel: any Channel, observer: (any ChannelHandler)? = nil) throws {
        try Self.install(on: channel, settings: settings, routes: routes, logger: logger, observer: observer)
    }

    static func install(on channel: any Channel, settings: ServerSettings, routes: Routes, logger: Logger,
                        observer: (any ChannelHandler)? = nil) throws {
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(IdleStateHandler(readTimeout: TimeAmount(settings.idleTimeout)))
        try pipeline.addHandler(RequestDeadlines(headTimeout: TimeAmount(settings.headTimeout), minimumRate: settings.minBodyRate))
        try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
        if let observer { try pipeline.addHandler(observer) }
        try pipeline.addHandler(HTTPConnection(routes: routes, logger: logger))
    }
}

/// Where each path goes: webhook endpoints by path, and the `GET` routes; and what every connection shares.
struct Routes: Sendable {
    let webhooks: [String: WebhookResponder]
    let others: [String: @Sendable () async -> Answer]
    let maxBody: Int
    /// The body bytes all connections hold at once (`--max-inflight-bytes`).
    let bodies: Quota
    let minBodyRate: Int
}

private struct HTTPService: Service, CustomStringConvertible {
    let settings: ServerSettings
    let routes: Routes
    let logger: Logger
    let onRunning: @Sendable (Int) async -> Void

    /// What the service group logs when it starts: the address, never the endpoints' credentials.
    var description: String { "HooklineServer(\(settings.host):\(settings.port))" }

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: settings.eventLoops)
        do {
            try await serve(on: group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try? await group.shutdownGracefully()
    }

    private func serve(on group: MultiThreadedEventLoopGroup) async throws {
        let quiesce = ServerQuiescingHelper(group: group)
        let (routes, logger) = (self.routes, self.logger)
        var settings = self.settings
        let most = DescriptorLimit.mostConnections()
        if settings.maxConnections > most {
            logger.warning("--max-connections \(settings.maxConnections) is more than the descriptor limit allows with room for the journal and the scripts; accepting at most \(most) (raise ulimit -n to allow more)", metadata: [
                "max_connections": "\(settings.maxConnections)", "descriptor_limit": "\(DescriptorLimit.soft)",
            ])
            settings.maxConnections = most
        }
        logger.info("accepting at most \(settings.maxConnections) connections at once", metadata: [
            "max_connections": "\(settings.maxConnections)", "descriptor_limit": "\(DescriptorLimit.soft)",
            "max_inflight_bytes": "\(settings.maxInflightBytes)",
        ])
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptGate(limit: settings.maxConnections, logger: logger))
                    try channel.pipeline.syncOperations.addHandler(quiesce.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try ConnectionPipeline.install(on: channel, settings: settings, routes: routes, logger: logger)
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: settings.host, port: settings.port).get()
        await onRunning(channel.localAddress?.port ?? 0)
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                try? await channel.closeFuture.get()
            } onCancel: {
                channel.close(promise: nil)
            }
        } onGracefulShutdown: {
            quiesce.initiateShutdown(promise: nil)
        }
        // The listening socket is closed, by a graceful shutdown or otherwise: every connection ends once its
        // request in flight is answered (a second call joins the shutdown the first one started).
        let finished = group.next().makePromise(of: Void.self)
        quiesce.initiateShutdown(promise: finished)
        try? await finished.futureResult.get()
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        self = .nanoseconds(duration.wholeNanoseconds)
    }
}
