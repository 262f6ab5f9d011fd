import Intake
import JSON
import Testing
import TestSupport

/// The rewriting `hookline send --call-id --now` and the tests' `event()` share.
@Suite struct EventRewriterTests {
    @Test func theCallIDIsReplacedEverywhereAndTheRestKeptByteForByte() throws {
        let original = fixtureBytes("fixtures/end-of-call-report.json")
        let oldID = try #require(try JSONParser.parse(original).root["message", "call", "id"]?.string)
        let rewritten = try EventRewriter.rewrite(original, callID: "CA-new-1", now: nil)
        let text = String(decoding: rewritten, as: UTF8.self)
        #expect(!text.contains(oldID))
        #expect(text.replacingOccurrences(of: "CA-new-1", with: oldID) == String(decoding: original, as: UTF8.self))
    }

    @Test func timestampsMoveTogetherSoTheMessageIsNow() throws {
        let original = try JSONParser.parse(fixtureBytes("fixtures/conversation-update-short.json")).root
        let now: Int64 = 1_900_000_000_000
        let rewritten = try JSONParser.parse(EventRewriter.rewrite(fixtureBytes("fixtures/conversation-update-short.json"),
                                                                   callID: nil, now: now)).root
        let messageTime = try #require(original["message", "timestamp"]?.integer)
        #expect(rewritten["message", "timestamp"]?.integer == now)
        let shift = now - messageTime
        let originalMessages = Array(try #require(original["message", "messages"]).elements)
        let rewrittenMessages = Array(try #require(rewritten["message", "messages"]).elements)
        #expect(originalMessages.count >= 2)
        for (old, new) in zip(originalMessages, rewrittenMessages) {
            let time = try #require(old["timestamp"]?.integer)
            #expect(new["timestamp"]?.integer == time + shift, "the spacing between timestamps is kept")
        }
    }

    @Test func nothingToDoLeavesTheBodyAlone() throws {
        let body = Array("not even JSON".utf8)
        #expect(try EventRewriter.rewrite(body, callID: nil, now: nil) == body)
    }

    @Test func callIDsOutsideTheAlphabetAreRefused() {
        #expect(throws: EventRewriter.Failure.self) { try EventRewriter.rewrite(fixtureBytes("fixtures/hang.json"), callID: "../x", now: nil) }
        #expect(throws: EventRewriter.Failure.self) { try EventRewriter.rewrite(fixtureBytes("fixtures/hang.json"), callID: "_x", now: nil) }
    }
}
