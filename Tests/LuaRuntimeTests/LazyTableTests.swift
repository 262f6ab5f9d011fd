import JSON
import LuaRuntime
import Testing

/// Event tables are built when first touched (lazyjson.c). Every way a script or the host can look at a
/// table must see exactly what an eagerly built table would hold.
@Suite struct LazyTableTests {
    private let event = try! JSONParser.parse(Array(#"""
        {"type": "conversation-update", "call": {"id": "c1", "tags": ["a", "b"]},
         "messages": [{"role": "user", "text": "hi \u00e9\ud83d\ude00 \"q\""}, {"role": "assistant", "text": "yo"}],
         "empty": [], "obj": {}, "n": null, "lone": "\ud800"}
        """#.utf8))

    private func emitted(_ source: String) async throws -> [LuaValue] {
        try await LuaRuntimeTests.emitted(makeEngine(), source, event: .json(event.root))
    }

    @Test func readsByIndexLengthAndIteration() async throws {
        let values = try await emitted("""
            emit(event.call.id); emit(#event.messages); emit(event.messages[#event.messages].text)
            emit(event.messages[1].text); emit(event.lone)
            local keys = {}
            for k in pairs(event) do keys[#keys + 1] = k end
            table.sort(keys); emit(table.concat(keys, ","))
            local roles = {}
            for _, m in ipairs(event.messages) do roles[#roles + 1] = m.role end
            emit(table.concat(roles, ","))
            emit(table.concat(event.call.tags, "+"))
            """)
        #expect(values == ["c1", 2, "yo", "hi é😀 \"q\"", "\u{FFFD}", "call,empty,lone,messages,n,obj,type", "user,assistant",
                           "a+b"])
    }

    @Test func rawAccessSeesTheSameTable() async throws {
        let values = try await emitted("""
            emit(rawget(event.call, "id")); emit(rawlen(event.messages)); emit(next(event.obj) == nil)
            local k, v = next(event.call.tags); emit(k); emit(v)
            emit(getmetatable(event.messages)); emit(getmetatable(event.call) == nil)
            emit(event.n == json.null); emit(getmetatable(event.empty))
            """)
        #expect(values == ["c1", 2, true, 1, "a", "json.array", true, true, "json.array"])
    }

    @Test func writesAndDeletionsStick() async throws {
        let values = try await emitted("""
            local call = event.call
            call.id = nil
            emit(call.id == nil); emit(call.tags[2])
            local m = event.messages[2]
            rawset(m, "text", "changed"); emit(m.text); emit(m.role)
            local t = event.call.tags
            table.insert(t, "c"); emit(#t); emit(t[3])
            setmetatable(event.obj, {__index = function() return "fallback" end}); emit(event.obj.anything)
            event.messages[1].extra = true
            emit(json.encode(event.messages[1]))
            """)
        #expect(values == [true, "b", "changed", "assistant", 3, "c", "fallback", #"{"extra":true,"role":"user","text":"hi é😀 \"q\""}"#])
    }

    @Test func untouchedTablesEncodeAndCopyOutWhole() async throws {
        let values = try await emitted("""
            emit(json.encode(event))
            emit(event.messages)
            """)
        #expect(values.first?.string == #"{"call":{"id":"c1","tags":["a","b"]},"empty":[],"lone":"\#u{FFFD}","messages":[{"role":"user","text":"hi é😀 \"q\""},{"role":"assistant","text":"yo"}],"n":null,"obj":{},"type":"conversation-update"}"#)
        guard case .table(let messages) = values.last else {
            Issue.record("expected a table, got \(String(describing: values.last))")
            return
        }
        #expect(messages.isArray)
        #expect(messages.array.count == 2)
    }

    @Test func tablesOutliveTheirRun() async throws {
        // a module may keep event tables between runs: the document they read stays alive with them
        let engine = makeEngine(modules: { _ in
            ScriptSource(name: "lib/keep.lua", text: """
                local kept
                return { put = function(v) kept = v end, get = function() return kept end }
                """)
        })
        let first = try JSONParser.parse(Array(#"{"call": {"id": "first", "deep": {"x": [1, 2]}}}"#.utf8))
        _ = try await LuaRuntimeTests.emitted(engine, #"require("keep").put(event.call)"#, event: .json(first.root))
        let values = try await LuaRuntimeTests.emitted(engine, """
            local kept = require("keep").get()
            emit(kept.id); emit(kept.deep.x[2])
            """, event: .json(event.root))
        #expect(values == ["first", 2])
    }
}
