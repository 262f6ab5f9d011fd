import CLua
import JSON
import LuaShim

/// The asynchronous part of a host call. It starts on the engine's thread (no hop for work that finishes
/// at once); while it waits, the state serves other runs; its result resumes the script.
public typealias HostWork = nonisolated(nonsending) @Sendable () async throws -> [LuaValue]

/// A Swift function that scripts call by a Lua name (`"http.get"` is field `get` of global table `http`).
///
/// A synchronous function runs inside the call and returns its results. An asynchronous one reads its
/// arguments inside the call and returns the work to do; the script's coroutine waits while Swift awaits
/// it, and other runs keep using the state meanwhile. Either kind reports failure by throwing: the runtime
/// raises the Lua error after the Swift frames have returned (Swift code never calls `lua_error`).
public struct HostFunction<Context: Sendable>: Sendable {
    public let name: String
    let body: Body

    enum Body: Sendable {
        case sync(@Sendable (inout HostCall<Context>) throws -> [LuaValue])
        case async(@Sendable (inout HostCall<Context>) throws -> HostWork)
    }

    public static func sync(_ name: String, _ body: @escaping @Sendable (inout HostCall<Context>) throws -> [LuaValue]) -> Self {
        HostFunction(name: name, body: .sync(body))
    }

    public static func async(_ name: String, _ body: @escaping @Sendable (inout HostCall<Context>) throws -> HostWork) -> Self {
        HostFunction(name: name, body: .async(body))
    }
}

/// A failure a host function reports to the script, with the message the script sees.
public struct HostError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One call of a host function: its arguments (1-based, as in Lua), the run it belongs to, and helpers
/// that check argument types with messages naming the function and the argument.
public struct HostCall<Context: Sendable> {
    /// The Lua name of the function being called.
    public let function: String
    /// What the embedder attached to the run (event, endpoint, ...).
    public let context: Context
    /// The name of the script the run executes.
    public let script: String
    /// The run's deadline on the runtime's monotonic clock; async work should not outlive it.
    public let deadline: ContinuousClock.Instant
    let stack: LuaStack
    /// Number of arguments passed.
    public let count: Int

    /// The argument at `position` copied out of Lua (nil when absent).
    public func value(_ position: Int) -> LuaValue {
        position <= count ? stack.value(at: Int32(position)) : .nil
    }

    public func isNil(_ position: Int) -> Bool {
        position > count || lua_type(stack.L, Int32(position)) == LUA_TNIL
    }

    public func string(_ position: Int, _ name: String) throws -> String {
        String(decoding: try bytes(position, name), as: UTF8.self)
    }

    public func optionalString(_ position: Int, _ name: String) throws -> String? {
        isNil(position) ? nil : try string(position, name)
    }

    /// A string argument as bytes (numbers are not converted: a string is required).
    public func bytes(_ position: Int, _ name: String) throws -> [UInt8] {
        guard position <= count, lua_type(stack.L, Int32(position)) == LUA_TSTRING else {
            throw typeError(position, name, expected: "a string")
        }
        return stack.bytes(at: Int32(position))
    }

    public func integer(_ position: Int, _ name: String) throws -> Int64 {
        guard position <= count, lua_type(stack.L, Int32(position)) == LUA_TNUMBER else {
            throw typeError(position, name, expected: "an integer")
        }
        var isInteger: Int32 = 0
        let value = lua_tointegerx(stack.L, Int32(position), &isInteger)
        guard isInteger != 0 else { throw typeError(position, name, expected: "an integer") }
        return Int64(value)
    }

    public func optionalInteger(_ position: Int, _ name: String) throws -> Int64? {
        isNil(position) ? nil : try integer(position, name)
    }

    public func number(_ position: Int, _ name: String) throws -> Double {
        guard position <= count, lua_type(stack.L, Int32(position)) == LUA_TNUMBER else {
            throw typeError(position, name, expected: "a number")
        }
        return lshim_tonumber(stack.L, Int32(position))
    }

    public func table(_ position: Int, _ name: String) throws -> LuaTable {
        guard position <= count, lua_type(stack.L, Int32(position)) == LUA_TTABLE,
              case .table(let table) = stack.value(at: Int32(position)) else {
            throw typeError(position, name, expected: "a table")
        }
        return table
    }

    public func optionalTable(_ position: Int, _ name: String) throws -> LuaTable? {
        isNil(position) ? nil : try table(position, name)
    }

    /// The argument encoded as JSON text (tables, strings, numbers, booleans, json.null).
    public func json(_ position: Int, _ name: String) throws -> [UInt8] {
        do {
            return try LuaJSONEncoder.encode(stack, at: Int32(position))
        } catch {
            throw HostError("\(function): \(name) \(error.description)")
        }
    }

    /// Field `key` of the table argument at `position` encoded as JSON text; nil when the field is absent.
    public func json(_ position: Int, field key: String, _ name: String) throws -> [UInt8]? {
        guard position <= count, lua_type(stack.L, Int32(position)) == LUA_TTABLE else { return nil }
        let L = stack.L
        lua_checkstack(L, 2)
        lshim_lazy_fill(L, Int32(position))
        stack.pushString(key)
        defer { lshim_pop(L, 1) }
        guard lua_rawget(L, Int32(position)) != LUA_TNIL else { return nil }
        do {
            return try LuaJSONEncoder.encode(stack, at: -1)
        } catch {
            throw HostError("\(function): \(name) \(error.description)")
        }
    }

    /// The Lua type name of an argument.
    public func typeName(_ position: Int) -> String {
        position > count ? "nil" : stack.typeName(at: Int32(position))
    }

    /// An error naming the function and the argument: "http.post: url must be a string (got nil)".
    public func typeError(_ position: Int, _ name: String, expected: String) -> HostError {
        HostError("\(function): \(name) must be \(expected) (got \(typeName(position)))")
    }
}
