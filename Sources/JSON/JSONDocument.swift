/// A parsed JSON text: the source bytes and a flat tape describing every value in document order.
///
/// The tape is what makes one parse serve everyone: intake validates and looks fields up on it, the Lua
/// runtime walks it to build tables of exactly the right size, and strings are never copied until someone
/// asks for them (unescaped strings are read straight from the source bytes). A class, so that each
/// `JSONValue` holds one reference rather than two.
public final class JSONDocument: Sendable {
    /// The exact bytes that were parsed.
    public let bytes: [UInt8]
    @usableFromInline let tape: [TapeEntry]

    @usableFromInline init(bytes: [UInt8], tape: [TapeEntry]) {
        self.bytes = bytes
        self.tape = tape
    }

    /// The top-level value.
    public var root: JSONValue { JSONValue(document: self, index: 0) }
}

/// The kind of a JSON value. Numbers are integers when written without fraction or exponent and within
/// 64 bits; every other number is a double.
public enum JSONKind: UInt8, Sendable {
    case object, array, string, integer, double, `true`, `false`, null
}

/// One value on the tape, 16 bytes.
///
/// - object, array: `size` = number of members or elements, `payload` = tape index just past the last
///   descendant (so a whole subtree is skipped in one step). Object members are key, value, key, value...
/// - string: `size` = byte length between the quotes, `payload` = byte offset of the first byte after the
///   opening quote; `hasEscapes` when the raw bytes contain a backslash.
/// - integer: `payload` = the Int64 bit pattern; double: `payload` = the Double bit pattern.
@usableFromInline
struct TapeEntry: Sendable, BitwiseCopyable {
    @usableFromInline var header: UInt64
    @usableFromInline var payload: UInt64

    @inlinable init(kind: JSONKind, size: Int = 0, escapes: Bool = false, payload: UInt64 = 0) {
        header = UInt64(kind.rawValue) | (escapes ? 0x100 : 0) | (UInt64(size) << 16)
        self.payload = payload
    }

    /// Read without checking: the parser writes only `JSONKind`s' raw values there.
    @inlinable var kind: JSONKind { unsafeBitCast(UInt8(truncatingIfNeeded: header), to: JSONKind.self) }
    @inlinable var size: Int { Int(header >> 16) }
    @inlinable var hasEscapes: Bool { header & 0x100 != 0 }
    @inlinable var end: Int { Int(payload) }
}

extension JSONDocument {
    /// The bytes and the tape as raw memory, for the Lua runtime's C side, which builds tables from them
    /// (`lshim_push_json`, whose entry layout is `TapeEntry`'s: a header of kind | escapes << 8 | size << 16,
    /// then the payload, 16 bytes in all). Valid only inside `body`.
    @inlinable
    public func withRawTape<R>(_ body: (_ bytes: UnsafeBufferPointer<UInt8>, _ tape: UnsafeRawBufferPointer) throws -> R)
        rethrows -> R
    {
        precondition(MemoryLayout<TapeEntry>.stride == 16, "the C side reads tape entries of 16 bytes")
        return try bytes.withUnsafeBufferPointer { bytes in
            try tape.withUnsafeBytes { entries in try body(bytes, entries) }
        }
    }
}

extension JSONDocument {
    /// This document with the contents of some strings replaced by `text`, without parsing again: the bytes
    /// around them are copied and the tape's string offsets moved. `ranges` are raw string contents
    /// (`JSONValue.rawStringRange`), in any order, not overlapping; `text` must need no escaping.
    public func replacingStrings(_ ranges: [Range<Int>], with text: [UInt8]) -> JSONDocument {
        let ranges = ranges.sorted { $0.lowerBound < $1.lowerBound }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + ranges.count * text.count)
        var position = 0
        for range in ranges {
            out.append(contentsOf: bytes[position..<range.lowerBound])
            out.append(contentsOf: text)
            position = range.upperBound
        }
        out.append(contentsOf: bytes[position...])

        var newTape = tape
        var next = 0  // the first range not yet passed
        var shift = 0  // how far strings after the passed ranges moved
        for index in newTape.indices where newTape[index].kind == .string {
            let offset = Int(newTape[index].payload)
            while next < ranges.count && ranges[next].upperBound <= offset && ranges[next].lowerBound < offset {
                shift += text.count - ranges[next].count
                next += 1
            }
            if next < ranges.count && ranges[next].lowerBound == offset && ranges[next].count == newTape[index].size {
                newTape[index] = TapeEntry(kind: .string, size: text.count, payload: UInt64(offset + shift))
            } else {
                newTape[index].payload = UInt64(offset + shift)
            }
        }
        return JSONDocument(bytes: out, tape: newTape)
    }
}
