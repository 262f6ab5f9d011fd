import Foundation
import Testing
@testable import JSON
import TestSupport

private func parse(_ text: String, _ options: JSONParser.Options = .init()) throws(JSONParseError) -> JSONDocument {
    try JSONParser.parse(Array(text.utf8), options: options)
}

private func failure(_ bytes: [UInt8], _ options: JSONParser.Options = .init()) -> JSONParseError? {
    do {
        _ = try JSONParser.parse(bytes, options: options)
        return nil
    } catch {
        return error
    }
}

private func failure(_ text: String) -> JSONParseError? { failure(Array(text.utf8)) }

@Suite struct JSONParserTests {
    @Test func scalarsKeepTheirKinds() throws {
        let doc = try parse(#"{"i": 9223372036854775807, "n": -9223372036854775808, "f": 1.0, "e": 1e3, "s": "x", "t": true, "z": null}"#)
        let root = doc.root
        #expect(root["i"]?.kind == .integer)
        #expect(root["i"]?.integer == Int64.max)
        #expect(root["n"]?.integer == Int64.min)
        #expect(root["f"]?.kind == .double)
        #expect(root["f"]?.number == 1.0)
        #expect(root["e"]?.number == 1000)
        #expect(root["s"]?.string == "x")
        #expect(root["t"]?.bool == true)
        #expect(root["z"]?.isNull == true)
        #expect(root.count == 7)
    }

    @Test func integersBeyond64BitsBecomeDoubles() throws {
        let doc = try parse("[18446744073709551617, 9223372036854775808, 0.1, 123456789012345678901234567890]")
        let elements = Array(doc.root.elements)
        #expect(elements.map(\.kind) == [.double, .double, .double, .double])
        #expect(elements[0].number == 18446744073709551617.0)
        #expect(elements[2].number == 0.1)
    }

    @Test func doublesMatchTheStandardLibrary() throws {
        for text in ["3.14159", "-0.0", "2.5e-3", "1.7976931348623157e308", "4.9e-324", "0.30000000000000004",
                     "123456.789e-2", "1E+2", "9007199254740993.0"] {
            let value = try parse(text).root.number
            #expect(value == Double(text)!, "\(text)")
        }
    }

    @Test func escapesDecodeToUTF8() throws {
        let doc = try parse(#"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u4e2d", "\ud83d\ude00", "\ud800x", "caf\u00e9"]"#)
        let strings = doc.root.elements.map { $0.string }
        #expect(strings[0] == "a\"b\\c/d\u{8}\u{c}\n\r\t")
        #expect(strings[1] == "é中")
        #expect(strings[2] == "😀")
        #expect(strings[3] == "\u{FFFD}x")
        #expect(doc.root[4]?.stringEquals("café") == true)
    }

    @Test func lookupsAndPaths() throws {
        let doc = try parse(#"{"message": {"call": {"id": "CA1"}, "messages": [{"t": 1}, {"t": 2}, {"t": 3}]}}"#)
        #expect(doc.root["message", "call", "id"]?.string == "CA1")
        #expect(doc.root["message", "messages"]?.count == 3)
        #expect(doc.root["message", "messages"]?.last?["t"]?.integer == 3)
        #expect(doc.root["message", "messages"]?[1]?["t"]?.integer == 2)
        #expect(doc.root["message", "nope"] == nil)
        #expect(doc.root["message"]?.members.map(\.key) == ["call", "messages"])
    }

    @Test func rejectsWhatIsNotStrictJSON() {
        let cases: [(String, JSONParseError.Reason)] = [
            ("", .empty), ("   ", .empty), ("{", .truncated), (#"{"a":1,}"#, .syntax), ("[1,]", .syntax),
            ("[01]", .syntax), ("[1.]", .syntax), ("[.5]", .syntax), ("[NaN]", .nonFiniteLiteral),
            ("[-Infinity]", .nonFiniteLiteral), ("[Infinity]", .nonFiniteLiteral), ("[1e400]", .numberOutOfRange),
            (#"{"a":1,"a":2}"#, .duplicateKey), (#"{"a":1,"\u0061":2}"#, .duplicateKey), ("[\"a\tb\"]", .controlCharacter),
            (#"["\x"]"#, .invalidEscape), (#"["\u12"]"#, .invalidEscape), ("{} {}", .trailingData),
            ("[tru]", .syntax), ("{'a':1}", .syntax), ("[1 2]", .syntax),
        ]
        for (text, reason) in cases {
            #expect(failure(text)?.reason == reason, "\(text)")
        }
    }

    @Test func rejectsInvalidUTF8() {
        let invalid: [[UInt8]] = [[0xFF], [0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
                                  [0xC3], [0xE9, 0x74]]
        for bytes in invalid {
            let text: [UInt8] = Array("[\"ab".utf8) + bytes + Array("cd\"]".utf8)
            #expect(failure(text)?.reason == .invalidUTF8, "\(bytes)")
        }
        #expect(failure(Array("[\"é😀\"]".utf8)) == nil)
    }

    @Test func depthIsBounded() {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(failure(deep)?.reason == .tooDeep)
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(failure(ok) == nil)
        #expect(failure(Array(deep.utf8), .init(maxDepth: 100)) == nil)
    }

    @Test func errorsNameTheValueWithAPointer() {
        let error = failure(#"{"message": {"call": {"id": "x", "id": "y"}}}"#)
        #expect(error?.pointer == "/message/call/id")
        #expect(error?.message == #"duplicate key "id""#)
        let nested = failure(#"{"message": {"messages": [{"a": 1}, {"b": NaN}]}}"#)
        #expect(nested?.pointer == "/message/messages/1/b")
        #expect(nested?.description.contains("/message/messages/1/b") == true)
        #expect(failure("[1, 2, [3, ")?.reason == .truncated)
    }

    /// Past a few keys an object's keys are checked in a set (a quadratic scan took 111 s for 300,000 keys):
    /// duplicates are still found wherever they are, escaped or not, and nested objects keep their own keys.
    @Test func duplicatesInObjectsWithManyKeys() throws {
        func object(_ keys: [String]) -> String { "{" + keys.map { "\"\($0)\": 0" }.joined(separator: ",") + "}" }
        let many = (0..<50_000).map { "k\($0)" }
        let parsed = try parse(object(many))
        #expect(parsed.root.count == 50_000)
        #expect(parsed.root["k49999"]?.integer == 0)
        let late = failure(object(many + ["k3"]))
        #expect(late?.reason == .duplicateKey)
        #expect(late?.message == #"duplicate key "k3""#)
        #expect(late?.pointer == "/k3")
        #expect(failure(object(many + [#"\u006b7"#]))?.reason == .duplicateKey, "an escaped spelling of k7")
        #expect(failure(object(Array(many[..<20]) + [#"k\u0031"#]))?.reason == .duplicateKey, "k1 spelled with an escape")
        let nested = "{" + many[..<20].map { "\"\($0)\": {\"k1\": 1, \"k2\": 2}" }.joined(separator: ",") + "}"
        #expect(failure(nested) == nil, "nested objects do not share their parent's keys")
    }

    /// Many keys are checked together when their object ends, yet the answer is the one a check at each key
    /// gives: the first problem in document order, with the pointer of the duplicate key.
    @Test func manyKeysReportTheFirstProblemInDocumentOrder() {
        func members(_ keys: [String]) -> String { keys.map { "\"\($0)\": 0" }.joined(separator: ",") }
        let many = (0..<1_000).map { "k\($0)" }
        let two = failure("{" + members(many + ["k700", "k5"]) + "}")
        #expect(two?.message == #"duplicate key "k700""#, "the first duplicate read, not the first key duplicated")
        let thenSyntax = failure("{" + members(many + ["k9"]) + ", \"x\": nope}")
        #expect(thenSyntax?.reason == .duplicateKey, "a duplicate before a syntax error in the same object")
        #expect(thenSyntax?.pointer == "/k9")
        let syntaxFirst = failure("{" + members(many) + ", \"x\": nope, " + members(["k9"]) + "}")
        #expect(syntaxFirst?.reason == .syntax, "a syntax error before the duplicate")
        let inner = "{" + members(many.map { "i" + $0 } + ["ik1"]) + "}"
        let outerFirst = failure("{" + members(many + ["k2"]) + ", \"inner\": " + inner + "}")
        #expect(outerFirst?.pointer == "/k2", "the outer duplicate comes before the inner one")
        let innerFirst = failure("{" + members(many) + ", \"inner\": " + inner + ", " + members(["k2"]) + "}")
        #expect(innerFirst?.pointer == "/inner/ik1")
        let innerFails = failure("{" + members(many) + ", \"inner\": {\"k5\": 1, \"x\": nope}}")
        #expect(innerFails?.reason == .syntax, "an inner object's keys are not its parent's, even when it fails")
        let same = failure("{" + members(Array(many[..<20]) + Array(repeating: "a", count: 200_000)) + "}")
        #expect(same?.message == #"duplicate key "a""#)
        #expect(same?.offset == ("{" + members(Array(many[..<20]) + ["a"]) + ",").utf8.count, "the second \"a\"")
    }

    @Test func duplicateKeysMayBeAllowed() throws {
        let doc = try parse(#"{"a":1,"a":2}"#, .init(rejectDuplicateKeys: false))
        #expect(doc.root.count == 2)
    }

    @Test func everyContractFixtureParses() throws {
        for url in fixtureFiles(in: "upstream") + fixtureFiles(in: "fixtures") {
            let bytes = try [UInt8](Data(contentsOf: url))
            let doc = try JSONParser.parse(bytes)
            #expect(doc.root["message", "type"]?.string != nil, "\(url.lastPathComponent)")
        }
    }

    @Test func replacingStringsMatchesParsingTheReplacedText() throws {
        // escaped and empty strings replaced, keys and values around them moved by different amounts
        let text = #"{"a":"one","b\u0041":["x\n","",{"c":"three33","":""}],"d":"",  "e":"last"}"#
        let doc = try parse(text)
        let targets = [doc.root["a"]!, doc.root["bA"]![0]!, doc.root["bA"]![1]!, doc.root["bA"]![2]!["c"]!, doc.root["d"]!]
        let ranges = targets.map { $0.rawStringRange! }
        let replaced = doc.replacingStrings(ranges.reversed(), with: Array("[r]".utf8))
        let expected = try parse(#"{"a":"[r]","b\u0041":["[r]","[r]",{"c":"[r]","":""}],"d":"[r]",  "e":"last"}"#)
        #expect(replaced.bytes == expected.bytes)
        let tapes = [replaced, expected].map { doc in doc.withRawTape { _, tape in Array(tape) } }
        #expect(tapes[0] == tapes[1])
        #expect(replaced.root["bA"]?[2]?[""]?.string == "" && replaced.root["e"]?.string == "last")
    }

    @Test func hostileFixturesAreRefusedForTheRightReason() throws {
        let expected: [String: JSONParseError.Reason] = [
            "duplicate-keys.json": .duplicateKey, "empty-body.json": .empty, "truncated.json": .truncated,
            "non-utf8.json": .invalidUTF8, "deeply-nested.json": .tooDeep, "nan-literal.json": .nonFiniteLiteral,
            "numbers-out-of-range.json": .numberOutOfRange,
        ]
        for (name, reason) in expected {
            let bytes = try [UInt8](Data(contentsOf: fixtureURL("fixtures/bad/\(name)")))
            #expect(failure(bytes)?.reason == reason, "\(name)")
        }
    }
}
