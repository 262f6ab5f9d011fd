/// One call of a Lua pattern function, given to real Lua and to Hookline's matcher alike.
///
/// ```swift
/// let call = PatternCase(.gsub, [.string(Array("hello world".utf8)), .string(Array("(o)".utf8)), .string(Array("[%1]".utf8))])
/// print(call.lua)   // string.gsub("hello world", "(o)", "[%1]")
/// ```
public struct PatternCase: Hashable, Sendable, CustomStringConvertible {
    public enum Function: String, CaseIterable, Sendable { case find, match, gmatch, gsub }

    /// An argument exactly as the function receives it (arity counts: `nil` is passed, a missing one is not).
    public enum Argument: Hashable, Sendable {
        case string([UInt8])
        case integer(Int64)
        case float(Double)
        case boolean(Bool)
        case `nil`
        /// One of `ReplacementFixtures.tables`, by index.
        case table(Int)
        /// One of `ReplacementFixtures.functions`, by index.
        case function(Int)
    }

    public var function: Function
    public var arguments: [Argument]

    public init(_ function: Function, _ arguments: [Argument]) {
        self.function = function
        self.arguments = arguments
    }

    /// The call as Lua source, to paste into a `lua5.4` prompt (gmatch is shown with the loop that collects it).
    public var lua: String {
        let list = arguments.map(\.lua).joined(separator: ", ")
        if function == .gmatch { return "for ... in string.gmatch(\(list)) do ... end" }
        return "string.\(function.rawValue)(\(list))"
    }

    public var description: String { lua }
}

extension PatternCase.Argument {
    var lua: String {
        switch self {
        case .string(let bytes): return luaLiteral(bytes)
        case .integer(let i): return i == Int64.min ? "math.mininteger" : String(i)
        case .float(let d): return d.isNaN ? "(0/0)" : d.isInfinite ? (d < 0 ? "-math.huge" : "math.huge") : "\(d)"
        case .boolean(let b): return String(b)
        case .nil: return "nil"
        case .table(let k): return ReplacementFixtures.tables[k]
        case .function(let k): return ReplacementFixtures.functions[k]
        }
    }
}

/// `bytes` as a Lua string literal: printable ASCII as itself, every other byte as a three-digit escape.
public func luaLiteral(_ bytes: [UInt8]) -> String {
    var text = "\""
    for byte in bytes {
        switch byte {
        case UInt8(ascii: "\""): text += "\\\""
        case UInt8(ascii: "\\"): text += "\\\\"
        case 0x20..<0x7f: text.unicodeScalars.append(Unicode.Scalar(byte))
        default: text += escape(byte)
        }
    }
    return text + "\""
}

/// `byte` as a three-digit decimal escape, as Lua reads it in a string literal.
func escape(_ byte: UInt8) -> String {
    let digits = String(byte)
    return "\\" + String(repeating: "0", count: 3 - digits.count) + digits
}

/// The tables and functions gsub cases replace with, as Lua source both states compile alike: values of
/// every type a replacement can produce (string, integer, float, false, nil, a table, an error).
public enum ReplacementFixtures {
    public static let tables = [
        #"{a = "<A>", b = 7, ab = false, [""] = "<empty>", x = {}, [1] = "<one>", [2] = 2.5, ["\0"] = "<nul>", c = true}"#,
        #"setmetatable({}, {__index = function(_, k) return "[" .. tostring(k) .. "]" end})"#,
        "{}",
    ]
    public static let functions = [
        // every argument, and how many there were
        ##"function(...) local t = table.pack(...) for i = 1, t.n do t[i] = tostring(t[i]) end return table.concat(t, "|") .. "#" .. t.n end"##,
        "function() return nil end",
        "function() return false end",
        "function(x) return #tostring(x) end",
        "function() return 0.5 end",
        "function() return {} end",
        #"function(x) error("boom " .. tostring(x)) end"#,
        "function(x) return x end",
        "function() return true end",
    ]
}
