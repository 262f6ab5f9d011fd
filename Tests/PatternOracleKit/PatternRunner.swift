import CLua
import LuaShim

/// A Lua state that runs `PatternCase`s through one implementation of the pattern functions and writes
/// down everything the call gave back, so that two implementations can be compared as text.
///
/// ```swift
/// let lua = PatternRunner(.reference), ours = PatternRunner(.hookline)
/// let call = PatternCase(.find, [.string(Array("a+b".utf8)), .string(Array("%+".utf8))])
/// assert(lua.run(call) == ours.run(call))   // "(integer 2, integer 2)"
/// ```
///
/// Not thread-safe: a runner owns its `lua_State`; use one per thread.
public final class PatternRunner {
    public enum Implementation: Sendable, Equatable, CustomStringConvertible {
        /// The system liblua5.4's own string library, in a plain `luaL_openlibs` state.
        case reference
        /// Hookline's matcher (`lshim_pattern_register`) in place of string.find, match, gmatch and gsub,
        /// remembering failed (item, position) pairs as it is told.
        case hookline(Memo)

        public var description: String {
            switch self {
            case .reference: return "real Lua"
            case .hookline(let memo): return "Hookline, memo \(memo)"
            }
        }
    }

    /// When Hookline's matcher remembers failures (see `lshim_memo_policy`).
    public enum Memo: Sendable, Equatable, CaseIterable {
        /// Once a search proves costly, as scripts run it.
        case whenCostly
        /// From every search's first step (few generated cases are costly enough for the memo otherwise).
        case atOnce
        /// Never: the plain backtracking search, whose work follows real Lua's.
        case never

        var policy: lshim_memo_policy {
            switch self {
            case .whenCostly: return LSHIM_MEMO_WHEN_COSTLY
            case .atOnce: return LSHIM_MEMO_AT_ONCE
            case .never: return LSHIM_MEMO_NEVER
            }
        }
    }

    public let implementation: Implementation
    private let L: OpaquePointer
    private let driver: Int32
    private let bench: Int32
    private let tables: Int32
    private let functions: Int32

    public init(_ implementation: Implementation) {
        self.implementation = implementation
        switch implementation {
        case .reference: L = luaL_newstate()
        case .hookline: L = lshim_newstate(1 << 40)  // the cap only applies inside lshim_resume
        }
        let L = L
        luaL_openlibs(L)
        if case .hookline(let memo) = implementation {
            lua_getglobal(L, "string")
            lshim_pattern_register(L, -1, memo.policy)
            lshim_pop(L, 1)
        }
        var source = PatternRunner.driverSource
        let status = source.withUTF8 { text in
            luaL_loadbufferx(L, UnsafeRawPointer(text.baseAddress)?.assumingMemoryBound(to: CChar.self), text.count,
                             "=fixtures", "t")
        }
        precondition(status == LUA_OK && lua_pcallk(L, 0, 4, 0, 0, nil) == LUA_OK,
                     "the oracle's driver chunk does not compile: \(String(cString: lua_tolstring(L, -1, nil)))")
        functions = lshim_ref(L)
        tables = lshim_ref(L)
        bench = lshim_ref(L)
        driver = lshim_ref(L)
    }

    deinit {
        switch implementation {
        case .reference: lua_close(L)
        case .hookline: lshim_close(L)
        }
    }

    /// The pattern function the state's `string` table holds under `name` (to tell implementations apart).
    public func functionAddress(_ name: PatternCase.Function) -> UnsafeRawPointer? {
        lua_getglobal(L, "string")
        lua_getfield(L, -1, name.rawValue)
        let address = lua_topointer(L, -1)
        lshim_pop(L, 2)
        return address
    }

    /// Runs `call` and returns its transcript: every value returned (for gmatch, every iteration's values),
    /// typed, or the error message.
    public func run(_ call: PatternCase) -> Transcript {
        lshim_getref(L, driver)
        push(call, onto: L)
        let status = lua_pcallk(L, Int32(call.arguments.count + 1), 1, 0, 0, nil)
        var bytes: [UInt8] = status == LUA_OK ? [] : Array("error: ".utf8)
        var length = 0
        if let text = lua_tolstring(L, -1, &length) {
            bytes += UnsafeRawBufferPointer(start: text, count: length)
        } else {
            bytes += Array("an error object of type \(String(cString: lua_typename(L, lua_type(L, -1))))".utf8)
        }
        lua_settop(L, 0)
        return Transcript(bytes: bytes)
    }

