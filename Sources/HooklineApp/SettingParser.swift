import Basics
import Foundation

/// How the text of a setting (a flag's value, an environment variable, a config-file entry) becomes its
/// value, and how a value is written back (for the help and the README's table).
///
///     SettingParser<Int>.bytes.read("4MiB", 0)      // 4_194_304
///     SettingParser<Duration>.duration.write(.seconds(600))   // "10m"
package struct SettingParser<Value: Sendable>: Sendable {
    /// What a value looks like in the help: `size` for `--max-body <size>`.
    package let placeholder: String
    /// What was expected, for an error message: "a size such as 4MiB, 512KiB or 1000000".
    package let expected: String
    /// The value the text gives, knowing the current one (lists add to it); nil when the text is not valid.
    package let read: @Sendable (_ text: String, _ current: Value) -> Value?
    /// The value as it would be written in a flag: 4_194_304 as "4MiB".
    package let write: @Sendable (Value) -> String

    package init(placeholder: String, expected: String, read: @escaping @Sendable (_ text: String, _ current: Value) -> Value?,
                 write: @escaping @Sendable (Value) -> String) {
        self.placeholder = placeholder
        self.expected = expected
        self.read = read
        self.write = write
    }
}

extension SettingParser where Value == String {
    /// Any text: a host name, a folder, a URL.
    package static func text(_ placeholder: String) -> Self {
        Self(placeholder: placeholder, expected: "a \(placeholder)", read: { text, _ in text }, write: { $0 })
    }

    /// One of a few words.
    package static func choice(_ words: [String]) -> Self {
        Self(placeholder: words.joined(separator: "|"), expected: oneOf(words), read: { text, _ in words.contains(text) ? text : nil },
             write: { $0 })
    }
}

extension SettingParser where Value == String? {
    /// Text that may be absent; an empty text unsets it.
    package static func optionalText(_ placeholder: String) -> Self {
        Self(placeholder: placeholder, expected: "a \(placeholder)", read: { text, _ in .some(text.isEmpty ? nil : text) },
             write: { $0 ?? "" })
    }
}

extension SettingParser where Value: RawRepresentable & CaseIterable, Value.RawValue == String {
    /// One of an enumeration's cases, by its raw value (`text`, `json`).
    package static var choice: Self {
        let words = Value.allCases.map(\.rawValue)
        return Self(placeholder: words.joined(separator: "|"), expected: oneOf(words), read: { text, _ in Value(rawValue: text) },
                    write: { $0.rawValue })
    }
}

extension SettingParser where Value == Int {
    /// A whole number in `range`; `what` names it in errors ("a port number").
    package static func number(_ range: ClosedRange<Int>, _ placeholder: String, what: String) -> Self {
        let limits = range.upperBound == .max ? "\(range.lowerBound) or more" : "\(range.lowerBound)-\(range.upperBound)"
        return Self(placeholder: placeholder, expected: "\(what) (\(limits))",
                    read: { text, _ in Int(text.trimmingCharacters(in: .whitespaces)).flatMap { range.contains($0) ? $0 : nil } },
                    write: { String($0) })
    }

    /// A size in bytes: "4MiB", "512KiB", "1MB", "1000".
    package static var bytes: Self {
        Self(placeholder: "size", expected: "a size such as 4MiB, 512KiB or 1000000", read: { text, _ in parseBytes(text) },
             write: formatBytes)
    }
}

extension SettingParser where Value == Duration {
    /// A duration: "250ms", "5s", "10m", "1h", "30d", or "0".
    package static var duration: Self {
        Self(placeholder: "duration", expected: "a duration such as 250ms, 5s, 10m, 1h or 30d (or 0)",
             read: { text, _ in parseDuration(text) }, write: formatDuration)
    }
}

extension SettingParser where Value == Bool {
    /// true or false (also yes/no, on/off, 1/0). Given as a flag, `--name` alone means true.
    package static var boolean: Self {
        Self(placeholder: "true|false", expected: "true or false", read: { text, _ in parseBool(text) }, write: { String($0) })
    }
}

