import LuaRuntime
import Testing

/// Every limit stops a hostile run with a typed error naming the script, the line and the limit, and the
/// state keeps serving.
@Suite struct LimitTests {
    static let limits = LuaLimits(timeout: .milliseconds(200), memory: 8 << 20)
    /// For memory tests, and runs that must end: enough time that a slow debug build on a loaded machine gets
    /// to the cap, or to the end, before the deadline.
    static let memoryLimits = LuaLimits(timeout: .seconds(20), memory: 8 << 20)

    private func expectStopped(_ source: String, kind: ScriptError.Kind, line: Int?, mentions: String,
                               limits: LuaLimits = LimitTests.limits) async throws {
        let engine = makeEngine(limits: limits)
        let (result, _) = try await run(engine, source, name: "hostile.lua")
        let error = try #require(failure(result), "expected \(kind) for: \(source)")
        #expect(error.kind == kind, "\(error)")
        #expect(error.script == "hostile.lua")
        if let line { #expect(error.line == line, "\(error)") }
        #expect(error.description.contains(mentions), "\(error)")
        #expect(try await emitted(engine, "emit(1 + 1)") == [2])
    }

    /// A run waiting for a host call while another run spins on the same state to its own limit is not
    /// charged for the spin: it waited for the state, not for its own work.
    @Test func anotherRunsSpinIsNotChargedToARunWaitingBesideIt() async throws {
        let engine = makeEngine(limits: LuaLimits(timeout: .milliseconds(300), memory: 8 << 20))
        let waiting = try await engine.compile(ScriptSource(name: "waiting.lua", text: Array(#"emit(sleep(50))"#.utf8)))
        let spinning = try await engine.compile(ScriptSource(name: "spinning.lua", text: Array("while true do end".utf8)))
        let recorder = Recorder()
        async let first = engine.run(waiting, event: .value(.nil), context: recorder)
        try await Task.sleep(for: .milliseconds(10))
        let spun = await engine.run(spinning, event: .value(.nil), context: Recorder())
        let waited = await first
        #expect(failure(spun)?.kind == .timeout)
        #expect(failure(waited) == nil, "charged for the other run's spin: \(String(describing: failure(waited)))")
        #expect(recorder.values == ["slept 50"])
    }

    @Test func endlessLoop() async throws {
        try await expectStopped("local x = 0\nwhile true do x = x + 1 end", kind: .timeout, line: 2, mentions: "time limit of 200ms")
    }

    @Test func endlessLoopCannotPcallItsWayOut() async throws {
        try await expectStopped("""
            local function spin() while true do end end
            while true do pcall(spin) end
            """, kind: .timeout, line: nil, mentions: "time limit")
    }

    @Test func endlessLoopInsideAScriptCoroutine() async throws {
        try await expectStopped("""
            local co = coroutine.create(function() while true do end end)
            local ok, err = coroutine.resume(co)
            emit("survived")
            while true do end
            """, kind: .timeout, line: 1, mentions: "time limit")
    }

    @Test func endlessLoopInXpcallHandler() async throws {
        try await expectStopped("xpcall(error, function() while true do end end)", kind: .timeout, line: 1, mentions: "time limit")
    }

    @Test func tableFillPastTheMemoryCap() async throws {
        try await expectStopped("""
            local t = {}
            for i = 1, 1e9 do t[i] = {i, i, i} end
            """, kind: .memory, line: 2, mentions: "memory limit of 8 MiB", limits: LimitTests.memoryLimits)
    }

    @Test func stringRepBomb() async throws {
        try await expectStopped(#"local s = string.rep("x", 1e9)"#, kind: .memory, line: 1, mentions: "memory limit",
                                limits: LimitTests.memoryLimits)
        // beyond 2 GiB Lua refuses before allocating
        try await expectStopped(#"local s = string.rep("x", 1e12)"#, kind: .runtime, line: 1, mentions: "resulting string too large")
    }

    @Test func stringConcatenationBomb() async throws {
        try await expectStopped(#"local s = "xxxxxxxx" while true do s = s .. s end"#, kind: .memory, line: 1, mentions: "memory limit",
                                limits: LimitTests.memoryLimits)
    }

    /// Patterns that backtrack for ages in Lua's own matcher (exponential or quartic time: hours for these)
    /// answer: the matcher remembers which (item, position) pairs failed. The generous limit only keeps a
    /// loaded machine from failing the test; the work is a few thousand steps.
    @Test func patternsThatBacktrackForAgesInLuaAnswer() async throws {
        let values = try await emitted(makeEngine(limits: LimitTests.memoryLimits), """
            local subject = ("a"):rep(300)
            emit(string.find(subject, ("a*"):rep(6) .. "b"))
            emit((subject:gsub(("a-"):rep(6) .. "b", "")))
            local n = 0
            for m in subject:gmatch(("a*"):rep(6) .. "b") do n = n + 1 end
            emit(n)
            emit(string.find(subject, "(.-)(.-)(.-)x"))
            emit(string.find(("a"):rep(30), ("a?"):rep(30) .. ("a"):rep(30)))
            """)
        #expect(values == [.nil, .string(String(repeating: "a", count: 300)), 0, .nil, 1])
    }

    /// What remembering cannot shorten (back-references, nesting too deep to remember, long scans) stops at
    /// the deadline, in every pattern function.
    @Test(arguments: [
        #"return string.find(("a"):rep(300), ("(a*)"):rep(6) .. "%1b")"#,
        #"return (("a"):rep(300)):gsub(("(a-)"):rep(6) .. "%1b", "")"#,
        #"for m in (("a"):rep(300)):gmatch(("(a*)"):rep(6) .. "%1b") do end"#,
        #"return (("a"):rep(300)):match(("a-"):rep(150) .. ("b?"):rep(60) .. "c")"#,
        #"return (("("):rep(200000)):find("%b()")"#,
        #"local s = ("a"):rep(1000000) return s:find(("a"):rep(500000) .. "b", 1, true)"#,
        #"local s = ("a"):rep(1000000) return s:gsub(("a"):rep(500000) .. "b", "")"#,
    ])
    func patternBombs(source: String) async throws {
        try await expectStopped(source, kind: .timeout, line: 1, mentions: "time limit")
    }

    @Test func runawayRecursion() async throws {
        try await expectStopped("local function f(n) return 1 + f(n + 1) end\nf(1)", kind: .runtime, line: 1, mentions: "stack overflow",
                                limits: LuaLimits(timeout: .seconds(5), memory: 64 << 20))
    }

    @Test func infiniteTailRecursion() async throws {
        try await expectStopped("local function f() return f() end\nf()", kind: .timeout, line: 1, mentions: "time limit")
    }

    @Test func errorObjectWhoseTostringErrors() async throws {
        try await expectStopped("error(setmetatable({}, {__tostring = function() error('nested') end}))",
                                kind: .runtime, line: 1, mentions: "error object is a table value whose __tostring failed")
    }

    @Test func errorObjectWhoseTostringNeverReturns() async throws {
        try await expectStopped("error(setmetatable({}, {__tostring = function() while true do end end}))",
                                kind: .runtime, line: 1, mentions: "__tostring failed")
    }

    @Test func errorObjectWithTostring() async throws {
        try await expectStopped("error(setmetatable({}, {__tostring = function() return 'custom message' end}))",
                                kind: .runtime, line: nil, mentions: "custom message")
    }

    @Test func deadlineCoversHostCalls() async throws {
        try await expectStopped("sleep(1000)\nemit('too late')", kind: .timeout, line: 1, mentions: "time limit")
    }

    @Test func aSpinningStateDoesNotDisturbAnother() async throws {
        let spinning = makeEngine(limits: LuaLimits(timeout: .milliseconds(300), memory: 8 << 20))
        let serving = makeEngine(limits: LuaLimits(timeout: .milliseconds(300), memory: 8 << 20))
        let spinner = try await spinning.compile(ScriptSource(name: "spin.lua", text: "while true do end"))
        let quick = try await serving.compile(ScriptSource(name: "quick.lua", text: "sleep(1) emit('done')"))
        async let spun = spinning.run(spinner, event: .value(.nil), context: Recorder())
        var finished = 0
        for _ in 0..<50 {
            let recorder = Recorder()
            if case .success = await serving.run(quick, event: .value(.nil), context: recorder), recorder.values == ["done"] {
                finished += 1
            }
        }
        #expect(finished == 50)
        #expect(failure(await spun)?.kind == .timeout)
    }

    @Test func memoryIsGivenBackAfterAnOverflow() async throws {
        let engine = makeEngine(limits: LimitTests.memoryLimits)
        let before = await engine.memoryUsed
        let (result, _) = try await run(engine, "local t = {} for i = 1, 1e9 do t[i] = i end")
        #expect(failure(result)?.kind == .memory)
        #expect(await engine.memoryUsed < before + (1 << 20))
        #expect(try await emitted(engine, "local t = {} for i = 1, 1e4 do t[i] = i end emit(#t)") == [10000])
    }
}