    /// Runs `call` as a script's run does: in a coroutine resumed with `deadline` (nanoseconds on
    /// `lshim_now_ns`'s clock) watched, so that Hookline's matcher stops once it passes. Returns the
    /// transcript, or nil when the deadline stopped the call. For Hookline's implementation only (real Lua
    /// cannot be stopped).
    public func run(_ call: PatternCase, deadline: Int64) -> Transcript? {
        guard case .hookline = implementation else { preconditionFailure("real Lua has no deadline") }
        let co = lua_newthread(L)!
        lshim_getref(co, driver)
        push(call, onto: co)
        var results: Int32 = 0
        let status = lshim_resume(co, L, Int32(call.arguments.count + 1), &results, deadline)
        defer { lua_settop(L, 0) }
        if status == LUA_YIELD { return nil }  // stopped where it could yield
        if status != LUA_OK && lua_type(co, -1) == LUA_TLIGHTUSERDATA && lua_touserdata(co, -1) == lshim_deadline_sentinel() {
            return nil  // stopped where it could not
        }
        var bytes: [UInt8] = status == LUA_OK ? [] : Array("error: ".utf8)
        var length = 0
        if let text = lua_tolstring(co, -1, &length) {
            bytes += UnsafeRawBufferPointer(start: text, count: length)
        } else {
            bytes += Array("an error object of type \(String(cString: lua_typename(co, lua_type(co, -1))))".utf8)
        }
        return Transcript(bytes: bytes)
    }

    /// Seconds of CPU time per call of `call`, made `repetitions` times from a Lua loop (for gmatch, a
    /// call is a whole iteration).
    public func secondsPerCall(_ call: PatternCase, repetitions: Int) -> Double {
        lshim_getref(L, bench)
        lua_pushinteger(L, lua_Integer(repetitions))
        push(call, onto: L)
        let status = lua_pcallk(L, Int32(call.arguments.count + 2), 1, 0, 0, nil)
        precondition(status == LUA_OK, "benchmark call \(call.lua) failed: \(String(cString: lua_tolstring(L, -1, nil)))")
        let seconds = lua_tonumberx(L, -1, nil)
        lua_settop(L, 0)
        return seconds / Double(repetitions)
    }

    /// Pushes the function's name and the call's arguments onto `state`.
    private func push(_ call: PatternCase, onto state: OpaquePointer) {
        push(.string(Array(call.function.rawValue.utf8)), onto: state)
        for argument in call.arguments { push(argument, onto: state) }
    }

    private func push(_ argument: PatternCase.Argument, onto L: OpaquePointer) {
        switch argument {
        case .string(let bytes):
            bytes.withUnsafeBufferPointer {
                _ = lua_pushlstring(L, UnsafeRawPointer($0.baseAddress)?.assumingMemoryBound(to: CChar.self), $0.count)
            }
        case .integer(let i): lua_pushinteger(L, lua_Integer(i))
        case .float(let d): lua_pushnumber(L, d)
        case .boolean(let b): lua_pushboolean(L, b ? 1 : 0)
        case .nil: lua_pushnil(L)
        case .table(let k): pushElement(k, of: tables, onto: L)
        case .function(let k): pushElement(k, of: functions, onto: L)
        }
    }

    private func pushElement(_ k: Int, of list: Int32, onto L: OpaquePointer) {
        lshim_getref(L, list)
        lua_rawgeti(L, -1, lua_Integer(k + 1))
        lshim_remove(L, -2)
    }

    /// Returns the driver, the benchmark loop, the replacement tables and the replacement functions. The transcript is
    /// built in Lua with string.format's %q (strings byte-exact, floats in hexadecimal), which neither
    /// implementation under test touches.
    static let driverSource = """
        local string, select, type, tostring, format, mathtype, concat = string, select, type, tostring, string.format, math.type, table.concat
        local function one(v)
          local t = type(v)
          if t == "string" then return format("%q", v) end
          if t == "number" then return mathtype(v) .. " " .. format("%q", v) end
          return tostring(v)
        end
        local function all(...)
          local out = {}
          for i = 1, select("#", ...) do out[i] = one((select(i, ...))) end
          return "(" .. concat(out, ", ") .. ")"
        end
        local function run(name, ...)
          if name ~= "gmatch" then return all(string[name](...)) end
          local iterate = string.gmatch(...)
          local out = {}
          local function step(...)
            out[#out + 1] = all(...)
            return (...) ~= nil
          end
          -- an iteration advances at least one byte, so subjects of a few hundred bytes end well before this
          for _ = 1, 100000 do
            if not step(iterate()) then return concat(out, " ") end
          end
          return concat(out, " ") .. " (stopped)"
        end
        local clock = os.clock
        local function bench(n, name, ...)
          local f = string[name]
          local start = clock()
          if name == "gmatch" then
            for _ = 1, n do for _ in f(...) do end end
          else
            for _ = 1, n do f(...) end
          end
          return clock() - start
        end
        return run, bench, {\(ReplacementFixtures.tables.joined(separator: ",\n"))},
          {\(ReplacementFixtures.functions.joined(separator: ",\n"))}
        """
}

/// What one call gave back, byte for byte (error messages and captures may hold any byte).
public struct Transcript: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public var isError: Bool { bytes.starts(with: Array("error: ".utf8)) }

    /// The bytes, with those that are not printable ASCII (and the backslash) as three-digit escapes.
    public var description: String {
        var text = ""
        for byte in bytes {
            if (0x20..<0x7f).contains(byte) && byte != UInt8(ascii: "\\") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                text += escape(byte)
            }
        }
        return text
    }
}
