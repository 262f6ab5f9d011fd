import Basics
import EventDispatch
import Foundation
import HostAPI
import JSON
import Journal
import LuaRuntime

/// The scripts of one folder compiled into one engine, to run outside the server (`hookline run` and
/// `hookline test`) with whatever effects the caller gives each run.
package final class ScriptWorkbench: Sendable {
    package let set: ScriptSet
    private let engine: LuaEngine<ScriptContext>
    private let compiled: [String: CompiledScript]

    private init(set: ScriptSet, engine: LuaEngine<ScriptContext>, compiled: [String: CompiledScript]) {
        self.set = set
        self.engine = engine
        self.compiled = compiled
    }

    package static func load(folder: String, limits: LuaLimits = LuaLimits()) async throws(ScriptFolderError) -> ScriptWorkbench {
        let set = try await ScriptLoader.load(folder: folder)
        let engine = LuaEngine<ScriptContext>(limits: limits, functions: HostLibrary.functions(), modules: set.moduleLoader)
        var compiled: [String: CompiledScript] = [:]
        for script in set.scripts {
            compiled[script.path] = try? await engine.compile(script.compilable)
        }
        return ScriptWorkbench(set: set, engine: engine, compiled: compiled)
    }

    /// Runs one script (path relative to the folder) on an event, with `ctx` as the server would build it.
    package func run(_ path: String, event: ScriptInput, ctx: LuaTable, effects: any Effects) async -> Result<RunReport, ScriptError> {
        await runRecorded(path, event: event, ctx: ctx, effects: effects).result
    }

    /// `run`, with the run's effect record (every host call with its arguments and outcome).
    package func runRecorded(_ path: String, event: ScriptInput, ctx: LuaTable,
                            effects: any Effects) async -> (result: Result<RunReport, ScriptError>, effects: EffectRecord) {
        guard let script = compiled[path] else {
            let known = set.scripts.map(\.path).joined(separator: ", ")
            return (.failure(ScriptError(kind: .runtime, script: path,
                                         message: "no such script in \(set.folder) (scripts: \(known.isEmpty ? "none" : known))")),
                    EffectRecord())
        }
        let context = ScriptContext(eventID: ctx["event_id"].string ?? "1", endpoint: ctx["endpoint"].string ?? "default",
                                    type: ctx["type"].string ?? "", callID: ctx["call_id"].string ?? "",
                                    script: path, attempt: Int(ctx["attempt"].integerValue ?? 1), effects: effects)
        var ctx = ctx
        ctx["script"] = .string(path)
        let result = await engine.run(script, event: event, ctx: .table(ctx), context: context)
        // as the server applies a successful run's timer operations with its record
        if case .success = result, let recording = effects as? RecordingEffects {
            recording.applyTimers(context.timerOperations, call: context.call, setBy: EventID(context.eventID) ?? EventID(1))
        }
        return (result, context.effectLog.record)
    }

    /// The `ctx` a server run would see for this event.
    package static func context(for message: LuaValue, eventID: String = "1", attempt: Int = 1) -> LuaTable {
        var type = "", callID = ""
        if case .table(let event) = message {
            type = event["type"].string ?? ""
            if case .table(let call) = event["call"] { callID = call["id"].string ?? "" }
        }
        var ctx = RunContext(eventID: eventID, endpoint: "default", type: type, callID: callID,
                             receivedAt: epochMilliseconds(), attempt: attempt, script: "",
                             warnings: []).table
        ctx["script"] = .nil  // set by `run`, for the script it runs
        return ctx
    }
}

extension LuaValue {
    var numberValue: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }

    var integerValue: Int64? {
        switch self {
        case .integer(let value): value
        case .number(let value) where value == value.rounded(): Int64(value)
        default: nil
        }
    }
}
