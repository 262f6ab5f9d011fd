import Basics
import Foundation
import Testing

/// The small shared rules, each as its callers rely on it.
@Suite struct BasicsTests {
    @Test func theIdentifierAlphabetIsLettersDigitsDashAndUnderscore() {
        #expect(IdentifierAlphabet.isIdentifier("a-Z_09".utf8, maxLength: 64, alphanumericFirst: true))
        #expect(!IdentifierAlphabet.isIdentifier("".utf8, maxLength: 64, alphanumericFirst: false), "never empty")
        #expect(!IdentifierAlphabet.isIdentifier("a b".utf8, maxLength: 64, alphanumericFirst: false))
        #expect(!IdentifierAlphabet.isIdentifier("a/b".utf8, maxLength: 64, alphanumericFirst: false))
        #expect(!IdentifierAlphabet.isIdentifier("é".utf8, maxLength: 64, alphanumericFirst: false))
        #expect(IdentifierAlphabet.isIdentifier("_a".utf8, maxLength: 64, alphanumericFirst: false))
        #expect(!IdentifierAlphabet.isIdentifier("_a".utf8, maxLength: 64, alphanumericFirst: true))
        #expect(IdentifierAlphabet.isIdentifier(String(repeating: "x", count: 64).utf8, maxLength: 64, alphanumericFirst: true))
        #expect(!IdentifierAlphabet.isIdentifier(String(repeating: "x", count: 65).utf8, maxLength: 64, alphanumericFirst: true))
        for byte in UInt8(0)...UInt8(255) {
            let expected = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            #expect(IdentifierAlphabet.contains(byte) == expected, "byte \(byte)")
        }
    }

    @Test func durationsInWholeUnitsTruncate() {
        let duration = Duration.seconds(2) + .nanoseconds(1_999_999)
        #expect(duration.wholeMilliseconds == 2_001)
        #expect(duration.wholeMicroseconds == 2_001_999)
        #expect(duration.wholeNanoseconds == 2_001_999_999)
        #expect(Duration.seconds(5).shortDescription == "5s")
        #expect(Duration.milliseconds(250).shortDescription == "250ms")
        #expect(Duration.milliseconds(1500).shortDescription == "1.5s")
    }

    @Test func hexIsTwoLowercaseDigitsAByte() {
        #expect(hex([0x00, 0x0f, 0xa5, 0xff]) == "000fa5ff")
        #expect(hex([UInt8]()) == "")
    }

    @Test func isoTimesAreUTCWithMillisecondsBothWays() {
        #expect(ISO8601.string(fromEpochMilliseconds: 1_778_771_323_123) == "2026-05-14T15:08:43.123Z")
        #expect(ISO8601.epochMilliseconds(from: "2026-05-14T15:08:43.123Z") == 1_778_771_323_123)
        #expect(ISO8601.epochMilliseconds(from: "2026-05-14T15:08:43Z") == 1_778_771_323_000)
        #expect(ISO8601.epochMilliseconds(from: "yesterday") == nil)
    }

    @Test func epochMillisecondsReadTheWallClock() {
        #expect(epochMilliseconds(Date(timeIntervalSince1970: 1.5)) == 1_500)
        #expect(abs(epochMilliseconds() - Int64(Date().timeIntervalSince1970 * 1000)) < 1_000)
    }

    @Test func aManualClockMovesOnlyWhenAdvanced() {
        let clock = ManualClock(at: 1_000)
        #expect(clock.now() == 1_000)
        clock.advance(by: .seconds(90) + .milliseconds(5))
        #expect(clock.now() == 91_005)
        #expect(abs(SystemClock().now() - epochMilliseconds()) < 1_000)
    }
}
