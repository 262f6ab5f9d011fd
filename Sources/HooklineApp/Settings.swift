import Foundation
import Yams

/// The settings of `hookline serve`: each one declared in `SettingDeclarations` is read by its name
/// (`settings.maxBody`) and holds its default until a flag, an environment variable (`HOOKLINE_` + the
/// name in capitals, `-` as `_`) or a key of the optional config file sets it; a flag beats the
/// environment, which beats the file. Named endpoints come from the config file only.
///
///     var settings = Settings()
///     try settings.applyArguments(["--port", "9000", "--open"])
///     settings.port     // 9000
@dynamicMemberLookup
public struct Settings: Sendable {
    /// Values set so far, by setting name; the others have their declared default.
    private var values: [String: any Sendable] = [:]
    /// Named endpoints (`/webhook/{name}`), from the config file.
    public var endpoints: [NamedEndpoint] = []

    public init() {}

    public subscript<Value>(dynamicMember path: KeyPath<SettingDeclarations, Setting<Value>>) -> Value {
        get { self[SettingDeclarations.declared[keyPath: path]] }
        set { self[SettingDeclarations.declared[keyPath: path]] = newValue }
    }

    package subscript<Value>(setting: Setting<Value>) -> Value {
        get { values[setting.name].map { $0 as! Value } ?? setting.defaultValue }
        set { values[setting.name] = newValue }
    }

    package var outFolder: String { self.out ?? (self.data as NSString).appendingPathComponent("out") }

    package enum LogFormat: String, Sendable, CaseIterable {
        case text, json
    }

    public struct NamedEndpoint: Sendable, CustomStringConvertible {
        public var name: String
        public var secret: String?
        package var headers: [(name: String, value: String)]
        package var events: Set<String>?
        package var scripts: String?

        package init(name: String, secret: String?, headers: [(name: String, value: String)] = [], events: Set<String>? = nil,
                    scripts: String? = nil) {
            self.name = name
            self.secret = secret
            self.headers = headers
            self.events = events
            self.scripts = scripts
        }

        /// Without the secret and the header values.
        public var description: String {
            "NamedEndpoint(\(name), secret: \(secret == nil ? "none" : "set"), headers: \(headers.map(\.name)), "
                + "events: \(events.map { $0.sorted().description } ?? "all"), scripts: \(scripts ?? "the main folder"))"
        }
    }
}

extension Settings: CustomStringConvertible, CustomReflectable {
    /// Every setting with its value, secrets as "set" or "not set" only: safe for a log line.
    public var description: String {
        "Settings(" + SettingDeclarations.all.map { "\($0.name): \(shown($0))" }.joined(separator: ", ")
            + ", endpoints: \(endpoints))"
    }

    /// What `dump` and debuggers show: the same as the description, never a secret's value.
    public var customMirror: Mirror {
        Mirror(self, children: SettingDeclarations.all.map { (label: $0.name, value: shown($0) as Any) }
            + [(label: "endpoints", value: endpoints.map(\.description) as Any)])
    }

    private func shown(_ setting: any AnySetting) -> String {
        let text = setting.valueText(in: self)
        guard setting.isSecret else { return text }
        return text.isEmpty ? "not set" : "set"
    }
}

/// Why a setting could not be used, naming it and where it came from.
package struct SettingsError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

extension Settings {
    /// Applies one setting given as text (from a flag, the environment or the config file); `origin` says
    /// where it came from in an error.
    public mutating func apply(_ name: String, _ text: String, from origin: String) throws {
        guard let setting = SettingDeclarations.byName[name] else {
            throw SettingsError("\(origin): unknown setting '\(name)'\(suggestion(for: name)) (see hookline serve --help)")
        }
        guard setting.apply(text, to: &self) else {
            let given = setting.isSecret ? "the value is not shown: it is secret" : "got '\(text)'"
            let subject = origin == setting.flag ? origin : "\(origin): \(name)"
            throw SettingsError("\(subject) must be \(setting.expected) (\(given))")
        }
    }

