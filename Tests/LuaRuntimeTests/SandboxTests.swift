import LuaRuntime
import Testing

/// The sandbox probed from inside Lua: every door a hostile script tries is closed, and the state keeps
/// serving afterwards (CVE-2022-0543 is why these probes live in CI).
@Suite struct SandboxTests {
    @Test func dangerousGlobalsAreAbsent() async throws {
        let engine = makeEngine()
        let values = try await emitted(engine, """
            emit(os.execute == nil and os.getenv == nil and os.exit == nil and os.remove == nil)
            emit(io == nil and debug == nil and package == nil and dofile == nil and loadfile == nil)
            emit(string.dump == nil and ("").dump == nil)
            emit(getmetatable("") == false)
            emit(type(os.time()) == "number" and type(os.clock()) == "number" and type(os.date("!%Y")) == "string")
            """)
        #expect(values == [true, true, true, true, true])
    }

    @Test(arguments: [
        ("os.execute('id')", "attempt to call a nil value (field 'execute')"),
        ("io.open('/etc/passwd')", "attempt to index a nil value (global 'io')"),
        ("require 'io'", "require: no modules are available here"),
        ("package.loadlib('/usr/lib/x86_64-linux-gnu/liblua5.4.so.0', 'luaopen_io')", "attempt to index a nil value (global 'package')"),
        ("load(string.dump(function() end))", "attempt to call a nil value (field 'dump')"),
        ("debug.getregistry()", "attempt to index a nil value (global 'debug')"),
        ("collectgarbage('collect')", "collectgarbage: only \"count\" is available to scripts"),
        ("setmetatable(_G, {__index = function() return 1 end}); setmetatable(getmetatable(_G), {})", "cannot change a protected metatable"),
        ("string.upper = function() return 'pwned' end", "attempt to modify a read-only table"),
        ("rawset(string, 'upper', print)", "attempt to modify a read-only table"),
        ("getmetatable('').__index.upper = nil", "attempt to index a boolean value"),
        ("load(function() return 'x' end)", "load: only text chunks (strings) can be loaded in scripts"),
    ])
    func hostileCallsFailCleanly(source: String, expected: String) async throws {
        let engine = makeEngine()
        let (result, _) = try await run(engine, source)
        let error = try #require(failure(result))
        #expect(error.kind == .runtime)
        #expect(error.message.contains(expected), "\(error)")
        #expect(error.line == 1)
        #expect(error.script == "test.lua")
        // the state still serves the next run
        #expect(try await emitted(engine, "emit(string.upper('ok'))") == ["OK"])
    }

    @Test func binaryChunksAreRefused() async throws {
        let engine = makeEngine()
        let values = try await emitted(engine, #"""
            local f, err = load("\27Lua\84\0\25\147\r\n\26\n\4\8\8xV\0\0\0\0\0\0\0\0\0\0\0(w@")
            emit(f == nil)
            emit(err)
            """#)
        #expect(values.first == true)
        #expect(values.last?.string?.contains("attempt to load a binary chunk") == true)
    }

    @Test func runsDoNotSeeEachOther() async throws {
        let engine = makeEngine()
        let script = try await engine.compile(ScriptSource(name: "leak.lua", text: """
            emit(counter == nil and _G.counter == nil)
            counter = 1
            _G.other = 2
            pcall(function() string.upper = nil end)
            pcall(rawset, table, "insert", nil)
            emit(type(string.upper) == "function" and type(table.insert) == "function")
            """))
        for _ in 0..<3 {
            let recorder = Recorder()
            let result = await engine.run(script, event: .value(.nil), context: recorder)
            #expect(failure(result) == nil)
            #expect(recorder.values == [true, true])
        }
    }

    @Test func libraryProxiesBehaveLikeTables() async throws {
        let engine = makeEngine()
        let values = try await emitted(engine, """
            local names = {}
            for k in pairs(string) do names[#names + 1] = k end
            table.sort(names)
            emit(table.concat(names, ","))
            emit(select(2, pairs(string)) == string)
            emit(("%d-%s"):format(7, "x"))
            """)
        #expect(values[0].string?.contains("format") == true)
        #expect(values[0].string?.contains("dump") == false)
        #expect(values[1] == true)
        #expect(values[2] == "7-x")
    }

    @Test func loadUsesTheCallersEnvironment() async throws {
        let engine = makeEngine()
        let values = try await emitted(engine, """
            x = 41
            local f = load("x = x + 1; return x")
            emit(f())
            emit(x)
            local g = load("return y", "chunk", "t", {y = 5})
            emit(g())
            local function nested() return load("return x")() end
            emit(nested())
            """)
        #expect(values == [42, 42, 5, 42])
    }

    @Test func finalizersAreRefused() async throws {
        let engine = makeEngine()
        let (result, _) = try await run(engine, "setmetatable({}, {__gc = function() while true do end end})")
        #expect(failure(result)?.message.contains("__gc metamethods are not available") == true)
        let values = try await emitted(engine, """
            local mt = {}
            local t = setmetatable({}, mt)
            mt.__gc = function() while true do end end  -- too late to mark t for finalization
            t = nil
            emit(getmetatable(setmetatable({}, {__metatable = "mine"})))
            """)
        #expect(values == ["mine"])
    }

    /// The sandbox's own xpcall and setmetatable do what the manual says of Lua's.
    @Test func xpcallAndSetmetatableFollowTheManual() async throws {
        let values = try await emitted(makeEngine(), """
            emit(select("#", xpcall(function(a, b) return a + b, "two" end, error, 1, 2)))
            emit(select(2, xpcall(function(a, b) return a + b end, error, 1, 2)))
            emit(select(2, xpcall(function() error({code = 7}) end, function(e) return e.code * 2 end)))
            emit(select(2, xpcall(function() local t = nil; return t.x end, function(e) return "handled: " .. e end)))
            emit(select(2, xpcall(error, function() error("the handler breaks too") end)))
            emit(select(2, pcall(xpcall, print)))
            local t = setmetatable({}, {__index = function(_, k) return k .. "!" end})
            emit(t.hi)
            emit(setmetatable(t, nil) == t and getmetatable(t) == nil)
            emit(select(2, pcall(setmetatable, t, 5)))
            emit(select(2, pcall(setmetatable, 5, {})))
            """)
        #expect(values.count == 10)
        #expect(values[0] == 3)
        #expect(values[1] == 3)
        #expect(values[2] == 14)
        #expect(values[3] == "handled: test.lua:4: attempt to index a nil value (local 't')")
        #expect(values[4] == "error in error handling")
        #expect(values[5].string?.contains("bad argument #2 to '?' (function expected, got no value)") == true, "\(values[5])")
        #expect(values[6] == "hi!")
        #expect(values[7] == true)
        #expect(values[8].string?.contains("nil or table expected, got number") == true)
        #expect(values[9].string?.contains("table expected, got number") == true)
    }
}
