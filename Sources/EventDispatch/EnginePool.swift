import HostAPI
import LuaRuntime

/// The Lua states that run one `ScriptSet`: one engine per core, each with every script compiled.
/// A new set (hot reload) gets a new pool; runs in flight finish on the old one.
final class EnginePool: Sendable {
    let set: ScriptSet
    let generation: Int
    let engines: [LuaEngine<ScriptContext>]
    /// Per engine: script path -> compiled script.
    private let compiled: [[String: CompiledScript]]

    private init(set: ScriptSet, generation: Int, engines: [LuaEngine<ScriptContext>], compiled: [[String: CompiledScript]]) {
        self.set = set
        self.generation = generation
        self.engines = engines
        self.compiled = compiled
    }

    static func make(set: ScriptSet, generation: Int, size: Int, limits: LuaLimits,
                     functions: [HostFunction<ScriptContext>]) async -> EnginePool {
        var engines: [LuaEngine<ScriptContext>] = []
        var compiled: [[String: CompiledScript]] = []
        for _ in 0..<max(1, size) {
            let engine = LuaEngine<ScriptContext>(limits: limits, functions: functions, modules: set.moduleLoader)
            var scripts: [String: CompiledScript] = [:]
            for script in set.scripts {
                // the loader already compiled each of these once, so this cannot fail
                if let compiledScript = try? await engine.compile(script.compilable) {
                    scripts[script.path] = compiledScript
                }
            }
            engines.append(engine)
            compiled.append(scripts)
        }
        return EnginePool(set: set, generation: generation, engines: engines, compiled: compiled)
    }

    func script(_ path: String, on engine: Int) -> CompiledScript? {
        compiled[engine][path]
    }
}
