import LuaRuntime
import Synchronization
import Testing

@Suite struct HostCallTests {
    @Test func syncCallsReturnValuesOfEveryType() async throws {
        let engine = makeEngine()
        let values = try await emitted(engine, """
            local a, b, c, d, e, f = echo(1, 2.5, "s", true, json.null, {1, 2, k = "v"})
            emit(math.type(a)); emit(math.type(b)); emit(c); emit(d); emit(e == json.null); emit(f.k); emit(#f)
            """)
        #expect(values == ["integer", "float", "s", true, true, "v", 2])
    }

    @Test func errorsAreRaisedWithThePositionAndCanBeCaught() async throws {
        let engine = makeEngine()
        let values = try await emitted(engine, """
            local ok, err = pcall(fail, "boom")
            emit(ok); emit(err)
            local ok2, err2 = pcall(function() fail("inner") end)
            emit(err2)
            local ok3, err3 = pcall(fail, 42)
            emit(err3)
            """)
        #expect(values[0] == false)
        #expect(values[1] == "fail: boom")
        #expect(values[2] == "test.lua:3: fail: inner")
        #expect(values[3] == "fail: message must be a string (got number)")
    }

    @Test func uncaughtHostErrorFailsTheRunAtItsLine() async throws {
        let engine = makeEngine()
        let (result, _) = try await run(engine, "local x = 1\nfail('broken downstream')")
        let error = try #require(failure(result))
        #expect(error.kind == .runtime)
        #expect(error.line == 2)
        #expect(error.message == "fail: broken downstream")
        #expect(error.description == "test.lua:2: fail: broken downstream")
    }

    @Test func asyncCallsReadLikePlainCalls() async throws {
        let engine = makeEngine()
        let values = try await emitted(engine, """
            emit(sleep(1))
            local ok, err = pcall(async_fail, "nope")
            emit(ok); emit(err)
            local a, b = async_echo("x", 2)
            emit(a .. b)
            """)
        #expect(values == ["slept 1", false, "async_fail: nope", "x2"])
    }

    @Test func asyncCallsWorkInsideScriptCoroutines() async throws {
        let engine = makeEngine()
        let values = try await emitted(engine, """
            local gen = coroutine.wrap(function()
              for i = 1, 3 do coroutine.yield(async_echo("item" .. i)) end
            end)
            emit(gen()); emit(gen()); emit(gen())
            local co = coroutine.create(function(a)
              local got = sleep(1)
              local b = coroutine.yield(a + 1)
              return got, b
            end)
            emit(select(2, coroutine.resume(co, 1)))
            local ok, got, b = coroutine.resume(co, "back")
            emit(got); emit(b); emit(coroutine.status(co))
            """)
        #expect(values == ["item1", "item2", "item3", 2, "slept 1", "back", "dead"])
    }

    /// xpcall is continuation-based: the protected function may wait for host calls (and yield to a script's
    /// coroutine), at any depth of xpcalls, and errors after the wait still reach the right handler.
    @Test func xpcallAcrossHostCallsAndYields() async throws {
        let values = try await emitted(makeEngine(), """
            local function handler(e) return "handled: " .. tostring(e) end
            emit(select(2, xpcall(function()
              local _, inner = xpcall(function() return sleep(1) end, handler)
              local _, deeper = xpcall(function() return xpcall(async_echo, handler, "deep") end, handler)
              return inner .. " / " .. async_echo("x") .. " / " .. tostring(deeper)
            end, handler)))
            emit(select(2, xpcall(function() sleep(1) error("late", 0) end, handler)))
            emit(select(3, xpcall(function() return xpcall(function() sleep(1) async_fail("nope") end, handler) end, handler)))
            local co = coroutine.wrap(function()
              return xpcall(function() local v = coroutine.yield(sleep(1)) return v * 2 end, handler)
            end)
            emit(co())
            emit(select(2, co(21)))
            """)
        #expect(values.count == 5)
        #expect(values[0] == "slept 1 / x / true")
        #expect(values[1] == "handled: late")
        #expect(values[2].string?.hasPrefix("handled: ") == true && values[2].string?.contains("async_fail: nope") == true)
        #expect(values[3] == "slept 1")
        #expect(values[4] == 42)
    }

    @Test func hostCallsWhereLuaCannotYieldSaySo() async throws {
        let engine = makeEngine()
        for source in ["table.sort({3, 1, 2}, function(a, b) sleep(1) return a < b end)",
                       "string.gsub('abc', '%w', function(c) sleep(1) end)",
                       "tostring(setmetatable({}, {__tostring = function() return sleep(1) end}))"] {
            let (result, _) = try await run(engine, source)
            let error = try #require(failure(result))
            #expect(error.message.contains("sleep cannot be called here"), "\(error)")
            #expect(error.line == 1)
        }
        // plain metamethods that Lua calls from Lua code can yield in 5.4
        let values = try await emitted(engine, "local t = setmetatable({}, {__index = function(_, k) return async_echo(k) end}) emit(t.key)")
        #expect(values == ["key"])
    }

    @Test func manyRunsWaitOnOneStateAtOnce() async throws {
        let engine = makeEngine(limits: LuaLimits(timeout: .seconds(30), memory: 64 << 20))
        let script = try await engine.compile(ScriptSource(name: "wait.lua", text: "emit(sleep(50)) emit(event)"))
        let results = await withTaskGroup(of: [LuaValue].self) { group in
            for i in 0..<500 {
                group.addTask {
                    let recorder = Recorder()
                    _ = await engine.run(script, event: .value(.integer(Int64(i))), context: recorder)
                    return recorder.values
                }
            }
            var all: [[LuaValue]] = []
            for await values in group { all.append(values) }
            return all
        }
        #expect(results.count == 500)
        #expect(Set(results.compactMap { values -> Int64? in
            guard values.count == 2, values[0] == "slept 50", case .integer(let i) = values[1] else { return nil }
            return i
        }).count == 500)
    }

    @Test func hostClosuresAreReleasedWhenTheStateCloses() async throws {
        let counter = ReleaseCounter()
        func makeFunctions() -> [HostFunction<Recorder>] {
            (0..<10).map { i in
                let witness = Witness(counter)
                return .sync("f\(i)") { _ in [.integer(Int64(i + witness.id))] }
            }
        }
        var engine: LuaEngine<Recorder>? = LuaEngine(functions: testFunctions + makeFunctions())
        let (result, values) = try await run(engine!, "emit(f3())")
        #expect(failure(result) == nil)
        #expect(values == [3])
        #expect(counter.count == 0)
        engine = nil
        #expect(counter.count == 10)
    }

    @Test func reportCountsHostCalls() async throws {
        let engine = makeEngine()
        let (result, _) = try await run(engine, "echo(1) echo(2) sleep(1)")
        #expect(try result.get().hostCalls == 3)
    }
}

final class ReleaseCounter: Sendable {
    private let released = Mutex(0)
    var count: Int { released.withLock { $0 } }
    func increment() { released.withLock { $0 += 1 } }
}

final class Witness: Sendable {
    let counter: ReleaseCounter
    let id = 0
    init(_ counter: ReleaseCounter) { self.counter = counter }
    deinit { counter.increment() }
}
