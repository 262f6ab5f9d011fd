#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a text is not one strict JSON document, where (byte offset) and at which value (JSON pointer).
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case empty, syntax, invalidUTF8, controlCharacter, invalidEscape, nonFiniteLiteral, numberOutOfRange
        case duplicateKey, tooDeep, trailingData, truncated
    }
    public let reason: Reason
    public let message: String
    /// Byte offset in the input where the problem was found.
    public let offset: Int
    /// JSON pointer (RFC 6901) of the value being parsed, "" for the top level.
    public let pointer: String

    public var description: String {
        pointer.isEmpty ? "\(message) at byte \(offset)" : "\(message) at \(pointer) (byte \(offset))"
    }
}

/// A strict RFC 8259 parser: UTF-8 only, no NaN/Infinity, no duplicate keys, bounded nesting, numbers that
/// fit an Int64 or a finite Double. One pass, one allocation for the tape.
public enum JSONParser {
    public struct Options: Sendable {
        /// How deeply an event body may nest, at intake and wherever a stored body is read again: far past any
        /// real event, and a bound on the parser's recursion.
        public static let eventMaxDepth = 64

        public var maxDepth: Int
        public var rejectDuplicateKeys: Bool
        public init(maxDepth: Int = eventMaxDepth, rejectDuplicateKeys: Bool = true) {
            self.maxDepth = maxDepth
            self.rejectDuplicateKeys = rejectDuplicateKeys
        }
    }

    public static func parse(_ bytes: [UInt8], options: Options = Options()) throws(JSONParseError) -> JSONDocument {
        let result: Result<[TapeEntry], JSONParseError> = bytes.withUnsafeBufferPointer { buffer in
            var parser = Parser(buffer: buffer, options: options)
            do throws(JSONParseError) {
                try parser.parseDocument()
                return .success(parser.tape.array)
            } catch {
                return .failure(error)
            }
        }
        return JSONDocument(bytes: bytes, tape: try result.get())
    }
}

/// Failure inside the hot loop: the reason and offset; the pointer is filled in afterwards from the tape.
private struct Failure: Error {
    let reason: JSONParseError.Reason
    let message: String
    let offset: Int
}

private struct Parser: ~Copyable {
    let p: UnsafeBufferPointer<UInt8>
    let count: Int
    let options: Options
    var i = 0
    var tape: GrowingBuffer<TapeEntry>
    /// The keys of the objects being parsed (a stack: each object owns a suffix), kept when duplicates are refused.
    var keys = GrowingBuffer<SeenKey>(capacity: 64)

    typealias Options = JSONParser.Options

    init(buffer: UnsafeBufferPointer<UInt8>, options: Options) {
        p = buffer
        count = buffer.count
        self.options = options
        tape = GrowingBuffer(capacity: buffer.count / 12)
    }

    mutating func parseDocument() throws(JSONParseError) {
        do throws(Failure) {
            skipWhitespace()
            if i >= count { throw Failure(reason: .empty, message: "empty body: expected a JSON value", offset: 0) }
            try parseValue(depth: 0)
            skipWhitespace()
            if i < count {
                throw Failure(reason: .trailingData, message: "unexpected data after the JSON value", offset: i)
            }
        } catch {
            throw JSONParseError(reason: error.reason, message: error.message, offset: error.offset,
                                 pointer: openPointer())
        }
    }

    // MARK: values

    @inline(__always) mutating func skipWhitespace() {
        while i < count {
            let b = p[i]
            if b > 0x20 { return }
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { i += 1 } else { return }
        }
    }

