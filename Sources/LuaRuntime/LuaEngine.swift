import Basics
import CLua
import JSON
import LuaShim

/// A script's text and the name errors and tracebacks use for it (e.g. `hang.lua`, `lib/util.lua`).
public struct ScriptSource: Sendable {
    public var name: String
    public var text: [UInt8]
    /// The name the script sees its input under: `event` for event scripts, `timer` for timer handlers.
    public var inputName: String

    public init(name: String, text: [UInt8], inputName: String = "event") {
        self.name = name
        self.text = text
        self.inputName = inputName
    }

    public init(name: String, text: String) {
        self.init(name: name, text: Array(text.utf8))
    }
}

/// A script compiled into one engine; run it there as often as needed.
public struct CompiledScript: Sendable, Hashable {
    public let name: String
    let reference: Int32
}

/// What a run receives as `event`: a JSON value decoded straight onto the Lua stack, or a Lua value.
public enum ScriptInput: Sendable {
    case json(JSONValue)
    case value(LuaValue)
}

/// How a run went, when it finished.
public struct RunReport: Sendable {
    public var duration: Duration
    public var hostCalls: Int

    public init(duration: Duration, hostCalls: Int) {
        self.duration = duration
        self.hostCalls = hostCalls
    }
}

/// Finds the source of `require(name)`: `name` is already checked to be dotted identifiers.
public typealias ModuleLoader = @Sendable (_ name: String) throws -> ScriptSource

