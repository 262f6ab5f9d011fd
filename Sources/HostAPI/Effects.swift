import Journal

/// Every side effect a script can cause goes through one of these, so that a real server (`LiveEffects`),
/// a dry run (`hookline run`) and script tests with mocks (`hookline test`) swap one implementation.
/// The async requirements are `nonisolated(nonsending)`: they start on the calling engine's thread, and
/// leave it only where they really wait (a network answer, a commit).
///
/// ```swift
/// // what a script's host calls reach: here the recording implementation `hookline run` and script tests use
/// let effects = try RecordingEffects(outputFolder: scratch)
/// let context = ScriptContext(eventID: "42", endpoint: "default", type: "hang", callID: "CA1", script: "hang.lua",
///                             attempt: 1, effects: effects)
/// try await effects.appendFile("hangs.log", Array("CA1\n".utf8), context: context)
/// effects.entries   // [.file(operation: "append", path: "hangs.log", bytes: 4)]
/// ```
public protocol Effects: Sendable {
    nonisolated(nonsending) func http(_ request: OutboundRequest, context: ScriptContext) async throws -> OutboundResponse
    nonisolated(nonsending) func writeFile(_ path: String, _ data: [UInt8], context: ScriptContext) async throws
    nonisolated(nonsending) func appendFile(_ path: String, _ data: [UInt8], context: ScriptContext) async throws
    nonisolated(nonsending) func readFile(_ path: String, context: ScriptContext) async throws -> [UInt8]?
    /// Delivers (or folds, when its key was seen within the window) an alert. Returns whether it was
    /// delivered. Channel failures never reach the script.
    nonisolated(nonsending) func alert(_ alert: Alert, context: ScriptContext) async -> Bool
    nonisolated(nonsending) func storeGet(_ key: String, context: ScriptContext) async throws -> String?
    nonisolated(nonsending) func storeSet(_ key: String, json: String, ttl: Double?, context: ScriptContext) async throws
    nonisolated(nonsending) func storeIncrement(_ key: String, by: Double, ttl: Double?, context: ScriptContext) async throws -> Double
    nonisolated(nonsending) func storeDelete(_ key: String, context: ScriptContext) async throws
    /// The timers of `call` pending at `event`'s place in its order (`timer.get`, `timer.cancel`, the limit of
    /// `timer.set`; whether a fired timer still stands when its run starts).
    nonisolated(nonsending) func pendingTimers(of call: CallKey, asOf event: EventID) async throws -> [PendingTimer]
    func log(_ level: ScriptLogLevel, _ message: String, fields: [String: String], context: ScriptContext)
    /// An environment variable, only if the operator allowed it.
    func environment(_ name: String) -> String?
    /// Epoch milliseconds.
    func now() -> Int64
}

public enum ScriptLogLevel: String, Sendable {
    case info, warn, error
}

/// An HTTP call a script asks for, already checked (scheme, header values, method).
public struct OutboundRequest: Sendable, Equatable {
    package var method: String
    package var url: String
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]?
    package var timeout: Duration
    package var followRedirects: Bool

    package init(method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
                timeout: Duration = .seconds(10), followRedirects: Bool = false) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.followRedirects = followRedirects
    }

    public static func == (a: OutboundRequest, b: OutboundRequest) -> Bool {
        a.method == b.method && a.url == b.url && a.body == b.body && a.timeout == b.timeout
            && a.followRedirects == b.followRedirects
            && a.headers.map { "\($0.name.lowercased()):\($0.value)" } == b.headers.map { "\($0.name.lowercased()):\($0.value)" }
    }

    /// The value of a header (case-insensitive name).
    package func header(_ name: String) -> String? {
        headers.last { $0.name.lowercased() == name.lowercased() }?.value
    }
}

public struct OutboundResponse: Sendable {
    package var status: Int
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]

    package init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// An alert raised by a script.
public struct Alert: Sendable, Equatable {
    public enum Severity: String, Sendable, CaseIterable, Comparable {
        case info, warning, critical

        public static func < (a: Severity, b: Severity) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }
    package var title: String
    package var text: String
    package var severity: Severity
    /// Alerts with the same key within the de-duplication window are folded into the first one.
    package var key: String?
    package var fields: [String: String]
    /// How many alerts with this key were folded since the last delivered one (set by the alerter).
    package var folded: Int

    package init(title: String, text: String = "", severity: Severity = .warning, key: String? = nil,
                fields: [String: String] = [:], folded: Int = 0) {
        self.title = title
        self.text = text
        self.severity = severity
        self.key = key
        self.fields = fields
        self.folded = folded
    }
}