    mutating func parseValue(depth: Int) throws(Failure) {
        guard i < count else { throw truncated() }
        switch p[i] {
        case UInt8(ascii: "{"): try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""):
            let (start, length, escapes) = try parseString()
            tape.append(TapeEntry(kind: .string, size: length, escapes: escapes, payload: UInt64(start)))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try parseNumber()
        case UInt8(ascii: "t"): try literal("true", .true)
        case UInt8(ascii: "f"): try literal("false", .false)
        case UInt8(ascii: "n"): try literal("null", .null)
        case UInt8(ascii: "N"), UInt8(ascii: "I"):
            throw Failure(reason: .nonFiniteLiteral, message: "NaN and Infinity are not JSON numbers", offset: i)
        default:
            throw Failure(reason: .syntax, message: "unexpected character \(describe(p[i])), expected a value",
                          offset: i)
        }
    }

    mutating func literal(_ word: StaticString, _ kind: JSONKind) throws(Failure) {
        let length = word.utf8CodeUnitCount
        guard i + length <= count else { throw truncated() }
        let w = word.utf8Start
        for k in 0..<length where p[i + k] != w[k] {
            throw Failure(reason: .syntax, message: "invalid literal, expected \(word)", offset: i)
        }
        i += length
        tape.append(TapeEntry(kind: kind))
    }

    mutating func parseObject(depth: Int) throws(Failure) {
        if depth > options.maxDepth { throw tooDeep() }
        let index = tape.count
        tape.append(TapeEntry(kind: .object))
        i += 1
        skipWhitespace()
        var members = 0
        let keysStart = keys.count
        if i < count && p[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            var more = true
            var seen: UInt64 = 0
            while more && members < Parser.linearKeys {
                try parseKey(checkedFrom: keysStart, seen: &seen)
                try parseMemberValue(depth: depth)
                members += 1
                more = try another(closing: UInt8(ascii: "}"), in: "an object")
            }
            if more { members += try parseMoreMembers(depth: depth, keysStart: keysStart) }
        }
        keys.truncate(to: keysStart)
        tape[index] = TapeEntry(kind: .object, size: members, payload: UInt64(tape.count))
    }

    /// The members of an object past its first `linearKeys`, whose keys are checked together when the object
    /// ends, or when a failure inside it ends the parse: a duplicate among the keys read so far comes before
    /// that failure. Apart from the few objects with many keys, so that the common ones pay nothing for it.
    mutating func parseMoreMembers(depth: Int, keysStart: Int) throws(Failure) -> Int {
        var members = 0
        do throws(Failure) {
            repeat {
                var unused: UInt64 = 0
                try parseKey(checkedFrom: nil, seen: &unused)
                members += 1
                try parseMemberValue(depth: depth)
            } while try another(closing: UInt8(ascii: "}"), in: "an object")
        } catch {
            // keys of objects inside this one, left by their failure, are not this one's
            keys.truncate(to: min(keys.count, keysStart + Parser.linearKeys + members))
            throw manyKeysDuplicate(from: keysStart) ?? error
        }
        if let duplicate = manyKeysDuplicate(from: keysStart) { throw duplicate }
        return members
    }

    /// A member's key, on the tape; compared with the object's earlier keys (from `checkedFrom` in `keys`,
    /// whose `KeyFilter` is `seen`) when given, and kept in `keys` when duplicates are refused.
    @inline(__always) mutating func parseKey(checkedFrom keysStart: Int?, seen: inout KeyFilter) throws(Failure) {
        guard i < count else { throw truncated() }
        guard p[i] == UInt8(ascii: "\"") else {
            throw Failure(reason: .syntax, message: "expected a string key, found \(describe(p[i]))", offset: i)
        }
        let keyOffset = i
        let (start, length, escapes) = try parseString()
        // on the tape before the check, so that a duplicate's error pointer names this key
        tape.append(TapeEntry(kind: .string, size: length, escapes: escapes, payload: UInt64(start)))
        if options.rejectDuplicateKeys {
            let key = SeenKey(bytes: p, tapeIndex: tape.count - 1, start: start, length: length, escapes: escapes)
            if let keysStart {
                let bit = key.filterBit
                if seen & bit != 0 { try checkDuplicate(key, from: keysStart, offset: keyOffset) }
                seen |= bit
            }
            keys.append(key)
        }
    }

    /// The ':' after a key, and the value.
    @inline(__always) mutating func parseMemberValue(depth: Int) throws(Failure) {
        skipWhitespace()
        guard i < count else { throw truncated() }
        guard p[i] == UInt8(ascii: ":") else {
            throw Failure(reason: .syntax, message: "expected ':' after a key, found \(describe(p[i]))", offset: i)
        }
        i += 1
        skipWhitespace()
        try parseValue(depth: depth)
    }

    mutating func parseArray(depth: Int) throws(Failure) {
        if depth > options.maxDepth { throw tooDeep() }
        let index = tape.count
        tape.append(TapeEntry(kind: .array))
        i += 1
        skipWhitespace()
        var elements = 0
        if i < count && p[i] == UInt8(ascii: "]") {
            i += 1
        } else {
            repeat {
                try parseValue(depth: depth)
                elements += 1
            } while try another(closing: UInt8(ascii: "]"), in: "an array")
        }
        tape[index] = TapeEntry(kind: .array, size: elements, payload: UInt64(tape.count))
    }

    /// After a member or an element: true when a ',' announces another, false at the closing bracket.
    @inline(__always) mutating func another(closing: UInt8, in container: String) throws(Failure) -> Bool {
        skipWhitespace()
        guard i < count else { throw truncated() }
        if p[i] == UInt8(ascii: ",") {
            i += 1
            skipWhitespace()
            return true
        }
        if p[i] == closing {
            i += 1
            return false
        }
        throw Failure(reason: .syntax, message: "expected ',' or '\(Character(Unicode.Scalar(closing)))' in \(container), found \(describe(p[i]))",
                      offset: i)
    }

    // MARK: strings

    /// Parses the string starting at the quote at `i`; returns the content's offset and byte length and
    /// whether it contains escapes. Validates escapes and UTF-8.
    @inline(__always) mutating func parseString() throws(Failure) -> (Int, Int, Bool) {
        i += 1
        let start = i
        var escapes = false
        let base = p.baseAddress!
        while true {
            // Eight bytes at a time up to the first quote, backslash, control character or non-ASCII byte.
            var position = i
            while position &+ 8 <= count {
                let flagged = Parser.attention(UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
                if flagged != 0 {
                    position &+= flagged.trailingZeroBitCount &>> 3
                    break
                }
                position &+= 8
            }
            i = position
            guard i < count else { throw truncated() }
            let b = base[i]
            if b == UInt8(ascii: "\"") {
                let length = i - start
                i += 1
                return (start, length, escapes)
            }
            if b == UInt8(ascii: "\\") {
                escapes = true
                try parseEscape()
            } else if b < 0x20 {
                throw Failure(reason: .controlCharacter,
                              message: "unescaped control character \(describe(b)) in a string", offset: i)
            } else if b >= 0x80 {
                try validateUTF8Sequence()
            } else {
                i += 1
            }
        }
    }

    /// The high bit of each byte of `word` (little-endian, first byte lowest) that is a quote, a backslash, a
    /// control character or not ASCII; above the first such byte others may be flagged falsely (a borrow
    /// carries up), so only the lowest is to be trusted.
    @inline(__always) static func attention(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let hasQuote = (quote &- ones) & ~quote
        let hasBackslash = (backslash &- ones) & ~backslash
        let hasControl = (word &- ones &* 0x20) & ~word
        return (hasQuote | hasBackslash | hasControl | word) & highs
    }

    mutating func parseEscape() throws(Failure) {
        guard i + 1 < count else { throw truncated() }
        switch p[i + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
             UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            i += 2
        case UInt8(ascii: "u"):
            guard i + 6 <= count else { throw truncated() }
            for k in 2..<6 where hexValue(p[i + k]) == nil {
                throw Failure(reason: .invalidEscape, message: "invalid \\u escape: expected four hex digits",
                              offset: i)
            }
            i += 6
        default:
            throw Failure(reason: .invalidEscape, message: "invalid escape \\\(describe(p[i + 1]))", offset: i)
        }
    }

    /// Validates one multi-byte UTF-8 sequence at `i` (no overlong forms, no surrogates, at most U+10FFFF).
    mutating func validateUTF8Sequence() throws(Failure) {
        let length = JSONStrings.utf8SequenceLength(UnsafeRawBufferPointer(p), at: i)
        guard length > 0 else { throw invalidUTF8() }
        i += length
    }

    // MARK: numbers

    @inline(__always) mutating func parseNumber() throws(Failure) {
        let start = i
        var negative = false
        if p[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
            guard i < count else { throw truncated() }
            if p[i] == UInt8(ascii: "I") {
                throw Failure(reason: .nonFiniteLiteral, message: "NaN and Infinity are not JSON numbers", offset: start)
            }
        }
        var mantissa: UInt64 = 0
        var digits = 0
        guard i < count, isDigit(p[i]) else {
            throw Failure(reason: .syntax, message: "invalid number: expected a digit", offset: i)
        }
        if p[i] == UInt8(ascii: "0") {
            i += 1
            if i < count && isDigit(p[i]) {
                throw Failure(reason: .syntax, message: "invalid number: leading zero", offset: start)
            }
        } else {
            // Eight digits at a time while the mantissa has room for them (timestamps have 13).
            while digits <= 11 && i + 8 <= count {
                let word = UnsafeRawPointer(p.baseAddress! + i).loadUnaligned(as: UInt64.self)
                guard Parser.eightDigits(word) else { break }
                mantissa = mantissa &* 100_000_000 &+ Parser.valueOfEightDigits(word)
                digits += 8
                i += 8
            }
            while i < count && isDigit(p[i]) {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(p[i] &- 48) }
                digits += 1
                i += 1
            }
        }
        var integral = true
        var fractionDigits = 0
        if i < count && p[i] == UInt8(ascii: ".") {
            integral = false
            i += 1
            guard i < count, isDigit(p[i]) else {
                throw Failure(reason: .syntax, message: "invalid number: expected a digit after '.'", offset: i)
            }
            while i < count && isDigit(p[i]) {
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(p[i] &- 48)
                    fractionDigits += 1
                }
                if mantissa != 0 || digits > 0 { digits += 1 }
                i += 1
            }
        }
        var exponent = 0
        if i < count && (p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E")) {
            integral = false
            i += 1
            var exponentNegative = false
            if i < count && (p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-")) {
                exponentNegative = p[i] == UInt8(ascii: "-")
                i += 1
            }
            guard i < count, isDigit(p[i]) else {
                throw Failure(reason: .syntax, message: "invalid number: expected a digit in the exponent", offset: i)
            }
            while i < count && isDigit(p[i]) {
                if exponent < 100_000 { exponent = exponent * 10 + Int(p[i] &- 48) }
                i += 1
            }
            if exponentNegative { exponent = -exponent }
        }
        if integral && digits <= 19 {
            if negative {
                if mantissa <= UInt64(Int64.max) + 1 {
                    tape.append(TapeEntry(kind: .integer, payload: UInt64(bitPattern: 0 &- Int64(bitPattern: mantissa))))
                    return
                }
            } else if mantissa <= UInt64(Int64.max) {
                tape.append(TapeEntry(kind: .integer, payload: mantissa))
                return
            }
        }
        // Exact fast path (Clinger): the mantissa and the power of ten are both exact doubles.
        let scale = exponent - fractionDigits
        if digits <= 15 && scale >= -22 && scale <= 22 {
            var value = Double(mantissa)
            value = scale < 0 ? value / powersOfTen[-scale] : value * powersOfTen[scale]
            tape.append(TapeEntry(kind: .double, payload: (negative ? -value : value).bitPattern))
            return
        }
        let value = slowDouble(start: start, end: i)
        guard value.isFinite else {
            throw Failure(reason: .numberOutOfRange, message: "number out of range: it fits neither a 64-bit integer nor a finite double",
                          offset: start)
        }
        tape.append(TapeEntry(kind: .double, payload: value.bitPattern))
    }

    /// Whether all eight bytes of `word` are ASCII digits: each is 0x30 to 0x39, so its high half is 3 both
    /// as it is and with 6 added (0x3A and above carry into it).
    @inline(__always) static func eightDigits(_ word: UInt64) -> Bool {
        let highHalves: UInt64 = 0xF0F0_F0F0_F0F0_F0F0
        let threes: UInt64 = 0x3030_3030_3030_3030
        return word & highHalves == threes && (word &+ 0x0606_0606_0606_0606) & highHalves == threes
    }

    /// The value of eight ASCII digits, the first (lowest) byte the most significant: neighbouring digits
    /// are joined into pairs, pairs into fours, fours into the eight, each step in every lane at once.
    @inline(__always) static func valueOfEightDigits(_ word: UInt64) -> UInt64 {
        var w = word &- 0x3030_3030_3030_3030
        w = (w &* 10 &+ (w >> 8)) & 0x00FF_00FF_00FF_00FF
        w = (w &* 100 &+ (w >> 16)) & 0x0000_FFFF_0000_FFFF
        return (w &* 10_000 &+ (w >> 32)) & 0xFFFF_FFFF
    }

    func slowDouble(start: Int, end: Int) -> Double {
        let length = end - start
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer in
            for k in 0..<length { buffer[k] = CChar(bitPattern: p[start + k]) }
            buffer[length] = 0
            return strtod(buffer.baseAddress!, nil)
        }
    }

    // MARK: duplicate keys

    /// Comparing with every earlier key is fastest for the few keys objects usually have, but quadratic:
    /// one object of 300,000 keys took 111 s. Past `linearKeys` keys, an object's keys are checked together
    /// when it ends (or when a failure inside it ends the parse), by `DuplicateKeys`.
    static let linearKeys = 16

    func checkDuplicate(_ key: SeenKey, from keysStart: Int, offset: Int) throws(Failure) {
        let text = KeyText(bytes: p)
        for k in keysStart..<keys.count where text.same(keys[k], key) {
            throw duplicate(start: key.start, length: key.length, escapes: key.escapes, offset: offset)
        }
    }

    /// The duplicate among the keys of the object whose keys start at `keysStart` (the last in
    /// `keys`), past the first `linearKeys` checked one by one: the first in document order, with the
    /// tape cut after it, so that the error's pointer names it as if it had been found when read.
    mutating func manyKeysDuplicate(from keysStart: Int) -> Failure? {
        guard keys.count - keysStart > Parser.linearKeys else { return nil }
        let text = KeyText(bytes: p)
        // through pointers: closures capturing the parser would retain its buffers at every call
        let seen = keys.base + keysStart
        let found = DuplicateKeys.first(count: keys.count - keysStart, hash: { text.hash(seen[$0]) },
                                        same: { text.same(seen[$0], seen[$1]) }).map { seen[$0].tapeIndex }
        guard let index = found else { return nil }
        let key = tape[index]
        tape.truncate(to: index + 1)
        return duplicate(start: Int(key.payload), length: key.size, escapes: key.hasEscapes, offset: Int(key.payload) - 1)
    }

    func duplicate(start: Int, length: Int, escapes: Bool, offset: Int) -> Failure {
        let key = String(decoding: unescape(start: start, length: length, escapes: escapes), as: UTF8.self)
        return Failure(reason: .duplicateKey, message: "duplicate key \"\(key)\"", offset: offset)
    }

    func unescape(start: Int, length: Int, escapes: Bool) -> [UInt8] {
        let raw = UnsafeBufferPointer(rebasing: p[start..<(start + length)])
        return escapes ? JSONStrings.unescape(raw) : Array(raw)
    }

    // MARK: errors

    func truncated() -> Failure {
        Failure(reason: .truncated, message: "unexpected end of input (the JSON text is truncated)", offset: count)
    }

    func tooDeep() -> Failure {
        Failure(reason: .tooDeep, message: "nesting deeper than \(options.maxDepth) levels", offset: i)
    }

    func invalidUTF8() -> Failure {
        Failure(reason: .invalidUTF8, message: "invalid UTF-8 byte sequence in a string", offset: i)
    }

    /// The JSON pointer of the innermost value being parsed, reconstructed from the tape: open containers
    /// are the ones whose end has not been written yet.
    func openPointer() -> String {
        var pointer = ""
        var index = 0
        while index < tape.count {
            let entry = tape[index]
            guard entry.kind == .object || entry.kind == .array, entry.payload == 0 else { break }
            // walk the finished children to the last, open one
            var child = index + 1
            var position = 0
            var lastKey: Int?
            var last: Int?
            while child < tape.count {
                if entry.kind == .object {
                    lastKey = child
                    child += 1
                    if child >= tape.count { last = nil; break }
                }
                last = child
                let c = tape[child]
                if (c.kind == .object || c.kind == .array) {
                    if c.payload == 0 { break }
                    child = c.end
                } else {
                    child += 1
                }
                if child < tape.count { position += 1 }
            }
            if entry.kind == .object {
                guard let keyIndex = lastKey else { break }
                let key = tape[keyIndex]
                let text = String(decoding: unescape(start: Int(key.payload), length: key.size, escapes: key.hasEscapes),
                                  as: UTF8.self)
                pointer += jsonPointer([text])
            } else {
                guard last != nil else { break }
                pointer += "/\(position)"
            }
            guard let next = last else { break }
            index = next
        }
        return pointer
    }
}

