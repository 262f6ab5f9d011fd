import Basics
import Crypto
import Foundation
import JSON
import LuaRuntime
import Observability

/// The globals every script sees beside Lua's own: `print`, `log`, `file`, `http`, `alert`, `store`, `timer`,
/// `env`, `time`, `crypto`, `base64` (and `json` from the runtime). Each checks its arguments (errors name
/// the function and the argument), notes the call for the run's record, and does its work through the
/// run's `Effects`.
public enum HostLibrary {
    public static func functions(telemetry: Telemetry? = nil, timerLimits: TimerLimits = TimerLimits()) -> [HostFunction<ScriptContext>] {
        let counted = Counted(telemetry: telemetry)
        return logging() + files(counted) + http(counted) + alerts(counted) + store(counted) + timers(timerLimits, counted)
            + helpers()
    }

    // MARK: print, log

    static func logging() -> [HostFunction<ScriptContext>] {
        var functions: [HostFunction<ScriptContext>] = [
            .sync("print") { call in
                let message = (0..<call.count).map { describe(call.value($0 + 1)) }.joined(separator: "\t")
                call.context.effects.log(.info, message, fields: [:], context: call.context)
                return []
            },
        ]
        for level in [ScriptLogLevel.info, .warn, .error] {
            functions.append(.sync("log.\(level.rawValue)") { call in
                let message = describe(call.value(1))
                var fields: [String: String] = [:]
                if let table = try call.optionalTable(2, "fields") {
                    for (name, value) in table.fields { fields[name] = describe(value) }
                }
                call.context.effects.log(level, message, fields: fields, context: call.context)
                return []
            })
        }
        return functions
    }

    // MARK: file

    static func files(_ counted: Counted) -> [HostFunction<ScriptContext>] {
        [
            .async("file.write") { call in
                let path = try call.string(1, "path")
                let data = try call.bytes(2, "data")
                let context = call.context
                return {
                    try await counted("file.write") { try await context.effects.writeFile(path, data, context: context) }
                    context.note("file.write \(path) (\(data.count) bytes)")
                    return [true]
                }
            },
            .async("file.append") { call in
                let path = try call.string(1, "path")
                let data = try call.bytes(2, "data")
                let context = call.context
                return {
                    try await counted("file.append") { try await context.effects.appendFile(path, data, context: context) }
                    context.note("file.append \(path) (\(data.count) bytes)")
                    return [true]
                }
            },
            .async("file.read") { call in
                let path = try call.string(1, "path")
                let context = call.context
                return {
                    let data = try await counted("file.read") { try await context.effects.readFile(path, context: context) }
                    context.note("file.read \(path)\(data == nil ? " (absent)" : "")")
                    return [data.map(LuaValue.bytes) ?? .nil]
                }
            },
        ]
    }

    // MARK: http

    static func http(_ counted: Counted) -> [HostFunction<ScriptContext>] {
        @Sendable func perform(_ request: OutboundRequest, _ function: String, _ call: HostCall<ScriptContext>) -> HostWork {
            let context = call.context
            let deadline = call.deadline
            return {
                var request = request
                let remaining = ContinuousClock.now.duration(to: deadline)
                if remaining < request.timeout { request.timeout = max(remaining, .milliseconds(1)) }
                let response = try await counted("http") { try await context.effects.http(request, context: context) }
                context.note("\(function) \(request.method) \(request.url) -> \(response.status)")
                return [responseTable(response)]
            }
        }
        return [
            .async("http.request") { call in
                let options = try call.table(1, "options")
                let request = try outboundRequest(options, call: call, function: "http.request",
                                                  json: try call.json(1, field: "json", "json"))
                return perform(request, "http.request", call)
            },
            .async("http.get") { call in
                let url = try call.string(1, "url")
                var options = try call.optionalTable(2, "options") ?? LuaTable()
                options["url"] = .string(url)
                options["method"] = "GET"
                return perform(try outboundRequest(options, call: call, function: "http.get", json: nil), "http.get", call)
            },
            .async("http.post") { call in
                let url = try call.string(1, "url")
                var options = try call.optionalTable(3, "options") ?? LuaTable()
                options["url"] = .string(url)
                options["method"] = "POST"
                var json: [UInt8]?
                switch call.typeName(2) {
                case "string": options["body"] = .bytes(try call.bytes(2, "body"))
                case "table", "json.null", "number", "boolean": json = try call.json(2, "body")
                case "nil": break
                default: throw call.typeError(2, "body", expected: "a string or a table")
                }
                return perform(try outboundRequest(options, call: call, function: "http.post", json: json), "http.post", call)
            },
        ]
    }

