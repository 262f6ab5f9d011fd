import Foundation
import HooklineApp
import JSON
import Journal
import Testing
import TestSupport

/// The `hookline` command line, run as a separate process like an operator runs it.
@Suite(.serialized) struct CommandLineTests {
    @Test func shippedScriptsAndEveryExamplePassTheirTests() async throws {
        let scripts = try await HooklineBinary.run(["test", "scripts"])
        #expect(scripts.status == 0, "\(scripts.text)")
        #expect(scripts.text.contains("passed, 0 failed"))
        #expect(scripts.text.contains("✔"))
        let examples = try await HooklineBinary.run(["test", "examples"])
        #expect(examples.status == 0, "\(examples.text)")
        for example in ["crm-push", "sheets-prototype", "slack-hang-alerts", "transcripts"] {
            #expect(examples.text.contains("examples/\(example)/scripts/"), "\(example) has tests")
        }
    }

    @Test func testReportsEachFailureWithExpectedAndActual() async throws {
        let scratch = Scratch()
        scratch.write("scripts/hang.lua", #"alert{title = "Hang " .. event.call.id, severity = "critical", key = event.call.id}"#)
        scratch.write("scripts/hang_test.lua", """
            test("passes", function()
              run("hang.lua", {call = {id = "CA1"}})
              expect.alert{severity = "critical", title_contains = "CA1"}
            end)
            test("fails", function()
              run("hang.lua", {call = {id = "CA2"}})
              expect.alert{severity = "info"}
            end)
            test("the script breaks", function()
              run("hang.lua", {})
            end)
            """)
        let output = try await HooklineBinary.run(["test", "scripts"], in: scratch.path)
        #expect(output.status != 0)
        #expect(output.text.contains("✔ passes"))
        #expect(output.text.contains("✘ fails"))
        #expect(output.text.contains(#"hang_test.lua:7: expected an alert matching {severity = "info"}"#), "\(output.text)")
        #expect(output.text.contains(#"severity = "critical""#), "the actual alert is shown")
        #expect(output.text.contains("hang.lua:1: attempt to index a nil value"), "\(output.text)")
        #expect(output.text.contains("3 tests in 1 file: 1 passed, 2 failed"))
    }

    @Test func checkListsScriptsPerTypeAndReportsErrorsLikeACompiler() async throws {
        let ok = try await HooklineBinary.run(["check", "--scripts", "scripts"])
        #expect(ok.status == 0, "\(ok.text)")
        for type in ["hang", "conversation-update", "end-of-call-report", "error", "status-update"] {
            #expect(ok.text.contains("  \(type): \(type).lua"), "\(ok.text)")
        }
        let scratch = Scratch()
        scratch.write("scripts/hang.lua", "local x = 1\nlocal y = = 2\n")
        scratch.write("scripts/error/slack.lua", "log.info('ok')")
        scratch.write("hookline.yml", "port: 9000\nendpoints:\n  team:\n    secret: x\n    colour: blue\n")
        let broken = try await HooklineBinary.run(["check", "--scripts", "scripts"], in: scratch.path)
        #expect(broken.status != 0)
        #expect(broken.text.contains("scripts/hang.lua:2: unexpected symbol near '='"), "\(broken.text)")
        #expect(broken.text.contains("error: error/slack.lua"))
        #expect(broken.text.contains("endpoints.team.colour is not an endpoint setting"), "\(broken.text)")
    }

    @Test func runShowsWhatEachScriptWouldDoWithoutDoingIt() async throws {
        let scratch = Scratch()
        try FileManager.default.copyItem(atPath: HooklineBinary.repository + "/scripts", toPath: scratch.path + "/scripts")
        let output = try await HooklineBinary.run(["run", fixtureURL("fixtures/hang.json").path], in: scratch.path)
        #expect(output.status == 0, "\(output.text)")
        #expect(output.text.contains("event hang, call CA5d2c7e90a1f34b6d8e0b9c4a3f2e1d07"))
        #expect(output.text.contains("▶ hang.lua"))
        #expect(output.text.contains("alert     [critical]"), "\(output.text)")
        #expect(output.text.contains("✔ finished"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/data"), "a dry run writes nothing where serve keeps data")
        let unknown = try await HooklineBinary.run(["run", fixtureURL("fixtures/bad/unknown-type.json").path], in: scratch.path)
        #expect(unknown.text.contains("no script runs for tool-calls"))
    }

    @Test func sendDeliversAsInteractlyDoesAndRewritesCalls() async throws {
        try await withServer { server in
            let url = server.base + "/webhook"
            let first = try await HooklineBinary.run(["send", fixtureURL("fixtures/hang.json").path, "--url", url, "--secret", TestServer.secret])
            #expect(first.status == 0, "\(first.text)")
            #expect(first.text.contains("200 OK"))
            let again = try await HooklineBinary.run(["send", fixtureURL("fixtures/hang.json").path, "--url", url, "--secret", TestServer.secret])
            #expect(again.text.contains(#""duplicate":true"#))
            let rewritten = try await HooklineBinary.run(["send", fixtureURL("fixtures/hang.json").path, "--url", url, "--secret", TestServer.secret,
                                               "--call-id", "CA-walk-1", "--now"])
            let id = try #require(rewritten.text.split(separator: "\n").last.flatMap { try? JSONParser.parse(Array($0.utf8)) }?
                .root["id"]?.string.flatMap(EventID.init), "\(rewritten.text)")
            let stored = try #require(try await server.journal.event(id))
            #expect(stored.summary.callID == "CA-walk-1")
            let timestamp = try JSONParser.parse(stored.body).root["message", "timestamp"]?.integer ?? 0
            #expect(abs(timestamp - Int64(Date().timeIntervalSince1970 * 1000)) < 60_000)
            let refused = try await HooklineBinary.run(["send", fixtureURL("fixtures/hang.json").path, "--url", url, "--secret", "wrong"])
            #expect(refused.status != 0)
            #expect(refused.text.contains("401"))
        }
    }