extension SettingParser where Value == [String] {
    /// Items separated by commas, added to those given before (by repeating the flag, or from the file and
    /// the environment).
    package static func list(_ placeholder: String) -> Self {
        Self(placeholder: placeholder, expected: "\(placeholder)s separated by commas",
             read: { text, current in
                 current + text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
             },
             write: { $0.joined(separator: ",") })
    }
}

private func oneOf(_ words: [String]) -> String {
    words.count == 2 ? "\(words[0]) or \(words[1])" : "one of \(words.joined(separator: ", "))"
}

func parseBool(_ text: String) -> Bool? {
    switch text.lowercased() {
    case "1", "true", "yes", "on": true
    case "0", "false", "no", "off", "": false
    default: nil
    }
}

private let byteUnits: [(String, Int)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("GB", 1_000_000_000),
                                          ("MB", 1_000_000), ("KB", 1000), ("kB", 1000), ("B", 1)]

/// "4MiB", "512KiB", "1MB", "1000" -> bytes: at least one, and fewer than 2^63 (a size past that, or an
/// infinite or NaN number such as "infB", is refused rather than trapping in the conversion to Int). A whole
/// number of a unit is exact ("9007199254740993B" is that many bytes, not the nearest double); a fraction
/// ("1.5KiB") is rounded down to a byte.
public func parseBytes(_ text: String) -> Int? {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    for (suffix, factor) in byteUnits where trimmed.hasSuffix(suffix) {
        let numberText = trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
        if let whole = Int(numberText) {
            let (bytes, overflow) = whole.multipliedReportingOverflow(by: factor)
            return whole > 0 && !overflow ? bytes : nil
        }
        guard let number = Double(numberText), number > 0 else { return nil }
        let bytes = (number * Double(factor)).rounded(.down)
        guard bytes >= 1, bytes < 0x1p63 else { return nil }
        return Int(bytes)
    }
    return Int(trimmed).flatMap { $0 > 0 ? $0 : nil }
}

/// The largest binary unit that writes the size exactly: 4_194_304 as "4MiB".
func formatBytes(_ bytes: Int) -> String {
    for (suffix, factor) in byteUnits.prefix(3) where bytes % factor == 0 { return "\(bytes / factor)\(suffix)" }
    return String(bytes)
}

private let durationUnits: [(String, Int64)] = [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)]

/// The longest duration a setting takes: what 64-bit nanoseconds hold (about 292 years), the unit of the
/// timers and deadlines durations become (NIO's `TimeAmount`, the Lua deadline clock).
let longestDuration = Int64.max / 1_000_000

/// "5s", "250ms", "10m", "1h", "1.5s", "30d", "0" -> a duration, to the millisecond. A duration past
/// `longestDuration`, or an infinite or NaN number ("infs"), is refused rather than trapping in the conversion.
public func parseDuration(_ text: String) -> Duration? {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if trimmed == "0" { return .zero }
    // "ms" before "s" and "m": 250ms is not 250 of either.
    for (suffix, milliseconds) in durationUnits.reversed() where trimmed.hasSuffix(suffix) {
        guard let number = Double(trimmed.dropLast(suffix.count)), number >= 0 else { return nil }
        let total = (number * Double(milliseconds)).rounded()
        guard total <= Double(longestDuration) else { return nil }
        return .milliseconds(Int64(total))
    }
    return nil
}

/// The largest unit that writes the duration exactly: 600 s as "10m".
func formatDuration(_ duration: Duration) -> String {
    let milliseconds = duration.wholeMilliseconds
    if milliseconds == 0 { return "0" }
    for (suffix, factor) in durationUnits where milliseconds % factor == 0 { return "\(milliseconds / factor)\(suffix)" }
    return "\(milliseconds)ms"
}