    static func outboundRequest(_ options: LuaTable, call: HostCall<ScriptContext>, function: String,
                                json: [UInt8]?) throws -> OutboundRequest {
        guard let url = options["url"].string else {
            throw HostError("\(function): url must be a string (got \(options["url"].typeName))")
        }
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
              parsed.host != nil else {
            throw HostError("\(function): url must be an http:// or https:// URL (got '\(url)')")
        }
        var method = "GET"
        if case .bytes = options["method"] {
            method = options["method"].string!.uppercased()
        } else if !options["method"].isNil {
            throw HostError("\(function): method must be a string (got \(options["method"].typeName))")
        } else if json != nil || !options["body"].isNil {
            method = "POST"
        }
        guard !method.isEmpty, method.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) else {
            throw HostError("\(function): method must be letters only (got '\(method)')")
        }
        var headers: [(name: String, value: String)] = []
        switch options["headers"] {
        case .nil: break
        case .table(let table):
            for (name, value) in table.fields.sorted(by: { $0.key < $1.key }) {
                guard isToken(name) else { throw HostError("\(function): header name '\(name)' is not a valid HTTP header name") }
                guard let text = value.string ?? value.numberText else {
                    throw HostError("\(function): header \(name) must be a string (got \(value.typeName))")
                }
                guard !text.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) else {
                    throw HostError("\(function): header \(name) contains a line break, which is refused (header injection)")
                }
                headers.append((name, text))
            }
        default:
            throw HostError("\(function): headers must be a table of name = value (got \(options["headers"].typeName))")
        }
        var body: [UInt8]?
        if let json {
            guard options["body"].isNil else { throw HostError("\(function): give either body or json, not both") }
            body = json
            if !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
                headers.append(("Content-Type", "application/json"))
            }
        } else {
            switch options["body"] {
            case .nil: break
            case .bytes(let bytes): body = bytes
            default: throw HostError("\(function): body must be a string (use json = ... for tables; got \(options["body"].typeName))")
            }
        }
        var timeout = Duration.seconds(10)
        switch options["timeout"] {
        case .nil: break
        case .integer(let seconds) where seconds > 0: timeout = .seconds(seconds)
        case .number(let seconds) where seconds > 0: timeout = .milliseconds(Int64(seconds * 1000))
        default: throw HostError("\(function): timeout must be a positive number of seconds (got \(options["timeout"].typeName))")
        }
        var follow = false
        switch options["follow_redirects"] {
        case .nil: break
        case .boolean(let flag): follow = flag
        default: throw HostError("\(function): follow_redirects must be a boolean")
        }
        return OutboundRequest(method: method, url: url, headers: headers, body: body, timeout: timeout, followRedirects: follow)
    }

    static func responseTable(_ response: OutboundResponse) -> LuaValue {
        var table = LuaTable()
        table["status"] = .integer(Int64(response.status))
        var headers = LuaTable()
        for (name, value) in response.headers { headers[name.lowercased()] = .string(value) }
        table["headers"] = .table(headers)
        table["body"] = .bytes(response.body)
        let contentType = response.headers.last { $0.name.lowercased() == "content-type" }?.value.lowercased() ?? ""
        if contentType.contains("json"), let document = try? JSONParser.parse(response.body, options: .init(maxDepth: 128)) {
            table["json"] = LuaValue(json: document.root)
        }
        return .table(table)
    }

    // MARK: alert

    static func alerts(_ counted: Counted) -> [HostFunction<ScriptContext>] {
        [
            .async("alert") { call in
                let options = try call.table(1, "alert")
                guard let title = options["title"].string else {
                    throw HostError("alert: title must be a string (got \(options["title"].typeName))")
                }
                var alert = Alert(title: title)
                switch options["text"] {
                case .nil: break
                case .bytes(let text): alert.text = String(decoding: text, as: UTF8.self)
                default: throw HostError("alert: text must be a string (got \(options["text"].typeName))")
                }
                if !options["severity"].isNil {
                    guard let name = options["severity"].string, let severity = Alert.Severity(rawValue: name) else {
                        throw HostError("alert: severity must be \"info\", \"warning\" or \"critical\"")
                    }
                    alert.severity = severity
                }
                switch options["key"] {
                case .nil: break
                case .bytes, .integer, .number: alert.key = describe(options["key"])
                default: throw HostError("alert: key must be a string (got \(options["key"].typeName))")
                }
                switch options["fields"] {
                case .nil: break
                case .table(let fields): for (name, value) in fields.fields { alert.fields[name] = describe(value) }
                default: throw HostError("alert: fields must be a table (got \(options["fields"].typeName))")
                }
                let context = call.context
                let raised = alert
                return {
                    let delivered = await context.effects.alert(raised, context: context)
                    counted.record("alert", outcome: delivered ? "delivered" : "folded")
                    context.note("alert \(JSONStrings.quoted(raised.title)) \(delivered ? "delivered" : "folded")")
                    return [.boolean(delivered)]
                }
            },
        ]
    }

    // MARK: store

    static func store(_ counted: Counted) -> [HostFunction<ScriptContext>] {
        @Sendable func ttl(_ call: HostCall<ScriptContext>, _ position: Int, _ function: String) throws -> Double? {
            guard let options = try call.optionalTable(position, "options") else { return nil }
            switch options["ttl"] {
            case .nil: return nil
            case .integer(let seconds) where seconds > 0: return Double(seconds)
            case .number(let seconds) where seconds > 0: return seconds
            default: throw HostError("\(function): ttl must be a positive number of seconds")
            }
        }
        @Sendable func key(_ call: HostCall<ScriptContext>) throws -> String {
            let key = try call.string(1, "key")
            guard !key.isEmpty, key.utf8.count <= 512 else { throw HostError("\(call.function): key must be 1 to 512 bytes") }
            return key
        }
        return [
            .async("store.get") { call in
                let key = try key(call)
                let context = call.context
                return {
                    let text = try await counted("store") { try await context.effects.storeGet(key, context: context) }
                    context.note("store.get \(key)")
                    guard let text, let document = try? JSONParser.parse(Array(text.utf8), options: .init(maxDepth: 128)) else {
                        return [.nil]
                    }
                    return [LuaValue(json: document.root)]
                }
            },
            .async("store.set") { call in
                let key = try key(call)
                guard !call.isNil(2) else { throw HostError("store.set: value must not be nil (use store.delete)") }
                let value = String(decoding: try call.json(2, "value"), as: UTF8.self)
                let lifetime = try ttl(call, 3, "store.set")
                let context = call.context
                return {
                    try await counted("store") { try await context.effects.storeSet(key, json: value, ttl: lifetime, context: context) }
                    context.note("store.set \(key)")
                    return []
                }
            },
            .async("store.incr") { call in
                let key = try key(call)
                let by = call.isNil(2) ? 1 : try call.number(2, "by")
                let lifetime = try ttl(call, 3, "store.incr")
                let context = call.context
                return {
                    let value = try await counted("store") {
                        try await context.effects.storeIncrement(key, by: by, ttl: lifetime, context: context)
                    }
                    context.note("store.incr \(key) -> \(formatted(value))")
                    if value == value.rounded(), abs(value) < 9e15 { return [.integer(Int64(value))] }
                    return [.number(value)]
                }
            },
            .async("store.delete") { call in
                let key = try key(call)
                let context = call.context
                return {
                    try await counted("store") { try await context.effects.storeDelete(key, context: context) }
                    context.note("store.delete \(key)")
                    return []
                }
            },
        ]
    }

    // MARK: env, time, crypto, base64

    static func helpers() -> [HostFunction<ScriptContext>] {
        [
            .sync("env") { call in
                let name = try call.string(1, "name")
                return [call.context.effects.environment(name).map(LuaValue.string) ?? .nil]
            },
            .sync("time.now") { call in [.integer(call.context.effects.now())] },
            .sync("time.iso") { call in
                let ms = try call.optionalInteger(1, "milliseconds") ?? call.context.effects.now()
                return [.string(ISO8601.string(fromEpochMilliseconds: ms))]
            },
            .sync("crypto.sha256") { call in
                [.string(hex(SHA256.hash(data: try call.bytes(1, "data"))))]
            },
            .sync("crypto.hmac_sha256") { call in
                let key = SymmetricKey(data: try call.bytes(1, "key"))
                return [.string(hex(HMAC<SHA256>.authenticationCode(for: try call.bytes(2, "data"), using: key)))]
            },
            .sync("base64.encode") { call in [.string(Data(try call.bytes(1, "data")).base64EncodedString())] },
            .sync("base64.decode") { call in
                let text = try call.string(1, "text")
                guard let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                    throw HostError("base64.decode: text is not valid base64")
                }
                return [.bytes(Array(data))]
            },
        ]
    }
}

