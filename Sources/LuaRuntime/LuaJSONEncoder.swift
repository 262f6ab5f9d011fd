#if canImport(Glibc)
import Glibc
#endif
import CLua
import JSON
import LuaShim

/// Why a Lua value has no JSON form; `pointer` is where in the value (JSON pointer).
struct JSONEncodingError: Error {
    let message: String
    let pointer: String

    var description: String { pointer.isEmpty ? message : "\(message) at \(pointer)" }
}

/// Lua value -> JSON text, the reverse of `LuaStack.push(json:)`:
/// - tables marked as arrays (decoded arrays, `json.array`) and non-empty sequences become arrays;
/// - tables with string keys become objects, keys sorted so that the output is deterministic;
/// - an empty unmarked table is `{}`; `json.null` is null; integers stay integers, floats keep a fraction;
/// - cycles, NaN/infinity, invalid UTF-8, functions and mixed or sparse keys are refused with a message.
struct LuaJSONEncoder {
    let stack: LuaStack
    var out: [UInt8] = []
    private var path: [UnsafeRawPointer] = []
    /// Where the encoder is, turned into a JSON pointer only for an error message.
    private var pointer: [PathComponent] = []

    private enum PathComponent {
        /// The bytes of a key string of a table being encoded (the table keeps it alive meanwhile).
        case key(UnsafeRawBufferPointer)
        case index(Int)
    }

    init(stack: LuaStack) {
        self.stack = stack
    }

    static func encode(_ stack: LuaStack, at index: Int32) throws(JSONEncodingError) -> [UInt8] {
        var encoder = LuaJSONEncoder(stack: stack)
        try encoder.encode(at: lua_absindex(stack.L, index))
        return encoder.out
    }

    private var L: OpaquePointer { stack.L }

    private func fail(_ message: String) -> JSONEncodingError {
        JSONEncodingError(message: message, pointer: jsonPointer(pointer.map { component in
            switch component {
            case .key(let key): String(decoding: key, as: UTF8.self)  // read while the key is still alive
            case .index(let index): String(index)
            }
        }))
    }

    private mutating func encode(at index: Int32) throws(JSONEncodingError) {
        switch lua_type(L, index) {
        case LUA_TNIL:
            out.append(contentsOf: "null".utf8)
        case LUA_TBOOLEAN:
            out.append(contentsOf: lua_toboolean(L, index) != 0 ? "true".utf8 : "false".utf8)
        case LUA_TNUMBER:
            if lshim_isinteger(L, index) != 0 {
                out.append(contentsOf: String(lshim_tointeger(L, index)).utf8)
            } else {
                let number = lshim_tonumber(L, index)
                guard number.isFinite else { throw fail("cannot encode \(number) (JSON has no NaN or infinity)") }
                JSONStrings.appendDouble(number, to: &out)
            }
        case LUA_TSTRING:
            var length = 0
            let bytes = lshim_tolstring(L, index, &length)!
            guard JSONStrings.appendQuoted(UnsafeRawBufferPointer(start: bytes, count: length), to: &out) else {
                throw fail("cannot encode a string that is not valid UTF-8")
            }
        case LUA_TLIGHTUSERDATA where lua_touserdata(L, index) == nil:
            out.append(contentsOf: "null".utf8)
        case LUA_TTABLE:
            try encodeTable(at: index)
        default:
            throw fail("cannot encode a \(stack.typeName(at: index)) value")
        }
    }

    private mutating func encodeTable(at index: Int32) throws(JSONEncodingError) {
        let identity = lua_topointer(L, index)!
        if path.contains(identity) { throw fail("cannot encode a table that contains itself") }
        if path.count >= LuaStack.maxDepth { throw fail("cannot encode tables nested deeper than \(LuaStack.maxDepth)") }
        path.append(identity)
        defer { path.removeLast() }
        lua_checkstack(L, 6)
        lshim_lazy_fill(L, index)  // a JSON table no script touched yet is built before it is read raw

        if stack.isMarkedArray(at: index) {
            try encodeArray(at: index, count: Int(lua_rawlen(L, index)))
            return
        }
        // Classify the keys: a non-empty sequence 1...n is an array; string keys make an object.
        // Keys are read in place: Lua strings never move, and the table holds them while it is encoded.
        var count = 0
        var stringKeys: [UnsafeRawBufferPointer] = []
        var otherKeys = false
        lua_pushnil(L)
        while lua_next(L, index) != 0 {
            count += 1
            if lua_type(L, -2) == LUA_TSTRING {
                var length = 0
                stringKeys.append(UnsafeRawBufferPointer(start: lshim_tolstring(L, -2, &length), count: length))
            } else {
                otherKeys = true
            }
            lshim_pop(L, 1)
        }
        if count == 0 {
            out.append(contentsOf: "{}".utf8)
            return
        }
        if stringKeys.isEmpty {
            let length = Int(lua_rawlen(L, index))
            guard length == count else {
                throw fail("cannot encode a sparse array or a table with non-string keys (keys must be 1...n or strings)")
            }
            try encodeArray(at: index, count: length)
            return
        }
        guard !otherKeys else {
            throw fail("cannot encode a table that mixes array items and string keys")
        }
        stringKeys.sort { a, b in
            let common = min(a.count, b.count)
            let order = common == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, common)
            return order != 0 ? order < 0 : a.count < b.count
        }
        out.append(UInt8(ascii: "{"))
        for (position, key) in stringKeys.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            pointer.append(.key(key))
            guard JSONStrings.appendQuoted(key, to: &out) else { throw fail("cannot encode a key that is not valid UTF-8") }
            out.append(UInt8(ascii: ":"))
            lua_pushlstring(L, key.baseAddress?.assumingMemoryBound(to: CChar.self), key.count)
            lua_rawget(L, index)
            try encode(at: lua_gettop(L))
            lshim_pop(L, 1)
            pointer.removeLast()
        }
        out.append(UInt8(ascii: "}"))
    }

    private mutating func encodeArray(at index: Int32, count: Int) throws(JSONEncodingError) {
        out.append(UInt8(ascii: "["))
        for position in 0..<count {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            pointer.append(.index(position))
            lua_rawgeti(L, index, lua_Integer(position + 1))
            try encode(at: lua_gettop(L))
            lshim_pop(L, 1)
            pointer.removeLast()
        }
        out.append(UInt8(ascii: "]"))
    }
}
