// Prints what host calls cost from Lua, with the real side effects (medians):
// `swift run -c release --package-path Benchmarks HostAPIBenchmark`
import Foundation
import HostAPI
import Hummingbird
import Journal
import Logging
import LuaRuntime
import Observability
import ServiceLifecycle

// A local HTTP receiver standing in for a CRM and for Slack: answers 200 at once.
let quiet = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
let router = Router()
router.on("/**", method: .get) { _, _ in "ok" }
router.on("/**", method: .post) { _, _ in "ok" }
let (bound, boundContinuation) = AsyncStream<Int>.makeStream()
let receiver = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                           onServerRunning: { boundContinuation.yield($0.localAddress?.port ?? 0); boundContinuation.finish() },
                           logger: quiet)
let group = ServiceGroup(configuration: .init(services: [receiver], logger: quiet))
let serving = Task { try await group.run() }
var port = 0
for await value in bound { port = value; break }
let url = "http://127.0.0.1:\(port)"

let folder = NSTemporaryDirectory() + "hookline-hostapi-bench-\(UUID().uuidString.prefix(8))"
let journal = try SQLiteJournal(directory: folder)
let clients = HTTPClients()
let alerter = Alerter(channels: AlertChannels(slack: url + "/slack"), client: clients.direct, logger: quiet, telemetry: Telemetry(eventTypes: []))  // no events here
let effects = LiveEffects(settings: LiveSettings(), clients: clients, files: try FileJail(root: folder + "/out"), alerter: alerter,
                          journal: journal, logger: quiet)
let engine = LuaEngine<ScriptContext>(limits: LuaLimits(timeout: .seconds(60), memory: 256 << 20), functions: HostLibrary.functions())

func context() -> ScriptContext {
    ScriptContext(eventID: "1", endpoint: "default", type: "hang", callID: "CA1", script: "bench.lua", attempt: 1, effects: effects)
}

/// Median time per call over `samples` runs of a script making `calls` calls (a loop without calls subtracted).
func perCall(_ body: String, calls: Int, samples: Int = 9) async throws -> Duration {
    let script = try await engine.compile(ScriptSource(name: "bench.lua", text: "for i = 1, \(calls) do \(body) end"))
    let empty = try await engine.compile(ScriptSource(name: "empty.lua", text: "for i = 1, \(calls) do end"))
    func median(_ compiled: CompiledScript) async -> Duration {
        var times: [Duration] = []
        for _ in 0..<samples {
            let started = ContinuousClock.now
            if case .failure(let error) = await engine.run(compiled, event: .value(.nil), context: context()) { fatalError("\(error)") }
            times.append(ContinuousClock.now - started)
        }
        return times.sorted()[samples / 2]
    }
    return (await median(script) - (await median(empty))) / calls
}

/// Calls per second when `concurrency` runs make `calls` calls each at the same time on the state.
func concurrent(_ body: String, runs concurrency: Int, calls: Int) async throws -> Double {
    let script = try await engine.compile(ScriptSource(name: "bench.lua", text: "for i = 1, \(calls) do \(body) end"))
    let started = ContinuousClock.now
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<concurrency {
            group.addTask(executorPreference: engine.executor) { _ = await engine.run(script, event: .value(.nil), context: context()) }
        }
    }
    let elapsed = ContinuousClock.now - started
    let (seconds, attoseconds) = elapsed.components
    return Double(concurrency * calls) / (Double(seconds) + Double(attoseconds) / 1e18)
}

func micro(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    return String(format: "%.1f µs", Double(seconds) * 1e6 + Double(attoseconds) / 1e12)
}

print("Hookline host call costs from Lua (medians; local receiver on loopback; journal in \(folder))")
print("")
print("| host call | one run, sequential calls | 64 runs at once |")
print("|---|---:|---:|")
let http = try await perCall(#"http.get("\#(url)/crm")"#, calls: 200)
let httpRate = try await concurrent(#"http.get("\#(url)/crm")"#, runs: 64, calls: 50)
print("| `http.get` to a local receiver (non-blocking) | \(micro(http)) | \(Int(httpRate)) calls/s |")
let incr = try await perCall(#"store.incr("counter")"#, calls: 200)
let incrRate = try await concurrent(#"store.incr("counter")"#, runs: 64, calls: 50)
print("| `store.incr` (durable: group-committed to the journal) | \(micro(incr)) | \(Int(incrRate)) calls/s |")
let alert = try await perCall(#"alert{title = "hang", key = "same-call"}"#, calls: 2000)
print("| `alert` with de-duplication (folded) | \(micro(alert)) | |")
let json = try await perCall(#"json.encode({call = "CA1", n = i})"#, calls: 2000)
print("| `json.encode` of a small table (for comparison) | \(micro(json)) | |")

await alerter.drain()
await clients.shutdown()
await journal.close()
await group.triggerGracefulShutdown()
_ = try? await serving.value
try? FileManager.default.removeItem(atPath: folder)
