import Foundation
import JSON
import LuaRuntime
import Synchronization
@_exported import TestSupport

/// What test host functions saw during runs.
final class Recorder: Sendable {
    let emitted = Mutex<[LuaValue]>([])
    var values: [LuaValue] { emitted.withLock { $0 } }
}

let testFunctions: [HostFunction<Recorder>] = [
    .sync("emit") { call in
        let value = call.value(1)
        call.context.emitted.withLock { $0.append(value) }
        return []
    },
    .sync("echo") { call in (0..<call.count).map { call.value($0 + 1) } },
    .sync("fail") { call in throw HostError("fail: \(try call.string(1, "message"))") },
    .async("sleep") { call in
        let ms = try call.integer(1, "milliseconds")
        return {
            try await Task.sleep(for: .milliseconds(ms))
            return [.string("slept \(ms)")]
        }
    },
    .async("async_fail") { call in
        let message = try call.string(1, "message")
        return { throw HostError("async_fail: \(message)") }
    },
    .async("async_echo") { call in
        let values = (0..<call.count).map { call.value($0 + 1) }
        return { values }
    },
]

func makeEngine(limits: LuaLimits = LuaLimits(timeout: .seconds(2), memory: 16 << 20),
                modules: ModuleLoader? = nil) -> LuaEngine<Recorder> {
    LuaEngine(limits: limits, functions: testFunctions, modules: modules)
}

/// Compiles and runs `source` once; returns the outcome and what it emitted.
func run(_ engine: LuaEngine<Recorder>, _ source: String, name: String = "test.lua",
         event: ScriptInput = .value(.nil), ctx: LuaValue = .nil) async throws -> (Result<RunReport, ScriptError>, [LuaValue]) {
    let script = try await engine.compile(ScriptSource(name: name, text: source))
    let recorder = Recorder()
    let result = await engine.run(script, event: event, ctx: ctx, context: recorder)
    return (result, recorder.values)
}

/// Runs `source`, requiring success, and returns what it emitted.
func emitted(_ engine: LuaEngine<Recorder>, _ source: String, event: ScriptInput = .value(.nil)) async throws -> [LuaValue] {
    let (result, values) = try await run(engine, source, event: event)
    if case .failure(let error) = result { throw error }
    return values
}

func failure(_ result: Result<RunReport, ScriptError>) -> ScriptError? {
    if case .failure(let error) = result { return error }
    return nil
}
