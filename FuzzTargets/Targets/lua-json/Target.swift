import FuzzSupport
import JSON
import LuaRuntime
import Synchronization

// JSON -> Lua (the lazy tables scripts get as `event`) -> JSON, on any document intake would accept: the
// event encoded as decoded, a copy made by visiting every member with pairs (arrays checked against # and
// ipairs), and the event encoded again after that visit, all reproduce the document exactly (keys as
// bytes, integers and floats apart, every double to the bit).

/// Intake's depth limit: the documents scripts get.
let maxDepth = 64

final class Output: Sendable {
    let values = Mutex<[LuaValue]>([])
}

let functions: [HostFunction<Output>] = [
    .sync("emit") { call in
        let value = call.value(1)
        call.context.values.withLock { $0.append(value) }
        return []
    },
]

let engine = LuaEngine<Output>(limits: LuaLimits(timeout: .seconds(10), memory: 256 << 20), functions: functions)

let script: CompiledScript = Fuzz.wait {
    try! await engine.compile(ScriptSource(name: "roundtrip.lua", text: """
        local function copy(v)
          if type(v) ~= "table" or v == json.null then return v end
          local array = getmetatable(v) == "json.array"
          local c = array and json.array() or {}
          local n = 0
          for k, x in pairs(v) do
            n = n + 1
            c[k] = copy(x)
          end
          if array then
            if #v ~= n then error("array: # is " .. #v .. ", pairs visited " .. n) end
            local m = 0
            for i, x in ipairs(v) do
              m = m + 1
              if i ~= m or (type(x) ~= "table" and x ~= v[i]) then error("array: ipairs out of order at " .. i) end
            end
            if m ~= n then error("array: ipairs visited " .. m .. " of " .. n) end
          end
          return c
        end
        emit(json.encode(event))
        emit(json.encode(copy(event)))
        emit(json.encode(event))
        """))
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    Fuzz.initialize {
        Fuzz.fixtures() + Fuzz.fragments(maxSize: 4096) + [#"{"a":[],"b":{},"c":[null,1,1.0,-0.0,"\u0000"],"d":9223372036854775807,"e":5e-324}"#,
                           #"[[],[[]],{"1":1,"2":[2]},[1,null,3],1e300,-1.5e-300,"é\ud83d\ude00"]"#].map { Array($0.utf8) }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = data.bytes(size)
    guard let document = try? JSONParser.parse(bytes, options: .init(maxDepth: maxDepth)) else { return 0 }
    let output = Output()
    let result = Fuzz.wait { await engine.run(script, event: .json(document.root), context: output) }
    if case .failure(let error) = result { Fuzz.fail("the round trip script failed: \(error)") }
    let texts = output.values.withLock { $0 }
    Fuzz.check(texts.count == 3, "the script emitted \(texts.count) values")
    for (index, text) in texts.enumerated() {
        guard case .bytes(let encoded) = text else { Fuzz.fail("emit #\(index) is not a string: \(text)") }
        let again: JSONDocument
        do throws(JSONParseError) {
            again = try JSONParser.parse(encoded, options: .init(maxDepth: maxDepth))
        } catch {
            Fuzz.fail("encoding #\(index) is not JSON (\(error)): \(String(decoding: encoded.prefix(300), as: UTF8.self))")
        }
        if let difference = differs(document.root, again.root, at: "") {
            Fuzz.fail("encoding #\(index) differs at \(difference): \(String(decoding: encoded.prefix(300), as: UTF8.self))")
        }
    }
    return 0
}

/// Where two JSON values differ (object members in any order), or nil.
func differs(_ a: JSONValue, _ b: JSONValue, at path: String) -> String? {
    guard a.kind == b.kind else { return "\(path): \(a.kind) became \(b.kind)" }
    switch a.kind {
    case .null, .true, .false: return nil
    case .integer: return a.integer == b.integer ? nil : "\(path): \(a.integer!) became \(b.integer!)"
    case .double:
        return a.number!.bitPattern == b.number!.bitPattern ? nil : "\(path): \(a.number!) became \(b.number!)"
    case .string: return a.stringBytes == b.stringBytes ? nil : "\(path): string \(a.stringBytes) became \(b.stringBytes)"
    case .array:
        let (x, y) = (Array(a.elements), Array(b.elements))
        guard x.count == y.count else { return "\(path): \(x.count) elements became \(y.count)" }
        for index in x.indices {
            if let found = differs(x[index], y[index], at: "\(path)/\(index)") { return found }
        }
        return nil
    case .object:
        var members: [[UInt8]: JSONValue] = [:]
        for (key, value) in b.members { members[Array(key.utf8)] = value }
        let original = a.members
        guard original.count == members.count else { return "\(path): \(original.count) members became \(members.count)" }
        for (key, value) in original {
            guard let other = members[Array(key.utf8)] else { return "\(path)/\(key): missing" }
            if let found = differs(value, other, at: "\(path)/\(key)") { return found }
        }
        return nil
    }
}
