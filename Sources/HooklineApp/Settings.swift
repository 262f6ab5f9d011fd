import Foundation
import LuaRuntime
import Yams

/// Every setting of `hookline serve`, with its default. Each can be given as a flag, an environment
/// variable (`HOOKLINE_` + the flag in capitals, `-` as `_`) or a key of the optional config file;
/// a flag beats the environment, which beats the file.
public struct Settings: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var scripts = "./scripts"
    public var data = "./data"
    /// Where scripts' files go; `<data>/out` unless set.
    public var out: String?
    public var secret: String?
    /// Accept deliveries without any secret (explicit opt-in; logged as a warning).
    public var open = false
    public var maxBody = 4 << 20
    public var idleTimeout = Duration.seconds(60)
    /// Finished events older than this are pruned from the journal; zero keeps them forever.
    public var retention = Duration.seconds(30 * 86400)
    /// Deliveries whose natural key (events.md, e) was already journaled are answered as duplicates.
    public var dedup = true
    public var scriptTimeout = Duration.seconds(5)
    public var scriptMemory = 64 << 20
    public var retries = 5
    public var retryBackoff = Duration.seconds(1)
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    public var httpAllow: [String] = []
    public var httpMaxResponse = 4 << 20
    public var allowEnv: [String] = []
    public var alertSlack: String?
    public var alertWebhook: String?
    public var alertPagerDuty: String?
    public var alertPagerDutyURL = "https://events.pagerduty.com"
    public var alertWindow = Duration.seconds(600)
    /// The least severe alert each channel receives: "slack", "webhook", "pagerduty" -> info, warning or critical.
    public var alertMinimum: [String: String] = [:]
    public var logFormat = LogFormat.text
    public var logLevel = "info"
    public var reloadInterval = Duration.seconds(1)
    /// Named endpoints (`/webhook/{name}`), from the config file.
    public var endpoints: [NamedEndpoint] = []

    public init() {}

    public var outFolder: String { out ?? (data as NSString).appendingPathComponent("out") }

    public enum LogFormat: String, Sendable, CaseIterable {
        case text, json
    }

    public struct NamedEndpoint: Sendable {
        public var name: String
        public var secret: String?
        public var headers: [(name: String, value: String)]
        public var events: Set<String>?
        public var scripts: String?

        public init(name: String, secret: String?, headers: [(name: String, value: String)] = [], events: Set<String>? = nil,
                    scripts: String? = nil) {
            self.name = name
            self.secret = secret
            self.headers = headers
            self.events = events
            self.scripts = scripts
        }
    }
}

/// Why a setting could not be used, naming it and where it came from.
public struct SettingsError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Settings {
    /// Applies one setting given as text (from a flag, the environment or the config file).
    public mutating func apply(_ key: String, _ value: String, from origin: String) throws {
        func fail(_ expected: String) -> SettingsError {
            SettingsError("\(origin): \(key) must be \(expected) (got '\(value)')")
        }
        switch key {
        case "host": host = value
        case "port":
            guard let number = Int(value), (0...65535).contains(number) else { throw fail("a port number (0-65535)") }
            port = number
        case "scripts": scripts = value
        case "data": data = value
        case "out": out = value
        case "secret": secret = value.isEmpty ? nil : value
        case "open": open = try parseBool(value, fail)
        case "dedup": dedup = try parseBool(value, fail)
        case "max-body": maxBody = try parseBytes(value) ?? { throw fail("a size such as 4MiB, 512KiB or 1000000") }()
        case "retention": retention = try parseDuration(value) ?? { throw fail("a duration such as 30d, or 0 to keep everything") }()
        case "idle-timeout": idleTimeout = try parseDuration(value) ?? { throw fail("a duration such as 60s") }()
        case "script-timeout": scriptTimeout = try parseDuration(value) ?? { throw fail("a duration such as 5s or 250ms") }()
        case "script-memory": scriptMemory = try parseBytes(value) ?? { throw fail("a size such as 64MiB") }()
        case "retries":
            guard let number = Int(value), number >= 0 else { throw fail("a number of retries (0 or more)") }
            retries = number
        case "retry-backoff": retryBackoff = try parseDuration(value) ?? { throw fail("a duration such as 1s") }()
        case "workers":
            guard let number = Int(value), number >= 1 else { throw fail("a number of Lua states (1 or more)") }
            workers = number
        case "http-allow": httpAllow += list(value)
        case "http-max-response": httpMaxResponse = try parseBytes(value) ?? { throw fail("a size such as 4MiB") }()
        case "allow-env": allowEnv += list(value)
        case "alert-slack": alertSlack = value
        case "alert-webhook": alertWebhook = value
        case "alert-pagerduty": alertPagerDuty = value
        case "alert-pagerduty-url": alertPagerDutyURL = value
        case "alert-window": alertWindow = try parseDuration(value) ?? { throw fail("a duration such as 10m") }()
        case "alert-slack-min", "alert-webhook-min", "alert-pagerduty-min":
            guard ["info", "warning", "critical"].contains(value) else { throw fail("info, warning or critical") }
            alertMinimum[String(key.dropFirst("alert-".count).dropLast("-min".count))] = value
        case "log-format": logFormat = try LogFormat(rawValue: value) ?? { throw fail("text or json") }()
        case "log-level":
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(value) else {
                throw fail("one of trace, debug, info, notice, warning, error, critical")
            }
            logLevel = value
        case "reload-interval": reloadInterval = try parseDuration(value) ?? { throw fail("a duration such as 1s") }()
        default:
            throw SettingsError("\(origin): unknown setting '\(key)' (see hookline serve --help)")
        }
    }

