import CLua
import JSON
import LuaShim

/// Moves values between Swift and one Lua thread's stack. Used only by host-side code, where the
/// allocator never refuses (see `lshim_resume`), so no call here can raise.
struct LuaStack {
    let L: OpaquePointer
    /// Registry reference of the metatable that marks tables as JSON arrays.
    let arrayMarker: Int32

    static let maxDepth = 128

    // MARK: pushing

    func push(_ value: LuaValue) {
        lua_checkstack(L, 4)
        switch value {
        case .nil: lua_pushnil(L)
        case .boolean(let b): lua_pushboolean(L, b ? 1 : 0)
        case .integer(let i): lua_pushinteger(L, lua_Integer(i))
        case .number(let d): lua_pushnumber(L, d)
        case .bytes(let bytes): pushBytes(bytes)
        case .null: lua_pushlightuserdata(L, nil)
        case .opaque: lua_pushnil(L)
        case .table(let table):
            lua_createtable(L, Int32(clamping: table.array.count), Int32(clamping: table.fields.count))
            for (position, element) in table.array.enumerated() {
                push(element)
                lua_rawseti(L, -2, lua_Integer(position + 1))
            }
            for (key, field) in table.fields {
                push(.string(key))
                push(field)
                lua_rawset(L, -3)
            }
            if table.isArray { markArray() }
        }
    }

    func pushBytes(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { pushRaw($0) }
    }

    func pushString(_ text: String) {
        var text = text
        text.withUTF8 { pushRaw($0) }
    }

    @inline(__always)
    func pushRaw(_ buffer: UnsafeBufferPointer<UInt8>) {
        _ = lua_pushlstring(L, UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: CChar.self), buffer.count)
    }

    /// Sets the array marker as the metatable of the table on top.
    func markArray() {
        lshim_getref(L, arrayMarker)
        lua_setmetatable(L, -2)
    }

    /// Pushes a JSON value as Lua. Its objects and arrays are built when a script first touches them
    /// (see lazyjson.c): a run that reads three fields of a large event builds three tables, not hundreds.
    func push(json value: JSONValue) {
        value.document.withRawTape { bytes, tape in
            lshim_push_json(L, bytes.baseAddress, bytes.count, tape.baseAddress, tape.count / 16, value.index)
        }
    }

    // MARK: reading

    /// Copies the value at `index` out of the state. Tables are copied deeply (a table met again on the
    /// same path, or deeper than `maxDepth`, becomes `.opaque("cycle")`).
    func value(at index: Int32) -> LuaValue {
        var path: [UnsafeRawPointer] = []
        return value(at: lua_absindex(L, index), path: &path)
    }

    private func value(at index: Int32, path: inout [UnsafeRawPointer]) -> LuaValue {
        switch lua_type(L, index) {
        case LUA_TNIL, LUA_TNONE: return .nil
        case LUA_TBOOLEAN: return .boolean(lua_toboolean(L, index) != 0)
        case LUA_TNUMBER:
            return lshim_isinteger(L, index) != 0 ? .integer(Int64(lshim_tointeger(L, index))) : .number(lshim_tonumber(L, index))
        case LUA_TSTRING: return .bytes(bytes(at: index))
        case LUA_TLIGHTUSERDATA:
            return lua_touserdata(L, index) == nil ? .null : .opaque("userdata")
        case LUA_TTABLE:
            lshim_lazy_fill(L, index)
            guard let pointer = lua_topointer(L, index), !path.contains(pointer), path.count < LuaStack.maxDepth else {
                return .opaque("cycle")
            }
            path.append(pointer)
            defer { path.removeLast() }
            lua_checkstack(L, 4)
            var table = LuaTable(isArray: isMarkedArray(at: index))
            let length = Int(lua_rawlen(L, index))
            table.array.reserveCapacity(length)
            for position in 0..<length {
                lua_rawgeti(L, index, lua_Integer(position + 1))
                table.array.append(value(at: lua_gettop(L), path: &path))
                lshim_pop(L, 1)
            }
            lua_pushnil(L)
            while lua_next(L, index) != 0 {
                if lua_type(L, -2) == LUA_TSTRING {
                    let key = String(decoding: bytes(at: -2), as: UTF8.self)
                    table.fields[key] = value(at: lua_gettop(L), path: &path)
                }
                lshim_pop(L, 1)
            }
            return .table(table)
        default:
            return .opaque(String(cString: lua_typename(L, lua_type(L, index))))
        }
    }

    /// The bytes of the string at `index` (the caller checked it is a string, so nothing is converted).
    func bytes(at index: Int32) -> [UInt8] {
        var length = 0
        guard let pointer = lshim_tolstring(L, index, &length) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: length))
    }

    func isMarkedArray(at index: Int32) -> Bool {
        lshim_lazy_fill(L, index)
        guard lua_getmetatable(L, index) != 0 else { return false }
        lshim_getref(L, arrayMarker)
        let marked = lua_rawequal(L, -1, -2) != 0
        lshim_pop(L, 2)
        return marked
    }

    func typeName(at index: Int32) -> String {
        if lua_type(L, index) == LUA_TLIGHTUSERDATA && lua_touserdata(L, index) == nil { return "json.null" }
        return String(cString: lua_typename(L, lua_type(L, index)))
    }
}
