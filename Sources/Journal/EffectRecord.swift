import JSON

/// What one run attempt's host calls did, in the order made: kept with the run in the journal, shown by
/// `hookline events show`, and handed to a retry of the run, whose calls that match it return the recorded
/// results instead of being performed again (see `EffectLog` in HostAPI).
///
/// ```swift
/// var record = EffectRecord()
/// record.append(EffectEntry(call: "alert", arguments: [EffectField("title", .text("Hang")), EffectField("severity", .text("critical"))],
///                           result: .bool(true)))
/// record.lines   // ["#1 alert{title = \"Hang\", severity = \"critical\"} -> true"]
/// EffectRecord(json: record.json) == record   // true
/// ```
public struct EffectRecord: Sendable, Equatable {
    /// A run's record is kept to this many bytes (as JSON); the calls after it are counted, not kept.
    package static let maxBytes = 256 << 10

    package private(set) var entries: [EffectEntry]
    /// Calls made after the record reached `maxBytes`: not kept, so a retry performs them again.
    package private(set) var dropped: Int
    private var bytes: Int

    public init(entries: [EffectEntry] = [], dropped: Int = 0) {
        self.entries = []
        self.dropped = 0
        bytes = 0
        for entry in entries { append(entry) }
        self.dropped += dropped
    }

    public var isEmpty: Bool { entries.isEmpty && dropped == 0 }
    public var truncated: Bool { dropped > 0 }
    /// How many host calls the run made (kept or not).
    public var count: Int { entries.count + dropped }

    /// Keeps `entry` unless the record is full.
    public mutating func append(_ entry: EffectEntry) {
        let size = entry.json.count + 1
        guard dropped == 0, bytes + size <= Self.maxBytes else {
            dropped += 1
            return
        }
        bytes += size
        entries.append(entry)
    }

