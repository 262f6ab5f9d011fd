import ArgumentParser
import Basics
import Foundation
import HooklineApp
import HostAPI
import Intake
import JSON
import Journal
import Logging
import LuaRuntime
import Observability
import ScriptTools

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one event through the scripts that would receive it, without a server, and show what they did.",
        discussion: """
            By default side effects are recorded, not performed: HTTP calls get a stub answer (200, empty body), \
            files go to a temporary folder, alerts are printed, the store starts empty. With --live they happen for \
            real, using the settings `hookline serve` would use (environment variables and the config file: alert \
            channels, --out folder, the journal's store).

            Examples:
              hookline run Tests/Fixtures/interactly/fixtures/hang.json
              hookline run event.json --scripts examples/crm-push/scripts --env CRM_API_KEY=test
              hookline run event.json --live
            """
    )

    @Argument(help: "The event: a webhook body file as Interactly sends it, with a message object.")
    var event: String
    @Option(help: "Scripts folder.")
    var scripts = "./scripts"
    @Flag(help: "Perform the side effects for real.")
    var live = false
    @Option(name: .customLong("env"), help: "NAME=value an env(NAME) call returns in a dry run; repeatable.")
    var environment: [String] = []

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: event) else { throw ValidationError("cannot read \(event)") }
        let document: JSONDocument
        do {
            document = try JSONParser.parse([UInt8](data))
        } catch {
            throw ValidationError("\(event) is not a valid event body: \(error)")
        }
        guard let message = document.root["message"], message.kind == .object, let type = message["type"]?.string else {
            throw ValidationError("\(event) has no message object with a type (Interactly sends {\"message\": {\"type\": ...}})")
        }
        let workbench: ScriptWorkbench
        do {
            workbench = try await ScriptWorkbench.load(folder: scripts)
        } catch {
            throw ValidationError(error.description)
        }
        for error in workbench.set.errors { print("\((scripts as NSString).appendingPathComponent(error.script)):\(error.line ?? 1): \(error.message)") }
        let selected = workbench.set.scripts(for: type)
        let callID = message["call", "id"]?.string ?? "?"
        print("event \(type), call \(callID)\(live ? "" : " (dry run: side effects are recorded, not performed)")")
        guard !selected.isEmpty else {
            print("no script runs for \(type) in \(scripts) (add \(type).lua or any.lua)")
            return
        }
        var values: [String: String] = [:]
        for pair in environment {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--env takes NAME=value (got \(pair))") }
            values[parts[0]] = parts[1]
        }
        let effects: any Effects
        let recording: RecordingEffects?
        var closing: (() async -> Void)?
        if live {
            let (liveEffects, close) = try await LiveWorld.make()
            effects = liveEffects
            closing = close
            recording = nil
        } else {
            recording = try RecordingEffects.scratch(environment: values)
            effects = recording!
        }
        let eventValue = LuaValue(json: message)
        var failures = 0
        for script in selected {
            print("\n▶ \(script.path)  (version \(script.version))")
            let before = recording?.entries.count ?? 0
            let result = await workbench.run(script.path, event: .json(message), ctx: ScriptWorkbench.context(for: eventValue),
                                             effects: effects)
            if let recording {
                for line in Trace.lines(Array(recording.entries.dropFirst(before)), outputFolder: recording.outputFolder) {
                    print("  " + line.replacingOccurrences(of: "\n", with: "\n  "))
                }
            }
            switch result {
            case .success(let report):
                print("  ✔ finished in \(runTime(report.duration)), \(report.hostCalls) host call\(report.hostCalls == 1 ? "" : "s")")
            case .failure(let error):
                failures += 1
                print("  ✘ \((scripts as NSString).appendingPathComponent(error.source ?? error.script)):\(error.line.map(String.init) ?? "?"): \(error.message)")
            }
        }
        await closing?()
        if failures > 0 { throw ExitCode.failure }
    }
}

/// The effects `hookline serve` would use, from the environment and the config file.
enum LiveWorld {
    static func make() async throws -> (any Effects, () async -> Void) {
        let environment = ProcessInfo.processInfo.environment
        var settings = Settings()
        if let path = environment["HOOKLINE_CONFIG"] ?? (FileManager.default.fileExists(atPath: "hookline.yml") ? "hookline.yml" : nil) {
            try settings.applyConfigFile(path, environment: environment)
        }
        try settings.applyEnvironment(environment)
        let logger = Logger(label: "hookline") { label in LogOutput(label: label, format: settings.logFormat, level: .info) }
        let journal = try SQLiteJournal(directory: settings.data)
        let services = try LiveServices(settings: settings, journal: journal, logger: logger,
                                        telemetry: Telemetry(eventTypes: EventTypes.known))
        return (services.effects, {
            await services.close()
            await journal.close()
        })
    }
}

/// A run's time as `hookline run` shows it: hundredths of a millisecond below 10 ms, whole milliseconds above.
func runTime(_ duration: Duration) -> String {
    let microseconds = duration.wholeMicroseconds
    return microseconds < 10_000 ? String(format: "%.2f ms", Double(microseconds) / 1000) : "\(microseconds / 1000) ms"
}
