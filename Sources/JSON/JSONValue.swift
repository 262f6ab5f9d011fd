#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value inside a `JSONDocument`: a position on its tape. Cheap to copy; reading never allocates
/// except to produce a Swift `String`.
public struct JSONValue: Sendable {
    public let document: JSONDocument
    public let index: Int

    @inlinable var entry: TapeEntry { document.tape[index] }

    public var kind: JSONKind { entry.kind }

    /// Members of an object or elements of an array; 0 for other values.
    public var count: Int {
        switch kind {
        case .object, .array: entry.size
        default: 0
        }
    }

    /// The tape index just past this value and its descendants.
    @inlinable var next: Int {
        switch entry.kind {
        case .object, .array: entry.end
        default: index + 1
        }
    }

    // MARK: scalars

    public var string: String? {
        guard kind == .string else { return nil }
        return String(decoding: stringBytes, as: UTF8.self)
    }

    /// The decoded bytes of a string (empty for other values).
    public var stringBytes: [UInt8] {
        let e = entry
        guard e.kind == .string else { return [] }
        return document.bytes.withUnsafeBufferPointer { buffer in
            let raw = UnsafeBufferPointer(rebasing: buffer[Int(e.payload)..<(Int(e.payload) + e.size)])
            return e.hasEscapes ? JSONStrings.unescape(raw) : Array(raw)
        }
    }

    /// Byte range of a string's raw content (between the quotes) in the document.
    public var rawStringRange: Range<Int>? {
        let e = entry
        guard e.kind == .string else { return nil }
        return Int(e.payload)..<(Int(e.payload) + e.size)
    }

    public var integer: Int64? { kind == .integer ? Int64(bitPattern: entry.payload) : nil }

    /// A number as a double (integers converted).
    public var number: Double? {
        switch kind {
        case .integer: Double(Int64(bitPattern: entry.payload))
        case .double: Double(bitPattern: entry.payload)
        default: nil
        }
    }

    public var bool: Bool? {
        switch kind {
        case .true: true
        case .false: false
        default: nil
        }
    }

    public var isNull: Bool { kind == .null }

    /// True when this string equals `text`, compared without decoding when the string has no escapes.
    public func stringEquals(_ text: String) -> Bool {
        let e = entry
        guard e.kind == .string else { return false }
        return document.bytes.withUnsafeBufferPointer { bytes in
            Self.rawEquals(UnsafeBufferPointer(rebasing: bytes[Int(e.payload)..<(Int(e.payload) + e.size)]),
                           escaped: e.hasEscapes, text)
        }
    }

    // MARK: containers

    /// The value of member `key` of an object (nil if absent or not an object).
    public subscript(key: String) -> JSONValue? {
        var found: JSONValue?
        scanMembers { raw, escaped, valueIndex in
            guard Self.rawEquals(raw, escaped: escaped, key) else { return true }
            found = JSONValue(document: document, index: valueIndex)
            return false
        }
        return found
    }

    /// The values of several members, found in one pass over the object without allocating: element `i` is
    /// the value of `keys[i]`, nil where absent (all nil when this is not an object).
    public func values(of keys: JSONKeys) -> JSONMembers {
        var found = JSONMembers(document: document)
        var remaining = keys.names.count
        scanMembers { raw, escaped, valueIndex in
            for slot in keys.names.indices where found.indexes[slot] < 0 && keys.matches(slot, raw, escaped: escaped) {
                found.indexes[slot] = Int32(valueIndex)
                remaining -= 1
                break
            }
            return remaining > 0
        }
        return found
    }

    /// Visits an object's members in order with each key's raw bytes and the tape index of its value, while
    /// `visit` returns true. Reads the tape in place: no values are built for members that are skipped.
    private func scanMembers(_ visit: (UnsafeBufferPointer<UInt8>, _ escaped: Bool, _ valueIndex: Int) -> Bool) {
        guard kind == .object else { return }
        document.bytes.withUnsafeBufferPointer { bytes in
            document.tape.withUnsafeBufferPointer { tape in
                var child = index + 1
                let end = tape[index].end
                while child < end {
                    let key = tape[child]
                    let raw = UnsafeBufferPointer(rebasing: bytes[Int(key.payload)..<(Int(key.payload) + key.size)])
                    guard visit(raw, key.hasEscapes, child + 1) else { return }
                    let value = tape[child + 1]
                    child = value.kind == .object || value.kind == .array ? value.end : child + 2
                }
            }
        }
    }

