import Foundation

/// A second strict JSON parser, written for the fuzz target only: plain recursive descent, as slow and as
/// obvious as it can be, following RFC 8259 and Hookline's own rules (no duplicate keys after unescaping,
/// at most `maxDepth` nested containers, numbers that fit an Int64 or a finite double, a lone surrogate
/// escape read as U+FFFD).
indirect enum Reference: Equatable {
    case null, bool(Bool), integer(Int64), double(Double), string([UInt8])
    case array([Reference]), object([([UInt8], Reference)])

    enum Failure: Error, Equatable { case syntax, duplicateKey, tooDeep, outOfRange }

    static func == (a: Reference, b: Reference) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.integer(let x), .integer(let y)): return x == y
        case (.double(let x), .double(let y)): return x.bitPattern == y.bitPattern
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    static func parse(_ bytes: [UInt8], maxDepth: Int, duplicates: Bool) -> Result<Reference, Failure> {
        var parser = ReferenceParser(bytes: bytes, maxDepth: maxDepth, duplicates: duplicates)
        do {
            parser.whitespace()
            let value = try parser.value(depth: 0)
            parser.whitespace()
            if parser.i != bytes.count { throw Failure.syntax }
            return .success(value)
        } catch {
            return .failure(error as! Failure)
        }
    }
}

private struct ReferenceParser {
    let bytes: [UInt8]
    let maxDepth: Int
    let duplicates: Bool
    var i = 0

    init(bytes: [UInt8], maxDepth: Int, duplicates: Bool) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.duplicates = duplicates
    }

    var current: UInt8? { i < bytes.count ? bytes[i] : nil }

    mutating func whitespace() {
        while let b = current, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { i += 1 }
    }

    mutating func expect(_ byte: UInt8) throws {
        guard current == byte else { throw Reference.Failure.syntax }
        i += 1
    }

    mutating func value(depth: Int) throws -> Reference {
        guard let b = current else { throw Reference.Failure.syntax }
        switch b {
        case UInt8(ascii: "{"):
            if depth + 1 > maxDepth { throw Reference.Failure.tooDeep }
            i += 1
            var members: [([UInt8], Reference)] = []
            whitespace()
            if current == UInt8(ascii: "}") { i += 1; return .object(members) }
            while true {
                whitespace()
                guard current == UInt8(ascii: "\"") else { throw Reference.Failure.syntax }
                let key = try string()
                if !duplicates, members.contains(where: { $0.0 == key }) { throw Reference.Failure.duplicateKey }
                whitespace()
                try expect(UInt8(ascii: ":"))
                whitespace()
                members.append((key, try value(depth: depth + 1)))
                whitespace()
                if current == UInt8(ascii: ",") { i += 1; continue }
                try expect(UInt8(ascii: "}"))
                return .object(members)
            }
        case UInt8(ascii: "["):
            if depth + 1 > maxDepth { throw Reference.Failure.tooDeep }
            i += 1
            var elements: [Reference] = []
            whitespace()
            if current == UInt8(ascii: "]") { i += 1; return .array(elements) }
            while true {
                whitespace()
                elements.append(try value(depth: depth + 1))
                whitespace()
                if current == UInt8(ascii: ",") { i += 1; continue }
                try expect(UInt8(ascii: "]"))
                return .array(elements)
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try word("true"); return .bool(true)
        case UInt8(ascii: "f"): try word("false"); return .bool(false)
        case UInt8(ascii: "n"): try word("null"); return .null
        default: return try number()
        }
    }

    mutating func word(_ text: String) throws {
        for byte in text.utf8 { try expect(byte) }
    }

    mutating func hex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let b = current, let digit = Int(String(UnicodeScalar(b)), radix: 16) else { throw Reference.Failure.syntax }
            value = value * 16 + UInt32(digit)
            i += 1
        }
        return value
    }

    mutating func string() throws -> [UInt8] {
        i += 1  // the quote
        var out: [UInt8] = []
        while true {
            guard let b = current else { throw Reference.Failure.syntax }
            if b == UInt8(ascii: "\"") { i += 1; return out }
            if b < 0x20 { throw Reference.Failure.syntax }
            if b == UInt8(ascii: "\\") {
                i += 1
                guard let e = current else { throw Reference.Failure.syntax }
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar), i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"),
                       bytes[i + 1] == UInt8(ascii: "u") {
                        let mark = i
                        i += 2
                        let low = try hex4()
                        if (0xDC00...0xDFFF).contains(low) {
                            scalar = 0x10000 + (scalar - 0xD800) * 0x400 + (low - 0xDC00)
                        } else {
                            i = mark  // the second escape is read on its own
                        }
                    }
                    out += Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
                default: throw Reference.Failure.syntax
                }
                continue
            }
            if b < 0x80 { out.append(b); i += 1; continue }
            // one UTF-8 sequence, checked by decoding it with the standard library
            let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
            guard i + length <= bytes.count else { throw Reference.Failure.syntax }
            let sequence = Array(bytes[i..<(i + length)])
            guard String(validating: sequence, as: UTF8.self)?.unicodeScalars.count == 1 else { throw Reference.Failure.syntax }
            out += sequence
            i += length
        }
    }

    mutating func number() throws -> Reference {
        let start = i
        if current == UInt8(ascii: "-") { i += 1 }
        func digits(_ p: inout ReferenceParser) -> Int {
            var n = 0
            while let b = p.current, b >= 48, b <= 57 { p.i += 1; n += 1 }
            return n
        }
        let first = current
        let whole = digits(&self)
        guard whole > 0 else { throw Reference.Failure.syntax }
        if first == UInt8(ascii: "0") && whole > 1 { throw Reference.Failure.syntax }
        var integral = true
        if current == UInt8(ascii: ".") {
            i += 1
            integral = false
            guard digits(&self) > 0 else { throw Reference.Failure.syntax }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            i += 1
            integral = false
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { i += 1 }
            guard digits(&self) > 0 else { throw Reference.Failure.syntax }
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if integral, let value = Int64(text) { return .integer(value) }
        guard let value = Double(text), value.isFinite else { throw Reference.Failure.outOfRange }
        return .double(value)
    }
}
