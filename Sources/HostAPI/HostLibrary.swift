import Basics
import Crypto
import Foundation
import JSON
import Journal
import LuaRuntime
import Observability

/// The globals every script sees beside Lua's own: `print`, `log`, `file`, `http`, `alert`, `store`, `timer`,
/// `env`, `time`, `crypto`, `base64` (and `json` from the runtime). Each checks its arguments (errors name
/// the function and the argument), notes the call for the run's record, and does its work through the
/// run's `Effects`.
public enum HostLibrary {
    /// `idempotencyHeader`: the header every HTTP request carries with `<event id>-<script>-<call index>`, the
    /// same on a retry, so that a receiver can drop a request it already had (nil: none).
    public static func functions(telemetry: Telemetry? = nil, timerLimits: TimerLimits = TimerLimits(),
                                 idempotencyHeader: String? = nil) -> [HostFunction<ScriptContext>] {
        let counted = Counted(telemetry: telemetry)
        return logging() + files(counted) + http(counted, idempotencyHeader: idempotencyHeader) + alerts(counted)
            + store(counted) + timers(timerLimits, counted)
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
                    try await context.effectLog.perform("file.write", fileArguments(path, data), replay: { _ in true }, live: {
                        try await counted("file.write") { try await context.effects.writeFile(path, data, context: context) }
                        return true
                    }, recorded: { _ in (.bool(true), true) })
                    return [true]
                }
            },
            .async("file.append") { call in
                let path = try call.string(1, "path")
                let data = try call.bytes(2, "data")
                let context = call.context
                return {
                    try await context.effectLog.perform("file.append", fileArguments(path, data), replay: { _ in true }, live: {
                        try await counted("file.append") { try await context.effects.appendFile(path, data, context: context) }
                        return true
                    }, recorded: { _ in (.bool(true), true) })
                    return [true]
                }
            },
            .async("file.read") { call in
                let path = try call.string(1, "path")
                let context = call.context
                return {
                    let data = try await context.effectLog.perform("file.read", [EffectField("path", .text(path))], replay: { kept in
                        kept == .null ? .some(nil) : EffectValues.bytes(kept).map { .some($0) }
                    }, live: {
                        try await counted("file.read") { try await context.effects.readFile(path, context: context) }
                    }, recorded: { data in data.map(EffectValues.body) ?? (.null, true) })
                    return [data.map(LuaValue.bytes) ?? .nil]
                }
            },
        ]
    }

    // MARK: http

    static func http(_ counted: Counted, idempotencyHeader: String?) -> [HostFunction<ScriptContext>] {
        @Sendable func perform(_ request: OutboundRequest, _ function: String, _ call: HostCall<ScriptContext>) -> HostWork {
            let context = call.context
            let deadline = call.deadline
            return {
                var request = request
                let remaining = ContinuousClock.now.duration(to: deadline)
                if remaining < request.timeout { request.timeout = max(remaining, .milliseconds(1)) }
                if let idempotencyHeader, request.header(idempotencyHeader) == nil {
                    request.headers.append((idempotencyHeader, idempotencyKey(context, position: context.effectLog.nextPosition)))
                }
                let sent = request
                let response = try await context.effectLog.perform(function, requestArguments(sent, keeping: idempotencyHeader),
                                                                   replay: replayedResponse, live: {
                    try await counted("http") { try await context.effects.http(sent, context: context) }
                }, recorded: recordedResponse)
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
                    let delivered = try await context.effectLog.perform("alert", alertArguments(raised), replay: { kept in
                        if case .bool(let delivered) = kept { return delivered } else { return nil }
                    }, live: {
                        let delivered = await context.effects.alert(raised, context: context)
                        counted.record("alert", outcome: delivered ? "delivered" : "folded")
                        return delivered
                    }, recorded: { (.bool($0), true) })
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
                    let text = try await context.effectLog.perform("store.get", [EffectField("key", .text(key))], replay: { kept in
                        kept == .null ? .some(nil) : kept["value"].map { .some($0.json) }
                    }, live: {
                        try await counted("store") { try await context.effects.storeGet(key, context: context) }
                    }, recorded: { text in
                        guard let text else { return (.null, true) }
                        let (value, whole) = EffectValues.json(text)
                        return (.object([EffectField("value", value)]), whole)
                    })
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
                var arguments = [EffectField("key", .text(key)), EffectField("value", EffectValues.json(value).value)]
                if let lifetime { arguments.append(EffectField("ttl", .number(lifetime))) }
                return { [arguments] in
                    try await context.effectLog.perform("store.set", arguments, replay: { _ in true }, live: {
                        try await counted("store") { try await context.effects.storeSet(key, json: value, ttl: lifetime, context: context) }
                        return true
                    }, recorded: { _ in (.bool(true), true) })
                    return []
                }
            },
            .async("store.incr") { call in
                let key = try key(call)
                let by = call.isNil(2) ? 1 : try call.number(2, "by")
                let lifetime = try ttl(call, 3, "store.incr")
                let context = call.context
                var arguments = [EffectField("key", .text(key)), EffectField("by", .number(by))]
                if let lifetime { arguments.append(EffectField("ttl", .number(lifetime))) }
                return { [arguments] in
                    let value = try await context.effectLog.perform("store.incr", arguments, replay: { kept -> Double? in
                        switch kept {
                        case .number(let value): value
                        case .integer(let value): Double(value)
                        default: nil
                        }
                    }, live: {
                        try await counted("store") { try await context.effects.storeIncrement(key, by: by, ttl: lifetime, context: context) }
                    }, recorded: { (.number($0), true) })
                    if value == value.rounded(), abs(value) < 9e15 { return [.integer(Int64(value))] }
                    return [.number(value)]
                }
            },
            .async("store.delete") { call in
                let key = try key(call)
                let context = call.context
                return {
                    try await context.effectLog.perform("store.delete", [EffectField("key", .text(key))], replay: { _ in true }, live: {
                        try await counted("store") { try await context.effects.storeDelete(key, context: context) }
                        return true
                    }, recorded: { _ in (.bool(true), true) })
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
                let value = call.context.effects.environment(name)
                // the name only: a value may be a credential
                call.context.effectLog.note("env", [EffectField("name", .text(name))], result: .bool(value != nil))
                return [value.map(LuaValue.string) ?? .nil]
            },
            .sync("time.now") { call in [.integer(now(call.context))] },
            .sync("time.iso") { call in
                let ms = try call.optionalInteger(1, "milliseconds") ?? now(call.context)
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

/// `time.now()` (and `time.iso()` without an argument): the value is recorded, and a retry gets the earlier
/// attempt's, so that what the run computes from it comes out the same.
private func now(_ context: ScriptContext) -> Int64 {
    context.effectLog.performNow("time.now", [], replay: { kept in
        if case .integer(let value) = kept { return value } else { return nil }
    }, live: { context.effects.now() }, recorded: { .integer($0) })
}

/// The Idempotency-Key of a script's HTTP call: the same for the same call on every attempt of the run.
func idempotencyKey(_ context: ScriptContext, position: Int) -> String {
    "\(context.eventID)-\(context.script)-\(position)"
}

func fileArguments(_ path: String, _ data: [UInt8]) -> [EffectField] {
    [EffectField("path", .text(path)), EffectField("data", EffectValues.body(data).value)]
}

func requestArguments(_ request: OutboundRequest, keeping idempotencyHeader: String?) -> [EffectField] {
    var fields = [EffectField("method", .text(request.method)), EffectField("url", .text(request.url)),
                  EffectField("headers", EffectValues.headers(request.headers, keeping: idempotencyHeader))]
    if let body = request.body { fields.append(EffectField("body", EffectValues.body(body).value)) }
    if request.followRedirects { fields.append(EffectField("follow_redirects", .bool(true))) }
    return fields
}

@Sendable func recordedResponse(_ response: OutboundResponse) -> (EffectValue, Bool) {
    let (body, whole) = EffectValues.body(response.body)
    return (.object([EffectField("status", .integer(Int64(response.status))),
                     EffectField("headers", EffectValues.headers(response.headers)), EffectField("body", body)]), whole)
}

/// The response an HTTP call's record keeps, when its body was kept whole.
@Sendable package func replayedResponse(_ kept: EffectValue) -> OutboundResponse? {
    guard case .integer(let status)? = kept["status"], let body = kept["body"].flatMap(EffectValues.bytes) else { return nil }
    return OutboundResponse(status: Int(status), headers: EffectValues.headerList(kept["headers"]), body: body)
}

func alertArguments(_ alert: Alert) -> [EffectField] {
    var fields = [EffectField("title", .text(alert.title)), EffectField("text", .text(alert.text)),
                  EffectField("severity", .text(alert.severity.rawValue))]
    if let key = alert.key { fields.append(EffectField("key", .text(key))) }
    if !alert.fields.isEmpty {
        fields.append(EffectField("fields", .object(alert.fields.sorted { $0.key < $1.key }.map { EffectField($0.key, .text($0.value)) })))
    }
    return fields
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
