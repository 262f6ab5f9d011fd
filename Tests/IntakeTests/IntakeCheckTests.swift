@testable import Intake
import JSON
import Testing
import TestSupport

/// Intake's checks on bodies alone, without a server: what each contract fixture and each hostile body gets.
@Suite struct IntakeCheckTests {
    static let receivedAt: Int64 = 1_778_771_300_000

    @Test(arguments: fixturePaths(in: "fixtures") + fixturePaths(in: "upstream"))
    func everyContractExampleIsIdentified(_ fixture: String) throws {
        let body = fixtureBytes(fixture)
        let checked = try Intake.check(body, receivedAt: Self.receivedAt).get()
        let message = try JSONParser.parse(body).root["message"]
        #expect(checked.inspection.type == message?["type"]?.string)
        #expect(checked.inspection.callID == message?["call", "id"]?.string)
        #expect(!checked.inspection.dedupKey.isEmpty)
    }

    /// What `fixtures/bad/README.md` and events.md (Hookline's choices) say each hostile body gets.
    static let hostile: [(String, Int, String?)] = [
        ("missing-type.json", 422, "missing_type"),
        ("unknown-type.json", 200, nil),
        ("type-wrong-json-type.json", 422, "invalid_type"),
        ("type-is-array.json", 422, "invalid_type"),
        ("message-not-object.json", 422, "not_an_event"),
        ("message-null.json", 422, "not_an_event"),
        ("truncated.json", 400, "malformed_json"),
        ("empty-body.json", 400, "empty_body"),
        ("body-is-array.json", 422, "not_an_event"),
        ("non-utf8.json", 400, "invalid_utf8"),
        ("deeply-nested.json", 400, "too_deep"),
        ("duplicate-keys.json", 400, "duplicate_key"),
        ("numbers-out-of-range.json", 400, "invalid_number"),
        ("nan-literal.json", 400, "invalid_number"),
        ("call-id-path-traversal.json", 422, "unsafe_call_id"),
        ("injection-strings.json", 200, nil),
    ]

    @Test func everyHostileBodyGetsItsDocumentedAnswer() {
        #expect(Self.hostile.count == fixturePaths(in: "fixtures/bad").count, "every hostile fixture is listed")
        for (name, status, code) in Self.hostile {
            switch Intake.check(fixtureBytes("fixtures/bad/\(name)"), receivedAt: Self.receivedAt) {
            case .success(let checked):
                #expect(status == 200, "\(name) was accepted")
                if name == "unknown-type.json" {
                    #expect(checked.inspection.warnings.contains { $0.kind == .unknownType }, "kept with a warning")
                }
            case .failure(let rejection):
                #expect(rejection.status == status, "\(name): \(rejection)")
                #expect(rejection.code == code, "\(name): \(rejection)")
                #expect(rejection.message.count > 10, "\(name) names the problem")
            }
        }
    }

