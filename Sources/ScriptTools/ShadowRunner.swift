import EventDispatch
import Foundation
import HostAPI
import JSON
import Journal
import LuaRuntime

/// Runs journaled events through candidate scripts and through the current ones, with every effect recorded
/// and none performed (`ShadowEffects`), and compares each candidate run with what the live run did
/// (`EffectComparison`). A pool of Lua states per folder: events on different states run in parallel.
///
/// ```swift
/// let runner = try await ShadowRunner.load(current: "./scripts", candidate: "./candidate", states: 2, store: journal)
/// let outcome = await runner.compare(try await journal.event(id)!, on: 0)
/// for script in outcome.scripts where script.status != .identical { print(script.script, script.status) }
/// ```
package final class ShadowRunner: Sendable {
    package let currentFolder: String
    package let candidateFolder: String
    private let current: [ScriptWorkbench]
    private let candidate: [ScriptWorkbench]
    private let store: (any ScriptStore)?
    /// What `env(name)` answers in both folders' runs.
    private let environment: [String: String]
    /// Scripts the same in both folders, with the same `lib/`: the same code given the same inputs in the same
    /// harness, so whatever the candidate's run would differ by from the live record, the current one's would too,
    /// and it is all noise. They are identical without being run.
    package let unchanged: Set<String>

    private init(currentFolder: String, candidateFolder: String, current: [ScriptWorkbench], candidate: [ScriptWorkbench],
                 store: (any ScriptStore)?, environment: [String: String]) {
        self.currentFolder = currentFolder
        self.environment = environment
        self.candidateFolder = candidateFolder
        self.current = current
        self.candidate = candidate
        self.store = store
        let before = current[0].set, after = candidate[0].set
        let versions = Dictionary(before.scripts.map { ($0.path, $0.version) }) { a, _ in a }
        unchanged = before.modules.mapValues(\.text) != after.modules.mapValues(\.text) || !after.errors.isEmpty ? []
            : Set(after.scripts.filter { versions[$0.path] == $0.version }.map(\.path))
    }

    /// `states` Lua states for each folder; `store`: the journal whose store reads answer what no live run read;
    /// `environment`: what `env(name)` returns (the variables allowed, as `hookline serve --allow-env` allows them).
    package static func load(current: String, candidate: String, states: Int, store: (any ScriptStore)?,
                            environment: [String: String] = [:]) async throws(ScriptFolderError) -> ShadowRunner {
        var currentPool: [ScriptWorkbench] = [], candidatePool: [ScriptWorkbench] = []
        for _ in 0..<max(1, states) {
            currentPool.append(try await ScriptWorkbench.load(folder: current))
            candidatePool.append(try await ScriptWorkbench.load(folder: candidate))
        }
        return ShadowRunner(currentFolder: current, candidateFolder: candidate, current: currentPool, candidate: candidatePool,
                            store: store, environment: environment)
    }

    package var states: Int { current.count }

    /// Scripts of the candidate folder that do not compile, as `path:line: message`.
    package var candidateErrors: [String] { candidate[0].set.errors.map(\.description) }

    /// The outcome of an event all of whose scripts are unchanged (nothing to run or read); nil when one must run.
    package func withoutRunning(_ event: EventSummary) -> ShadowEvent? {
        var paths = current[0].set.scripts(for: event.type).map(\.path)
        for path in candidate[0].set.scripts(for: event.type).map(\.path) where !paths.contains(path) { paths.append(path) }
        guard paths.allSatisfy(unchanged.contains) else { return nil }
        return ShadowEvent(summary: event, scripts: paths.map { ShadowOutcome(script: $0, status: .identical) })
    }

    /// One event through both folders' scripts of its type, on Lua state `slot`.
    package func compare(_ detail: EventDetail, on slot: Int) async -> ShadowEvent {
        let event = detail.summary
        let currentBench = current[slot % current.count], candidateBench = candidate[slot % candidate.count]
        var paths = currentBench.set.scripts(for: event.type).map(\.path)
        for path in candidateBench.set.scripts(for: event.type).map(\.path) where !paths.contains(path) { paths.append(path) }
        if paths.allSatisfy(unchanged.contains) {
            return ShadowEvent(summary: event, scripts: paths.map { ShadowOutcome(script: $0, status: .identical) })
        }
        guard let document = try? JSONParser.parse(detail.body, options: .init(rejectDuplicateKeys: false)),
              let message = document.root["message"] else {
            return ShadowEvent(summary: event, skipped: "body unreadable")
        }
        var lastRun: [String: RunRecord] = [:]
        for run in detail.runs where run.generation == event.generation { lastRun[run.script] = run }
        let liveEntries = lastRun.values.flatMap(\.effects.entries)

        var outcomes: [ShadowOutcome] = []
        for path in paths {
            if unchanged.contains(path) {
                outcomes.append(ShadowOutcome(script: path, status: .identical))
                continue
            }
            let live = lastRun[path]
            if let live, live.effects.isLines {
                outcomes.append(ShadowOutcome(script: path, status: .unrecorded))  // recorded before effects were kept
                continue
            }
            let context = RunContext(eventID: event.id.description, endpoint: event.endpoint, type: event.type,
                                     callID: event.callID, receivedAt: event.receivedAt, attempt: 1, script: path,
                                     warnings: event.warnings)
            // a fired timer's handler gets the timer, as the server gives it (`late_ms` as of the fire)
            let timer = Timers.name(ofEventType: event.type) != nil ? message["timer"] : nil
            let input: ScriptInput = timer.map { .value(TimerHandlerInput.timer($0, now: event.receivedAt)) } ?? .json(message)
            let ctx = timer.map { TimerHandlerInput.context(context, $0) } ?? context.table
            let effects = ShadowEffects(live: liveEntries, ownLive: live?.effects.entries ?? [], receivedAt: event.receivedAt,
                                        store: store, environment: environment)
            let inCurrent = currentBench.set.scripts.contains { $0.path == path }
            let inCandidate = candidateBench.set.scripts.contains { $0.path == path }
            let currentRun = inCurrent ? await currentBench.runRecorded(path, event: input, ctx: ctx, effects: effects) : nil
            let candidateRun = inCandidate ? await candidateBench.runRecorded(path, event: input, ctx: ctx, effects: effects) : nil
            // without a live run (a script added since, an event still pending), the current script's shadow stands in
            let liveRecord = live?.effects ?? currentRun?.effects ?? EffectRecord()
            let liveFailure = live.map { $0.outcome == .ok ? nil : liveError($0) } ?? currentRun.flatMap { failure($0.result, currentFolder) }
            let candidateFailure = candidateRun.flatMap { failure($0.result, candidateFolder) }
            switch (liveFailure, candidateFailure) {
            case (nil, let error?):
                outcomes.append(ShadowOutcome(script: path, status: .newFailure, error: error))
            case (let error?, nil):
                outcomes.append(ShadowOutcome(script: path, status: .fixedFailure, error: error))
            case (_?, _?):
                outcomes.append(ShadowOutcome(script: path, status: .identical))
            case (nil, nil):
                let changes = EffectComparison.compare(live: liveRecord, current: currentRun?.effects ?? EffectRecord(),
                                                       candidate: candidateRun?.effects ?? EffectRecord())
                outcomes.append(ShadowOutcome(script: path, status: changes.isEmpty ? .identical : .changed, changes: changes))
            }
        }
        return ShadowEvent(summary: event, scripts: outcomes)
    }

    private func failure(_ result: Result<RunReport, ScriptError>, _ folder: String) -> String? {
        guard case .failure(let error) = result else { return nil }
        return "\((folder as NSString).appendingPathComponent(error.source ?? error.script)):\(error.line.map(String.init) ?? "?"): \(error.message)"
    }

    private func liveError(_ run: RunRecord) -> String {
        "\((currentFolder as NSString).appendingPathComponent(run.script)):\(run.errorLine.map(String.init) ?? "?"): \(run.error ?? "failed") (live)"
    }
}

/// What a shadow run found for one event.
package struct ShadowEvent: Sendable {
    package var summary: EventSummary
    package var scripts: [ShadowOutcome] = []
    /// Why the event was not compared (a timer's event, an unreadable body).
    package var skipped: String?
}

package struct ShadowOutcome: Sendable {
    package enum Status: String, Sendable, CaseIterable {
        case identical, changed
        case newFailure = "new failure"
        case fixedFailure = "fixed failure"
        /// The live run was recorded before effects were kept: nothing to compare with.
        case unrecorded
    }
    package var script: String
    package var status: Status
    package var changes: [EffectComparison.Change] = []
    /// `path:line: message`: the candidate's error for a new failure, the live one for a fixed failure.
    package var error: String?
}
