#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A document read in place: its bytes and tape as memory, so that reading a value copies two pointers and
/// an index and never counts a reference. For code that reads many values of one document in a row, such as
/// intake's checks (each `JSONValue` copied retains its document: a third of the inspection's time went to
/// counting references, perf). Valid only inside `JSONDocument.withView`; no value read from it may leave it.
///
/// ```swift
/// let callID = document.withView { view in view.root["message", "call", "id"]?.string }
/// ```
public struct JSONView {
    @usableFromInline let bytes: UnsafePointer<UInt8>
    @usableFromInline let tape: UnsafePointer<TapeEntry>

    @usableFromInline init(bytes: UnsafePointer<UInt8>, tape: UnsafePointer<TapeEntry>) {
        self.bytes = bytes
        self.tape = tape
    }

    /// The top-level value.
    public var root: Value { Value(view: self, index: 0) }

    /// The value at a tape index (`Value.index`, `JSONValue.index`) of this view's document.
    @inlinable public subscript(index: Int) -> Value { Value(view: self, index: index) }

    /// A value inside a `JSONView`: a position on its tape.
    public struct Value {
        public let view: JSONView
        /// The value's position on the tape, the same as its `JSONValue`'s.
        public let index: Int

        @inlinable init(view: JSONView, index: Int) {
            self.view = view
            self.index = index
        }

        @inlinable var entry: TapeEntry { view.tape[index] }

        @inlinable public var kind: JSONKind { entry.kind }

        /// Members of an object or elements of an array; 0 for other values.
        @inlinable public var count: Int {
            switch kind {
            case .object, .array: entry.size
            default: 0
            }
        }

        /// The tape index just past this value and its descendants.
        @inlinable var next: Int {
            let e = entry
            switch e.kind {
            case .object, .array: return e.end
            default: return index + 1
            }
        }

        // MARK: scalars

        /// A string's raw content (between the quotes), escapes as written.
        @inlinable var raw: UnsafeBufferPointer<UInt8> {
            let e = entry
            return UnsafeBufferPointer(start: view.bytes + Int(e.payload), count: e.size)
        }

        public var string: String? {
            guard kind == .string else { return nil }
            let e = entry
            return e.hasEscapes ? String(decoding: JSONStrings.unescape(raw), as: UTF8.self) : String(decoding: raw, as: UTF8.self)
        }

        /// The decoded bytes of a string (empty for other values).
        public var stringBytes: [UInt8] {
            let e = entry
            guard e.kind == .string else { return [] }
            return e.hasEscapes ? JSONStrings.unescape(raw) : Array(raw)
        }

        /// Byte range of a string's raw content (between the quotes) in the document.
        public var rawStringRange: Range<Int>? {
            let e = entry
            guard e.kind == .string else { return nil }
            return Int(e.payload)..<(Int(e.payload) + e.size)
        }

        /// A string's raw content (between the quotes) when it has no escapes, so is its text: nil for
        /// strings with escapes and for other values. Valid only as long as the view.
        @inlinable public var unescapedText: UnsafeBufferPointer<UInt8>? {
            let e = entry
            guard e.kind == .string, !e.hasEscapes else { return nil }
            return raw
        }

        @inlinable public var integer: Int64? { kind == .integer ? Int64(bitPattern: entry.payload) : nil }

        /// A number as a double (integers converted).
        @inlinable public var number: Double? {
            let e = entry
            switch e.kind {
            case .integer: return Double(Int64(bitPattern: e.payload))
            case .double: return Double(bitPattern: e.payload)
            default: return nil
            }
        }

        @inlinable public var bool: Bool? {
            switch kind {
            case .true: true
            case .false: false
            default: nil
            }
        }

        @inlinable public var isNull: Bool { kind == .null }

        /// True when this string equals `text`, compared without decoding when the string has no escapes.
        public func stringEquals(_ text: String) -> Bool {
            let e = entry
            guard e.kind == .string else { return false }
            return JSONView.rawEquals(raw, escaped: e.hasEscapes, text)
        }

        // MARK: containers

        /// The value of member `key` of an object (nil if absent or not an object).
        public subscript(key: String) -> Value? {
            var found: Value?
            scanMembers { raw, escaped, valueIndex in
                guard JSONView.rawEquals(raw, escaped: escaped, key) else { return true }
                found = Value(view: view, index: valueIndex)
                return false
            }
            return found
        }

        /// Follows a path of member names: `event["call", "id"]`.
        public subscript(path: String...) -> Value? {
            var value: Value? = self
            for key in path { value = value?[key] }
            return value
        }