    /// Raw string content (between the quotes) compared with `text`, unescaped only when it has escapes.
    private static func rawEquals(_ raw: UnsafeBufferPointer<UInt8>, escaped: Bool, _ key: String) -> Bool {
        if escaped { return JSONStrings.unescape(raw).elementsEqual(key.utf8) }
        guard raw.count == key.utf8.count else { return false }
        return key.utf8.withContiguousStorageIfAvailable { utf8 in
            raw.isEmpty || memcmp(raw.baseAddress!, utf8.baseAddress!, raw.count) == 0
        } ?? raw.elementsEqual(key.utf8)
    }

    /// Follows a path of member names: `event["call", "id"]`.
    public subscript(path: String...) -> JSONValue? {
        var value: JSONValue? = self
        for key in path { value = value?[key] }
        return value
    }

    /// Element `position` (0-based) of an array.
    public subscript(position: Int) -> JSONValue? {
        guard kind == .array, position >= 0, position < entry.size else { return nil }
        var child = index + 1
        for _ in 0..<position { child = JSONValue(document: document, index: child).next }
        return JSONValue(document: document, index: child)
    }

    /// The elements of an array, in order (none for other values).
    public var elements: JSONElements { JSONElements(array: self) }

    /// The last element of an array.
    public var last: JSONValue? {
        guard kind == .array, entry.size > 0 else { return nil }
        var child = index + 1
        var last = child
        let end = entry.end
        while child < end {
            last = child
            child = JSONValue(document: document, index: child).next
        }
        return JSONValue(document: document, index: last)
    }

    /// The members of an object, in document order.
    public var members: [(key: String, value: JSONValue)] {
        guard kind == .object else { return [] }
        var result: [(key: String, value: JSONValue)] = []
        result.reserveCapacity(entry.size)
        var child = index + 1
        let end = entry.end
        while child < end {
            let key = JSONValue(document: document, index: child).string ?? ""
            let value = JSONValue(document: document, index: child + 1)
            result.append((key, value))
            child = value.next
        }
        return result
    }

    /// A short name for the kind, for messages ("object", "array", "string", "number", "boolean", "null").
    public var typeName: String {
        switch kind {
        case .object: "object"
        case .array: "array"
        case .string: "string"
        case .integer, .double: "number"
        case .true, .false: "boolean"
        case .null: "null"
        }
    }
}

/// Member names looked up together (`JSONValue.values(of:)`), encoded once. At most `JSONKeys.limit`.
public struct JSONKeys: Sendable {
    public static let limit = 16
    let names: [[UInt8]]

    public init(_ names: [String]) {
        precondition(names.count <= JSONKeys.limit, "at most \(JSONKeys.limit) names are looked up together")
        self.names = names.map { Array($0.utf8) }
    }

    @inline(__always) func matches(_ slot: Int, _ raw: UnsafeBufferPointer<UInt8>, escaped: Bool) -> Bool {
        if escaped { return JSONStrings.unescape(raw) == names[slot] }
        return names[slot].withUnsafeBufferPointer { name in
            name.count == raw.count && (raw.isEmpty || memcmp(raw.baseAddress!, name.baseAddress!, raw.count) == 0)
        }
    }
}

/// The values found by `JSONValue.values(of:)`, by the position of their name in the `JSONKeys`.
public struct JSONMembers: Sendable {
    let document: JSONDocument
    /// Tape indexes, -1 where absent; one slot per name a `JSONKeys` may hold (`JSONKeys.limit`).
    var indexes = InlineArray<16, Int32>(repeating: -1)

    init(document: JSONDocument) { self.document = document }

    public subscript(slot: Int) -> JSONValue? {
        indexes[slot] < 0 ? nil : JSONValue(document: document, index: Int(indexes[slot]))
    }
}

/// The elements of an array, read from the tape as they are visited.
public struct JSONElements: Sequence, Sendable {
    let array: JSONValue

    public var underestimatedCount: Int { array.count }

    public func makeIterator() -> Iterator {
        Iterator(document: array.document, position: array.index + 1, end: array.kind == .array ? array.entry.end : 0)
    }

    public struct Iterator: IteratorProtocol {
        let document: JSONDocument
        var position: Int
        let end: Int

        public mutating func next() -> JSONValue? {
            guard position < end else { return nil }
            let value = JSONValue(document: document, index: position)
            position = value.next
            return value
        }
    }
}
