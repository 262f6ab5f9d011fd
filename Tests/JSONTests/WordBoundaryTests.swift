import Testing
@testable import JSON

/// The parser reads strings, numbers and keys eight bytes at a time: whatever ends a run of ordinary bytes (a
/// quote, an escape, a control character, a byte of multi-byte UTF-8, a non-digit) must be found at every
/// position within a word and across two, and near the end of the input where no whole word is left.
@Suite struct WordBoundaryTests {
    /// Runs of `filler` before and after, of every length across two words.
    static let runs = 0..<20

    private func parse(_ bytes: [UInt8]) -> Result<JSONDocument, JSONParseError> {
        do throws(JSONParseError) { return .success(try JSONParser.parse(bytes)) } catch { return .failure(error) }
    }

    private func run(_ count: Int, _ byte: Character = "a") -> [UInt8] { Array(String(repeating: byte, count: count).utf8) }

    /// Escapes and UTF-8 sequences of every length decode the same wherever they fall in a word, in strings
    /// that end anywhere before the input's end (`]` alone after the quote, or a few more bytes).
    @Test func escapesAndMultibyteCharactersAtEveryOffset() throws {
        let pieces: [(raw: String, text: String)] = [
            (#"\""#, "\""), (#"\\"#, "\\"), (#"\/"#, "/"), (#"\n"#, "\n"), (#"\t"#, "\t"), (#"\u00e9"#, "é"),
            (#"\ud83d\ude00"#, "😀"), ("é", "é"), ("中", "中"), ("😀", "😀"), ("\u{7F}", "\u{7F}"), (" ", " "),
            ("!", "!"), ("]", "]"), ("[", "["), ("#", "#"),
        ]
        for (raw, text) in pieces {
            for before in Self.runs {
                for after in [0, 1, 7, 8, 9] {
                    let body = Array("[\"".utf8) + run(before) + Array(raw.utf8) + run(after, "b") + Array("\"]".utf8)
                    let value = try JSONParser.parse(body).root[0]
                    let expected = String(repeating: "a", count: before) + text + String(repeating: "b", count: after)
                    #expect(value?.string == expected, "\(raw) after \(before) bytes, \(after) after it")
                    #expect(value?.rawStringRange == 2..<(body.count - 2))
                }
            }
        }
    }

    /// A string's end is found wherever its quote falls, also as the input's last bytes.
    @Test func stringsOfEveryLengthEndAtTheirQuote() throws {
        for length in 0..<40 {
            let text = run(length)
            #expect(try JSONParser.parse([0x22] + text + [0x22]).root.stringBytes == text, "\(length) bytes at the top level")
            let document = try JSONParser.parse(Array("{\"k\":\"".utf8) + text + Array("\",\"z\":1}".utf8))
            #expect(document.root["k"]?.stringBytes == text && document.root["z"]?.integer == 1, "\(length) bytes in an object")
        }
    }

    /// Every control character is refused and every other ASCII byte but the quote and backslash kept, at
    /// every offset; the error names the byte where it is.
    @Test func controlCharactersAtEveryOffset() {
        for byte: UInt8 in 0...0x7F where byte != 0x22 && byte != 0x5C {
            for before in Self.runs {
                let body = Array("[\"".utf8) + run(before) + [byte] + run(9, "b") + Array("\"]".utf8)
                switch parse(body) {
                case .success(let document):
                    #expect(byte >= 0x20, "byte \(byte) accepted")
                    #expect(document.root[0]?.stringBytes == run(before) + [byte] + run(9, "b"))
                case .failure(let error):
                    #expect(byte < 0x20 && error.reason == .controlCharacter && error.offset == 2 + before,
                            "byte \(byte) after \(before): \(error)")
                }
            }
        }
    }

    /// A byte that cannot start UTF-8 on its own, or a sequence cut short, an overlong form, a surrogate or a
    /// scalar past U+10FFFF is refused where it starts, at every offset.
    @Test func invalidUTF8AtEveryOffset() {
        var invalid: [[UInt8]] = (0x80...0xFF).map { [UInt8($0)] }  // none followed by an ASCII byte is valid
        invalid += [[0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE4, 0xB8], [0xF0, 0x9F, 0x98]]
        for bytes in invalid {
            for before in Self.runs {
                let body = Array("[\"".utf8) + run(before) + bytes + run(9, "b") + Array("\"]".utf8)
                guard case .failure(let error) = parse(body) else {
                    Issue.record("\(bytes) after \(before) bytes accepted")
                    continue
                }
                #expect(error.reason == .invalidUTF8 && error.offset == 2 + before, "\(bytes) after \(before): \(error)")
            }
        }
    }

    /// An escape cut off or unknown is refused where it starts, at every offset.
    @Test func invalidEscapesAtEveryOffset() {
        for escape in [#"\x"#, #"\u12"#, #"\u12g4"#, #"\U0041"#, "\\\u{1}"] {
            for before in Self.runs {
                let body = Array("[\"".utf8) + run(before) + Array(escape.utf8) + run(9, "z") + Array("\"]".utf8)
                guard case .failure(let error) = parse(body) else {
                    Issue.record("\(escape) after \(before) bytes accepted")
                    continue
                }
                #expect(error.reason == .invalidEscape && error.offset == 2 + before, "\(escape) after \(before): \(error)")
            }
        }
        for before in Self.runs {
            #expect(parse(Array("[\"".utf8) + run(before) + [0x5C]).refusal?.reason == .truncated, "a backslash last")
            #expect(parse(Array("[\"".utf8) + run(before)).refusal?.reason == .truncated, "no closing quote")
        }
    }

    /// Integers of every length up to 20 digits, signed or not, with a fraction or an exponent or neither,
    /// read as the standard library reads them.
    @Test func numbersOfEveryLength() throws {
        let digits = Array("98765432109876543210".utf8)
        for length in 1...20 {
            let integer = String(decoding: digits[..<length], as: UTF8.self)
            for text in [integer, "-" + integer, integer + ".25", integer + "e2", "-" + integer + ".5e-3", "0." + integer] {
                for (body, value) in [(text, try JSONParser.parse(Array(text.utf8)).root),
                                      ("[\(text),7]", try JSONParser.parse(Array("[\(text),7]".utf8)).root[0]!)] {
                    if let exact = Int64(text) {
                        #expect(value.kind == .integer && value.integer == exact, "\(body)")
                    } else {
                        #expect(value.kind == .double && value.number == Double(text)!, "\(body)")
                    }
                }
            }
        }
        #expect(try JSONParser.parse(Array("[9223372036854775807, -9223372036854775808, 9223372036854775808]".utf8)).root
            .elements.map(\.kind) == [.integer, .integer, .double])
    }