/// Keys compared and hashed in the parsed bytes, as their text: in place, unless one has escapes.
private struct KeyText {
    let bytes: UnsafeBufferPointer<UInt8>

    /// Without escapes, two keys are the same when their lengths and first eight bytes are, and their rest.
    @inline(__always) func same(_ a: SeenKey, _ b: SeenKey) -> Bool {
        if (a.lengthAndEscapes | b.lengthAndEscapes) & 1 != 0 { return unescaped(a) == unescaped(b) }
        guard a.lengthAndEscapes == b.lengthAndEscapes && a.head == b.head else { return false }
        return a.length <= 8 || equalBytes(bytes.baseAddress! + a.start + 8, bytes.baseAddress! + b.start + 8, count: a.length - 8)
    }

    /// Equal keys hash alike, escaped or not; the seed is the process's own (`Hasher`). A text of at most eight
    /// bytes is hashed as one word and its length, cheaper than as bytes.
    func hash(_ key: SeenKey) -> Int {
        if key.escapes { return unescaped(key).withUnsafeBufferPointer(KeyText.hash) }
        guard key.length <= 8 else {
            return KeyText.hash(UnsafeBufferPointer(start: bytes.baseAddress! + key.start, count: key.length))
        }
        return KeyText.hash(head: key.head, length: key.length)
    }

