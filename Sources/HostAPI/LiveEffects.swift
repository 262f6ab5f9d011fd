import AsyncHTTPClient
import Basics
import Foundation
import Journal
import LuaRuntime
import Logging
import NIOCore
import NIOHTTP1

/// Settings of the real side effects.
public struct LiveSettings: Sendable {
    /// Hosts scripts may call (`*.example.com` matches subdomains); empty = any host.
    package var httpAllow: [String]
    /// Largest response body a script receives.
    package var httpMaxResponse: Int
    /// Environment variables scripts may read with `env(name)`.
    package var allowedEnvironment: Set<String>

    public init(httpAllow: [String] = [], httpMaxResponse: Int = 4 << 20, allowedEnvironment: Set<String> = []) {
        self.httpAllow = httpAllow
        self.httpMaxResponse = httpMaxResponse
        self.allowedEnvironment = allowedEnvironment
    }
}

/// The side effects of a running server: real HTTP, files in the output folder, alerts to the configured
/// channels, state in the journal's store (each write fenced by the run's claim on its call).
public final class LiveEffects: Effects {
    private let settings: LiveSettings
    private let clients: HTTPClients
    private let files: FileJail
    private let alerter: Alerter
    private let journal: any ScriptStore
    private let logger: Logger
    private let environmentValues: [String: String]
    private let clock: any WallClock

    public init(settings: LiveSettings, clients: HTTPClients, files: FileJail, alerter: Alerter, journal: any ScriptStore,
                logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment,
                clock: any WallClock = SystemClock()) {
        self.clock = clock
        self.settings = settings
        self.clients = clients
        self.files = files
        self.alerter = alerter
        self.journal = journal
        self.logger = logger
        environmentValues = environment.filter { settings.allowedEnvironment.contains($0.key) }
    }

    public nonisolated(nonsending) func http(_ request: OutboundRequest, context: ScriptContext) async throws -> OutboundResponse {
        guard let url = URL(string: request.url), let host = url.host else {
            throw HostError("http: '\(request.url)' is not a valid URL")
        }
        guard HostAllowlist.allows(host, settings.httpAllow) else {
            throw HostError("http: \(request.url) is refused: host '\(host)' is not in --http-allow")
        }
        var http = HTTPClientRequest(url: request.url)
        http.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { http.headers.add(name: name, value: value) }
        if !request.headers.contains(where: { $0.name.lowercased() == "user-agent" }) {
            http.headers.add(name: "User-Agent", value: "Hookline")
        }
        if let body = request.body { http.body = .bytes(ByteBuffer(bytes: body)) }
        let timeout = TimeAmount.nanoseconds(request.timeout.wholeNanoseconds)
        do {
            let client = request.followRedirects ? clients.redirecting : clients.direct
            let response = try await client.execute(http, timeout: timeout)
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: settings.httpMaxResponse)
            } catch is NIOTooManyBytesError {
                throw HostError("http: the response of \(request.url) is larger than \(settings.httpMaxResponse) bytes")
            }
            return OutboundResponse(status: Int(response.status.code),
                                    headers: response.headers.map { ($0.name.lowercased(), $0.value) },
                                    body: Array(body.readableBytesView))
        } catch let error as HostError {
            throw error
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw HostError("http: \(request.method) \(request.url) timed out after \(request.timeout.description)")
        } catch {
            throw HostError("http: \(request.method) \(request.url) failed: \(describe(error))")
        }
    }

    public nonisolated(nonsending) func writeFile(_ path: String, _ data: [UInt8], context: ScriptContext) async throws {
        try files.write(path, data)
    }

    public nonisolated(nonsending) func appendFile(_ path: String, _ data: [UInt8], context: ScriptContext) async throws {
        try files.append(path, data)
    }

    public nonisolated(nonsending) func readFile(_ path: String, context: ScriptContext) async throws -> [UInt8]? {
        try files.read(path)
    }

    public nonisolated(nonsending) func alert(_ alert: Alert, context: ScriptContext) async -> Bool {
        await alerter.raise(alert, context: context)
    }

    public nonisolated(nonsending) func storeGet(_ key: String, context: ScriptContext) async throws -> String? {
        try await journal.storeGet(endpoint: context.endpoint, key: key, now: now())
    }

    public nonisolated(nonsending) func storeSet(_ key: String, json: String, ttl: Double?, context: ScriptContext) async throws {
        try await journal.storeSet(endpoint: context.endpoint, key: key, value: json, expiresAt: expiry(ttl), fence: context.fence)
    }

    public nonisolated(nonsending) func storeIncrement(_ key: String, by: Double, ttl: Double?, context: ScriptContext) async throws -> Double {
        try await journal.storeIncrement(endpoint: context.endpoint, key: key, by: by, expiresAt: expiry(ttl), now: now(),
                                         fence: context.fence)
    }

    public nonisolated(nonsending) func storeDelete(_ key: String, context: ScriptContext) async throws {
        try await journal.storeDelete(endpoint: context.endpoint, key: key, fence: context.fence)
    }

    public nonisolated(nonsending) func pendingTimers(of call: CallKey, asOf event: EventID) async throws -> [PendingTimer] {
        try await journal.pendingTimers(of: call, asOf: event)
    }

    public func log(_ level: ScriptLogLevel, _ message: String, fields: [String: String], context: ScriptContext) {
        var metadata: Logger.Metadata = [
            "event_id": "\(context.eventID)", "script": "\(context.script)", "endpoint": "\(context.endpoint)",
        ]
        for (name, value) in fields { metadata["field.\(name)"] = "\(value)" }
        let swiftLevel: Logger.Level = level == .error ? .error : level == .warn ? .warning : .info
        logger.log(level: swiftLevel, "\(message)", metadata: metadata)
    }

    public func environment(_ name: String) -> String? { environmentValues[name] }

    public func now() -> Int64 { clock.now() }

    private func expiry(_ ttl: Double?) -> Int64? {
        ttl.map { now() + Int64($0 * 1000) }
    }
}

