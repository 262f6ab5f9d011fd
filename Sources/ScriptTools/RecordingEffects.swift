import Basics
import Foundation
import HostAPI
import JSON
import Journal
import LuaRuntime
import Synchronization

/// Side effects recorded instead of performed: what `hookline run` shows and what `hookline test` checks.
/// HTTP calls are answered by mocks (or a stub: 200, empty body), files go to a scratch folder, alerts are
/// folded by key as the server would, the store lives in memory, and the clock can be fixed.
package final class RecordingEffects: Effects {
    package enum Entry: Sendable {
        case http(OutboundRequest, response: OutboundResponse?, error: String?, mocked: Bool)
        case file(operation: String, path: String, bytes: Int)
        case alert(Alert, delivered: Bool)
        case store(operation: String, key: String, value: String?)
        case log(ScriptLogLevel, message: String, fields: [String: String])
        /// A timer operation of a finished run, as the journal would apply it.
        case timer(TimerOperation)
    }

    package struct HTTPMock: Sendable {
        /// Exact URL, or a prefix when it ends in `*`.
        package var url: String
        package var method: String?
        package var response: OutboundResponse?
        /// A transport failure instead of a response.
        package var error: String?

        package init(url: String, method: String? = nil, response: OutboundResponse? = nil, error: String? = nil) {
            self.url = url
            self.method = method
            self.response = response
            self.error = error
        }

        func matches(_ request: OutboundRequest) -> Bool {
            let urlMatches = url.hasSuffix("*") ? request.url.hasPrefix(String(url.dropLast())) : request.url == url
            return urlMatches && (method.map { $0.uppercased() == request.method } ?? true)
        }
    }

    private struct State {
        var entries: [Entry] = []
        var mocks: [HTTPMock] = []
        var environment: [String: String] = [:]
        var store: [String: (json: String, expiresAt: Int64?)] = [:]
        var fixedNow: Int64?
        var timers: [CallKey: [String: PendingTimer]] = [:]
    }

    /// Where `file.*` writes, a folder of its own.
    package let outputFolder: String
    private let files: FileJail
    private let folding: MemoryAlertFolding
    private let state = Mutex(State())

    package init(outputFolder: String, alertWindow: Duration = .seconds(600), environment: [String: String] = [:]) throws {
        self.outputFolder = outputFolder
        files = try FileJail(root: outputFolder)
        folding = MemoryAlertFolding(window: alertWindow)
        state.withLock { $0.environment = environment }
    }

    /// A recording world in a new temporary folder.
    package static func scratch(environment: [String: String] = [:]) throws -> RecordingEffects {
        let folder = NSTemporaryDirectory() + "hookline-" + UUID().uuidString.prefix(8)
        return try RecordingEffects(outputFolder: folder, environment: environment)
    }

    package var entries: [Entry] { state.withLock { $0.entries } }

    // MARK: mocks

    package func mock(_ mock: HTTPMock) { state.withLock { $0.mocks.append(mock) } }
    package func mockEnvironment(_ values: [String: String]) { state.withLock { $0.environment.merge(values) { $1 } } }
    package func mockStore(_ key: String, json: String) { state.withLock { $0.store[key] = (json, nil) } }
    package func mockTime(_ milliseconds: Int64) { state.withLock { $0.fixedNow = milliseconds } }

    // MARK: timers

    /// Applies a successful run's timer operations, as the journal applies them with its record.
    package func applyTimers(_ operations: [TimerOperation], call: CallKey, setBy: EventID) {
        state.withLock { state in
            for operation in operations {
                switch operation.kind {
                case .set(let dueAt, let setAt, let data):
                    state.timers[call, default: [:]][operation.name] = PendingTimer(call: call, name: operation.name, dueAt: dueAt,
                                                                                    setAt: setAt, data: data, setBy: setBy)
                case .cancel:
                    state.timers[call]?[operation.name] = nil
                }
                state.entries.append(.timer(operation))
            }
        }
    }

    /// Every pending timer, the earliest due first.
    package var pendingTimers: [PendingTimer] {
        state.withLock { $0.timers.values.flatMap(\.values) }.sorted { ($0.dueAt, $0.name) < ($1.dueAt, $1.name) }
    }

    /// Takes the earliest timer due at `now` or before out of the pending ones (it fires).
    package func takeDueTimer(at now: Int64) -> PendingTimer? {
        state.withLock { state in
            let due = state.timers.values.flatMap(\.values).filter { $0.dueAt <= now }
            guard let first = due.min(by: { ($0.dueAt, $0.name) < ($1.dueAt, $1.name) }) else { return nil }
            state.timers[first.call]?[first.name] = nil
            return first
        }
    }

    // MARK: Effects

    package nonisolated(nonsending) func http(_ request: OutboundRequest, context: ScriptContext) async throws -> OutboundResponse {
        let mock = state.withLock { $0.mocks.last { $0.matches(request) } }
        if let error = mock?.error {
            let message = "http: \(request.method) \(request.url) failed: \(error)"
            record(.http(request, response: nil, error: message, mocked: true))
            throw HostError(message)
        }
        let response = mock?.response ?? OutboundResponse(status: 200)
        record(.http(request, response: response, error: nil, mocked: mock != nil))
        return response
    }

    package nonisolated(nonsending) func writeFile(_ path: String, _ data: [UInt8], context: ScriptContext) async throws {
        try files.write(path, data)
        record(.file(operation: "write", path: path, bytes: data.count))
    }

    package nonisolated(nonsending) func appendFile(_ path: String, _ data: [UInt8], context: ScriptContext) async throws {
        try files.append(path, data)
        record(.file(operation: "append", path: path, bytes: data.count))
    }

    package nonisolated(nonsending) func readFile(_ path: String, context: ScriptContext) async throws -> [UInt8]? {
        let data = try files.read(path)
        record(.file(operation: "read", path: path, bytes: data?.count ?? 0))
        return data
    }

    package nonisolated(nonsending) func alert(_ alert: Alert, context: ScriptContext) async -> Bool {
        var alert = alert
        var delivered = true
        if let key = alert.key {
            if let folded = await folding.admit(key: key, now: now()) { alert.folded = folded } else { delivered = false }
        }
        record(.alert(alert, delivered: delivered))
        return delivered
    }

    package nonisolated(nonsending) func storeGet(_ key: String, context: ScriptContext) async throws -> String? {
        let now = now()
        let value = state.withLock { state in state.store[key].flatMap { entry in entry.expiresAt.map { $0 > now } ?? true ? entry.json : nil } }
        record(.store(operation: "get", key: key, value: value))
        return value
    }

    package nonisolated(nonsending) func storeSet(_ key: String, json: String, ttl: Double?, context: ScriptContext) async throws {
        let expiry = ttl.map { now() + Int64($0 * 1000) }
        state.withLock { $0.store[key] = (json, expiry) }
        record(.store(operation: "set", key: key, value: json))
    }

    package nonisolated(nonsending) func storeIncrement(_ key: String, by: Double, ttl: Double?, context: ScriptContext) async throws -> Double {
        let now = now()
        let value: Double = state.withLock { state in
            var current = 0.0
            var expiry = ttl.map { now + Int64($0 * 1000) }
            if let entry = state.store[key], entry.expiresAt.map({ $0 > now }) ?? true {
                current = Double(entry.json) ?? 0
                if ttl == nil { expiry = entry.expiresAt }
            }
            let value = current + by
            state.store[key] = (value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value), expiry)
            return value
        }
        record(.store(operation: "incr", key: key, value: String(value)))
        return value
    }

    package nonisolated(nonsending) func storeDelete(_ key: String, context: ScriptContext) async throws {
        state.withLock { _ = $0.store.removeValue(forKey: key) }
        record(.store(operation: "delete", key: key, value: nil))
    }

    package nonisolated(nonsending) func pendingTimers(of call: CallKey, asOf event: EventID) async throws -> [PendingTimer] {
        state.withLock { Array(($0.timers[call] ?? [:]).values) }  // one run at a time: now is every event's place
    }

    package func log(_ level: ScriptLogLevel, _ message: String, fields: [String: String], context: ScriptContext) {
        record(.log(level, message: message, fields: fields))
    }

    package func environment(_ name: String) -> String? { state.withLock { $0.environment[name] } }

    package func now() -> Int64 { state.withLock { $0.fixedNow } ?? epochMilliseconds() }

    /// The stored JSON text of a key (ignoring expiry), for tests.
    package func storedValue(_ key: String) -> String? {
        let now = now()
        return state.withLock { state in state.store[key].flatMap { entry in entry.expiresAt.map { $0 > now } ?? true ? entry.json : nil } }
    }

    /// The bytes of an output file, for tests.
    package func file(_ path: String) -> [UInt8]? { try? files.read(path) }

    private func record(_ entry: Entry) { state.withLock { $0.entries.append(entry) } }
}
