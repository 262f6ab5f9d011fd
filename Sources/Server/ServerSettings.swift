/// What the HTTP front door needs to know: where to listen, how big a body may be, and the endpoints.
public struct ServerSettings: Sendable {
    public var host: String
    public var port: Int
    public var maxBody: Int
    /// A connection that sends nothing for this long, between requests or in the middle of one, is closed.
    package var idleTimeout: Duration
    /// `/webhook` (named "default") and `/webhook/{name}`.
    public var endpoints: [EndpointSettings]
    /// Threads that accept connections, read requests and run intake's checks.
    public var eventLoops: Int
    /// Connections open at once; at the limit no more are accepted until one closes.
    package var maxConnections: Int
    /// Body bytes all connections may hold at once; a body that finds no room gets 503.
    package var maxInflightBytes: Int
    /// A request head must be complete within this long of its first byte, and a body gets this long
    /// before `minBodyRate` applies.
    package var headTimeout: Duration
    /// Bytes a second a body must arrive at, on average.
    package var minBodyRate: Int

    public init(host: String = "127.0.0.1", port: Int = 8080, maxBody: Int = 4 << 20, idleTimeout: Duration = .seconds(60),
                endpoints: [EndpointSettings], eventLoops: Int = UsableCores.count,
                maxConnections: Int = DescriptorLimit.defaultMaxConnections(), maxInflightBytes: Int = 64 << 20,
                headTimeout: Duration = .seconds(10), minBodyRate: Int = 1024) {
        self.host = host
        self.port = port
        self.maxBody = maxBody
        self.idleTimeout = idleTimeout
        self.endpoints = endpoints
        self.eventLoops = eventLoops
        self.maxConnections = maxConnections
        self.maxInflightBytes = maxInflightBytes
        self.headTimeout = headTimeout
        self.minBodyRate = minBodyRate
    }
}

/// One webhook URL: its credentials and which event types it processes.
public struct EndpointSettings: Sendable, CustomStringConvertible {
    public static let defaultName = "default"

    public var name: String
    /// Compared with the `x-interactly-secret` header; nil only when running open was asked for explicitly.
    public var secret: String?
    /// Further headers every delivery must carry with exactly these values (e.g. `Authorization`).
    package var requiredHeaders: [(name: String, value: String)]
    /// Event types processed; others are kept but not processed. nil = all.
    public var events: Set<String>?

    public init(name: String = EndpointSettings.defaultName, secret: String?, requiredHeaders: [(name: String, value: String)] = [],
                events: Set<String>? = nil) {
        self.name = name
        self.secret = secret
        self.requiredHeaders = requiredHeaders
        self.events = events
    }

    /// The path Interactly posts to.
    public var path: String { name == EndpointSettings.defaultName ? "/webhook" : "/webhook/\(name)" }

    /// Names and path only: the secret and header values never reach a log line through a description.
    public var description: String {
        "EndpointSettings(\(path), secret: \(secret == nil ? "none" : "set"), headers: \(requiredHeaders.map(\.name)))"
    }
}
