/// Unescaping and escaping of JSON string contents.
public enum JSONStrings {
    /// Decodes the raw bytes between the quotes of a validated JSON string. A `\u` escape of a lone
    /// surrogate (which has no UTF-8 form) becomes U+FFFD.
    public static func unescape(_ raw: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        let n = raw.count
        while i < n {
            let b = raw[i]
            guard b == UInt8(ascii: "\\"), i + 1 < n else {
                out.append(b)
                i += 1
                continue
            }
            let e = raw[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(raw, at: i)
                i += 4
                if (0xD800...0xDBFF).contains(scalar), i + 6 <= n, raw[i] == UInt8(ascii: "\\"),
                   raw[i + 1] == UInt8(ascii: "u") {
                    let low = hex4(raw, at: i + 2)
                    if (0xDC00...0xDFFF).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                }
                appendUTF8(Unicode.Scalar(scalar) ?? "\u{FFFD}", to: &out)
            default: out.append(e)  // " \ /
            }
        }
        return out
    }

    private static func hex4(_ raw: UnsafeBufferPointer<UInt8>, at i: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 { v = v << 4 | (hexValue(raw[i + k]) ?? 0) }
        return v
    }

    private static func appendUTF8(_ scalar: Unicode.Scalar, to out: inout [UInt8]) {
        UTF8.encode(scalar) { out.append($0) }
    }

    /// Appends `bytes` as a quoted JSON string. Returns false (appending nothing) when the bytes are not
    /// valid UTF-8, which JSON cannot carry.
    @discardableResult
    public static func appendQuoted(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) -> Bool {
        let mark = out.count
        out.append(UInt8(ascii: "\""))
        var i = 0
        let n = bytes.count
        var runStart = 0
        while i < n {
            let b = bytes[i]
            if b >= 0x20 && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") && b < 0x80 {
                i += 1
                continue
            }
            if b >= 0x80 {
                let length = utf8SequenceLength(bytes, at: i)
                if length == 0 {
                    out.removeSubrange(mark...)
                    return false
                }
                i += length
                continue
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<i]))
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            default:
                let digits = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, digits[Int(b >> 4)], digits[Int(b & 15)]])
            }
            i += 1
            runStart = i
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<n]))
        out.append(UInt8(ascii: "\""))
        return true
    }

    /// Appends a Swift string (always valid UTF-8) as a quoted JSON string.
    public static func appendQuoted(_ string: String, to out: inout [UInt8]) {
        var string = string
        string.withUTF8 { _ = appendQuoted(UnsafeRawBufferPointer($0), to: &out) }
    }

    /// A Swift string as a quoted JSON string.
    public static func quoted(_ string: String) -> String {
        var out: [UInt8] = []
        appendQuoted(string, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Length of the valid UTF-8 sequence starting at `i` (no overlong forms, no surrogates, at most
    /// U+10FFFF), or 0 when it is invalid or cut off.
    static func utf8SequenceLength(_ bytes: UnsafeRawBufferPointer, at i: Int) -> Int {
        let b0 = bytes[i]
        let length: Int
        var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F
        case 0xF0: length = 4; lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F
        default: return 0
        }
        guard i + length <= bytes.count else { return 0 }
        guard bytes[i + 1] >= lower && bytes[i + 1] <= upper else { return 0 }
        for k in 2..<length where bytes[i + k] & 0xC0 != 0x80 { return 0 }
        return length
    }

    /// Appends a finite double in its shortest round-tripping form (always with a '.' or an exponent, so
    /// that it reads back as a double).
    public static func appendDouble(_ value: Double, to out: inout [UInt8]) {
        out.append(contentsOf: value.description.utf8)
    }
}

/// Whether `count` bytes at `a` and `b` are equal, eight at a time: the keys and names compared here are
/// short, and a call to `memcmp` cost more than the comparison.
@inline(__always) func equalBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, count: Int) -> Bool {
    var k = 0
    while k &+ 8 <= count {
        if UnsafeRawPointer(a + k).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + k).loadUnaligned(as: UInt64.self) {
            return false
        }
        k &+= 8
    }
    while k < count {
        if a[k] != b[k] { return false }
        k &+= 1
    }
    return true
}
