import Hummingbird
import Intake
import Journal
import Logging
import NIOCore
import Observability
import ServiceLifecycle

/// The HTTP server: webhook endpoints, `/healthz` and `/metrics`.
public struct HooklineServer: Sendable {
    public let settings: ServerSettings
    let intake: Intake
    let journal: any Journal
    let telemetry: Telemetry
    let logger: Logger
    /// Events accepted and not yet processed, for `/healthz` and `/metrics`.
    let backlog: @Sendable () async -> Int

    public init(settings: ServerSettings, intake: Intake, journal: any Journal, telemetry: Telemetry, logger: Logger,
                backlog: @escaping @Sendable () async -> Int) {
        self.settings = settings
        self.intake = intake
        self.journal = journal
        self.telemetry = telemetry
        self.logger = logger
        self.backlog = backlog
    }

    /// The Hummingbird application, as a service to run in the process's service group. `onRunning` gets
    /// the bound port (useful with port 0).
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some Service {
        let router = Router(context: HooklineRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        for endpoint in settings.endpoints {
            let responder = WebhookResponder(endpoint: endpoint, intake: intake, telemetry: telemetry, maxBody: settings.maxBody)
            router.post(RouterPath(endpoint.path)) { request, context in await responder.respond(request, context: context) }
            for method in [HTTPRequest.Method.get, .put, .delete, .patch, .head, .options] {
                router.on(RouterPath(endpoint.path), method: method) { _, _ in
                    JSONResponse.error(.methodNotAllowed, code: "method_not_allowed",
                                       message: "\(endpoint.path) accepts POST only (Interactly posts events)",
                                       headers: [.allow: "POST"])
                }
            }
        }
        let journal = self.journal
        let backlog = self.backlog
        let telemetry = self.telemetry
        router.get("/healthz") { _, _ in
            let writable = await journal.checkWritable()
            let queued = await backlog()
            return JSONResponse.make(writable ? .ok : .serviceUnavailable, [
                ("status", .string(writable ? "ok" : "unavailable")),
                ("journal", .string(writable ? "writable" : "cannot write")),
                ("backlog", .int(queued)),
            ])
        }
        router.get("/metrics") { _, _ in
            telemetry.setQueueDepth(await backlog())
            if let statistics = try? await journal.statistics() { telemetry.setJournalSize(bytes: statistics.bytesOnDisk) }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(bytes: telemetry.render())))
        }
        let idle = settings.idleTimeout.components
        return Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .nanoseconds(idle.seconds * 1_000_000_000
                                                                          + idle.attoseconds / 1_000_000_000))),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "Hookline"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }
}
