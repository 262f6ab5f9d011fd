import Foundation
import Hummingbird
import Journal

/// Dead runs of events still failed, grouped by script and error with counts; one form per script replays
/// every failed event of that script since a time, after a fix.
struct FailuresPage: Sendable {
    static let runLimit = 10_000
    let journal: any Journal

    struct Group {
        let script: String
        let error: String
        let count: Int
        let latest: ConsoleTime
        let sample: String
        let sampleID: Int64
    }

    struct ScriptGroup {
        let script: String
        let groups: [Group]
        let total: Int
        let since: String
    }

    struct View {
        let title = "Failures"
        let nav = Navigation(failures: true)
        let csrf: String
        let scripts: [ScriptGroup]
        let empty: Bool
        let replayed: String
    }

    func render(_ request: Request, session: ConsoleSession, renderer: PageRenderer) async throws -> Response {
        let groups = try await journal.deadRunGroups(since: nil)
        let scripts = Dictionary(grouping: groups, by: \.script).sorted { $0.key < $1.key }.map { script, groups in
            let shown = groups.sorted { $0.events > $1.events }.map { group in
                Group(script: script, error: Self.error(group), count: group.events, latest: ConsoleTime(group.latestAt),
                      sample: ConsolePaths.event(group.latestEvent.rawValue), sampleID: group.latestEvent.rawValue)
            }
            // the form replays from a second before the oldest latest run shown: an operator can move it
            let earliest = groups.map(\.latestAt).min() ?? 0
            return ScriptGroup(script: script, groups: shown, total: shown.map(\.count).reduce(0, +),
                               since: String(ConsoleTime(earliest - 1000).iso.prefix(19)))
        }
        let replayed = request.uri.queryParameters["replayed"].map { "\($0) failed events of \(request.uri.queryParameters["script"] ?? "") queued again." } ?? ""
        return renderer.page("failures", View(csrf: session.csrf, scripts: scripts, empty: scripts.isEmpty, replayed: replayed))
    }

    /// `script:line: message` when the line is known.
    static func error(_ group: DeadRunGroup) -> String {
        let location = group.errorLine.map { "\(group.script):\($0)" }
        let message = group.error ?? "failed"
        guard let location else { return message }
        return message.hasPrefix(location + ": ") ? message : location + ": " + message
    }

    /// Replays every event where `script` is dead, received since the form's time.
    func replay(_ request: Request, context: ConsoleContext) async throws -> Response {
        var request = request
        let form = try await ConsoleForm.read(&request, context: context)
        guard let script = form["script"], !script.isEmpty else {
            return ConsoleRejection.response(.badRequest, code: "no_script", message: "say which script's failed runs to replay")
        }
        let sinceText = form["since"] ?? ""
        guard sinceText.isEmpty || ConsoleTime.parse(sinceText) != nil else {
            return ConsoleRejection.response(.badRequest, code: "bad_time",
                                             message: "since must be a time such as 2026-12-07T12:00 (UTC), got '\(sinceText)'")
        }
        let runs = try await journal.deadRuns(since: ConsoleTime.parse(sinceText), limit: Self.runLimit)
        let ids = Array(Set(runs.filter { $0.script == script }.map(\.eventID))).sorted()
        let count = try await journal.requeue(ids)
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?#")
        return Response.redirect(to: ConsolePaths.failures + "?replayed=\(count)&script=" + (script.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""),
                                 type: .normal)
    }
}
