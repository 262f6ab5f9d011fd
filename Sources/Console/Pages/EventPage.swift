import Hummingbird
import Journal

/// One event: its payload as a tree, its warnings, every run attempt with its error and that source line, its
/// host calls, and a Replay button.
struct EventPage: Sendable {
    let sources: ConsoleSources

    struct View {
        let title: String
        let nav = Navigation(events: true)
        let csrf: String
        let event: EventRow
        let requestID: String
        let dedupKey: String
        let warnings: [String]
        let hasWarnings: Bool
        let tree: JSONNode?
        let rawBody: String
        let runs: [RunView]
        let hasRuns: Bool
        let replayAction: String
        let replayed: Bool
    }

    func render(_ id: EventID, request: Request, session: ConsoleSession, renderer: PageRenderer) async throws -> Response {
        guard let detail = try await sources.journal.event(id) else {
            return ConsoleRejection.response(.notFound, code: "no_such_event", message: "no event \(id) in the journal (pruned, or never received)")
        }
        let scripts = ScriptLookup(sets: sources.scriptSets())
        let tree = JSONNode.parse(detail.body)
        return renderer.page("event", View(
            title: "Event \(id)", csrf: session.csrf, event: EventRow(detail.summary), requestID: detail.requestID,
            dedupKey: detail.dedupKey, warnings: detail.summary.warnings, hasWarnings: !detail.summary.warnings.isEmpty,
            tree: tree, rawBody: tree == nil ? String(decoding: detail.body, as: UTF8.self) : "",
            runs: detail.runs.map { RunView($0, scripts: scripts) }, hasRuns: !detail.runs.isEmpty,
            replayAction: ConsolePaths.event(id.rawValue) + "/replay",
            replayed: request.uri.queryParameters["replayed"] != nil))
    }

    /// Puts the event back to pending: the dispatcher runs every script of its type again.
    func replay(_ id: EventID) async throws -> Response {
        let count = try await sources.journal.requeue([id])
        guard count == 1 else {
            return ConsoleRejection.response(.notFound, code: "no_such_event", message: "no event \(id) to replay")
        }
        return Response.redirect(to: ConsolePaths.event(id.rawValue) + "?replayed=1", type: .normal)
    }
}
