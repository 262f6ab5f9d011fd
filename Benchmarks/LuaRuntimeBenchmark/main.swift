// Prints the Lua runtime's costs as medians:
// `swift run -c release --package-path Benchmarks LuaRuntimeBenchmark [fixtures-folder]`.
import Foundation
import JSON
import LuaRuntime

struct Sink: Sendable {}

let fixtures = CommandLine.arguments.dropFirst().first
    ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/Fixtures/interactly/fixtures").path

func load(_ name: String) throws -> JSONDocument {
    try JSONParser.parse([UInt8](Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/\(name)"))))
}

let functions: [HostFunction<Sink>] = [
    .sync("noop") { _ in [] },
    .async("wait") { _ in { [] } },
]
let engine = LuaEngine<Sink>(limits: LuaLimits(timeout: .seconds(30), memory: 256 << 20), functions: functions)

func compile(_ text: String) async throws -> CompiledScript {
    try await engine.compile(ScriptSource(name: "bench.lua", text: text))
}

/// Median over `samples` of the time per run, each sample timing `batch` sequential runs.
func medianPerRun(_ script: CompiledScript, event: ScriptInput, batch: Int, samples: Int = 31) async -> Duration {
    var times: [Duration] = []
    let clock = ContinuousClock()
    for _ in 0..<3 { _ = await engine.run(script, event: event, context: Sink()) }  // warm-up
    for _ in 0..<samples {
        let start = clock.now
        for _ in 0..<batch {
            if case .failure(let error) = await engine.run(script, event: event, context: Sink()) { fatalError("\(error)") }
        }
        times.append((clock.now - start) / batch)
    }
    return times.sorted()[samples / 2]
}

func micro(_ d: Duration) -> String {
    let (s, atto) = d.components
    return String(format: "%.2f µs", Double(s) * 1e6 + Double(atto) / 1e12)
}

// Measured from a task on the engine's own thread, as dispatch workers run (no thread hop per run).
try await Task(executorPreference: engine.executor) {
let empty = try await compile("")
let encode = try await compile("local _ = json.encode(event)")
// what a typical rule reads: the newest message and the call id (event tables are built on first touch)
let readFew = try await compile("local _ = event.call.id; local m = event.messages; local _ = m[#m]")
let walkAll = try await compile("""
    local function walk(v) if type(v) == "table" then for _, x in pairs(v) do walk(x) end end end
    walk(event)
    """)
let noop1000 = try await compile("for i = 1, 1000 do noop() end")
let empty1000 = try await compile("for i = 1, 1000 do end")
let wait1000 = try await compile("for i = 1, 1000 do wait() end")

print("Hookline Lua runtime benchmark (medians; Lua \(String(cString: "5.4")), \(ProcessInfo.processInfo.activeProcessorCount) cores)")
print("")
let base = await medianPerRun(empty, event: .value(.nil), batch: 2000)
print("| measure | median |")
print("|---|---:|")
print("| per-event overhead: fresh env + coroutine + trivial script | \(micro(base)) |")
for name in ["hang.json", "end-of-call-report.json"] {
    let document = try load(name)
    let message = document.root["message"]!
    let size = document.bytes.count
    let batch = name == "hang.json" ? 500 : 50
    let few = await medianPerRun(readFew, event: .json(message), batch: batch)
    let all = await medianPerRun(walkAll, event: .json(message), batch: batch)
    let encoded = await medianPerRun(encode, event: .json(message), batch: batch)
    print("| JSON -> Lua, \(name) (\(size / 1024) KB), script reads the call id and the newest message | \(micro(few - base)) |")
    print("| JSON -> Lua, \(name), script visits every value (pairs over every table) | \(micro(all - base)) |")
    print("| JSON -> Lua -> JSON, \(name) (json.encode(event)) | \(micro(encoded - base)) |")
}
let loop = await medianPerRun(empty1000, event: .value(.nil), batch: 20)
let sync = await medianPerRun(noop1000, event: .value(.nil), batch: 20)
let yielding = await medianPerRun(wait1000, event: .value(.nil), batch: 5)
print("| host call round trip (synchronous) | \(micro((sync - loop) / 1000)) |")
print("| yielding host call round trip (yield, Swift await, resume) | \(micro((yielding - loop) / 1000)) |")
}.value

// The same trivial run awaited from the shared cooperative pool: each call crosses to the engine's thread
// and back, which is what a caller pays when it does not run on the engine's executor.
let hopScript = try await compile("")
let hop = await medianPerRun(hopScript, event: .value(.nil), batch: 200)
print("| per-event overhead awaited from another thread (two thread hops) | \(micro(hop)) |")
