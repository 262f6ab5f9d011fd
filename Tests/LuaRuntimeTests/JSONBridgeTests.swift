import Foundation
import JSON
import LuaRuntime
import Testing

/// JSON <-> Lua is exact: types, 64-bit integers, floats, nulls and empty arrays survive a round trip.
@Suite struct JSONBridgeTests {
    /// Decodes `bytes` as the event, re-encodes it in Lua and returns the text.
    private func roundTrip(_ engine: LuaEngine<Recorder>, _ bytes: [UInt8]) async throws -> [UInt8] {
        let document = try JSONParser.parse(bytes)
        let values = try await emitted(engine, "emit(json.encode(event))", event: .json(document.root))
        guard case .bytes(let text) = values.first else { throw HostError("no output") }
        return text
    }

    @Test func everyContractFileRoundTrips() async throws {
        let engine = makeEngine(limits: LuaLimits(timeout: .seconds(5), memory: 64 << 20))
        let files = fixtureFiles(in: "upstream") + fixtureFiles(in: "fixtures")
            + fixtureFiles(in: "fixtures/bad").filter { (try? JSONParser.parse([UInt8](Data(contentsOf: $0)))) != nil }
        #expect(files.count >= 20)
        for url in files {
            let original = try [UInt8](Data(contentsOf: url))
            let encoded = try await roundTrip(engine, original)
            let before = LuaValue(json: try JSONParser.parse(original).root)
            let after = LuaValue(json: try JSONParser.parse(encoded).root)
            #expect(before == after, "\(url.lastPathComponent)")
        }
    }

    @Test func typesSurvive() async throws {
        let engine = makeEngine()
        let event = try JSONParser.parse(Array(#"""
            {"big": 9223372036854775807, "neg": -9223372036854775808, "f": 1.0, "half": 0.5, "tiny": 5e-324,
             "null": null, "empty": [], "obj": {}, "nested": [[], {}, [null]], "s": "é\u0000\n\"", "t": true}
            """#.utf8))
        let values = try await emitted(engine, """
            emit(math.type(event.big)); emit(event.big == math.maxinteger); emit(event.neg == math.mininteger)
            emit(math.type(event.f)); emit(tostring(event.f))
            emit(event.null == json.null); emit(event.absent == nil)
            emit(#event.empty); emit(getmetatable(event.empty))
            emit(json.encode(event))
            """, event: .json(event.root))
        #expect(values[0] == "integer")
        #expect(values[1] == true)
        #expect(values[2] == true)
        #expect(values[3] == "float")
        #expect(values[4] == "1.0")
        #expect(values[5] == true)
        #expect(values[6] == true)
        #expect(values[7] == 0)
        #expect(values[8] == "json.array")
        #expect(values[9].string == #"{"big":9223372036854775807,"empty":[],"f":1.0,"half":0.5,"neg":-9223372036854775808,"nested":[[],{},[null]],"null":null,"obj":{},"s":"é\u0000\n\"","t":true,"tiny":5e-324}"#)
    }

    @Test func encoderRules() async throws {
        let engine = makeEngine()
        let values = try await emitted(engine, """
            emit(json.encode({}))
            emit(json.encode(json.array()))
            emit(json.encode({1, 2, 3}))
            emit(json.encode({b = 1, a = {x = json.null}}))
            emit(json.encode(json.array({})))
            emit(json.encode("line\\nbreak"))
            emit(json.encode(3)); emit(json.encode(3.0)); emit(json.encode(-0.25))
            local t = json.decode('{"a": [1, 2], "b": {"c": null}, "d": 1.5e3}')
            emit(t.a[2]); emit(t.b.c == json.null); emit(math.type(t.d)); emit(t.d)
            """)
        #expect(values == ["{}", "[]", "[1,2,3]", #"{"a":{"x":null},"b":1}"#, "[]", #""line\nbreak""#, "3", "3.0", "-0.25",
                           2, true, "float", 1500.0])
    }

    @Test(arguments: [
        ("local t = {} t.self = t; json.encode(t)", "json.encode: value cannot encode a table that contains itself at /self"),
        ("json.encode({1, 2, nil, 4})", "sparse array"),
        ("json.encode({1, 2, x = 3})", "mixes array items and string keys"),
        ("json.encode({[true] = 1})", "non-string keys"),
        ("json.encode({f = print or function() end})", "cannot encode a function value at /f"),
        ("json.encode(0/0)", "JSON has no NaN or infinity"),
        ("json.encode({s = '\\xff'})", "not valid UTF-8 at /s"),
        ("json.decode('{\"a\": 1,}')", "json.decode: expected a string key"),
        ("json.decode('{\"a\": 1, \"a\": 2}')", "duplicate key"),
        ("json.decode(42)", "json.decode: text must be a string (got number)"),
    ])
    func encoderAndDecoderErrorsAreClear(source: String, expected: String) async throws {
        let engine = makeEngine()
        let (result, _) = try await run(engine, source)
        let error = try #require(failure(result))
        #expect(error.message.contains(expected), "\(error)")
    }
}