    /// Every setting key, as flags and config keys spell it.
    public static let keys = [
        "host", "port", "scripts", "data", "out", "secret", "open", "dedup", "max-body", "idle-timeout", "retention", "script-timeout", "script-memory", "retries",
        "retry-backoff", "workers", "http-allow", "http-max-response", "allow-env", "alert-slack", "alert-webhook",
        "alert-pagerduty", "alert-pagerduty-url", "alert-window", "alert-slack-min", "alert-webhook-min", "alert-pagerduty-min", "log-format", "log-level", "reload-interval",
    ]

    public static func environmentName(_ key: String) -> String {
        "HOOKLINE_" + key.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// Settings from the environment variables that are set.
    public mutating func applyEnvironment(_ environment: [String: String]) throws {
        for key in Settings.keys {
            if let value = environment[Settings.environmentName(key)] {
                try apply(key, value, from: "environment variable \(Settings.environmentName(key))")
            }
        }
    }

    /// Settings from a YAML config file: the same keys as the flags, plus `endpoints`.
    public mutating func applyConfigFile(_ path: String, environment: [String: String]) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw SettingsError("cannot read the config file \(path)")
        }
        let root: Any?
        do {
            root = try Yams.load(yaml: text)
        } catch {
            throw SettingsError("\(path): not valid YAML: \(error)")
        }
        guard let root else { return }
        guard let map = root as? [String: Any] else { throw SettingsError("\(path): expected a map of settings at the top level") }
        for (key, value) in map.sorted(by: { $0.key < $1.key }) {
            if key == "endpoints" {
                endpoints = try parseEndpoints(value, path: path, environment: environment)
            } else if let items = value as? [Any] {
                for item in items { try apply(key, "\(item)", from: path) }
            } else {
                try apply(key, "\(value)", from: path)
            }
        }
    }

    private func parseEndpoints(_ value: Any, path: String, environment: [String: String]) throws -> [NamedEndpoint] {
        guard let map = value as? [String: Any] else {
            throw SettingsError("\(path): endpoints must be a map of name -> settings")
        }
        return try map.keys.sorted().map { name in
            guard name.range(of: "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", options: .regularExpression) != nil else {
                throw SettingsError("\(path): endpoint name '\(name)' must be letters, digits, '-' or '_'")
            }
            guard let settings = map[name] as? [String: Any] else {
                throw SettingsError("\(path): endpoints.\(name) must be a map (secret, headers, events, scripts)")
            }
            var endpoint = NamedEndpoint(name: name, secret: settings["secret"].map { "\($0)" })
            if let variable = settings["secret_env"] as? String {
                guard let secret = environment[variable], !secret.isEmpty else {
                    throw SettingsError("\(path): endpoints.\(name).secret_env names \(variable), which is not set")
                }
                endpoint.secret = secret
            }
            if let headers = settings["headers"] {
                guard let headers = headers as? [String: Any] else {
                    throw SettingsError("\(path): endpoints.\(name).headers must be a map of header -> value")
                }
                endpoint.headers = headers.keys.sorted().map { ($0, "\(headers[$0]!)") }
            }
            if let events = settings["events"] {
                guard let events = events as? [Any] else {
                    throw SettingsError("\(path): endpoints.\(name).events must be a list of event types")
                }
                endpoint.events = Set(events.map { "\($0)" })
            }
            endpoint.scripts = settings["scripts"].map { "\($0)" }
            for key in settings.keys where !["secret", "secret_env", "headers", "events", "scripts"].contains(key) {
                throw SettingsError("\(path): endpoints.\(name).\(key) is not an endpoint setting (secret, secret_env, headers, events, scripts)")
            }
            return endpoint
        }
    }
}

private func parseBool(_ value: String, _ fail: (String) -> SettingsError) throws -> Bool {
    switch value.lowercased() {
    case "1", "true", "yes", "on": return true
    case "0", "false", "no", "off", "": return false
    default: throw fail("true or false")
    }
}

private func list(_ value: String) -> [String] {
    value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

/// "4MiB", "512KiB", "1MB", "1000" -> bytes.
public func parseBytes(_ text: String) -> Int? {
    let units: [(String, Int)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("GB", 1_000_000_000), ("MB", 1_000_000),
                                  ("KB", 1000), ("kB", 1000), ("B", 1)]
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
        guard let number = Double(trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), number > 0 else { return nil }
        return Int(number * Double(factor))
    }
    return Int(trimmed).flatMap { $0 > 0 ? $0 : nil }
}

/// "5s", "250ms", "10m", "1h", "1.5s", "30d" -> a duration.
public func parseDuration(_ text: String) -> Duration? {
    let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
        guard let number = Double(trimmed.dropLast(suffix.count)), number >= 0 else { return nil }
        return .milliseconds(Int64((number * factor * 1000).rounded()))
    }
    return nil
}