    /// Settings from `--name value` pairs (or `--name=value`; an on/off setting alone, `--open`, turns it on),
    /// as `hookline serve` is given them.
    public mutating func applyArguments(_ arguments: [String]) throws {
        var rest = arguments[...]
        var previous: (any AnySetting)?
        while let argument = rest.popFirst() {
            guard argument.hasPrefix("--"), argument.count > 2 else {
                let shown = previous?.isSecret == true ? "a second value" : "'\(argument)'"
                throw SettingsError("\(shown)\(previous.map { " after \($0.flag)" } ?? ""): not a setting; settings are given as --name value (see hookline serve --help)")
            }
            let pair = argument.dropFirst(2).split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0])
            guard let setting = SettingDeclarations.byName[name] else {
                throw SettingsError("unknown setting --\(name)\(suggestion(for: name)) (see hookline serve --help)")
            }
            let text: String
            if pair.count == 2 {
                text = String(pair[1])
            } else if setting.isSwitch, let next = rest.first, !next.isEmpty, parseBool(next) != nil {
                text = next
                rest.removeFirst()
            } else if setting.isSwitch {
                text = "true"
            } else if let next = rest.first, !Self.namesASetting(next) {
                // a flag that follows is not this one's value: "--port --secret=x" would show x in the error
                text = next
                rest.removeFirst()
            } else {
                throw SettingsError("\(setting.flag) needs a value (\(setting.expected))")
            }
            try apply(name, text, from: setting.flag)
            previous = setting
        }
    }

    /// Whether `argument` is a setting's flag (`--port`, `--port=1`).
    private static func namesASetting(_ argument: String) -> Bool {
        guard argument.hasPrefix("--") else { return false }
        let name = argument.dropFirst(2).split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return SettingDeclarations.byName[String(name)] != nil
    }

    /// ", did you mean --port?" for a name one or two letters away from a setting's.
    private func suggestion(for name: String) -> String {
        let near = SettingDeclarations.all.map { ($0, editDistance(name, $0.name)) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }
        return near.map { ", did you mean \($0.0.flag)?" } ?? ""
    }

    /// Settings from the environment variables that are set.
    package mutating func applyEnvironment(_ environment: [String: String]) throws {
        for setting in SettingDeclarations.all {
            if let text = environment[setting.environmentVariable] {
                try apply(setting.name, text, from: "environment variable \(setting.environmentVariable)")
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
            // Yams's `load` traps (a forced unwrap) on a key that is not text, a list or a map used as a key
            // (`? [a, b]`): such a file is refused before it gets there
            if let document = try Yams.compose(yaml: text), let bad = Self.keyThatIsNotText(in: document) {
                throw SettingsError("\(path): line \(bad.mark?.line ?? 0): a key must be text, not a \(bad.sequence == nil ? "map" : "list")")
            }
            root = try Yams.load(yaml: text)
        } catch let error as SettingsError {
            throw error
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

    /// The first key of a map, anywhere in `node`, that is a list or a map rather than text.
    private static func keyThatIsNotText(in node: Node) -> Node? {
        switch node {
        case .scalar:
            return nil
        case .sequence(let items):
            for item in items { if let bad = keyThatIsNotText(in: item) { return bad } }
            return nil
        case .mapping(let pairs):
            for (key, value) in pairs {
                guard case .scalar = key else { return key }
                if let bad = keyThatIsNotText(in: value) { return bad }
            }
            return nil
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
            for key in settings.keys.sorted() where !["secret", "secret_env", "headers", "events", "scripts"].contains(key) {
                throw SettingsError("\(path): endpoints.\(name).\(key) is not an endpoint setting (secret, secret_env, headers, events, scripts)")
            }
            return endpoint
        }
    }
}

/// Levenshtein distance: the fewest letters to insert, delete or replace to turn one word into the other.
private func editDistance(_ a: String, _ b: String) -> Int {
    let b = Array(b)
    var previous = Array(0...b.count)
    for (i, x) in a.enumerated() {
        var current = [i + 1]
        for (j, y) in b.enumerated() {
            current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
        }
        previous = current
    }
    return previous[b.count]
}