    /// Fired timers are events of type `timer:<name>` that run `timers/<name>.lua`: a delivery may not pose as one.
    @Test func aDeliveryCannotPoseAsAFiredTimer() {
        let body = Array(#"{"message":{"type":"timer:hang-unresolved","call":{"id":"CA1"},"timer":{"name":"x"}}}"#.utf8)
        #expect(Intake.check(body, receivedAt: Self.receivedAt).failureCode == "reserved_type")
        let lookalike = Array(#"{"message":{"type":"timers","call":{"id":"CA1"}}}"#.utf8)
        #expect(Intake.check(lookalike, receivedAt: Self.receivedAt).failureCode == nil, "only the prefix is reserved")
    }

    /// Bodies nest at most `JSONParser.Options.eventMaxDepth` levels deep.
    @Test func theDepthLimitIsTheParsersDefault() throws {
        func nested(_ depth: Int) -> [UInt8] {
            Array(#"{"message":{"type":"hang","call":{"id":"CA1"},"x":"#.utf8) + Array(repeating: UInt8(ascii: "["), count: depth - 2)
                + Array(repeating: UInt8(ascii: "]"), count: depth - 2) + Array("}}".utf8)
        }
        let limit = JSONParser.Options.eventMaxDepth
        #expect(throws: Never.self) { try Intake.check(nested(limit), receivedAt: Self.receivedAt).get() }
        #expect(Intake.check(nested(limit + 1), receivedAt: Self.receivedAt).failureCode == "too_deep")
    }

    @Test func callIDsAreLettersDigitsDashAndUnderscoreStartingAlphanumeric() {
        #expect(Inspector.isSafeIdentifier("CA5d2c7e90-a1f3_4b6d"))
        #expect(Inspector.isSafeIdentifier(String(repeating: "a", count: Inspector.callIDLimit)))
        #expect(!Inspector.isSafeIdentifier(String(repeating: "a", count: Inspector.callIDLimit + 1)))
        #expect(!Inspector.isSafeIdentifier("-CA1"), "a call id starts with a letter or digit")
        #expect(!Inspector.isSafeIdentifier("../etc"))
        #expect(!Inspector.isSafeIdentifier(""))
        #expect(!Inspector.isSafeIdentifier("CA é"))
    }

    @Test func echoedCredentialsAreRedactedAndNothingElseChanges() throws {
        let body = fixtureBytes("upstream/status-update-1.json")
        let original = try JSONParser.parse(body).root
        let stored = try Intake.check(body, receivedAt: Self.receivedAt).get().stored.root
        let headers = stored["message", "assistant", "assistantServer", "headers"]?.members ?? []
        #expect(!headers.isEmpty)
        for (_, value) in headers { #expect(value.string == "[redacted]") }
        #expect(stored["message", "call", "id"]?.string == original["message", "call", "id"]?.string)
        #expect(stored["message", "type"]?.string == original["message", "type"]?.string)
    }

    /// The checks read the body in place, comparing raw keys and strings where they have no escapes: the same
    /// event with every key's first letter escaped is identified and warned about alike (but for a key that is
    /// the body's hash).
    @Test(arguments: fixturePaths(in: "fixtures") + fixturePaths(in: "upstream"))
    func keysSpelledWithEscapesAreTheSameKeys(_ fixture: String) throws {
        let body = fixtureBytes(fixture)
        let text = String(decoding: body, as: UTF8.self)
        let escaped = try Regex(#""([A-Za-z_])([A-Za-z0-9_]*)"(\s*):"#)
        let respelled = text.replacing(escaped) { match in
            let first = match.output[1].substring!.unicodeScalars.first!.value
            return "\"\\u00\(String(first, radix: 16))\(match.output[2].substring!)\"\(match.output[3].substring!):"
        }
        #expect(respelled.contains(#""\u0074ype""#) && respelled.contains(#""\u0069d""#))
        let plain = try Intake.check(body, receivedAt: Self.receivedAt).get().inspection
        let other = try Intake.check(Array(respelled.utf8), receivedAt: Self.receivedAt).get().inspection
        #expect(other.type == plain.type && other.callID == plain.callID)
        #expect(other.warnings == plain.warnings)
        #expect(other.counts == plain.counts)
        if !plain.dedupKey.hasPrefix("sha256:") { #expect(other.dedupKey == plain.dedupKey) }
    }

    /// A message id is read in place unless it has escapes; then its text is checked.
    @Test func messageIDsAreCheckedAsTheirTextWhateverTheirSpelling() throws {
        func warnings(_ id: String) throws -> [String] {
            let body = #"{"message":{"type":"hang","timestamp":1778771000000,"call":{"id":"CA1"},"messages":["#
                + #"{"messageId":"\#(id)","role":"user","text":"hi","timestamp":1778771000000}]}}"#
            return try Intake.check(Array(body.utf8), receivedAt: Self.receivedAt).get().inspection.warnings.map(\.pointer)
        }
        #expect(try warnings("msg_1") == [])
        #expect(try warnings(#"msg\u005f1"#) == [], "an escaped '_'")
        #expect(try warnings(#"msg\u002f1"#) == ["/message/messages/0/messageId"], "an escaped '/'")
        #expect(try warnings("msg/1") == ["/message/messages/0/messageId"])
    }

    /// The call's fields have the kinds the contract gives them, and a duration is not negative.
    @Test func theCallsFieldsAreCheckedForTheirKinds() throws {
        func warnings(_ fields: String) throws -> [String] {
            let body = #"{"message":{"type":"hang","timestamp":1778771000000,"call":{"id":"CA1",\#(fields)},"messages":[]}}"#
            return try Intake.check(Array(body.utf8), receivedAt: Self.receivedAt).get().inspection.warnings.map(\.description)
        }
        #expect(try warnings(#""teamId":"t","startAt":null,"endAt":"2026-05-14T15:02:11Z","assistantCallDuration":12.5"#) == [])
        #expect(try warnings(#""teamId":5,"startAt":null,"endAt":3,"assistantCallDuration":-2"#) == [
            "/message/call/teamId: expected a string, found number",
            "/message/call/endAt: expected an ISO-8601 string or null, found number",
            "/message/call/assistantCallDuration: negative duration -2.0",
        ])
        #expect(try warnings(#""assistantCallDuration":"-2","direction":[]"#) == [
            "/message/call/direction: expected a string, found array",
            "/message/call/assistantCallDuration: expected a number, found string",
        ])
    }

    @Test func theSameEventHasTheSameKeyAndAnotherCallAnother() throws {
        func key(_ body: [UInt8]) throws -> String { try Intake.check(body, receivedAt: Self.receivedAt).get().inspection.dedupKey }
        let first = try key(fixtureBytes("fixtures/hang.json"))
        #expect(try key(fixtureBytes("fixtures/hang.json")) == first)
        #expect(try key(event("fixtures/hang.json", callID: "CAother")) != first)
    }
}

extension Result where Failure == IntakeRejection {
    var failureCode: String? {
        if case .failure(let rejection) = self { return rejection.code }
        return nil
    }
}
