import Foundation
import HostAPI
import JSON
import Journal
import LuaRuntime

/// `mock.*`, `expect.*` and the accessors of script tests, over the current test's recorded world.
enum Expectations {
    static var functions: [HostFunction<Harness>] { mocks + accessors + checks + timerChecks }

    // MARK: mocks

    static let mocks: [HostFunction<Harness>] = [
        .sync("mock.http") { call in
            let spec = try call.table(1, "mock")
            guard let url = spec["url"].string else { throw HostError("mock.http: url must be a string (got \(spec["url"].typeName))") }
            var response = OutboundResponse(status: Int(spec["status"].integerValue ?? 200))
            if let json = try call.json(1, field: "json", "json") {
                response.body = json
                response.headers.append(("content-type", "application/json"))
            } else if case .bytes(let body) = spec["body"] {
                response.body = body
            }
            if case .table(let headers) = spec["headers"] {
                for (name, value) in headers.fields { response.headers.append((name.lowercased(), describe(value))) }
            }
            try call.context.world().mock(.init(url: url, method: spec["method"].string, response: response,
                                                error: spec["error"].string))
            return []
        },
        .sync("mock.env") { call in
            let values = try call.table(1, "values")
            try call.context.world().mockEnvironment(values.fields.mapValues(describe))
            return []
        },
        .sync("mock.store") { call in
            let values = try call.table(1, "values")
            let world = try call.context.world()
            for (key, value) in values.fields { world.mockStore(key, json: jsonText(value)) }
            return []
        },
        .sync("mock.time") { call in
            try call.context.world().mockTime(try call.integer(1, "milliseconds"))
            return []
        },
    ]

    // MARK: accessors

    static let accessors: [HostFunction<Harness>] = [
        .sync("alerts") { call in [.table(LuaTable(array: try deliveredAlerts(call).map(alertValue), isArray: true))] },
        .sync("http_calls") { call in [.table(LuaTable(array: try httpCalls(call).map(httpValue), isArray: true))] },
        .sync("logs") { call in [.table(LuaTable(array: try logs(call), isArray: true))] },
        .sync("read_file") { call in
            [try call.context.world().file(try call.string(1, "path")).map(LuaValue.bytes) ?? .nil]
        },
        .sync("timers") { call in
            let world = try call.context.world()
            return [.table(LuaTable(array: world.pendingTimers.map { timerValue($0, now: world.now()) }, isArray: true))]
        },
        .sync("store_value") { call in
            guard let text = try call.context.world().storedValue(try call.string(1, "key")) else { return [.nil] }
            return [(try? JSONParser.parse(Array(text.utf8))).map { LuaValue(json: $0.root) } ?? .string(text)]
        },
    ]

    // MARK: expectations

