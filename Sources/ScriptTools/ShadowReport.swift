import Basics
import JSON
import Journal

/// What a shadow run found, event after event: counts per script, failures by error, and changes grouped by
/// what changed, so that 5,000 events changed the same way read as one group with a count and two examples.
///
/// ```swift
/// var report = ShadowReport(current: "./scripts", candidate: "./candidate")
/// report.add(await runner.compare(detail, on: 0))
/// print(report.text())
/// exit(report.anythingChanged ? 1 : 0)
/// ```
package struct ShadowReport: Sendable {
    package struct Counts: Sendable {
        package var byStatus: [ShadowOutcome.Status: Int] = [:]
    }

    struct Example: Sendable {
        var event: EventID
        var callID: String
        var lines: [String]
    }

    struct Group: Sendable {
        var script: String
        var title: String
        var count = 0
        var examples: [Example] = []
    }

    package let current: String
    package let candidate: String
    package private(set) var compared = 0
    package private(set) var skipped: [String: Int] = [:]
    package private(set) var scripts: [String: Counts] = [:]
    private var groups: [String: Group] = [:]
    private var groupOrder: [String] = []

    package init(current: String, candidate: String) {
        self.current = current
        self.candidate = candidate
    }

    package var anythingChanged: Bool {
        scripts.values.contains { counts in counts.byStatus.contains { $0.key != .identical && $0.key != .unrecorded && $0.value > 0 } }
    }

    package mutating func add(_ event: ShadowEvent) {
        if let reason = event.skipped {
            skipped[reason, default: 0] += 1
            return
        }
        compared += 1
        for outcome in event.scripts {
            scripts[outcome.script, default: Counts()].byStatus[outcome.status, default: 0] += 1
            let title: String
            var lines: [String] = []
            switch outcome.status {
            case .identical, .unrecorded: continue
            case .newFailure, .fixedFailure:
                title = "\(outcome.status.rawValue): \(outcome.error ?? "")"
            case .changed:
                let signatures = outcome.changes.map(\.signature)
                title = distinct(signatures).joined(separator: "; ")
                lines = outcome.changes.flatMap(\.lines)
            }
            let key = outcome.script + "\u{0}" + title
            if groups[key] == nil {
                groups[key] = Group(script: outcome.script, title: title)
                groupOrder.append(key)
            }
            groups[key]!.count += 1
            if groups[key]!.examples.count < 2 {
                groups[key]!.examples.append(Example(event: event.summary.id, callID: event.summary.callID, lines: lines))
            }
        }
    }

    /// The summary first (per script: identical, changed, new and fixed failures), then each group of changes
    /// with its count and two examples.
    package func text(elapsed: Duration? = nil) -> String {
        var out: [String] = []
        var headline = "Shadow run: \(compared) event\(compared == 1 ? "" : "s") compared"
        if let elapsed, elapsed > .zero {
            let seconds = Double(elapsed.wholeMicroseconds) / 1_000_000
            headline += " in \(String(format: "%.2f", seconds)) s (\(Int(Double(compared) / seconds)) events/s)"
        }
        out.append(headline)
        out.append("  candidate scripts: \(candidate); live record: the journal; noise learned from the current scripts in \(current)")
        for (reason, count) in skipped.sorted(by: { $0.key < $1.key }) { out.append("  not compared: \(count) (\(reason))") }
        out.append("")
        let width = max(24, (scripts.keys.map(\.count).max() ?? 0) + 2)
        out.append(padded("script", width) + "identical   changed   new failures   fixed failures")
        for (script, counts) in scripts.sorted(by: { $0.key < $1.key }) {
            let n = { (status: ShadowOutcome.Status) in counts.byStatus[status] ?? 0 }
            var row = padded(script, width) + padded(String(n(.identical)), 12) + padded(String(n(.changed)), 10)
                + padded(String(n(.newFailure)), 15) + String(n(.fixedFailure))
            if n(.unrecorded) > 0 { row += "   (\(n(.unrecorded)) recorded before effects were kept)" }
            out.append(row)
        }
        if groupOrder.isEmpty {
            out.append("")
            out.append("No changes: the candidate scripts do what the live scripts did.")
            return out.joined(separator: "\n")
        }
        for key in groupOrder {
            let group = groups[key]!
            out.append("")
            out.append("\(group.script): \(group.count) event\(group.count == 1 ? "" : "s"): \(group.title)")
            for example in group.examples {
                out.append("  event \(example.event) (call \(example.callID))\(example.lines.isEmpty ? "" : ":")")
                for line in example.lines { out.append("    " + line) }
            }
        }
        return out.joined(separator: "\n")
    }

    /// One line of JSON for an event: its id, type and call, and per script its status, error and diff.
    package static func json(_ event: ShadowEvent) -> String {
        var out = "{\"event\":\"\(event.summary.id)\",\"type\":\(JSONStrings.quoted(event.summary.type)),"
            + "\"call_id\":\(JSONStrings.quoted(event.summary.callID)),"
        if let skipped = event.skipped { return out + "\"skipped\":\(JSONStrings.quoted(skipped))}" }
        out += "\"scripts\":["
        out += event.scripts.map { outcome in
            "{\"script\":\(JSONStrings.quoted(outcome.script)),\"status\":\(JSONStrings.quoted(outcome.status.rawValue)),"
                + "\"error\":\(outcome.error.map(JSONStrings.quoted) ?? "null"),"
                + "\"changes\":[" + outcome.changes.map { change in
                    "{\"kind\":\"\(change.kind.rawValue)\",\"live\":\(change.live.map { EffectValue.object($0.arguments).json } ?? "null"),"
                        + "\"candidate\":\(change.candidate.map { EffectValue.object($0.arguments).json } ?? "null"),"
                        + "\"call\":\(JSONStrings.quoted((change.candidate ?? change.live)?.call ?? "")),"
                        + "\"diff\":[\(change.lines.map(JSONStrings.quoted).joined(separator: ","))]}"
                }.joined(separator: ",") + "]}"
        }.joined(separator: ",")
        return out + "]}"
    }
}

/// The distinct elements in their first order.
private func distinct(_ items: [String]) -> [String] {
    var seen = Set<String>()
    return items.filter { seen.insert($0).inserted }
}

private func padded(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
