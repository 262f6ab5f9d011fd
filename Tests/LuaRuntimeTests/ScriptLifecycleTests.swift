import LuaRuntime
import Synchronization
import Testing

@Suite struct ScriptLifecycleTests {
    @Test func compileErrorsNameFileAndLine() async throws {
        let engine = makeEngine()
        do {
            _ = try await engine.compile(ScriptSource(name: "broken.lua", text: "local x = 1\nlocal y = = 2\n"))
            Issue.record("expected a compile error")
        } catch {
            #expect(error.kind == .compile)
            #expect(error.script == "broken.lua")
            #expect(error.line == 2)
            #expect(error.description.hasPrefix("broken.lua:2: unexpected symbol near '='"))
        }
    }

    @Test func eventAndCtxAreInScope() async throws {
        let engine = makeEngine()
        let (result, values) = try await run(engine, """
            emit(event.type)
            emit(ctx.attempt)
            local function nested() return event.call.id end
            emit(nested())
            """, event: .value(["type": "hang", "call": ["id": "CA1"]]), ctx: ["attempt": 2])
        #expect(failure(result) == nil)
        #expect(values == ["hang", 2, "CA1"])
    }

    @Test func runtimeErrorsCarryLineAndTraceback() async throws {
        let engine = makeEngine()
        let (result, _) = try await run(engine, "local function f(t)\n  return t.x.y\nend\nf({})", name: "crm.lua")
        let error = try #require(failure(result))
        #expect(error.kind == .runtime)
        #expect(error.line == 2)
        #expect(error.message == "attempt to index a nil value (field 'x')")
        #expect(error.traceback?.contains("crm.lua:4") == true)
    }

    @Test func errorWithNonStringValues() async throws {
        let engine = makeEngine()
        let (r1, _) = try await run(engine, "error({code = 1})")
        #expect(failure(r1)?.message == "(error object is a table value)")
        let (r2, _) = try await run(engine, "error(42)")
        #expect(failure(r2)?.message == "42")
        let (r3, _) = try await run(engine, "error('plain', 0)")
        #expect(failure(r3)?.message == "plain")
        #expect(failure(r3)?.line == 1)
    }

    @Test func modulesLoadFromTheLoaderOnceAndReadOnly() async throws {
        let loads = Mutex(0)
        let engine = makeEngine(modules: { name in
            loads.withLock { $0 += 1 }
            switch name {
            case "util": return ScriptSource(name: "lib/util.lua", text: "local M = {}\nfunction M.twice(x) return x * 2 end\nreturn M")
            case "team.format": return ScriptSource(name: "lib/team/format.lua", text: "return {name = function(s) return '<' .. s .. '>' end}")
            case "broken": return ScriptSource(name: "lib/broken.lua", text: "return {\n  oops = = 1 }")
            case "fails": return ScriptSource(name: "lib/fails.lua", text: "local x = nil\nreturn x.y")
            case "loop": return ScriptSource(name: "lib/loop.lua", text: "return require('loop')")
            case "io_at_load": return ScriptSource(name: "lib/io_at_load.lua", text: "sleep(1) return {}")
            default: throw HostError("require: no module '\(name)' in lib/ (looked for lib/\(name).lua)")
            }
        })
        let values = try await emitted(engine, """
            local util = require("util")
            emit(util.twice(21))
            emit(require("team.format").name("x"))
            emit(require("util") == util)
            emit(pcall(function() util.twice = nil end))
            """)
        #expect(values == [42, "<x>", true, false])
        #expect(try await emitted(engine, "emit(require('util').twice(2))") == [4])
        #expect(loads.withLock { $0 } == 2)

        let cases: [(String, String)] = [
            ("require('missing')", "require: no module 'missing' in lib/"),
            ("require('../etc/passwd')", "is not a module name"),
            ("require('broken')", "lib/broken.lua:2: unexpected symbol"),
            ("require('fails')", "attempt to index a nil value"),
            ("require('loop')", "requires itself"),
            ("require('io_at_load')", "sleep cannot be called here"),
        ]
        for (source, expected) in cases {
            let (result, _) = try await run(engine, source)
            let error = try #require(failure(result))
            #expect(error.description.contains(expected), "\(error)")
        }
        let (result, _) = try await run(engine, "require('fails')")
        #expect(failure(result)?.source == "lib/fails.lua")
        #expect(failure(result)?.line == 2)
    }

    @Test func oneScriptRunsManyTimes() async throws {
        let engine = makeEngine()
        let script = try await engine.compile(ScriptSource(name: "count.lua", text: "emit(event * 2)"))
        for i in 0..<100 {
            let recorder = Recorder()
            _ = await engine.run(script, event: .value(.integer(Int64(i))), context: recorder)
            #expect(recorder.values == [.integer(Int64(i * 2))])
        }
    }
}
