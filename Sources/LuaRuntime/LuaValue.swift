import JSON

/// A Lua value copied out of (or to be pushed into) a Lua state: what host functions take and return.
public enum LuaValue: Sendable, Equatable {
    case `nil`
    case boolean(Bool)
    case integer(Int64)
    case number(Double)
    /// Lua strings are byte strings; `LuaValue.string(_:)` builds one from Swift text.
    case bytes([UInt8])
    case table(LuaTable)
    /// `json.null`: JSON's null, distinct from an absent value.
    case null
    /// A function, coroutine or userdata: it cannot leave the Lua state; the type name says which.
    case opaque(String)

    public static func string(_ text: String) -> LuaValue { .bytes(Array(text.utf8)) }

    /// The text of a string value (invalid UTF-8 is repaired), nil for other values.
    public var string: String? {
        if case .bytes(let b) = self { return String(decoding: b, as: UTF8.self) }
        return nil
    }

    public var isNil: Bool { if case .nil = self { true } else { false } }

    /// The Lua type name, for messages ("nil", "boolean", "number", "string", "table", ...).
    public var typeName: String {
        switch self {
        case .nil: "nil"
        case .boolean: "boolean"
        case .integer, .number: "number"
        case .bytes: "string"
        case .table: "table"
        case .null: "json.null"
        case .opaque(let name): name
        }
    }

    /// The Lua form of a JSON value: objects become tables, arrays become tables marked as arrays,
    /// null becomes `json.null`.
    public init(json value: JSONValue) {
        switch value.kind {
        case .object:
            var table = LuaTable()
            for (key, member) in value.members { table.fields[key] = LuaValue(json: member) }
            self = .table(table)
        case .array: self = .table(LuaTable(array: value.elements.map(LuaValue.init(json:)), isArray: true))
        case .string: self = .bytes(value.stringBytes)
        case .integer: self = .integer(value.integer!)
        case .double: self = .number(value.number!)
        case .true: self = .boolean(true)
        case .false: self = .boolean(false)
        case .null: self = .null
        }
    }
}

/// A Lua table copied out of a state: its sequence part (`t[1]...t[n]`) and its string keys. Keys of
/// other types are not carried over.
public struct LuaTable: Sendable, Equatable {
    public var array: [LuaValue]
    public var fields: [String: LuaValue]
    /// Marked as a JSON array (`json.array`), so that it encodes as `[]` even when empty.
    public var isArray: Bool

    public init(array: [LuaValue] = [], fields: [String: LuaValue] = [:], isArray: Bool = false) {
        self.array = array
        self.fields = fields
        self.isArray = isArray
    }

    public subscript(key: String) -> LuaValue {
        get { fields[key] ?? .nil }
        set { fields[key] = newValue.isNil ? nil : newValue }
    }
}

extension LuaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
}

extension LuaValue: ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral {
    public init(dictionaryLiteral elements: (String, LuaValue)...) {
        self = .table(LuaTable(fields: Dictionary(elements, uniquingKeysWith: { $1 })))
    }
    public init(arrayLiteral elements: LuaValue...) {
        self = .table(LuaTable(array: elements, isArray: true))
    }
}