/// One sandboxed Lua state and the scripts compiled into it.
///
/// Each run executes in its own coroutine with a fresh environment holding `event` and `ctx`; a host
/// call that waits for I/O suspends only that coroutine, so many runs can be in flight on one state.
/// The actor is the only owner of the `lua_State`: every Lua API call happens on its executor, a thread of
/// its own. Host work starts on that thread too and leaves it only when it really waits.
public actor LuaEngine<Context: Sendable> {
    public let limits: LuaLimits
    private let core: EngineCore<Context>
    private let thread = LuaThread()

    /// Runs execute on the engine's own thread (see `LuaThread`).
    public nonisolated var unownedExecutor: UnownedSerialExecutor { thread.asUnownedSerialExecutor() }

    /// The engine's thread as a task executor: a task that prefers it calls the engine without a hop.
    public nonisolated var executor: any TaskExecutor { thread }

    public init(limits: LuaLimits = LuaLimits(), functions: [HostFunction<Context>] = [],
                modules: ModuleLoader? = nil) {
        self.limits = limits
        core = EngineCore(limits: limits, functions: functions, modules: modules)
    }

    deinit {
        thread.stop()
    }

    /// Bytes the state holds now.
    public var memoryUsed: Int { lshim_memory_used(core.L) }

    /// Compiles a script once. Its body runs per event with `event` and `ctx` in scope.
    public func compile(_ source: ScriptSource) throws(ScriptError) -> CompiledScript {
        let L = core.L
        let text = Array("local _ENV, \(source.inputName), ctx = ...; ".utf8) + source.text
        let status = text.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                lshim_load_text(L, $0, buffer.count, "@" + source.name)
            }
        }
        guard status == LUA_OK else {
            let message = core.stack.bytes(at: -1)
            lshim_pop(L, 1)
            throw ScriptError.located(kind: .compile, script: source.name, text: String(decoding: message, as: UTF8.self))
        }
        return CompiledScript(name: source.name, reference: lshim_ref(L))
    }

    /// Runs a compiled script once, to completion or failure. Never throws: limits, errors and failed host
    /// calls all come back as a `ScriptError` naming the script and line, and the state stays usable.
    public func run(_ script: CompiledScript, event: ScriptInput, ctx: LuaValue = .nil,
                    context: Context) async -> Result<RunReport, ScriptError> {
        let L = core.L
        let clock = ContinuousClock()
        let started = clock.now
        var deadlineNs = lshim_now_ns() + limits.timeout.wholeNanoseconds
        let frame = RunFrame(context: context, script: script.name, deadline: started + limits.timeout)

        let co = lua_newthread(L)!
        let threadReference = lshim_ref(L)  // a suspended coroutine must stay reachable
        defer {
            lshim_unref(L, threadReference)
            // after a memory overflow, give the garbage back now, or the next allocations fail too
            if lshim_memory_refused(L) != 0 { lshim_gc_collect(L) }
        }
        let stack = LuaStack(L: co, arrayMarker: core.arrayMarker)
        lua_checkstack(co, 8)
        lshim_getref(co, script.reference)
        lshim_push_environment(co)
        switch event {
        case .json(let value): stack.push(json: value)
        case .value(let value): stack.push(value)
        }
        stack.push(ctx)

        var arguments: Int32 = 3
        while true {
            core.current = frame
            core.pending = nil
            var results: Int32 = 0
            let resumed = lshim_now_ns()
            let status = lshim_resume(co, L, arguments, &results, deadlineNs)
            core.busyNanoseconds &+= lshim_now_ns() &- resumed
            core.current = nil
            if status == LUA_OK {
                return .success(RunReport(duration: clock.now - started, hostCalls: frame.hostCalls))
            }
            guard status == LUA_YIELD else { return .failure(failure(of: co, status: status, script: script.name)) }
            lshim_pop(co, results)
            guard let (function, work) = core.pending else {
                if lshim_deadline_expired(L) != 0 { return .failure(deadlineError(co, script: script.name)) }
                return .failure(located(.runtime, co, script.name,
                                        "coroutine.yield was called outside a coroutine (the script body itself cannot yield)"))
            }
            core.pending = nil
            let busyBefore = core.busyNanoseconds
            let outcome: Result<[LuaValue], any Error>
            do { outcome = .success(try await work()) } catch { outcome = .failure(error) }
            // time the state spent running other scripts while this one waited is not this run's: a script that
            // spins to its own limit must not push the runs waiting behind it past theirs
            let taken = core.busyNanoseconds &- busyBefore
            deadlineNs &+= taken
            frame.deadline += .nanoseconds(taken)
            if lshim_now_ns() >= deadlineNs {
                return .failure(located(.timeout, co, script.name, timeoutMessage))
            }
            switch outcome {
            case .success(let values):
                lua_checkstack(co, Int32(values.count + 2))
                lua_pushboolean(co, 1)
                for value in values { stack.push(value) }
                arguments = Int32(values.count + 1)
            case .failure(let error):
                lua_pushboolean(co, 0)
                stack.pushString(hostErrorMessage(error, function: function))
                arguments = 2
            }
        }
    }

    private var timeoutMessage: String {
        "stopped: the run exceeded its time limit of \(limits.timeout.shortDescription) (see --script-timeout)"
    }

    /// The run was stopped by the deadline hook: located where the hook found it.
    private func deadlineError(_ co: OpaquePointer, script: String) -> ScriptError {
        var source = [CChar](repeating: 0, count: 256)
        let line = lshim_deadline_where(core.L, &source, source.count)
        guard line > 0 else { return located(.timeout, co, script, timeoutMessage) }
        return ScriptError(kind: .timeout, script: script, line: Int(line),
                           source: otherSource(String(cString: source), script), message: timeoutMessage)
    }

    private func failure(of co: OpaquePointer, status: Int32, script: String) -> ScriptError {
        let L = core.L
        if lua_type(co, -1) == LUA_TLIGHTUSERDATA && lua_touserdata(co, -1) == lshim_deadline_sentinel() {
            return deadlineError(co, script: script)
        }
        lshim_push_error_message(L, co, lshim_now_ns() + 100_000_000)
        let message = String(decoding: core.stack.bytes(at: -1), as: UTF8.self)
        lshim_pop(L, 1)
        if status == LUA_ERRMEM || (lshim_memory_refused(L) != 0 && message == "not enough memory") {
            return located(.memory, co, script,
                           "stopped: the state exceeded its memory limit of \(formatBytes(limits.memory)) (see --script-memory)")
        }
        var error = ScriptError.located(kind: .runtime, script: script, text: message)
        if error.line == nil {
            let (line, source) = where_(co)
            error.line = line
            error.source = source.flatMap { otherSource($0, script) }
        }
        lshim_push_traceback(L, co)
        error.traceback = String(decoding: core.stack.bytes(at: -1), as: UTF8.self)
        lshim_pop(L, 1)
        return error
    }

    /// An error located at the innermost Lua line of `co`.
    private func located(_ kind: ScriptError.Kind, _ co: OpaquePointer, _ script: String, _ message: String) -> ScriptError {
        let (line, source) = where_(co)
        return ScriptError(kind: kind, script: script, line: line, source: source.flatMap { otherSource($0, script) },
                           message: message)
    }

    private func where_(_ co: OpaquePointer) -> (Int?, String?) {
        var source = [CChar](repeating: 0, count: 256)
        let line = lshim_where(co, &source, source.count)
        return line > 0 ? (Int(line), String(cString: source)) : (nil, nil)
    }
}

private func otherSource(_ source: String, _ script: String) -> String? {
    source == script || source.isEmpty ? nil : source
}

func hostErrorMessage(_ error: any Error, function: String) -> String {
    switch error {
    case let error as HostError: error.message
    case is CancellationError: "\(function): cancelled"
    default: "\(function): \(error)"
    }
}

extension ScriptError {
    /// An error from Lua's "source:line: message" text (the location is split off when present).
    static func located(kind: Kind, script: String, text: String) -> ScriptError {
        guard let (source, line, message) = parse(text) else {
            return ScriptError(kind: kind, script: script, message: text)
        }
        return ScriptError(kind: kind, script: script, line: line, source: otherSource(source, script), message: message)
    }
}

/// What the engine knows about the run being resumed, for the host functions it calls.
final class RunFrame<Context: Sendable> {
    let context: Context
    let script: String
    /// Moved later by the time the state ran other scripts while this run waited for a host call.
    var deadline: ContinuousClock.Instant
    var hostCalls = 0

    init(context: Context, script: String, deadline: ContinuousClock.Instant) {
        self.context = context
        self.script = script
        self.deadline = deadline
    }
}