enum HostAllowlist {
    static func allows(_ host: String, _ patterns: [String]) -> Bool {
        guard !patterns.isEmpty else { return true }
        let host = host.lowercased()
        return patterns.contains { pattern in
            let pattern = pattern.lowercased()
            if pattern.hasPrefix("*.") { return host.hasSuffix(pattern.dropFirst()) }
            return host == pattern
        }
    }
}

/// The cause of a transport failure in a few words (never a header value).
func describe(_ error: any Error) -> String {
    if let error = error as? HTTPClientError {
        switch error {
        case .connectTimeout: return "connection timed out"
        case .remoteConnectionClosed: return "the server closed the connection"
        case .deadlineExceeded, .readTimeout: return "timed out"
        default: return "\(error)"
        }
    }
    let text = "\(error)"
    if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
    return text
}

/// The HTTP clients scripts and alerts use: redirects are followed only when a script asks
/// (`follow_redirects = true`), and AsyncHTTPClient sets that per client.
public struct HTTPClients: Sendable {
    public let direct: HTTPClient
    package let redirecting: HTTPClient

    public init() {
        var direct = HTTPClient.Configuration()
        direct.redirectConfiguration = .disallow
        direct.decompression = .enabled(limit: .ratio(20))
        // an unreachable host fails at once (the script decides whether to retry), not at the deadline
        direct.connectionPool.retryConnectionEstablishment = false
        // runs waiting on one slow receiver share the connections: more than the default 8 may wait at once
        direct.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 32
        var redirecting = direct
        redirecting.redirectConfiguration = .follow(max: 5, allowCycles: false)
        self.direct = HTTPClient(eventLoopGroupProvider: .singleton, configuration: direct)
        self.redirecting = HTTPClient(eventLoopGroupProvider: .singleton, configuration: redirecting)
    }

    public func shutdown() async {
        try? await direct.shutdown()
        try? await redirecting.shutdown()
    }
}