        /// The values of several members, found in one pass over the object without allocating: element `i`
        /// is the value of `keys[i]`, nil where absent (all nil when this is not an object).
        public func values(of keys: JSONKeys) -> Members {
            var found = Members(view: view)
            var missing = (1 << keys.count) - 1  // a bit for each name not found yet
            keys.withNames { names, tails in
                scanMembers { raw, escaped, valueIndex in
                    if let slot = escaped ? keys.slot(of: JSONStrings.unescape(raw), among: names, missing, tails: tails)
                        : keys.slot(of: raw, among: names, missing, tails: tails) {
                        found.indexes[slot] = Int32(valueIndex)
                        missing &= ~(1 << slot)
                    }
                    return missing != 0
                }
            }
            return found
        }

        /// Visits an object's members in order with each key's raw bytes and the tape index of its value,
        /// while `visit` returns true. No values are built for members that are skipped.
        @inline(__always)
        func scanMembers(_ visit: (UnsafeBufferPointer<UInt8>, _ escaped: Bool, _ valueIndex: Int) -> Bool) {
            let e = entry
            guard e.kind == .object else { return }
            var child = index + 1
            let end = e.end
            while child < end {
                let key = view.tape[child]
                guard visit(UnsafeBufferPointer(start: view.bytes + Int(key.payload), count: key.size), key.hasEscapes, child + 1)
                else { return }
                child = view[child + 1].next
            }
        }

        /// Element `position` (0-based) of an array.
        public subscript(position: Int) -> Value? {
            guard kind == .array, position >= 0, position < entry.size else { return nil }
            var child = index + 1
            for _ in 0..<position { child = view[child].next }
            return view[child]
        }

        /// The elements of an array, in order (none for other values).
        public var elements: Elements { Elements(array: self) }

        /// The last element of an array.
        public var last: Value? {
            guard kind == .array, entry.size > 0 else { return nil }
            var child = index + 1
            var last = child
            let end = entry.end
            while child < end {
                last = child
                child = view[child].next
            }
            return view[last]
        }

        /// The members of an object, in document order.
        public var members: [(key: String, value: Value)] {
            guard kind == .object else { return [] }
            var result: [(key: String, value: Value)] = []
            result.reserveCapacity(entry.size)
            var child = index + 1
            let end = entry.end
            while child < end {
                let value = view[child + 1]
                result.append((view[child].string ?? "", value))
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

    /// The values found by `Value.values(of:)`, by the position of their name in the `JSONKeys`.
    public struct Members {
        @usableFromInline let view: JSONView
        /// Tape indexes, -1 where absent; one slot per name a `JSONKeys` may hold (`JSONKeys.limit`).
        @usableFromInline var indexes = InlineArray<16, Int32>(repeating: -1)

        init(view: JSONView) { self.view = view }

        /// Inlined, so that a constant slot reads its index without copying the others.
        @inlinable public subscript(slot: Int) -> Value? {
            indexes[slot] < 0 ? nil : view[Int(indexes[slot])]
        }
    }

    /// The elements of an array, read from the tape as they are visited.
    public struct Elements: Sequence {
        let array: Value

        public var underestimatedCount: Int { array.count }

        public func makeIterator() -> Iterator {
            Iterator(view: array.view, position: array.index + 1, end: array.kind == .array ? array.entry.end : 0)
        }

        public struct Iterator: IteratorProtocol {
            @usableFromInline let view: JSONView
            @usableFromInline var position: Int
            @usableFromInline let end: Int

            @inlinable public mutating func next() -> Value? {
                guard position < end else { return nil }
                let value = view[position]
                position = value.next
                return value
            }
        }
    }

    /// Raw string content (between the quotes) compared with `text`, unescaped only when it has escapes.
    static func rawEquals(_ raw: UnsafeBufferPointer<UInt8>, escaped: Bool, _ key: String) -> Bool {
        if escaped { return JSONStrings.unescape(raw).elementsEqual(key.utf8) }
        guard raw.count == key.utf8.count else { return false }
        return key.utf8.withContiguousStorageIfAvailable { utf8 in
            raw.isEmpty || equalBytes(raw.baseAddress!, utf8.baseAddress!, count: raw.count)
        } ?? raw.elementsEqual(key.utf8)
    }
}

extension JSONDocument {
    /// Runs `body` with this document read in place (`JSONView`); nothing read from the view may outlive it.
    @inlinable
    public func withView<R, Failure: Error>(_ body: (JSONView) throws(Failure) -> R) throws(Failure) -> R {
        // a parsed document has at least one byte and one value
        try bytes.withUnsafeBufferPointer { bytes throws(Failure) in
            try tape.withUnsafeBufferPointer { tape throws(Failure) in
                try body(JSONView(bytes: bytes.baseAddress!, tape: tape.baseAddress!))
            }
        }
    }
}
