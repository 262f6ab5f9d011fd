import Journal

/// One run attempt as the event and call pages show it.
struct RunView: Sendable {
    let script: String
    let scriptVersion: String
    let generation: Int
    let attempt: Int
    let outcome: String
    let started: ConsoleTime
    let duration: String
    let hasError: Bool
    let errorKind: String
    let error: String
    /// `script:line` where the error happened, when known.
    let location: String
    let sourceLine: String
    let hasSourceLine: Bool
    let hostCalls: [String]
    let hasHostCalls: Bool

    init(_ run: RunRecord, scripts: ScriptLookup) {
        script = run.script
        scriptVersion = run.scriptVersion
        generation = run.generation
        attempt = run.attempt
        outcome = run.outcome.rawValue
        started = ConsoleTime(run.startedAt)
        duration = RunView.milliseconds(run.durationMicroseconds)
        hasError = run.error != nil
        errorKind = run.errorKind ?? ""
        let location = run.errorLine.map { "\(run.script):\($0)" } ?? ""
        let error = run.error ?? ""
        // Lua's message usually starts with the same location: said once is enough
        self.error = location.isEmpty || !error.hasPrefix(location + ": ") ? error : String(error.dropFirst(location.count + 2))
        self.location = location
        let line = run.errorLine.flatMap { scripts.line($0, of: run.script) }
        sourceLine = line ?? ""
        hasSourceLine = line != nil
        hostCalls = run.hostCalls
        hasHostCalls = !run.hostCalls.isEmpty
    }

    static func milliseconds(_ microseconds: Int64) -> String {
        microseconds < 10_000 ? String(format: "%.2f ms", Double(microseconds) / 1000) : "\(microseconds / 1000) ms"
    }
}

import Foundation
