import JSON
import Journal

/// How a candidate script's effects differ from what the live script did for one event, leaving out the
/// differences that the current script also shows when it runs in the same harness (noise: times, random
/// values, whatever the harness cannot give back as it was), the way Diffy learns noise from two primaries.
///
/// Effects are the calls that reach outside the run: HTTP, `file.write`/`file.append`, `alert`, store writes
/// and timer operations (reads, `env` and `time.now` only feed them). Calls are paired by function and target
/// (URL, path, key, timer name) in order, so one added call does not make every later one look changed; paired
/// calls are compared argument by argument, JSON bodies member by member.
///
/// ```swift
/// let changes = EffectComparison.compare(live: liveRun.effects, current: currentShadow, candidate: candidateShadow)
/// for change in changes { print(change.lines.joined(separator: "\n")) }   // - alert{... severity = "critical"}
///                                                                          // + alert{... severity = "warning"}
/// ```
package enum EffectComparison {
    package struct Change: Sendable {
        package enum Kind: String, Sendable { case added, removed, changed }
        package var kind: Kind
        package var live: EffectEntry?
        package var candidate: EffectEntry?
        /// For `changed`: the arguments that differ, with the live and the candidate value.
        package var fields: [(path: String, live: String?, candidate: String?)]

        /// `- call{...}` and/or `+ call{...}`, arguments only, bodies shortened.
        package var lines: [String] {
            var lines: [String] = []
            if let live { lines.append("- " + arguments(live)) }
            if let candidate { lines.append("+ " + arguments(candidate)) }
            return lines
        }

        /// What kind of change this is, without what differs from event to event: the key of its group.
        package var signature: String {
            let call = (candidate ?? live)?.call ?? "?"
            guard kind == .changed else { return "\(kind.rawValue) \(call)" }
            let fields = fields.map { field -> String in
                guard let old = field.live, let new = field.candidate, old.count <= 40, new.count <= 40 else { return field.path }
                return "\(field.path) \(old) -> \(new)"
            }
            return "changed \(call): " + fields.joined(separator: ", ")
        }
    }

    /// Calls with effects outside the run.
    package static func isEffect(_ entry: EffectEntry) -> Bool {
        entry.call.hasPrefix("http.") || ["file.write", "file.append", "alert", "store.set", "store.incr", "store.delete",
                                          "timer.set", "timer.cancel"].contains(entry.call)
    }

    package static func compare(live: EffectRecord, current: EffectRecord, candidate: EffectRecord) -> [Change] {
        let live = live.entries.filter(isEffect), current = current.entries.filter(isEffect)
        let candidate = candidate.entries.filter(isEffect)
        let toCandidate = pairs(live, candidate), withCurrent = pairs(live, current)
        let toCurrent = Dictionary(withCurrent.compactMap { pair in pair.0.map { ($0, pair.1) } }) { a, _ in a }
        let currentUnpaired = withCurrent.compactMap { $0.0 == nil ? $0.1.map { current[$0] } : nil }
        var changes: [Change] = []
        for (l, c) in toCandidate {
            switch (l, c) {
            case (let l?, let c?):
                // paired with nothing in the current run: the harness cannot reproduce this call; no verdict
                guard let k = toCurrent[l] ?? nil else { continue }
                let liveFields = flatten(live[l]), currentFields = flatten(current[k]), candidateFields = flatten(candidate[c])
                var differing: [(String, String?, String?)] = []
                for path in Set(liveFields.keys).union(candidateFields.keys).sorted()
                where liveFields[path] != candidateFields[path] && liveFields[path] == currentFields[path] {
                    differing.append((path, liveFields[path], candidateFields[path]))
                }
                if !differing.isEmpty {
                    changes.append(Change(kind: .changed, live: live[l], candidate: candidate[c], fields: differing))
                }
            case (let l?, nil):
                // the current script makes the call too: the candidate dropped it
                if toCurrent[l] ?? nil != nil { changes.append(Change(kind: .removed, live: live[l], candidate: nil, fields: [])) }
            case (nil, let c?):
                // the current script adds the same call in this harness too: noise
                let fields = flatten(candidate[c])
                if !currentUnpaired.contains(where: { flatten($0) == fields }) {
                    changes.append(Change(kind: .added, live: nil, candidate: candidate[c], fields: []))
                }
            case (nil, nil):
                continue
            }
        }
        return changes
    }

    /// Pairs two lists of calls by `target` in order (longest common subsequence); unpaired ones stand alone.
    static func pairs(_ a: [EffectEntry], _ b: [EffectEntry]) -> [(Int?, Int?)] {
        let keysA = a.map(target), keysB = b.map(target)
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                table[i][j] = keysA[i] == keysB[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var result: [(Int?, Int?)] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, keysA[i] == keysB[j] {
                result.append((i, j)); i += 1; j += 1
            } else if j >= b.count || (i < a.count && table[i + 1][j] >= table[i][j + 1]) {
                result.append((i, nil)); i += 1
            } else {
                result.append((nil, j)); j += 1
            }
        }
        return result
    }

    /// The function and what it acts on: what pairs two calls.
    static func target(_ entry: EffectEntry) -> String {
        let object = entry.argument("url") ?? entry.argument("path") ?? entry.argument("key") ?? entry.argument("name")
        return entry.call + " " + (object?.text ?? "")
    }

    /// Every argument as a path and its value as Lua writes it; a body as its JSON members when it is JSON,
    /// else as its text.
    static func flatten(_ entry: EffectEntry) -> [String: String] {
        var fields: [String: String] = [:]
        for argument in entry.arguments { flatten(argument.value, at: argument.name, into: &fields) }
        return fields
    }

    private static func flatten(_ value: EffectValue, at path: String, into fields: inout [String: String]) {
        switch value {
        case .object(let members):
            if value["sha256"] != nil, value["length"] != nil {
                if let text = value["text"]?.text {
                    if let document = try? JSONParser.parse(Array(text.utf8), options: .init(maxDepth: 128, rejectDuplicateKeys: false)),
                       document.root.kind == .object || document.root.kind == .array {
                        flatten(EffectValue(document.root), at: path, into: &fields)
                    } else {
                        fields[path] = JSONStrings.quoted(text)
                    }
                } else {
                    fields[path] = "<sha256 \(value["sha256"]?.text ?? "")>"
                }
                return
            }
            if members.isEmpty { fields[path] = "{}" }
            for member in members { flatten(member.value, at: path + "." + member.name, into: &fields) }
        case .list(let elements):
            if elements.isEmpty { fields[path] = "{}" }
            for (index, element) in elements.enumerated() { flatten(element, at: "\(path)[\(index + 1)]", into: &fields) }
        default:
            fields[path] = value.lua()
        }
    }
}

/// A call with its arguments, without its outcome, bodies shortened.
func arguments(_ entry: EffectEntry) -> String {
    EffectEntry(call: entry.call, arguments: entry.arguments).summary()
}
