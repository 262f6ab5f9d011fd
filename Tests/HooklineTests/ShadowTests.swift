import Basics
import Foundation
import JSON
import Journal
import Testing
import TestSupport

/// `hookline shadow` (the binary) on a journal of 1,000 events from the fixtures, run live through the shipped
/// scripts by a real server: candidate folders that change nothing, an alert's severity, a script that raises,
/// a script that adds an HTTP call.
@Suite(.serialized) struct ShadowTests {
    /// The journal, made once for the suite: 1,000 events cycling through the fixtures, each of a call of its own.
    static let journal = Task { try await ShadowJournal.make() }

    @Test func theCurrentScriptsAsCandidateChangeNothing() async throws {
        let journal = try await Self.journal.value
        let candidate = journal.candidate { _ in }
        let output = try await journal.shadow(candidate)
        #expect(output.status == 0, "\(output.text)")
        #expect(output.text.contains("Shadow run: 1000 events compared"), "\(output.text)")
        #expect(output.text.contains("No changes"), "\(output.text)")

        // a comment in lib/: every script runs in the harness, and what differs from the live record is noise
        let relinked = journal.candidate { folder in
            let path = folder + "/lib/calls.lua"
            try (try String(contentsOfFile: path, encoding: .utf8) + "\n-- reviewed\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
        let rerun = try await journal.shadow(relinked)
        #expect(rerun.status == 0, "\(rerun.text)")
        #expect(rerun.text.contains("Shadow run: 1000 events compared") && rerun.text.contains("No changes"), "\(rerun.text)")
    }

    @Test func aChangedHangSeverityReportsExactlyTheHangEvents() async throws {
        let journal = try await Self.journal.value
        let candidate = journal.candidate { folder in
            try edit(folder + "/hang.lua", replacing: "severity = \"critical\"", with: "severity = \"warning\"")
        }
        let output = try await journal.shadow(candidate, json: true)
        #expect(output.status == 1, "anything changed: exit 1")
        let events = output.text.split(separator: "\n").compactMap { try? JSONParser.parse(Array($0.utf8)).root }
        #expect(events.count == 1000)
        let changed = events.filter { event in event["scripts"]!.elements.contains { $0["status"]?.string == "changed" } }
        #expect(Set(changed.compactMap { $0["event"]?.string }) == journal.ids(ofType: "hang"))
        let diff = changed.first?["scripts"]?[0]?["changes"]?[0]?["diff"]?.elements.compactMap(\.string) ?? []
        #expect(diff.count == 2 && diff[0].hasPrefix("- alert{") && diff[0].contains("severity = \"critical\""), "\(diff)")
        #expect(diff.count == 2 && diff[1].hasPrefix("+ alert{") && diff[1].contains("severity = \"warning\""), "\(diff)")

        let report = try await journal.shadow(candidate)
        #expect(report.status == 1)
        let count = journal.ids(ofType: "hang").count
        #expect(report.text.contains("hang.lua: \(count) events: changed alert: severity \"critical\" -> \"warning\""), "\(report.text)")
        #expect(report.text.components(separatedBy: "  event ").count - 1 == 2, "two examples of the one group: \(report.text)")
    }

    @Test func aCandidateThatRaisesListsNewFailuresWithFileAndLine() async throws {
        let journal = try await Self.journal.value
        let candidate = journal.candidate { folder in
            let path = folder + "/end-of-call-report.lua"
            let source = try String(contentsOfFile: path, encoding: .utf8)
            try ("error(\"the CRM field is gone\")\n" + source).write(toFile: path, atomically: true, encoding: .utf8)
        }
        let output = try await journal.shadow(candidate)
        #expect(output.status == 1)
        let count = journal.ids(ofType: "end-of-call-report").count
        #expect(output.text.contains("end-of-call-report.lua: \(count) events: new failure: \(candidate)/end-of-call-report.lua:1: the CRM field is gone"),
                "\(output.text)")
        let row = output.text.split(separator: "\n").first { $0.hasPrefix("end-of-call-report.lua ") }
        #expect(row?.split(separator: " ").map(String.init) == ["end-of-call-report.lua", "0", "0", "\(count)", "0"], "\(row ?? "")")
    }

    /// A candidate that reads its endpoint from the environment: env() answers only what `--allow-env` lets through.
    @Test func envAnswersTheVariablesTheShadowRunAllows() async throws {
        let journal = try await Self.journal.value
        let candidate = journal.candidate(appending: #"http.post(env("CRM_URL") .. "/status", {call = event.call.id})"#,
                                          to: "status-update.lua")
        let allowed = try await journal.shadow(candidate, extra: ["--allow-env", "CRM_URL"], environment: ["CRM_URL": "https://crm.example"])
        #expect(allowed.text.contains("added http.post") && allowed.text.contains("https://crm.example/status"), "\(allowed.text)")
        let refused = try await journal.shadow(candidate, environment: ["CRM_URL": "https://crm.example"])
        #expect(refused.text.contains("new failure"), "without --allow-env, env() is nil: \(refused.text)")
    }

    @Test func aCandidateThatAddsAnHTTPCallShowsItAsAdded() async throws {
        let journal = try await Self.journal.value
        let candidate = journal.candidate(appending: #"http.post("https://crm.example/status", {call = event.call.id, status = event.status})"#,
                                          to: "status-update.lua")
        let output = try await journal.shadow(candidate)
        #expect(output.status == 1)
        let count = journal.ids(ofType: "status-update").count
        #expect(output.text.contains("status-update.lua: \(count) events: added http.post"), "\(output.text)")
        #expect(output.text.contains("+ http.post{method = \"POST\", url = \"https://crm.example/status\""), "\(output.text)")
    }
}

/// A timer's handler in a shadow run: its fired events compared like any other.
@Suite struct ShadowTimerTests {
    @Test func aChangedTimerHandlerReportsItsFiredEvents() async throws {
        let scratch = Scratch()
        scratch.write("scripts/hang.lua", "timer.set(\"still-silent\", 0.2, {question = \"hello?\"})\n")
        scratch.write("scripts/timers/still-silent.lua", """
            alert{title = "Still silent on " .. ctx.call_id, text = timer.data.question, severity = "warning"}
            """)
        var timerEvents: [String] = []
        try await withServer(scratch: scratch) { server in
            for index in 0..<3 { _ = try await server.post(event("fixtures/hang.json", callID: "TIMER\(index)")) }
            try await eventually("the three timers fired and ran") {
                let fired = try await server.journal.events(matching: EventQuery(type: "timer:still-silent", states: [.done]))
                timerEvents = fired.map(\.id.description)
                return fired.count == 3
            }
            try await server.drained()
        }
        let candidate = scratch.path + "/candidate"
        try FileManager.default.copyItem(atPath: scratch.path + "/scripts", toPath: candidate)
        try edit(candidate + "/timers/still-silent.lua", replacing: "severity = \"warning\"", with: "severity = \"critical\"")
        let output = try await HooklineBinary.run(["shadow", "--scripts", candidate, "--current", scratch.path + "/scripts",
                                             "--data", scratch.path + "/data", "--since", "1h", "--json"])
        #expect(output.status == 1, "\(output.text)")
        let events = output.text.split(separator: "\n").compactMap { try? JSONParser.parse(Array($0.utf8)).root }
        let changed = events.filter { $0["scripts"]?.elements.contains { $0["status"]?.string == "changed" } == true }
        #expect(Set(changed.compactMap { $0["event"]?.string }) == Set(timerEvents), "\(output.text)")
        let identical = try await HooklineBinary.run(["shadow", "--scripts", scratch.path + "/scripts", "--current", scratch.path + "/scripts",
                                                "--data", scratch.path + "/data", "--since", "1h"])
        #expect(identical.status == 0 && identical.text.contains("Shadow run: 6 events compared"), "\(identical.text)")
    }
}

/// A data folder whose journal holds 1,000 fixture events run by the shipped scripts, and candidate folders
/// made from those scripts.
final class ShadowJournal: Sendable {
    let scratch: Scratch
    let types: [String: String]   // event id -> type

