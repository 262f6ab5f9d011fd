import Basics
import Hummingbird
import Journal

/// Per scripts folder: what runs for each event type (as `hookline check` prints it), the scripts that do not
/// compile, and each script's source with line numbers, its recent runs and failure rate (over the last day).
struct ScriptsPage: Sendable {
    static let window: Int64 = 86_400_000
    static let runLimit = 20_000
    let sources: ConsoleSources

    struct Problem { let text: String }
    struct TypeLine { let type: String; let paths: String }
    struct Script {
        let path: String
        let type: String
        let version: String
        let lines: [LuaHighlighter.Line]
        let runs: Int
        let failed: Int
        let failureRate: String
        let recent: [RunView]
        let hasRecent: Bool
    }
    struct Folder {
        let folder: String
        let problems: [Problem]
        let hasProblems: Bool
        let types: [TypeLine]
        let scripts: [Script]
    }
    struct View {
        let title = "Scripts"
        let nav = Navigation(scripts: true)
        let csrf: String
        let folders: [Folder]
        let runsCounted: Int
    }

    func render(session: ConsoleSession, renderer: PageRenderer) async throws -> Response {
        let sets = sources.scriptSets()
        let lookup = ScriptLookup(sets: sets)
        let runs = try await sources.journal.runs(since: epochMilliseconds() - Self.window, limit: Self.runLimit)
        let byScript = Dictionary(grouping: runs, by: \.script)
        let folders = sets.map { set in
            Folder(folder: set.folder, problems: set.errors.map { Problem(text: ScriptProblem.text($0, folder: set.folder)) },
                   hasProblems: !set.errors.isEmpty,
                   types: set.byType.map { TypeLine(type: $0.type, paths: $0.paths.joined(separator: ", ")) },
                   scripts: set.scripts.sorted { $0.path < $1.path }.map { file in
                let runs = byScript[file.path] ?? []
                let failed = runs.filter { $0.outcome != .ok }.count
                return Script(path: file.path, type: file.type, version: file.version,
                              lines: LuaHighlighter.lines(String(decoding: file.source, as: UTF8.self)),
                              runs: runs.count, failed: failed,
                              failureRate: runs.isEmpty ? "no runs" : String(format: "%.1f%%", Double(failed) * 100 / Double(runs.count)),
                              recent: runs.prefix(10).map { RunView($0, scripts: lookup) }, hasRecent: !runs.isEmpty)
            })
        }
        return renderer.page("scripts", View(csrf: session.csrf, folders: folders, runsCounted: runs.count))
    }
}

import Foundation
