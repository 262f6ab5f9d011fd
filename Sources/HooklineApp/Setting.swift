/// One setting of `hookline serve`, declared once in `SettingDeclarations`. Its name is the flag
/// (`--max-body`), the config-file key (`max-body:`) and, in capitals with `_`, the environment
/// variable (`HOOKLINE_MAX_BODY`); the help and the README's table are written from it.
///
///     package let maxBody = Setting("max-body", .bytes, default: 4 << 20,
///                                   help: "Largest body accepted; larger ones get 413.")
///     settings.maxBody      // the value, through `Settings`' dynamic member lookup
public struct Setting<Value: Sendable>: Sendable {
    package let name: String
    package let parser: SettingParser<Value>
    package let defaultValue: Value
    /// The default as the help shows it, where the value alone would not say it ("the number of cores").
    package let shownDefault: String?
    /// Never printed with its value: not in errors, not in `Settings`' description.
    package let isSecret: Bool
    /// One or two sentences for the help and the README.
    package let help: String

    package init(_ name: String, _ parser: SettingParser<Value>, default defaultValue: Value, shown shownDefault: String? = nil,
                 secret isSecret: Bool = false, help: String) {
        self.name = name
        self.parser = parser
        self.defaultValue = defaultValue
        self.shownDefault = shownDefault
        self.isSecret = isSecret
        self.help = help
    }
}

/// A setting whatever its type, as the flags, the environment, the config file and the help see it.
package protocol AnySetting: Sendable {
    var name: String { get }
    var help: String { get }
    var isSecret: Bool { get }
    /// `size` in `--max-body <size>`.
    var placeholder: String { get }
    /// What a valid value looks like, for an error message.
    var expected: String { get }
    /// The default as text: "4MiB".
    var defaultText: String { get }
    /// On/off: given as a flag, `--name` alone turns it on.
    var isSwitch: Bool { get }
    /// Each value given adds to the earlier ones.
    var isList: Bool { get }
    /// Sets the value from text; false when the text is not a valid value (nothing is changed then).
    func apply(_ text: String, to settings: inout Settings) -> Bool
    /// The current value as text (secrets included: callers must not print it for a secret setting).
    func valueText(in settings: Settings) -> String
}

extension AnySetting {
    package var environmentVariable: String { "HOOKLINE_" + name.uppercased().replacingOccurrences(of: "-", with: "_") }
    package var flag: String { "--" + name }
}

extension Setting: AnySetting {
    package var placeholder: String { parser.placeholder }
    package var expected: String { parser.expected }
    package var defaultText: String { shownDefault ?? parser.write(defaultValue) }
    package var isSwitch: Bool { Value.self == Bool.self }
    package var isList: Bool { Value.self == [String].self }

    package func apply(_ text: String, to settings: inout Settings) -> Bool {
        guard let value = parser.read(text, settings[self]) else { return false }
        settings[self] = value
        return true
    }

    package func valueText(in settings: Settings) -> String { parser.write(settings[self]) }
}