    static let checks: [HostFunction<Harness>] = [
        .sync("expect.alert") { call in
            let spec = try call.table(1, "alert")
            let alerts = try deliveredAlerts(call)
            guard alerts.contains(where: { matches(alertValue($0), spec) }) else {
                throw failure("expected an alert matching \(ValueMatching.literal(.table(spec)))", got: alerts.map(alertValue), noun: "alerts")
            }
            return []
        },
        .sync("expect.no_alert") { call in
            let alerts = try deliveredAlerts(call)
            guard alerts.isEmpty else { throw failure("expected no alert", got: alerts.map(alertValue), noun: "alerts") }
            return []
        },
        .sync("expect.alerts") { call in
            let count = Int(try call.integer(1, "count"))
            let alerts = try deliveredAlerts(call)
            guard alerts.count == count else {
                throw failure("expected \(count) delivered alert\(count == 1 ? "" : "s")", got: alerts.map(alertValue), noun: "alerts")
            }
            return []
        },
        .sync("expect.http") { call in try expectHTTP(call, method: nil) },
        .sync("expect.http_post") { call in try expectHTTP(call, method: "POST") },
        .sync("expect.no_http") { call in
            let calls = try httpCalls(call)
            guard calls.isEmpty else { throw failure("expected no HTTP call", got: calls.map(httpValue), noun: "calls") }
            return []
        },
        .sync("expect.file") { call in
            let path = try call.string(1, "path")
            let options = try call.optionalTable(2, "options") ?? LuaTable()
            guard let bytes = try call.context.world().file(path) else { throw HostError("expected file \(path) to exist; it does not") }
            let text = String(decoding: bytes, as: UTF8.self)
            if let equals = options["equals"].string, text != equals {
                throw HostError("expected file \(path) to equal \(ValueMatching.literal(.string(equals)))\n  got: \(ValueMatching.literal(.string(text)))")
            }
            if let part = options["contains"].string, !text.contains(part) {
                throw HostError("expected file \(path) to contain \(ValueMatching.literal(.string(part)))\n  got: \(ValueMatching.literal(.string(text)))")
            }
            if let lines = options["lines"].integerValue {
                let count = bytes.filter { $0 == 10 }.count
                guard count == lines else { throw HostError("expected file \(path) to have \(lines) lines\n  got: \(count) lines") }
            }
            return []
        },
        .sync("expect.no_file") { call in
            let path = try call.string(1, "path")
            if try call.context.world().file(path) != nil { throw HostError("expected no file \(path); it exists") }
            return []
        },
        .sync("expect.log") { call in
            let spec = try call.table(1, "log")
            let entries = try logs(call)
            guard entries.contains(where: { matches($0, spec) }) else {
                throw failure("expected a log line matching \(ValueMatching.literal(.table(spec)))", got: entries, noun: "log lines")
            }
            return []
        },
        .sync("expect.store") { call in
            let key = try call.string(1, "key")
            let expected = call.value(2)
            let stored = try call.context.world().storedValue(key)
            let actual: LuaValue = stored.flatMap { try? JSONParser.parse(Array($0.utf8)) }.map { LuaValue(json: $0.root) } ?? .nil
            guard ValueMatching.equal(actual, expected) else {
                throw HostError("expected store[\(ValueMatching.literal(.string(key)))] = \(ValueMatching.literal(expected))\n  got: \(ValueMatching.literal(actual))")
            }
            return []
        },
        .sync("expect.eq") { call in
            let (actual, expected) = (call.value(1), call.value(2))
            guard ValueMatching.equal(actual, expected) else {
                let label = (try? call.optionalString(3, "label")).flatMap { $0 }.map { "\($0): " } ?? ""
                throw HostError("\(label)expected \(ValueMatching.literal(expected))\n  got: \(ValueMatching.literal(actual))")
            }
            return []
        },
        .sync("expect.truthy") { call in
            let value = call.value(1)
            if value.isNil || value == .boolean(false) {
                let label = (try? call.optionalString(2, "label")).flatMap { $0 }.map { "\($0): " } ?? ""
                throw HostError("\(label)expected a true value\n  got: \(ValueMatching.literal(value))")
            }
            return []
        },
    ]

    /// `expect.timer{name = ..., due_in = seconds, call_id = ..., data = {...}}` (due_in within a second, the
    /// rest as other expectations match) and `expect.no_timer(name)`, over the pending timers of every call.
    static let timerChecks: [HostFunction<Harness>] = [
        .sync("expect.timer") { call in
            var spec = try call.table(1, "timer")
            let world = try call.context.world()
            let timers = world.pendingTimers.map { timerValue($0, now: world.now()) }
            let dueIn = spec["due_in"]
            spec["due_in"] = .nil
            guard timers.contains(where: { timer in
                guard matches(timer, spec) else { return false }
                guard case .table(let fields) = timer, let expected = dueIn.numberValue else { return dueIn.isNil }
                return abs((fields["due_in"].numberValue ?? .infinity) - expected) < 1
            }) else {
                if !dueIn.isNil { spec["due_in"] = dueIn }
                throw failure("expected a pending timer matching \(ValueMatching.literal(.table(spec)))", got: timers, noun: "timers")
            }
            return []
        },
        .sync("expect.no_timer") { call in
            let name = try call.string(1, "name")
            let world = try call.context.world()
            let found = world.pendingTimers.filter { $0.name == name }
            guard found.isEmpty else {
                throw failure("expected no pending timer \(ValueMatching.literal(.string(name)))",
                              got: found.map { timerValue($0, now: world.now()) }, noun: "timers")
            }
            return []
        },
    ]

    private static func timerValue(_ timer: PendingTimer, now: Int64) -> LuaValue {
        var table = LuaTable()
        table["name"] = .string(timer.name)
        table["call_id"] = .string(timer.call.callID)
        table["due_at"] = .integer(timer.dueAt)
        table["set_at"] = .integer(timer.setAt)
        table["due_in"] = .number(Double(timer.dueAt - now) / 1000)
        if let data = timer.data, let document = try? JSONParser.parse(Array(data.utf8), options: .init(maxDepth: 128)) {
            table["data"] = LuaValue(json: document.root)
        }
        return .table(table)
    }

    private static func expectHTTP(_ call: HostCall<Harness>, method: String?) throws -> [LuaValue] {
        var spec = try call.table(1, "request")
        if let method { spec["method"] = .string(method) }
        let calls = try httpCalls(call).map(httpValue)
        guard calls.contains(where: { matches($0, spec) }) else {
            throw failure("expected an HTTP call matching \(ValueMatching.literal(.table(spec)))", got: calls, noun: "calls")
        }
        return []
    }

