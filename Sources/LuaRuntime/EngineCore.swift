import CLua
import JSON
import LuaShim

/// The `lua_State` of one engine and what host calls need while a run is resumed. Owned by the
/// `LuaEngine` actor and touched only on its executor (host calls run inside its resumes).
final class EngineCore<Context: Sendable> {
    let L: OpaquePointer
    let arrayMarker: Int32
    /// The run being resumed right now, if any.
    var current: RunFrame<Context>?
    /// Nanoseconds the state has spent running Lua code, all runs together.
    var busyNanoseconds: Int64 = 0
    /// The async work a host call handed over before yielding, with the function's name.
    var pending: (String, HostWork)?

    var stack: LuaStack { LuaStack(L: L, arrayMarker: arrayMarker) }

    init(limits: LuaLimits, functions: [HostFunction<Context>], modules: ModuleLoader?) {
        installHostCallbacks()
        guard let L = lshim_newstate(limits.memory) else { fatalError("out of memory creating a Lua state") }
        self.L = L
        lshim_push_array_marker(L)
        arrayMarker = lshim_ref(L)

        lshim_open_sandbox(L)  // stack: G, internals
        let globals = lua_absindex(L, -2)
        let internals = lua_absindex(L, -1)

        pushHost(name: "require", yields: false, raw: Self.moduleSource(modules))
        lua_setfield(L, internals, "module_source")
        let preludeText = Array(prelude.utf8)
        let status = preludeText.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                lshim_load_text(L, $0, buffer.count, "=prelude")
            }
        }
        precondition(status == LUA_OK, "the runtime prelude does not compile")
        lua_pushvalue(L, globals)
        lua_pushvalue(L, internals)
        precondition(lua_pcallk(L, 2, 0, 0, 0, nil) == LUA_OK, "the runtime prelude failed")

        installJSONLibrary(globals: globals)
        for function in functions {
            switch function.body {
            case .sync(let body): install(function.name, in: globals, yields: false, raw: Self.adapt(body))
            case .async(let body): install(function.name, in: globals, yields: true, raw: adaptAsync(function.name, body))
            }
        }
        lshim_seal_sandbox(L, globals)
        lshim_pop(L, 2)
    }

    deinit {
        lshim_close(L)  // finalises every host function box, releasing the Swift closures
    }

    // MARK: host functions

    /// A host function body with direct access to the stack: pushes its results and returns their count.
    typealias RawBody = (inout HostCall<Context>) throws -> Int32

    static func adapt(_ body: @escaping @Sendable (inout HostCall<Context>) throws -> [LuaValue]) -> RawBody {
        { call in
            let results = try body(&call)
            lua_checkstack(call.stack.L, Int32(results.count + 4))
            for value in results { call.stack.push(value) }
            return Int32(results.count)
        }
    }

    func adaptAsync(_ name: String, _ body: @escaping @Sendable (inout HostCall<Context>) throws -> HostWork) -> RawBody {
        { [unowned(unsafe) self] call in
            self.pending = (name, try body(&call))
            return Int32(LSHIM_YIELD)
        }
    }

    /// Sets `G[a][b] = function` for a name "a.b" (or `G[a]` for "a"), creating the table as needed.
    func install(_ name: String, in globals: Int32, yields: Bool, raw: @escaping RawBody) {
        let parts = name.split(separator: ".").map(String.init)
        precondition(parts.count == 1 || parts.count == 2, "host function names are `name` or `table.name`: \(name)")
        var target = globals
        if parts.count == 2 {
            stack.pushString(parts[0])
            if lua_rawget(L, globals) != LUA_TTABLE {
                lshim_pop(L, 1)
                lua_createtable(L, 0, 4)
                stack.pushString(parts[0])
                lua_pushvalue(L, -2)
                lua_rawset(L, globals)
            }
            target = lua_absindex(L, -1)
        }
        stack.pushString(parts.last!)
        pushHost(name: name, yields: yields, raw: raw)
        lua_rawset(L, target)
        if parts.count == 2 { lshim_pop(L, 1) }
    }

    /// Pushes a Lua function calling `raw` through the C trampoline.
    func pushHost(name: String, yields: Bool, raw: @escaping RawBody) {
        let box = HostBox { [unowned(unsafe) self] thread in
            let stack = LuaStack(L: thread, arrayMarker: self.arrayMarker)
            guard let frame = self.current else {
                stack.pushString("\(name) can only be called while a script runs")
                return Int32(LSHIM_RAISE)
            }
            frame.hostCalls += 1
            var call = HostCall(function: name, context: frame.context, script: frame.script, deadline: frame.deadline,
                                stack: stack, count: Int(lua_gettop(thread)))
            do {
                return try raw(&call)
            } catch {
                lua_settop(thread, 0)
                stack.pushString(hostErrorMessage(error, function: name))
                return Int32(LSHIM_RAISE)
            }
        }
        lshim_push_host_function(L, Unmanaged.passRetained(box).toOpaque(), name, yields ? 1 : 0)
    }

    // MARK: built-in libraries

    private func installJSONLibrary(globals: Int32) {
        install("json.encode", in: globals, yields: false) { call in
            let text = try call.json(1, "value")
            call.stack.pushBytes(text)
            return 1
        }
        install("json.decode", in: globals, yields: false) { call in
            let text = try call.bytes(1, "text")
            do throws(JSONParseError) {
                let document = try JSONParser.parse(text, options: .init(maxDepth: LuaStack.maxDepth))
                call.stack.push(json: document.root)
                return 1
            } catch {
                throw HostError("json.decode: \(error.description)")
            }
        }
        install("json.array", in: globals, yields: false) { call in
            let L = call.stack.L
            if call.isNil(1) {
                lua_createtable(L, 0, 0)
            } else {
                guard lua_type(L, 1) == LUA_TTABLE else { throw call.typeError(1, "value", expected: "a table or nil") }
                lua_settop(L, 1)
            }
            call.stack.markArray()
            return 1
        }
        stack.pushString("json")
        lua_rawget(L, globals)
        stack.push(.null)
        lua_setfield(L, -2, "null")
        lshim_pop(L, 1)
    }

    private static func moduleSource(_ modules: ModuleLoader?) -> RawBody {
        { call in
            let name = try call.string(1, "module name")
            guard isModuleName(name) else {
                throw HostError("require: '\(name)' is not a module name (use letters, digits and _, dots between folders)")
            }
            guard let modules else { throw HostError("require: no modules are available here") }
            let source = try modules(name)
            call.stack.pushBytes(source.text)
            call.stack.pushString("@" + source.name)
            return 2
        }
    }
}

private func isModuleName(_ name: String) -> Bool {
    let parts = name.split(separator: ".", omittingEmptySubsequences: false)
    return !parts.isEmpty && parts.allSatisfy { part in
        guard let first = part.utf8.first, first == UInt8(ascii: "_") || (first | 0x20 >= 97 && first | 0x20 <= 122) else {
            return false
        }
        return part.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 | 0x20 >= 97 && $0 | 0x20 <= 122) || ($0 >= 48 && $0 <= 57) }
    }
}

/// A Swift host function as Lua sees it: owned by the userdata upvalue of its C closure, released by that
/// userdata's `__gc` (so `lua_close` releases them all).
final class HostBox {
    let invoke: (OpaquePointer) -> Int32
    init(_ invoke: @escaping (OpaquePointer) -> Int32) { self.invoke = invoke }
}

private let hostCallbacks: Void = {
    lshim_set_host_callbacks(
        { L, box in Unmanaged<HostBox>.fromOpaque(box!).takeUnretainedValue().invoke(L!) },
        { box in Unmanaged<HostBox>.fromOpaque(box!).release() })
}()

private func installHostCallbacks() { _ = hostCallbacks }
