#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value inside a `JSONDocument`: a position on its tape. Cheap to copy; reading never allocates
/// except to produce a Swift `String`. Each copy holds its document; to read many values in a row without
/// counting references, read them through the document's `JSONView` (`withView`), which this reads through.
public struct JSONValue: Sendable {
    public let document: JSONDocument
    public let index: Int

    /// The value read in place.
    @inlinable func read<R>(_ body: (JSONView.Value) -> R) -> R {
        document.withView { body($0[index]) }
    }

    func value(at index: Int?) -> JSONValue? {
        index.map { JSONValue(document: document, index: $0) }
    }

    public var kind: JSONKind { document.tape[index].kind }

    /// Members of an object or elements of an array; 0 for other values.
    public var count: Int { read(\.count) }

    // MARK: scalars

    public var string: String? { read(\.string) }

    /// The decoded bytes of a string (empty for other values).
    public var stringBytes: [UInt8] { read(\.stringBytes) }

    /// Byte range of a string's raw content (between the quotes) in the document.
    public var rawStringRange: Range<Int>? { read(\.rawStringRange) }

    public var integer: Int64? { read(\.integer) }

    /// A number as a double (integers converted).
    public var number: Double? { read(\.number) }

    public var bool: Bool? { read(\.bool) }

    public var isNull: Bool { kind == .null }

    /// True when this string equals `text`, compared without decoding when the string has no escapes.
    public func stringEquals(_ text: String) -> Bool { read { $0.stringEquals(text) } }

    // MARK: containers

    /// The value of member `key` of an object (nil if absent or not an object).
    public subscript(key: String) -> JSONValue? { value(at: read { $0[key]?.index }) }

    /// The values of several members, found in one pass over the object without allocating: element `i` is
    /// the value of `keys[i]`, nil where absent (all nil when this is not an object).
    public func values(of keys: JSONKeys) -> JSONMembers {
        JSONMembers(document: document, indexes: read { $0.values(of: keys).indexes })
    }

    /// Follows a path of member names: `event["call", "id"]`.
    public subscript(path: String...) -> JSONValue? {
        var value: JSONValue? = self
        for key in path { value = value?[key] }
        return value
    }

    /// Element `position` (0-based) of an array.
    public subscript(position: Int) -> JSONValue? { value(at: read { $0[position]?.index }) }

    /// The elements of an array, in order (none for other values).
    public var elements: JSONElements { JSONElements(array: self) }

    /// The last element of an array.
    public var last: JSONValue? { value(at: read { $0.last?.index }) }

    /// The members of an object, in document order.
    public var members: [(key: String, value: JSONValue)] {
        read { $0.members.map { ($0.key, $0.value.index) } }.map { ($0.0, JSONValue(document: document, index: $0.1)) }
    }

    /// A short name for the kind, for messages ("object", "array", "string", "number", "boolean", "null").
    public var typeName: String { read(\.typeName) }
}

/// Member names looked up together (`JSONValue.values(of:)`, `JSONView.Value.values(of:)`), encoded once.
/// At most `JSONKeys.limit`.
public struct JSONKeys: Sendable {
    public static let limit = 16
    /// Each name's length and first eight bytes, compared before the rest, and where the rest is in `tails`.
    let names: [Name]
    /// The bytes of the names past their eighth, one after another.
    let tails: [UInt8]
    /// A bit for each length of a name (bit 63 for 63 bytes or more): most keys of an object are no name's
    /// length, and are passed over at once.
    let lengths: UInt64

    struct Name {
        let length: Int
        /// The first eight bytes, the first lowest, zero past the end.
        let head: UInt64
        let tailStart: Int
    }

    public init(_ names: [String]) {
        precondition(names.count <= JSONKeys.limit, "at most \(JSONKeys.limit) names are looked up together")
        var tails: [UInt8] = []
        self.names = names.map { name in
            let bytes = Array(name.utf8)
            defer { tails += bytes.dropFirst(8) }
            return Name(length: bytes.count, head: bytes.withUnsafeBufferPointer(JSONKeys.head), tailStart: tails.count)
        }
        self.tails = tails
        lengths = self.names.reduce(0) { $0 | JSONKeys.lengthBit($1.length) }
    }

    @inline(__always) static func lengthBit(_ length: Int) -> UInt64 { 1 &<< UInt64(min(length, 63)) }

    var count: Int { names.count }

    /// The first eight bytes of `text`, the first lowest, zero past its end.
    @inline(__always) static func head(_ text: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var head: UInt64 = 0
        for k in 0..<min(text.count, 8) { head |= UInt64(text[k]) << UInt64(k * 8) }
        return head
    }

    /// Visits the names and the bytes of their tails in place.
    @inline(__always) func withNames<R>(_ body: (UnsafeBufferPointer<Name>, UnsafeBufferPointer<UInt8>) -> R) -> R {
        names.withUnsafeBufferPointer { names in tails.withUnsafeBufferPointer { tails in body(names, tails) } }
    }
}

extension JSONKeys {
    /// Among the slots in `candidates` (a bit each), the one whose name is `text` (a key's unescaped bytes).
    @inline(__always) func slot(of text: UnsafeBufferPointer<UInt8>, among names: UnsafeBufferPointer<Name>,
                                _ candidates: Int, tails: UnsafeBufferPointer<UInt8>) -> Int? {
        guard lengths & JSONKeys.lengthBit(text.count) != 0 else { return nil }
        let head = JSONKeys.head(text)
        var candidates = candidates
        while candidates != 0 {
            let slot = candidates.trailingZeroBitCount
            candidates &= candidates - 1
            if names[slot].matches(text, head: head, tails: tails) { return slot }
        }
        return nil
    }

    func slot(of text: [UInt8], among names: UnsafeBufferPointer<Name>, _ candidates: Int,
              tails: UnsafeBufferPointer<UInt8>) -> Int? {
        text.withUnsafeBufferPointer { slot(of: $0, among: names, candidates, tails: tails) }
    }
}

extension JSONKeys.Name {
    /// Whether `text` (a key's unescaped bytes, `head` its `JSONKeys.head`) is this name.
    @inline(__always) func matches(_ text: UnsafeBufferPointer<UInt8>, head: UInt64, tails: UnsafeBufferPointer<UInt8>) -> Bool {
        text.count == length && head == self.head
            && (length <= 8 || equalBytes(text.baseAddress! + 8, tails.baseAddress! + tailStart, count: length - 8))
    }
}

/// The values found by `JSONValue.values(of:)`, by the position of their name in the `JSONKeys`.
public struct JSONMembers: Sendable {
    let document: JSONDocument
    /// Tape indexes, -1 where absent; one slot per name a `JSONKeys` may hold (`JSONKeys.limit`).
    let indexes: InlineArray<16, Int32>

    public subscript(slot: Int) -> JSONValue? {
        indexes[slot] < 0 ? nil : JSONValue(document: document, index: Int(indexes[slot]))
    }
}

/// The elements of an array, read from the tape as they are visited.
public struct JSONElements: Sequence, Sendable {
    let array: JSONValue

    public var underestimatedCount: Int { array.count }

    public func makeIterator() -> Iterator {
        Iterator(document: array.document, position: array.index + 1,
                 end: array.read { $0.kind == .array ? $0.entry.end : 0 })
    }

    public struct Iterator: IteratorProtocol {
        let document: JSONDocument
        var position: Int
        let end: Int

        public mutating func next() -> JSONValue? {
            guard position < end else { return nil }
            let value = JSONValue(document: document, index: position)
            position = value.read(\.next)
            return value
        }
    }
}