    // MARK: the recorded world as Lua values

    private static func deliveredAlerts(_ call: HostCall<Harness>) throws -> [Alert] {
        try call.context.world().entries.compactMap { entry in
            if case .alert(let alert, true) = entry { return alert }
            return nil
        }
    }

    private static func alertValue(_ alert: Alert) -> LuaValue {
        var table = LuaTable()
        table["title"] = .string(alert.title)
        table["text"] = .string(alert.text)
        table["severity"] = .string(alert.severity.rawValue)
        if let key = alert.key { table["key"] = .string(key) }
        table["fields"] = .table(LuaTable(fields: alert.fields.mapValues(LuaValue.string)))
        table["folded"] = .integer(Int64(alert.folded))
        return .table(table)
    }

    private static func httpCalls(_ call: HostCall<Harness>) throws -> [OutboundRequest] {
        try call.context.world().entries.compactMap { entry in
            if case .http(let request, _, _, _) = entry { return request }
            return nil
        }
    }

    private static func httpValue(_ request: OutboundRequest) -> LuaValue {
        var table = LuaTable()
        table["method"] = .string(request.method)
        table["url"] = .string(request.url)
        var headers = LuaTable()
        for (name, value) in request.headers { headers[name.lowercased()] = .string(value) }
        table["headers"] = .table(headers)
        if let body = request.body {
            table["body"] = .bytes(body)
            if let document = try? JSONParser.parse(body, options: .init(maxDepth: 128)) { table["json"] = LuaValue(json: document.root) }
        }
        return .table(table)
    }

    private static func logs(_ call: HostCall<Harness>) throws -> [LuaValue] {
        try call.context.world().entries.compactMap { entry in
            guard case .log(let level, let message, let fields) = entry else { return nil }
            return .table(LuaTable(fields: ["level": .string(level.rawValue), "message": .string(message),
                                           "fields": .table(LuaTable(fields: fields.mapValues(LuaValue.string)))]))
        }
    }

    // MARK: matching

    /// Every field of `spec` matches `actual`: `<field>_contains` is a substring test, `headers` compares
    /// names case-insensitively, tables are subsets, and scalars compare as text (alert fields are text).
    private static func matches(_ actual: LuaValue, _ spec: LuaTable) -> Bool {
        guard case .table(let record) = actual else { return false }
        return spec.fields.allSatisfy { key, expected in
            if key.hasSuffix("_contains") {
                let field = String(key.dropLast("_contains".count))
                guard let text = record[field].string, let part = expected.string else { return false }
                return text.contains(part)
            }
            let value = record[key]
            switch (value, expected) {
            case (.table, .table(let subset)) where key == "headers":
                guard case .table(let headers) = value else { return false }
                return subset.fields.allSatisfy { name, header in headers[name.lowercased()].string == describe(header) }
            case (.table, .table): return ValueMatching.contains(value, expected)
            case (.table(let fields), _) where key == "fields": return ValueMatching.contains(.table(fields), expected)
            default: return ValueMatching.equal(value, expected) || (value.string != nil && value.string == describeScalar(expected))
            }
        }
    }

    private static func describeScalar(_ value: LuaValue) -> String? {
        switch value {
        case .bytes, .integer, .number, .boolean: describe(value)
        default: nil
        }
    }

    private static func failure(_ expectation: String, got: [LuaValue], noun: String) -> HostError {
        guard !got.isEmpty else { return HostError("\(expectation)\n  got: no \(noun)") }
        let listed = got.prefix(10).map { "    " + ValueMatching.literal($0) }.joined(separator: "\n")
        return HostError("\(expectation)\n  got \(got.count) \(noun):\n\(listed)")
    }
}

/// A Lua value as JSON text (for `mock.store`).
func jsonText(_ value: LuaValue) -> String {
    switch value {
    case .nil, .null, .opaque: return "null"
    case .boolean(let flag): return flag ? "true" : "false"
    case .integer(let number): return String(number)
    case .number(let number): return number.isFinite ? String(number) : "null"
    case .bytes(let bytes): return JSONStrings.quoted(String(decoding: bytes, as: UTF8.self))
    case .table(let table):
        if !table.fields.isEmpty {
            return "{" + table.fields.sorted { $0.key < $1.key }.map { JSONStrings.quoted($0.key) + ":" + jsonText($0.value) }
                .joined(separator: ",") + "}"
        }
        if table.array.isEmpty && !table.isArray { return "{}" }
        return "[" + table.array.map(jsonText).joined(separator: ",") + "]"
    }
}
