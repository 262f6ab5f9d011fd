import HostAPI
import Journal

/// The effects of a shadow run (`hookline shadow`): nothing is performed, everything is recorded by the run's
/// effect log. What a call returns comes from what the live runs of the same event recorded: an HTTP call gets
/// the recorded response to the same request (method, URL and body; else the same method and URL), else a stub
/// (200, empty body); `store.get` and `store.incr` get the value the live run saw for that key, else the store
/// as it is now (read, never written); `time.now()` the live run's first value, else the event's receipt time;
/// `env(name)` the value in `environment` (the variables the operator allowed the shadow run, from its own
/// environment: the live values were never recorded, they may be credentials).
///
/// ```swift
/// let effects = ShadowEffects(live: liveEntriesOfTheEvent, ownLive: liveEntriesOfThisScript,
///                             receivedAt: event.receivedAt, store: journal)
/// let (result, record) = await workbench.runRecorded("hang.lua", event: .json(message), ctx: ctx, effects: effects)
/// ```
package final class ShadowEffects: Effects {
    private let live: [EffectEntry]
    private let clock: Int64
    private let store: (any ScriptStore)?
    private let environmentValues: [String: String]

    /// `live`: the entries of every live run of the event; `ownLive`: those of the script being run.
    package init(live: [EffectEntry], ownLive: [EffectEntry], receivedAt: Int64, store: (any ScriptStore)?,
                environment: [String: String] = [:]) {
        self.live = live
        self.store = store
        environmentValues = environment
        clock = ownLive.first { $0.call == "time.now" }.flatMap { entry -> Int64? in
            if case .integer(let value)? = entry.result { return value } else { return nil }
        } ?? receivedAt
    }

    package nonisolated(nonsending) func http(_ request: OutboundRequest, context: ScriptContext) async throws -> OutboundResponse {
        let digest = request.body.flatMap { EffectValues.body($0).value["sha256"]?.text }
        let sameRequest = live.filter {
            $0.call.hasPrefix("http.") && $0.argument("method")?.text == request.method && $0.argument("url")?.text == request.url
        }
        let exact = sameRequest.first { $0.argument("body")?["sha256"]?.text == digest } ?? sameRequest.first
        return exact?.result.flatMap(replayedResponse) ?? OutboundResponse(status: 200)
    }

    package nonisolated(nonsending) func writeFile(_ path: String, _ data: [UInt8], context: ScriptContext) async throws {}

    package nonisolated(nonsending) func appendFile(_ path: String, _ data: [UInt8], context: ScriptContext) async throws {}

    package nonisolated(nonsending) func readFile(_ path: String, context: ScriptContext) async throws -> [UInt8]? {
        guard let entry = live.first(where: { $0.call == "file.read" && $0.argument("path")?.text == path }),
              let result = entry.result, result != .null else { return nil }
        return EffectValues.bytes(result)
    }

    package nonisolated(nonsending) func alert(_ alert: Alert, context: ScriptContext) async -> Bool {
        let recorded = live.first { $0.call == "alert" && $0.argument("title")?.text == alert.title }
        if case .bool(let delivered)? = recorded?.result { return delivered }
        return true
    }

    package nonisolated(nonsending) func storeGet(_ key: String, context: ScriptContext) async throws -> String? {
        if let entry = live.first(where: { $0.call == "store.get" && $0.argument("key")?.text == key }), let result = entry.result {
            return result == .null ? nil : result["value"]?.json
        }
        return try await store?.storeGet(endpoint: context.endpoint, key: key, now: clock)
    }

    package nonisolated(nonsending) func storeSet(_ key: String, json: String, ttl: Double?, context: ScriptContext) async throws {}

    package nonisolated(nonsending) func storeIncrement(_ key: String, by: Double, ttl: Double?, context: ScriptContext) async throws -> Double {
        if let entry = live.first(where: { $0.call == "store.incr" && $0.argument("key")?.text == key }) {
            switch entry.result {
            case .number(let value)?: return value
            case .integer(let value)?: return Double(value)
            default: break
            }
        }
        let text = try await store?.storeGet(endpoint: context.endpoint, key: key, now: clock)
        return (text.flatMap(Double.init) ?? 0) + by
    }

    package nonisolated(nonsending) func storeDelete(_ key: String, context: ScriptContext) async throws {}

    package nonisolated(nonsending) func pendingTimers(of call: CallKey, asOf event: EventID) async throws -> [PendingTimer] {
        try await store?.pendingTimers(of: call, asOf: event) ?? []
    }

    package func log(_ level: ScriptLogLevel, _ message: String, fields: [String: String], context: ScriptContext) {}

    package func environment(_ name: String) -> String? { environmentValues[name] }

    package func now() -> Int64 { clock }
}
