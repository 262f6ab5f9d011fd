import Testing
@testable import JSON

/// Values read in place through a `JSONView`, and several members found in one pass (`values(of:)`), which
/// compares names by their length and first eight bytes before the rest.
@Suite struct JSONViewTests {
    private func document(_ text: String) throws -> JSONDocument { try JSONParser.parse(Array(text.utf8)) }

    @Test func theViewReadsWhatTheValuesRead() throws {
        let doc = try document(#"{"message": {"type": "hang", "n": -3, "f": 2.5, "ok": true, "no": null, "t\u0065xt": "a\nb", "list": [1, {"x": 2}, [3]]}}"#)
        doc.withView { view in
            let message = view.root["message"]
            #expect(message?.kind == .object && message?.count == 7)
            #expect(message?["type"]?.string == "hang" && message?["type"]?.stringEquals("hang") == true)
            #expect(message?["n"]?.integer == -3 && message?["f"]?.number == 2.5 && message?["n"]?.number == -3)
            #expect(message?["ok"]?.bool == true && message?["no"]?.isNull == true)
            #expect(message?["text"]?.string == "a\nb" && message?["text"]?.unescapedText == nil, "an escaped key and value")
            #expect(message?["type"]?.unescapedText.map { Array($0) } == Array("hang".utf8))
            let list = message?["list"]
            #expect(list?.count == 3 && list?[1]?["x"]?.integer == 2 && list?.last?[0]?.integer == 3)
            #expect(list?.elements.map(\.typeName) == ["number", "object", "array"])
            #expect(message?.members.map(\.key) == ["type", "n", "f", "ok", "no", "text", "list"])
            #expect(view.root["message", "list"]?.index == doc.root["message", "list"]?.index)
        }
    }

    @Test func severalMembersInOnePass() throws {
        let keys = JSONKeys(["messageId", "role", "skippedAssistantMessages", "skippedAssistantMessageX", "", "abcdefgh", "abcdefghi"])
        let doc = try document(#"""
            {"role": 1, "skippedAssistantMessageX": 2, "abcdefgh": 3, "m\u0065ssageId": 4, "abcdefghi": 5, "": 6,
             "skippedAssistantMessagesY": 8, "abcdefgz": 9}
            """#)
        doc.withView { view in
            let found = view.root.values(of: keys)
            #expect(found[0]?.integer == 4, "a key spelled with an escape")
            #expect(found[1]?.integer == 1)
            #expect(found[2] == nil, "a longer key with the same start is another")
            #expect(found[3]?.integer == 2, "names alike in their first sixteen bytes")
            #expect(found[4]?.integer == 6, "the empty name")
            #expect(found[5]?.integer == 3 && found[6]?.integer == 5, "eight bytes, and nine with the same eight first")
        }
        let members = doc.root.values(of: keys)
        #expect(members[0]?.integer == 4 && members[2] == nil && members[6]?.integer == 5)
        #expect(try document("[1]").root.values(of: keys)[1] == nil, "not an object")
    }
}
