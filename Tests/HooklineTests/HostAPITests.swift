import Foundation
import HooklineApp
import JSON
import Journal
import Testing
import TestSupport

/// The host functions end to end: a script posted an event, real local receivers standing in for Slack,
/// PagerDuty and a CRM, and the script's own report of what it saw, written with file.write.
@Suite(.serialized) struct HostAPITests {
    /// Runs `source` as hang.lua for one hang event and returns what it wrote to report.json.
    private func report(_ source: String, configure: (inout Settings) -> Void = { _ in }) async throws -> JSONValue {
        try await withServer(scripts: ["hang.lua": source], configure: { configure(&$0) }) { server in
            _ = try await server.post(fixture: "fixtures/hang.json")
            try await server.drained()
            let text = try #require(server.scratch.read("data/out/report.json"), "the script wrote its report; logs: \(server.logs.lines.suffix(5))")
            return try JSONParser.parse(Array(text.utf8)).root
        }
    }

    @Test func httpJSONAndRawBodiesHeadersAndStatuses() async throws {
        try await withReceiver(answer: { request in
            switch request.path {
            case "/created": return .init(status: 201, body: #"{"id": 7, "ok": true}"#, contentType: "application/json")
            case "/broken": return .init(status: 503, body: "down")
            default: return .init(status: 200, body: "plain text")
            }
        }) { crm in
            let report = try await report("""
                local created = http.post("\(crm.url)/created", {call = event.call.id, n = 3, tags = json.array()},
                  {headers = {Authorization = "Bearer k3y", ["X-Trace"] = "abc"}})
                local raw = http.post("\(crm.url)/raw", "line one\\nline two", {headers = {["Content-Type"] = "text/plain"}})
                local got = http.get("\(crm.url)/get?x=1")
                local req = http.request{method = "PUT", url = "\(crm.url)/put", json = {a = 1}}
                local broken = http.get("\(crm.url)/broken")
                file.write("report.json", json.encode({
                  created = created.status, id = created.json.id, ok = created.json.ok, ctype = created.headers["content-type"],
                  raw = raw.status, got = got.body, put = req.status, broken = broken.status, broken_body = broken.body,
                  no_json = got.json == nil}))
                """)
            #expect(report["created"]?.integer == 201)
            #expect(report["id"]?.integer == 7)
            #expect(report["ok"]?.bool == true)
            #expect(report["ctype"]?.string == "application/json")
            #expect(report["got"]?.string == "plain text")
            #expect(report["no_json"]?.bool == true)
            #expect(report["put"]?.integer == 200)
            #expect(report["broken"]?.integer == 503)
            #expect(report["broken_body"]?.string == "down")
            let requests = crm.requests
            let created = try #require(requests.first { $0.path == "/created" })
            #expect(created.method == "POST")
            #expect(created.headers["authorization"] == "Bearer k3y")
            #expect(created.headers["x-trace"] == "abc")
            #expect(created.headers["content-type"] == "application/json")
            #expect(created.json?["call"]?.string == "CA5d2c7e90a1f34b6d8e0b9c4a3f2e1d07")
            #expect(created.json?["tags"]?.kind == .array)
            let raw = try #require(requests.first { $0.path == "/raw" })
            #expect(raw.text == "line one\nline two")
            #expect(raw.headers["content-type"] == "text/plain")
            #expect(requests.first { $0.path == "/put" }?.method == "PUT")
            #expect(requests.first { $0.path == "/put" }?.json?["a"]?.integer == 1)
        }
    }

    @Test func transportFailuresRaiseCatchableErrorsNamingTheURL() async throws {
        try await withReceiver(delay: .seconds(3)) { slow in
            try await withReceiver(answer: { _ in .init(body: String(repeating: "x", count: 2 << 20)) }) { huge in
                let closedPort = freePort()
                let report = try await report("""
                    local function try(f, ...) local ok, err = pcall(f, ...) return ok and "ok" or err end
                    file.write("report.json", json.encode({
                      timeout = try(http.get, "\(slow.url)/slow", {timeout = 0.3}),
                      refused = try(http.get, "http://127.0.0.1:\(closedPort)/x"),
                      oversized = try(http.get, "\(huge.url)/big"),
                      allowlist = try(http.get, "http://example.org/"),
                      scheme = try(http.get, "file:///etc/passwd"),
                      injection = try(http.post, "\(slow.url)/x", "b", {headers = {["X-Evil"] = "a\\r\\nInjected: yes"}}),
                      bad_url = try(http.post, 42),
                      bad_method = try(http.request, {url = "\(slow.url)/", method = "GET X"}),
                    }))
                    """) { settings in
                        settings.httpMaxResponse = 1 << 20
                        settings.httpAllow = ["127.0.0.1"]
                    }
                #expect(report["timeout"]?.string?.contains("timed out") == true, "\(report["timeout"]?.string ?? "")")
                #expect(report["timeout"]?.string?.contains("/slow") == true)
                #expect(report["refused"]?.string?.contains("http://127.0.0.1:\(closedPort)/x") == true)
                #expect(report["refused"]?.string?.contains("refused") == true, "\(report["refused"]?.string ?? "")")
                #expect(report["oversized"]?.string?.contains("larger than 1048576 bytes") == true)
                #expect(report["allowlist"]?.string?.contains("not in --http-allow") == true)
                #expect(report["scheme"]?.string?.contains("must be an http:// or https:// URL") == true)
                #expect(report["injection"]?.string?.contains("line break") == true)
                #expect(report["bad_url"]?.string == "http.post: url must be a string (got number)")
                #expect(report["bad_method"]?.string?.contains("method must be letters only") == true)
                #expect(slow.requests.allSatisfy { $0.path != "/x" }, "a refused header never reaches the network")
            }
        }
    }

    @Test func manyEventsWaitOnASlowReceiverWhileIntakeKeepsAcknowledging() async throws {
        try await withReceiver(delay: .milliseconds(500)) { slow in
            try await withServer(scripts: [
                "hang.lua": """
                    http.get("\(slow.url)/" .. event.call.id)
                    file.append("done.txt", event.call.id .. "\\n")
                    """,
            ], configure: { $0.workers = 1 }) { server in
                let started = ContinuousClock.now
                for i in 0..<100 {
                    #expect(try await server.post(event("fixtures/hang.json", callID: "SLOW\(i)")).status == 200)
                }
                let acknowledging = ContinuousClock.now - started
                #expect(acknowledging < .seconds(10), "100 acknowledgements took \(acknowledging)")
                // one state, 100 runs waiting at once: far less than 100 x 0.5 s
                try await eventually("every run finished", timeout: .seconds(30)) {
                    (server.scratch.read("data/out/done.txt") ?? "").split(separator: "\n").count == 100
                }
                #expect(ContinuousClock.now - started < .seconds(25))
                #expect(slow.requests.count == 100)
            }
        }
    }

    @Test func alertsReachEachChannelInItsFormatAndFoldByKey() async throws {
        try await withReceiver { slack in
        try await withReceiver { hooks in
        try await withReceiver(answer: { _ in .init(status: 202, body: #"{"status":"success"}"#, contentType: "application/json") }) { pagerDuty in
            try await withServer(scripts: [
                "hang.lua": #"""
                    local delivered = alert{title = "Assistant hang", text = "no reply for 5 s", severity = "critical",
                      key = "hang:" .. event.call.id, fields = {call = event.call.id, attempt = ctx.attempt}}
                    file.append("alerts.txt", tostring(delivered) .. "\n")
                    """#,
            ], configure: { settings in
                settings.alertSlack = slack.url + "/services/T0/B0/X"
                settings.alertWebhook = hooks.url + "/alerts"
                settings.alertPagerDuty = "routing-key-123"
                settings.alertPagerDutyURL = pagerDuty.url
                settings.alertWindow = .milliseconds(600)
            }) { server in
                // the same call hangs three times quickly: one alert, two folded; after the window, one more saying so
                for timestamp in [1_778_771_281_948, 1_778_771_282_948, 1_778_771_283_948] as [Int64] {
                    _ = try await server.post(event("fixtures/hang.json", callID: "CAFOLD", timestamp: timestamp))
                }
                try await server.drained()
                try await Task.sleep(for: .milliseconds(700))
                _ = try await server.post(event("fixtures/hang.json", callID: "CAFOLD", timestamp: 1_778_771_299_948))
                try await server.drained()
                #expect(server.scratch.read("data/out/alerts.txt") == "true\nfalse\nfalse\ntrue\n")

                let slackMessages = try await slack.waitForRequests(2)
                #expect(slackMessages[0].path == "/services/T0/B0/X")
                #expect(slackMessages[0].json?["text"]?.string?.contains("*Assistant hang*") == true)
                #expect(slackMessages[0].json?["text"]?.string?.contains("*call*: CAFOLD") == true)
                #expect(slackMessages[1].json?["text"]?.string?.contains("(+2 similar since the last alert)") == true)

                let webhooks = try await hooks.waitForRequests(2)
                #expect(webhooks[0].json?["title"]?.string == "Assistant hang")
                #expect(webhooks[0].json?["severity"]?.string == "critical")
                #expect(webhooks[0].json?["key"]?.string == "hang:CAFOLD")
                #expect(webhooks[0].json?["fields", "call"]?.string == "CAFOLD")
                #expect(webhooks[0].json?["folded"]?.integer == 0)
                #expect(webhooks[1].json?["folded"]?.integer == 2)
                #expect(webhooks[0].json?["event_id"]?.string != nil)

                let pages = try await pagerDuty.waitForRequests(2)
                #expect(pages[0].path == "/v2/enqueue")
                #expect(pages[0].json?["routing_key"]?.string == "routing-key-123")
                #expect(pages[0].json?["event_action"]?.string == "trigger")
                #expect(pages[0].json?["dedup_key"]?.string == "hang:CAFOLD")
                #expect(pages[0].json?["payload", "severity"]?.string == "critical")
                #expect(pages[0].json?["payload", "summary"]?.string == "Assistant hang")
                #expect(pages[0].json?["payload", "source"]?.string == "hookline/default")
                #expect(server.logs.lines.contains { $0.contains("ALERT: Assistant hang") })
            }
        }
        }
        }
    }

    @Test func aDeadChannelNeverFailsTheScript() async throws {
        try await withServer(scripts: [
            "hang.lua": #"file.write("report.json", json.encode({delivered = alert{title = "still fine"}}))"#,
        ], configure: { $0.alertSlack = "http://127.0.0.1:\(freePort())/dead" }) { server in
            let id = try #require(try await server.post(fixture: "fixtures/hang.json").json?["id"]?.string.flatMap(EventID.init))
            try await server.drained()
            #expect(try await server.journal.event(id)?.summary.state == .done)
            #expect(server.scratch.read("data/out/report.json") == #"{"delivered":true}"#)
            try await eventually("the failed delivery is counted") {
                try await server.get("/metrics").text.contains(#"hookline_alert_deliveries_total{channel="slack",outcome="failed"}"#)
            }
        }
    }

    @Test func storeSurvivesRestartsExpiresAndCountsExactly() async throws {
        let scratch = Scratch()
        let scripts = [
            "hang.lua": #"""
                local n = store.incr("hangs:" .. event.assistant._id, 1)
                store.incr("total")
                local short = store.incr("short", 1, {ttl = 0.3})
                store.set("last", {call = event.call.id, n = n, nested = {ok = true}})
                file.append("counts.txt", n .. "\n")
                """#,
            "status-update.lua": #"""
                file.write("report.json", json.encode({last = store.get("last"), short = store.get("short"), total = store.get("total"),
                  missing = store.get("nope") == nil, deleted = (function() store.delete("last") return store.get("last") == nil end)()}))
                """#,
        ]
        try await withServer(scripts: scripts, scratch: scratch, configure: { $0.workers = 2 }) { first in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<60 { group.addTask { _ = try await first.post(event("fixtures/hang.json", callID: "STORE\(i)")) } }
                try await group.waitForAll()
            }
            try await first.drained()
            let counts = (first.scratch.read("data/out/counts.txt") ?? "").split(separator: "\n").compactMap { Int($0) }
            #expect(counts.sorted() == Array(1...60), "concurrent increments add up exactly")
        }

        try await Task.sleep(for: .milliseconds(400))
        try await withServer(scripts: scripts, scratch: scratch) { second in
            _ = try await second.post(fixture: "fixtures/status-update-ongoing.json")
            try await second.drained()
            let report = try JSONParser.parse(Array(try #require(second.scratch.read("data/out/report.json")).utf8)).root
            #expect(report["total"]?.integer == 60, "kept across the restart")
            #expect((1...60).contains(report["last", "n"]?.integer ?? 0))
            #expect(report["last", "nested", "ok"]?.bool == true)
            #expect(report["short"] == nil, "expired after its ttl")
            #expect(report["missing"]?.bool == true)
            #expect(report["deleted"]?.bool == true)
        }
    }

    @Test func environmentOnlyWhatIsAllowed() async throws {
        setenv("HOOKLINE_TEST_ALLOWED", "yes", 1)
        setenv("HOOKLINE_TEST_SECRET", "no", 1)
        let report = try await report(#"""
            file.write("report.json", json.encode({allowed = env("HOOKLINE_TEST_ALLOWED"), other = env("HOOKLINE_TEST_SECRET") == nil,
              path = env("PATH") == nil}))
            """#) { $0.allowEnv = ["HOOKLINE_TEST_ALLOWED"] }
        #expect(report["allowed"]?.string == "yes")
        #expect(report["other"]?.bool == true)
        #expect(report["path"]?.bool == true)
    }

    @Test func cryptoTimeAndBase64AgainstKnownVectors() async throws {
        let report = try await report(#"""
            file.write("report.json", json.encode({
              sha_abc = crypto.sha256("abc"),
              sha_empty = crypto.sha256(""),
              hmac = crypto.hmac_sha256("key", "The quick brown fox jumps over the lazy dog"),
              rfc4231 = crypto.hmac_sha256(string.rep("\x0b", 20), "Hi There"),
              b64 = base64.encode("hello\0world"),
              back = base64.decode("aGVsbG8AV29ybGQ=") == "hello\0World",
              iso = time.iso(1778771281948),
              now_ok = time.now() > 1700000000000 and math.type(time.now()) == "integer",
              bad = select(2, pcall(base64.decode, "***")),
            }))
            """#)
        #expect(report["sha_abc"]?.string == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(report["sha_empty"]?.string == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(report["hmac"]?.string == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
        #expect(report["rfc4231"]?.string == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(report["b64"]?.string == "aGVsbG8Ad29ybGQ=")
        #expect(report["back"]?.bool == true)
        #expect(report["iso"]?.string == "2026-05-14T15:08:01.948Z")
        #expect(report["now_ok"]?.bool == true)
        #expect(report["bad"]?.string?.contains("base64.decode") == true)
    }

    @Test func wrongArgumentsNameTheFunctionAndTheArgument() async throws {
        let report = try await report(#"""
            local function err(f, ...) return select(2, pcall(f, ...)) end
            file.write("report.json", json.encode({
              write = err(file.write, 1, "x"),
              alert = err(alert, {text = "no title"}),
              severity = err(alert, {title = "t", severity = "loud"}),
              store = err(store.set, "k"),
              incr = err(store.incr, "k", "one"),
              env = err(env, {}),
              log = err(log.info, "m", "not a table"),
            }))
            """#)
        #expect(report["write"]?.string == "file.write: path must be a string (got number)")
        #expect(report["alert"]?.string == "alert: title must be a string (got nil)")
        #expect(report["severity"]?.string?.contains(#"severity must be "info", "warning" or "critical""#) == true)
        #expect(report["store"]?.string == "store.set: value must not be nil (use store.delete)")
        #expect(report["incr"]?.string == "store.incr: by must be a number (got string)")
        #expect(report["env"]?.string == "env: name must be a string (got table)")
        #expect(report["log"]?.string == "log.info: fields must be a table (got string)")
    }

    @Test func logsAreStructuredAndTagged() async throws {
        try await withServer(scripts: [
            "hang.lua": #"log.warn("slow assistant", {call = event.call.id, seconds = 5}) print("plain", 1, true)"#,
        ]) { server in
            _ = try await server.post(fixture: "fixtures/hang.json")
            try await server.drained()
            let line = try #require(server.logs.lines.first { $0.contains("slow assistant") })
            let entry = try JSONParser.parse(Array(line.utf8)).root
            #expect(entry["level"]?.string == "warning")
            #expect(entry["script"]?.string == "hang.lua")
            #expect(entry["field.call"]?.string == "CA5d2c7e90a1f34b6d8e0b9c4a3f2e1d07")
            #expect(entry["field.seconds"]?.string == "5")
            #expect(entry["event_id"]?.string != nil)
            #expect(server.logs.lines.contains { $0.contains(#""msg":"plain\t1\ttrue""#) })
        }
    }
}
