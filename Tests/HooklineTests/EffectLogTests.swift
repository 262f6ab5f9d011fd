import Foundation
import JSON
import Journal
import Testing
import TestSupport

/// The effect log end to end: every host call of a run attempt recorded in the journal, and a retry that
/// returns what its earlier attempt's matching calls did instead of doing them again.
@Suite(.serialized) struct EffectLogTests {
    /// A script that posts to a CRM, counts, appends and alerts, then fails twice: over three attempts the CRM
    /// gets one POST, the alert channel one alert, the file one line, the counter one increment.
    @Test func aRetryDoesNotRepeatWhatItsEarlierAttemptDid() async throws {
        try await withReceiver(answer: { _ in .init(status: 201, body: #"{"id": 7}"#, contentType: "application/json") }) { crm in
            try await withServer(scripts: [
                "hang.lua": """
                    local created = http.post("\(crm.url)/calls", {call = event.call.id}, {headers = {Authorization = "Bearer s3cret-token"}})
                    local n = store.incr("posts")
                    file.append("crm.log", event.call.id .. " " .. created.json.id .. "\\n")
                    alert{title = "Posted to the CRM", key = "crm:" .. event.call.id, severity = "info"}
                    local stamp = time.now()
                    if ctx.attempt < 3 then error("the CRM is not ready yet (attempt " .. ctx.attempt .. ")") end
                    file.append("done.txt", ctx.attempt .. " " .. n .. " " .. stamp .. "\\n")
                    """,
            ], configure: { settings in
                settings.alertWebhook = crm.url + "/alerts"
                settings.retries = 5
            }) { server in
                let answer = try await server.post(fixture: "fixtures/hang.json")
                let id = try #require(answer.json?["id"]?.string)
                try await eventually("the third attempt finishes") { server.scratch.read("data/out/done.txt") != nil }
                try await server.drained()
                try await eventually("the alert is delivered") { crm.requests.contains { $0.path == "/alerts" } }
                try await Task.sleep(for: .milliseconds(300))  // room for a second alert, were one sent

                let posts = crm.requests.filter { $0.path == "/calls" }
                #expect(posts.count == 1, "one POST over three attempts, got \(posts.count)")
                #expect(posts.first?.headers["idempotency-key"] == "\(id)-hang.lua-1")
                #expect(crm.requests.filter { $0.path == "/alerts" }.count == 1)
                #expect(server.scratch.read("data/out/crm.log")?.split(separator: "\n").count == 1)
                let done = try #require(server.scratch.read("data/out/done.txt")).split(separator: " ")
                #expect(done.first == "3" && done.dropFirst().first == "1", "the counter was incremented once: \(done)")

                let eventID = try #require(EventID(id))
                let detail = try #require(try await server.journal.event(eventID))
                #expect(detail.runs.map(\.attempt) == [1, 2, 3])
                #expect(detail.runs.map(\.outcome) == [.failed, .failed, .ok])
                let first = detail.runs[0].effects.entries
                #expect(first.map(\.call) == ["http.post", "store.incr", "file.append", "alert", "time.now"])
                #expect(first.allSatisfy { !$0.reused })
                let last = detail.runs[2].effects
                #expect(last.entries.prefix(5).allSatisfy { $0.reused }, "\(last.lines)")
                #expect(last.entries.count == 6 && !last.entries[5].reused, "the call past the earlier attempts ran: \(last.lines)")
                // the stamp the script saw on its last attempt is the first attempt's
                #expect(done.last.flatMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                        == first[4].result.flatMap { if case .integer(let v) = $0 { v } else { nil } })
                // what the journal keeps of the POST: the body, the status, the credential redacted
                let post = first[0]
                #expect(post.argument("headers")?["Authorization"] == .text("[redacted]"))
                #expect(post.argument("headers")?["Idempotency-Key"] == .text("\(id)-hang.lua-1"))
                #expect(post.argument("body")?["text"]?.text?.contains("\"call\"") == true)
                #expect(post.result?["status"] == .integer(201))
                #expect(!detail.runs.flatMap(\.hostCalls).joined().contains("s3cret-token"))
            }
        }
    }

    /// A call that failed (a refused connection, caught by the script) is made again on the retry; it fails the
    /// same way, so the POST after it is still the earlier attempt's, not sent again.
    @Test func aCallThatFailsAgainTheSameWayKeepsTheRestReused() async throws {
        try await withReceiver { crm in
            let closed = freePort()
            try await withServer(scripts: [
                "hang.lua": """
                    local ok = pcall(http.get, "http://127.0.0.1:\(closed)/down")
                    http.post("\(crm.url)/calls", {reachable = ok})
                    if ctx.attempt < 3 then error("not yet") end
                    file.append("done.txt", "done\\n")
                    """,
            ]) { server in
                _ = try await server.post(fixture: "fixtures/hang.json")
                try await eventually("the third attempt finishes") { server.scratch.read("data/out/done.txt") != nil }
                #expect(crm.requests.count == 1, "one POST over three attempts: \(crm.requests.count)")
            }
        }
    }

    /// A script edited between two attempts so that its request changes: the retry sends the new request.
    @Test func anEditedRequestIsSentOnTheRetry() async throws {
        try await withReceiver { crm in
            try await withServer(scripts: [
                "hang.lua": """
                    http.post("\(crm.url)/calls", {version = 1})
                    error("version 1 always fails")
                    """,
            ], configure: { settings in
                settings.retries = 10
                settings.retryBackoff = .milliseconds(300)
            }) { server in
                _ = try await server.post(fixture: "fixtures/hang.json")
                _ = try await crm.waitForRequests(1)
                server.scratch.write("scripts/hang.lua", """
                    http.post("\(crm.url)/calls", {version = 2})
                    file.append("done.txt", "2\\n")
                    """)
                try await eventually("the edited script runs") { server.scratch.read("data/out/done.txt") != nil }
                let bodies = crm.requests.compactMap { $0.json?["version"]?.integer }
                #expect(bodies == [1, 2], "version 1 once (its retries reused it), then the changed request: \(bodies)")
            }
        }
    }

    /// `hookline serve` killed with SIGKILL after a script's POST and before its run was recorded: the run
    /// runs again after the restart and posts once more, with the same Idempotency-Key.
    @Test func aCrashBetweenThePostAndTheRecordRepeatsItOnceWithTheSameKey() async throws {
        try await withReceiver { crm in
            let scratch = Scratch()
            scratch.write("scripts/hang.lua", """
                http.post("\(crm.url)/calls", {call = event.call.id})
                local until_ = os.clock() + 2   -- the test kills the server here
                while os.clock() < until_ do end
                file.append("done.txt", ctx.attempt .. "\\n")
                """)
            let served = HooklineProcess(["--secret", TestServer.secret, "--scripts", scratch.path + "/scripts",
                                          "--data", scratch.path + "/data", "--log-level", "error"])
            try await withResource(served, stop: { await $0.stop() }) { served in
                try await served.startAndWait()
                let sent = try await HooklineBinary.run(["send", fixtureURL("fixtures/hang.json").path, "--url", served.base + "/webhook",
                                                   "--secret", TestServer.secret])
                #expect(sent.status == 0, "\(sent.text)")
                _ = try await crm.waitForRequests(1)
                await served.kill()
                #expect(scratch.read("data/out/done.txt") == nil, "killed before the run finished")
                try await served.startAndWait()
                try await eventually("the run finishes after the restart") { scratch.read("data/out/done.txt") != nil }
                let keys = crm.requests.map { $0.headers["idempotency-key"] ?? "none" }
                #expect(keys.count == 2, "one more POST after the crash, no more: \(keys)")
                #expect(Set(keys).count == 1 && keys.first?.hasSuffix("-hang.lua-1") == true, "\(keys)")
            }
        }
    }

    /// `hookline replay` performs the effects again; `--reuse-effects` returns the recorded ones. Each replay is
    /// made while the server is stopped, and runs when it starts again.
    @Test func aReplayPerformsEffectsUnlessItReusesThem() async throws {
        try await withReceiver { crm in
            let scratch = Scratch()
            let scripts = ["hang.lua": """
                http.post("\(crm.url)/calls", {call = event.call.id})
                file.append("runs.txt", "run\\n")
                """]
            let id = try await withServer(scripts: scripts, scratch: scratch) { server in
                let id = try #require(try await server.post(fixture: "fixtures/hang.json").json?["id"]?.string)
                try await server.drained()
                return id
            }
            #expect(crm.requests.count == 1)
            let data = scratch.path + "/data"

            let reusing = try await HooklineBinary.run(["replay", id, "--reuse-effects", "--data", data])
            #expect(reusing.status == 0, "\(reusing.text)")
            try await withServer(scripts: scripts, scratch: scratch) { server in
                try await eventually("the replay reusing effects ran") {
                    (try await server.journal.event(EventID(id)!))?.runs.count == 2
                }
                try await server.drained()
                let replayed = try #require(try await server.journal.event(EventID(id)!)?.runs.last)
                #expect(replayed.effects.entries.count == 2 && replayed.effects.entries.allSatisfy { $0.reused })
            }
            #expect(crm.requests.count == 1, "nothing sent again")
            #expect(scratch.read("data/out/runs.txt") == "run\n", "nothing appended again")

            let performing = try await HooklineBinary.run(["replay", id, "--data", data])
            #expect(performing.status == 0, "\(performing.text)")
            try await withServer(scripts: scripts, scratch: scratch) { server in
                _ = try await crm.waitForRequests(2)
                try await eventually("the plain replay ran") { server.scratch.read("data/out/runs.txt") == "run\nrun\n" }
            }
        }
    }
}