    private static func hash(_ text: UnsafeBufferPointer<UInt8>) -> Int {
        guard text.count > 8 else {
            var head: UInt64 = 0
            for k in 0..<text.count { head |= UInt64(text[k]) << UInt64(k * 8) }
            return hash(head: head, length: text.count)
        }
        var hasher = Hasher()
        hasher.combine(bytes: UnsafeRawBufferPointer(text))
        return hasher.finalize()
    }

    private static func hash(head: UInt64, length: Int) -> Int {
        var hasher = Hasher()
        hasher.combine(head)
        hasher.combine(length)
        return hasher.finalize()
    }

    func unescaped(_ key: SeenKey) -> [UInt8] {
        let raw = UnsafeBufferPointer(rebasing: bytes[key.start..<(key.start + key.length)])
        return key.escapes ? JSONStrings.unescape(raw) : Array(raw)
    }
}

/// The `SeenKey.filterBit`s of an object's keys so far, or-ed: a key whose bit is not among them equals none of
/// them, and is not compared with each (the eighth key of an object is compared in vain about once in nine).
private typealias KeyFilter = UInt64

/// A key read in an object, for the duplicate check: its length and first eight bytes side by side, so that
/// most comparisons with the object's other keys are two integer compares and no memory behind them.
private struct SeenKey {
    /// The key's raw bytes (at most the first eight, the rest zero), little-endian.
    let head: UInt64
    /// length << 1 | 1 when the key has escapes.
    let lengthAndEscapes: Int
    let tapeIndex: Int
    let start: Int