/// Counts host calls by kind and outcome, passing results and errors through.
struct Counted: Sendable {
    let telemetry: Telemetry?

    func callAsFunction<T>(_ kind: String, _ body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            record(kind, outcome: "ok")
            return result
        } catch {
            record(kind, outcome: "error")
            throw error
        }
    }

    func record(_ kind: String, outcome: String) {
        telemetry?.hostCall(kind, outcome: outcome)
    }
}

/// How `print` and `log` show a value.
func describe(_ value: LuaValue) -> String {
    switch value {
    case .nil: "nil"
    case .boolean(let flag): flag ? "true" : "false"
    case .integer(let number): String(number)
    case .number(let number): formatted(number)
    case .bytes(let bytes): String(decoding: bytes, as: UTF8.self)
    case .table: "table"
    case .null: "null"
    case .opaque(let type): type
    }
}

func formatted(_ number: Double) -> String {
    if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) + ".0" }
    return String(number)
}

func isToken(_ name: String) -> Bool {
    !name.isEmpty && name.utf8.allSatisfy { b in
        (b >= 48 && b <= 57) || (b | 0x20 >= 97 && b | 0x20 <= 122) || "!#$%&'*+-.^_`|~".utf8.contains(b)
    }
}

extension LuaValue {
    /// A number written as Lua would (integers without a fraction).
    var numberText: String? {
        switch self {
        case .integer(let number): String(number)
        case .number(let number): formatted(number)
        default: nil
        }
    }
}