    @Test func eventsShowAndReplayReadTheJournal() async throws {
        let scratch = Scratch()
        let (hang, failing) = try await withServer(scripts: [
            "hang.lua": #"file.append("runs.txt", ctx.event_id .. "\n")"#,
            "error.lua": #"error("broken on purpose")"#,
        ], scratch: scratch, configure: { $0.retries = 0 }) { server in
            let hang = try #require(try await server.post(fixture: "fixtures/hang.json").json?["id"]?.string)
            let failing = try #require(try await server.post(fixture: "fixtures/error-llm.json").json?["id"]?.string)
            try await server.drained()
            return (hang, failing)
        }
        let data = scratch.path + "/data"

        let list = try await HooklineBinary.run(["events", "--data", data])
        #expect(list.status == 0, "\(list.text)")
        #expect(list.text.contains("hang") && list.text.contains("failed"))
        let failed = try await HooklineBinary.run(["events", "--failed", "--json", "--data", data])
        let lines = failed.text.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first.flatMap { try? JSONParser.parse(Array($0.utf8)) }?.root["id"]?.string == failing)
        let show = try await HooklineBinary.run(["events", "show", failing, "--data", data])
        #expect(show.text.contains("error.lua"), "\(show.text)")
        #expect(show.text.contains("DEAD"))
        #expect(show.text.contains("error.lua:1: broken on purpose"))
        #expect(try await HooklineBinary.run(["events", "show", "99999", "--data", data]).status != 0)

