import Basics
import HostAPI
import JSON

/// The recorded effects of a run as readable lines, in the order they happened.
package enum Trace {
    package static func lines(_ entries: [RecordingEffects.Entry], outputFolder: String) -> [String] {
        entries.map { entry in
            switch entry {
            case .log(let level, let message, let fields):
                let shown = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                return "log.\(level.rawValue)  \(message)\(shown.isEmpty ? "" : "  {\(shown)}")"
            case .alert(let alert, let delivered):
                var line = "alert     [\(alert.severity.rawValue)] \(alert.title)"
                if let key = alert.key { line += "  key=\(key)" }
                line += delivered ? (alert.folded > 0 ? "  (delivered, \(alert.folded) folded before)" : "  (delivered)")
                    : "  (folded: same key within the window)"
                if !alert.text.isEmpty { line += "\n            \(alert.text.replacingOccurrences(of: "\n", with: "\n            "))" }
                for (name, value) in alert.fields.sorted(by: { $0.key < $1.key }) { line += "\n            \(name): \(value)" }
                return line
            case .http(let request, let response, let error, let mocked):
                var line = "http      \(request.method) \(request.url)"
                for (name, value) in request.headers { line += "\n            \(name): \(redactedHeader(name, value))" }
                if let body = request.body {
                    let text = String(decoding: body.prefix(400), as: UTF8.self)
                    line += "\n            body: \(text)\(body.count > 400 ? "... (\(body.count) bytes)" : "")"
                }
                if let error { return line + "\n            -> \(error)" }
                return line + "\n            -> \(response?.status ?? 0)\(mocked ? "" : " (not sent: dry run; use --live to send)")"
            case .file(let operation, let path, let bytes):
                return "file.\(operation)  \(path) (\(bytes) bytes) -> \(outputFolder)/\(path)"
            case .store(let operation, let key, let value):
                return "store.\(operation)  \(key)\(value.map { " = \($0)" } ?? "")"
            case .timer(let operation):
                switch operation.kind {
                case .set(let dueAt, let setAt, let data):
                    return "timer.set  \(operation.name) in \(delayText(Double(dueAt - setAt) / 1000)) (due \(ISO8601.string(fromEpochMilliseconds: dueAt)))"
                        + (data.map { "\n            data: \($0)" } ?? "")
                case .cancel:
                    return "timer.cancel  \(operation.name)"
                }
            }
        }
    }

    /// Credentials a script sends are shown as their first characters only.
    static func redactedHeader(_ name: String, _ value: String) -> String {
        let sensitive = ["authorization", "x-api-key", "api-key", "cookie", "x-interactly-secret"]
        guard sensitive.contains(name.lowercased()) || name.lowercased().contains("token") || name.lowercased().contains("secret")
        else { return value }
        return String(value.prefix(6)) + "… (\(value.count) characters)"
    }
}

/// A timer's delay as `hookline run` shows it: "30 s", "0.2 s".
private func delayText(_ seconds: Double) -> String {
    (seconds == seconds.rounded() && abs(seconds) < 1e15 ? String(Int64(seconds)) : String(seconds)) + " s"
}