    private init(scratch: Scratch, types: [String: String]) {
        self.scratch = scratch
        self.types = types
    }

    static func make() async throws -> ShadowJournal {
        let scratch = Scratch()
        try FileManager.default.copyItem(atPath: HooklineBinary.repository + "/scripts", toPath: scratch.path + "/scripts")
        let fixtures = fixturePaths(in: "fixtures").sorted()
        var types: [String: String] = [:]
        // time stands still while the journal is made: hang.lua's 30 s timers never fire, however long 1,000
        // deliveries take on a loaded machine, and the journal holds exactly the 1,000 events
        try await withServer(scratch: scratch, clock: ManualClock(at: epochMilliseconds())) { server in
            for index in 0..<1000 {
                let fixture = fixtures[index % fixtures.count]
                let answer = try await server.post(event(fixture, callID: "SHADOW\(index)"))
                guard answer.status == 200, let id = answer.json?["id"]?.string,
                      let type = (try? JSONParser.parse(fixtureBytes(fixture)))?.root["message"]?["type"]?.string else {
                    throw TestFailure("\(fixture) was not accepted: \(answer.text)")
                }
                types[id] = type
            }
            try await server.drained()
        }
        return ShadowJournal(scratch: scratch, types: types)
    }

    func ids(ofType type: String) -> Set<String> { Set(types.filter { $0.value == type }.keys) }

    /// A copy of the shipped scripts, edited by `change`.
    func candidate(_ change: (String) throws -> Void) -> String {
        let folder = scratch.path + "/candidate-" + UUID().uuidString.prefix(8)
        try! FileManager.default.copyItem(atPath: scratch.path + "/scripts", toPath: folder)
        try! change(folder)
        return folder
    }

    /// A copy of the shipped scripts with `line` added at the end of `script`.
    func candidate(appending line: String, to script: String) -> String {
        candidate { folder in
            let path = folder + "/" + script
            try (try String(contentsOfFile: path, encoding: .utf8) + "\n" + line + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    func shadow(_ candidate: String, json: Bool = false, extra: [String] = [],
                environment: [String: String] = [:]) async throws -> HooklineBinary.Output {
        try await HooklineBinary.run(["shadow", "--scripts", candidate, "--current", scratch.path + "/scripts",
                                "--data", scratch.path + "/data", "--since", "1h"] + (json ? ["--json"] : []) + extra,
                               environment: environment)
    }
}

func edit(_ path: String, replacing old: String, with new: String) throws {
    let source = try String(contentsOfFile: path, encoding: .utf8)
    guard source.contains(old) else { throw TestFailure("\(path) has no \(old)") }
    try source.replacingOccurrences(of: old, with: new).write(toFile: path, atomically: true, encoding: .utf8)
}