        let replay = try await HooklineBinary.run(["replay", hang, "--data", data])
        #expect(replay.text.contains("1 event queued again"), "\(replay.text)")
        try await withServer(scratch: scratch) { restarted in
            try await restarted.drained()
            #expect(restarted.scratch.read("data/out/runs.txt") == "\(hang)\n\(hang)\n", "the replayed event ran again")
            #expect(try await restarted.journal.event(EventID(hang)!)?.summary.generation == 1)
        }
    }

    @Test func timersAndEventsShowListACallsTimers() async throws {
        let scratch = Scratch()
        let hang = try await withServer(scripts: [
            "hang.lua": #"timer.set("hang-unresolved", 3600, { question = "X-ray?" }) timer.set("soon", 0.2)"#,
            "timers/soon.lua": #"log.info("soon")"#,
        ], scratch: scratch) { server in
            let hang = try #require(try await server.post(event("fixtures/hang.json", callID: "CA-timers")).json?["id"]?.string)
            try await eventually("the short timer came due and ran") {
                try await server.journal.events(matching: EventQuery(type: "timer:soon", states: [.done])).count == 1
            }
            return hang
        }
        let data = scratch.path + "/data"
        let list = try await HooklineBinary.run(["timers", "--data", data])
        #expect(list.status == 0, "\(list.text)")
        #expect(list.text.contains("hang-unresolved") && list.text.contains("CA-timers") && list.text.contains(hang), "\(list.text)")
        #expect(!list.text.contains("soon"), "a timer that came due is no longer pending")
        let json = try await HooklineBinary.run(["timers", "--json", "--call", "CA-timers", "--data", data])
        let timer = try #require(try? JSONParser.parse(Array(json.text.utf8)).root)
        #expect(timer["name"]?.string == "hang-unresolved" && timer["data"]?["question"]?.string == "X-ray?")
        #expect(try await HooklineBinary.run(["timers", "--due-before", "10m", "--data", data]).text.contains("no pending timers"))
        #expect(try await HooklineBinary.run(["timers", "--due-before", "tomorrow", "--data", data]).status != 0)

        let show = try await HooklineBinary.run(["events", "show", hang, "--data", data])
        #expect(show.text.contains(#"timer.set{name = "hang-unresolved", seconds = 3600"#), "the run's effect record names its timers: \(show.text)")
        #expect(show.text.contains("timer     hang-unresolved pending"), "\(show.text)")
        #expect(show.text.contains("timer     soon came due: event"), "\(show.text)")

        let check = try await HooklineBinary.run(["check", "--scripts", scratch.path + "/scripts"])
        #expect(check.status == 0, "a timer without a handler is a warning, not a problem")
        #expect(check.text.contains("hang.lua:1: warning: timer.set(\"hang-unresolved\") has no handler"), "\(check.text)")
        #expect(check.text.contains("timer:soon: timers/soon.lua"))
    }

    @Test func everyVerbExplainsItselfWithAnExample() async throws {
        for verb in ["serve", "check", "run", "test", "send", "events", "timers", "replay"] {
            let help = try await HooklineBinary.run([verb, "--help"])
            #expect(help.status == 0, "\(verb)")
            #expect(help.text.contains("Example"), "hookline \(verb) --help shows an example")
        }
        let root = try await HooklineBinary.run(["--help"])
        for verb in ["serve", "check", "run", "test", "send", "events", "replay"] { #expect(root.text.contains(verb)) }
    }

    @Test func serveHelpListsEverySettingWithItsDefaultAndVariable() async throws {
        let help = try await HooklineBinary.run(["serve", "--help"])
        #expect(help.status == 0)
        for setting in SettingDeclarations.all {
            #expect(help.text.contains("  \(setting.flag) "), "\(setting.flag)")
            #expect(help.text.contains(setting.environmentVariable), "\(setting.environmentVariable)")
        }
        #expect(help.text.contains("(default: 4MiB, env: HOOKLINE_MAX_BODY)"))
        #expect(help.text.contains("secret: never printed"))
    }

    /// The README's five-minute walk: serve the Slack example, send a hang, the alert arrives at Slack.
    @Test func aHangAlertFiresFromASentFixture() async throws {
        try await withReceiver { slack in
            let scratch = Scratch()
            let serve = HooklineProcess(["--scripts", HooklineBinary.repository + "/examples/slack-hang-alerts/scripts",
                                         "--data", scratch.path + "/data", "--alert-slack", slack.url + "/hook"], in: scratch.path)
            try await serve.startAndWait()
            try await withResource(serve, stop: { await $0.stop() }) { serve in
                let sent = try await HooklineBinary.run(["send", HooklineBinary.repository + "/examples/slack-hang-alerts/events/hang.json",
                                              "--url", serve.base + "/webhook"], in: scratch.path)
                #expect(sent.status == 0, "the generated secret in ./data/secret was used: \(sent.text)")
                let messages = try await slack.waitForRequests(1)
                #expect(messages[0].json?["text"]?.string?.lowercased().contains("hang") == true, "\(messages[0].text)")
            }
        }
    }
}
