/// A parsed JSON text: the source bytes and a flat tape describing every value in document order.
///
/// The tape is what makes one parse serve everyone: intake validates and looks fields up on it, the Lua
/// runtime walks it to build tables of exactly the right size, and strings are never copied until someone
/// asks for them (unescaped strings are read straight from the source bytes).
public struct JSONDocument: Sendable {
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
struct TapeEntry: Sendable {
    @usableFromInline var header: UInt64
    @usableFromInline var payload: UInt64

    @inlinable init(kind: JSONKind, size: Int = 0, escapes: Bool = false, payload: UInt64 = 0) {
        header = UInt64(kind.rawValue) | (escapes ? 0x100 : 0) | (UInt64(size) << 16)
        self.payload = payload
    }

    @inlinable var kind: JSONKind { JSONKind(rawValue: UInt8(truncatingIfNeeded: header))! }
    @inlinable var size: Int { Int(header >> 16) }
    @inlinable var hasEscapes: Bool { header & 0x100 != 0 }
    @inlinable var end: Int { Int(payload) }
}

extension JSONDocument {
    /// Gives read access to the raw tape, for consumers that convert a whole document in one walk (the Lua
    /// runtime builds tables from it). Valid only inside `body`.
    @inlinable
    public func withTape<R>(_ body: (JSONTapeView) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { bytes in
            try tape.withUnsafeBufferPointer { entries in
                try body(JSONTapeView(bytes: bytes, entries: entries))
            }
        }
    }
}

/// The tape of a document, read by index: index 0 is the root; containers are followed by their
/// children (object members as key, value pairs), and `end(i)` is the index just past a container.
public struct JSONTapeView {
    public let bytes: UnsafeBufferPointer<UInt8>
    @usableFromInline let entries: UnsafeBufferPointer<TapeEntry>

    @inlinable init(bytes: UnsafeBufferPointer<UInt8>, entries: UnsafeBufferPointer<TapeEntry>) {
        self.bytes = bytes
        self.entries = entries
    }

    @inlinable public var count: Int { entries.count }
    @inlinable public func kind(_ i: Int) -> JSONKind { entries[i].kind }
    /// Members (objects), elements (arrays) or raw byte length (strings).
    @inlinable public func size(_ i: Int) -> Int { entries[i].size }
    /// Index just past a container and its descendants, or past a scalar.
    @inlinable public func end(_ i: Int) -> Int {
        let e = entries[i]
        return e.kind == .object || e.kind == .array ? e.end : i + 1
    }
    @inlinable public func integer(_ i: Int) -> Int64 { Int64(bitPattern: entries[i].payload) }
    @inlinable public func double(_ i: Int) -> Double { Double(bitPattern: entries[i].payload) }
    /// Raw string content between the quotes; decode with `JSONStrings.unescape` when `hasEscapes`.
    @inlinable public func rawString(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        let e = entries[i]
        return UnsafeBufferPointer(rebasing: bytes[Int(e.payload)..<(Int(e.payload) + e.size)])
    }
    @inlinable public func hasEscapes(_ i: Int) -> Bool { entries[i].hasEscapes }
}