    /// The record as the journal keeps it: `{"calls":[...],"dropped":n}`.
    public var json: String {
        var out = Array(#"{"calls":["#.utf8)
        for (index, entry) in entries.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += entry.json
        }
        out += Array(#"],"dropped":\#(dropped)}"#.utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// Reads what `json` wrote; nil when it is not such a record.
    public init?(json text: String) {
        guard let document = try? JSONParser.parse(Array(text.utf8), options: .init(maxDepth: 128, rejectDuplicateKeys: false)),
              let calls = document.root["calls"], calls.kind == .array else { return nil }
        var entries: [EffectEntry] = []
        for value in calls.elements {
            guard let entry = EffectEntry(value) else { return nil }
            entries.append(entry)
        }
        self.init(entries: entries, dropped: Int(document.root["dropped"]?.integer ?? 0))
    }

    /// A record of runs written before effects were kept: their host-call lines (calls named `line`).
    public init(notes: [String]) {
        self.init(entries: notes.map { EffectEntry(call: "line", arguments: [EffectField("text", .text($0))]) })
    }

    /// Whether this is the record of a run written before effects were kept.
    package var isLines: Bool { !entries.isEmpty && entries.allSatisfy { $0.call == "line" } }

    /// One readable line per call, numbered as the calls were made.
    package var lines: [String] {
        var lines = entries.enumerated().map { "#\($0.offset + 1) \($0.element.summary())" }
        if dropped > 0 {
            lines.append("... \(dropped) more call\(dropped == 1 ? "" : "s") not kept (a run's record is kept to \(Self.maxBytes >> 10) KiB)")
        }
        return lines
    }
}

/// One host call: what was asked (`arguments`), and what came of it (`result`, or `error`).
public struct EffectEntry: Sendable, Equatable {
    /// The function called: "http.post", "file.append", "alert", "store.incr", "env", "time.now", "timer.set"...
    package var call: String
    package var arguments: [EffectField]
    package var result: EffectValue?
    package var error: String?
    /// The result is kept whole, so a retry can return it instead of performing the call again.
    package var replayable: Bool
    /// This attempt returned the result an earlier attempt recorded, without performing the call.
    package var reused: Bool

    package init(call: String, arguments: [EffectField], result: EffectValue? = nil, error: String? = nil,
                replayable: Bool = false, reused: Bool = false) {
        self.call = call
        self.arguments = arguments
        self.result = result
        self.error = error
        self.replayable = replayable
        self.reused = reused
    }

    /// The call as Lua would write it, with what came of it: `alert{title = "Hang", severity = "critical"} -> true`;
    /// bodies shortened to their first 120 characters with their size unless `whole`.
    package func summary(whole: Bool = false) -> String {
        var text = call
        if call == "note" || call == "line", let note = arguments.first?.value.text { return note }
        text += "{" + arguments.map { "\(luaKey($0.name)) = \($0.value.lua(whole: whole))" }.joined(separator: ", ") + "}"
        if let error {
            text += " -> error: " + error
        } else if let result {
            text += " -> " + result.lua(whole: whole)
        }
        if reused { text += " (reused from an earlier attempt)" }
        return text
    }

    /// The value of an argument.
    package func argument(_ name: String) -> EffectValue? {
        arguments.first { $0.name == name }?.value
    }

    var json: [UInt8] {
        var out = Array(#"{"call":"#.utf8)
        JSONStrings.appendQuoted(call, to: &out)
        out += Array(#","arguments":"#.utf8)
        EffectValue.object(arguments).append(to: &out)
        if let result {
            out += Array(#","result":"#.utf8)
            result.append(to: &out)
        }
        if let error {
            out += Array(#","error":"#.utf8)
            JSONStrings.appendQuoted(error, to: &out)
        }
        if replayable { out += Array(#","replayable":true"#.utf8) }
        if reused { out += Array(#","reused":true"#.utf8) }
        out.append(UInt8(ascii: "}"))
        return out
    }

    init?(_ value: JSONValue) {
        guard let call = value["call"]?.string, case .object(let arguments)? = value["arguments"].map(EffectValue.init) else {
            return nil
        }
        self.init(call: call, arguments: arguments, result: value["result"].map(EffectValue.init), error: value["error"]?.string,
                  replayable: value["replayable"]?.bool ?? false, reused: value["reused"]?.bool ?? false)
    }
}

package struct EffectField: Sendable, Equatable {
    package var name: String
    package var value: EffectValue

    package init(_ name: String, _ value: EffectValue) {
        self.name = name
        self.value = value
    }
}

/// A JSON value that keeps the order of an object's members (arguments read in the order they were given).
package indirect enum EffectValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case text(String)
    case list([EffectValue])
    case object([EffectField])

    package var text: String? {
        if case .text(let text) = self { return text }
        return nil
    }

    package subscript(_ name: String) -> EffectValue? {
        if case .object(let fields) = self { return fields.first { $0.name == name }?.value }
        return nil
    }

    /// As Lua source would write it (strings quoted, tables in braces); a body (length, sha256, text) as its
    /// first 120 characters and its size unless `whole`.
    package func lua(whole: Bool = true) -> String {
        switch self {
        case .null: return "json.null"
        case .bool(let flag): return flag ? "true" : "false"
        case .integer(let number): return String(number)
        case .number(let number):
            return number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .text(let text): return JSONStrings.quoted(text)
        case .list(let values): return "{" + values.map { $0.lua(whole: whole) }.joined(separator: ", ") + "}"
        case .object(let fields):
            if !whole, case .integer(let length)? = self["length"], let digest = self["sha256"]?.text {
                guard let text = self["text"]?.text else { return "<\(length) bytes, sha256 \(digest.prefix(12))>" }
                return text.count <= 120 ? JSONStrings.quoted(text)
                    : JSONStrings.quoted(String(text.prefix(120))) + "... (\(length) bytes, sha256 \(digest.prefix(12)))"
            }
            return "{" + fields.map { "\(luaKey($0.name)) = \($0.value.lua(whole: whole))" }.joined(separator: ", ") + "}"
        }
    }

    package var json: String {
        var out: [UInt8] = []
        append(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func append(to out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let flag): out += Array((flag ? "true" : "false").utf8)
        case .integer(let number): out += Array(String(number).utf8)
        case .number(let number):
            if number.isFinite { JSONStrings.appendDouble(number, to: &out) } else { out += Array("null".utf8) }
        case .text(let text): JSONStrings.appendQuoted(text, to: &out)
        case .list(let values):
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                value.append(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            for (index, field) in fields.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONStrings.appendQuoted(field.name, to: &out)
                out.append(UInt8(ascii: ":"))
                field.value.append(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    package init(_ value: JSONValue) {
        switch value.kind {
        case .null: self = .null
        case .true: self = .bool(true)
        case .false: self = .bool(false)
        case .integer: self = .integer(value.integer ?? 0)
        case .double: self = .number(value.number ?? 0)
        case .string: self = .text(value.string ?? "")
        case .array: self = .list(value.elements.map(EffectValue.init))
        case .object: self = .object(value.members.map { EffectField($0.key, EffectValue($0.value)) })
        }
    }
}

private func luaKey(_ name: String) -> String {
    let identifier = !name.isEmpty && name.utf8.allSatisfy { ($0 | 0x20 >= 97 && $0 | 0x20 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
        && !(name.utf8.first! >= 48 && name.utf8.first! <= 57)
    return identifier ? name : "[\(JSONStrings.quoted(name))]"
}