    /// A byte just outside the digits ('/' and ':' beside '0' and '9', a letter, a space) ends the digits at
    /// every position within a word: what follows is then read as what it is.
    @Test func digitsEndAtTheFirstOtherByte() {
        for stop in ["/", ":", "a", " ", "."] {
            for position in 1..<18 {
                let body = Array(("[" + String(repeating: "7", count: position) + stop + "12345678901]").utf8)
                let result = parse(body)
                switch stop {
                case " ": #expect(result.refusal?.reason == .syntax && result.refusal?.offset == position + 2, "space after \(position)")
                case ".": #expect(result.document?.root[0]?.kind == .double, "fraction after \(position)")
                default: #expect(result.refusal?.reason == .syntax && result.refusal?.offset == position + 1, "\(stop) after \(position)")
                }
            }
        }
    }

    /// Keys are compared by their length and first eight bytes before the rest: keys alike in those but not
    /// past them differ, keys equal in full are duplicates, spelled with escapes or not, in small objects and
    /// in objects of many keys.
    @Test func keysAlikeInTheirFirstWordAreStillComparedInFull() throws {
        for length in 0..<20 {
            for differing in 0..<length {
                var other = run(length, "k")
                other[differing] = UInt8(ascii: "z")
                let pair = "{\"\(String(repeating: "k", count: length))\":1,\"\(String(decoding: other, as: UTF8.self))\":2}"
                #expect(parse(Array(pair.utf8)).document?.root.count == 2, "\(pair)")
            }
            let key = String(repeating: "k", count: length)
            let same = "{\"\(key)\":1,\"x\":0,\"\(key)\":2}"
            #expect(parse(Array(same.utf8)).refusal?.reason == .duplicateKey, "\(same)")
            if length > 0 {
                let escaped = #"\u006b"# + String(repeating: "k", count: length - 1)
                for (first, second) in [(key, escaped), (escaped, key), (escaped, escaped)] {
                    let body = "{\"\(first)\":1,\"\(second)\":2}"
                    #expect(parse(Array(body.utf8)).refusal?.reason == .duplicateKey, "\(body)")
                }
            }
        }
        // the last key's first word reaches past the end of the input
        #expect(parse(Array(#"{"a":1,"a":2}"#.utf8)).refusal?.offset == 7)
        #expect(parse(Array(#"{"ab":{},"ab":0}"#.utf8)).refusal?.pointer == "/ab")
    }
}

extension Result {
    var refusal: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

extension Result where Success == JSONDocument {
    var document: JSONDocument? { try? get() }
}