    var length: Int { lengthAndEscapes >> 1 }

    /// This key's bit in a `KeyFilter`: one of 64 chosen by its length and first bytes; all of them for a key
    /// with escapes, which may equal any other.
    var filterBit: KeyFilter {
        escapes ? ~0 : 1 &<< (((head &+ UInt64(truncatingIfNeeded: lengthAndEscapes)) &* 0x9E37_79B9_7F4A_7C15) >> 58)
    }
    var escapes: Bool { lengthAndEscapes & 1 != 0 }

    @inline(__always) init(bytes: UnsafeBufferPointer<UInt8>, tapeIndex: Int, start: Int, length: Int, escapes: Bool) {
        var head: UInt64 = 0
        if start + 8 <= bytes.count {
            head = UnsafeRawPointer(bytes.baseAddress! + start).loadUnaligned(as: UInt64.self)
            if length < 8 { head &= (1 &<< UInt64(length &* 8)) &- 1 }
        } else {
            for k in 0..<min(length, 8) { head |= UInt64(bytes[start + k]) << UInt64(k * 8) }
        }
        self.head = head
        lengthAndEscapes = length << 1 | (escapes ? 1 : 0)
        self.tapeIndex = tapeIndex
        self.start = start
    }
}

@inline(__always) private func isDigit(_ b: UInt8) -> Bool { b &- 48 < 10 }

@inline(__always) func hexValue(_ b: UInt8) -> UInt32? {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(b - 48)
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(b - 87)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(b - 55)
    default: return nil
    }
}

private func describe(_ b: UInt8) -> String {
    if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
    let hex = String(b, radix: 16, uppercase: true)
    return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
}

private let powersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
    1e19, 1e20, 1e21, 1e22,
]

/// A JSON pointer (RFC 6901) from its reference tokens: ["a", "b/c", "0"] -> "/a/b~1c/0".
public func jsonPointer(_ tokens: [String]) -> String {
    tokens.map { "/" + escapePointerToken($0) }.joined()
}

private func escapePointerToken(_ token: String) -> String {
    guard token.contains("~") || token.contains("/") else { return token }
    var out = ""
    for c in token {
        switch c {
        case "~": out += "~0"
        case "/": out += "~1"
        default: out.append(c)
        }
    }
    return out
}
