import Foundation
import JSON
import Journal
import LuaRuntime
import Testing
import TestSupport

/// Dispatch end to end: events posted over HTTP, scripts run by real Lua, effects observed on disk.
@Suite(.serialized) struct DispatchTests {
    @Test func everyEventRunsTheScriptsOfItsTypeAndAnyWithTypesIntact() async throws {
        try await withServer(scripts: [
            "any.lua": #"file.write("reencoded/" .. ctx.event_id .. ".json", json.encode(event))"#,
            "hang.lua": #"file.append("typed.log", ctx.event_id .. " hang\n")"#,
            "status-update/first.lua": #"file.append("typed.log", ctx.event_id .. " status-first\n")"#,
            "status-update/second.lua": #"file.append("typed.log", ctx.event_id .. " status-second\n")"#,
        ]) { server in
            var sent: [String: [UInt8]] = [:]
            for file in fixturePaths(in: "upstream") + fixturePaths(in: "fixtures") {
                let response = try await server.post(fixtureBytes(file))
                if let id = response.json?["id"]?.string, response.json?["duplicate"] == nil { sent[id] = fixtureBytes(file) }
            }
            #expect(sent.count >= 14)
            try await server.drained()
            for (id, original) in sent {
                let written = try #require(server.scratch.read("data/out/reencoded/\(id).json"), "event \(id) was re-encoded")
                let expected = LuaValue(json: try JSONParser.parse(redactedForComparison(original)).root["message"]!)
                #expect(LuaValue(json: try JSONParser.parse(Array(written.utf8)).root) == expected, "event \(id)")
            }
            let typed = server.scratch.read("data/out/typed.log") ?? ""
            let hangs = sent.filter { JSONParser.parseType($0.value) == "hang" }.count
            let statuses = sent.filter { JSONParser.parseType($0.value) == "status-update" }.count
            #expect(typed.components(separatedBy: " hang\n").count - 1 == hangs)
            #expect(typed.components(separatedBy: " status-first\n").count - 1 == statuses)
            #expect(typed.components(separatedBy: " status-second\n").count - 1 == statuses)
        }
    }

    @Test func ctxCarriesWhatHooklineKnows() async throws {
        try await withServer(scripts: [
            "any.lua": #"""
                file.write("ctx.json", json.encode({id = ctx.event_id, endpoint = ctx.endpoint, attempt = ctx.attempt,
                  type = ctx.type, call = ctx.call_id, script = ctx.script, warnings = ctx.warnings,
                  fresh = ctx.received_at > 1700000000000}))
                """#,
        ]) { server in
            let response = try await server.post(fixtureBytes("fixtures/bad/unknown-type.json"))
            try await server.drained()
            let ctx = try JSONParser.parse(Array(try #require(server.scratch.read("data/out/ctx.json")).utf8)).root
            #expect(ctx["id"]?.string == response.json?["id"]?.string)
            #expect(ctx["endpoint"]?.string == "default")
            #expect(ctx["attempt"]?.integer == 1)
            #expect(ctx["type"]?.string == "tool-calls")
            #expect(ctx["script"]?.string == "any.lua")
            #expect(ctx["fresh"]?.bool == true)
            #expect(ctx["warnings"]?.elements.contains { $0.string?.contains("unknown event type") == true } == true)
        }
    }

    @Test func runsOfOneCallAreInOrderWhileCallsOverlap() async throws {
        try await withReceiver(delay: .milliseconds(15)) { receiver in
            try await withServer(scripts: [
                "conversation-update.lua": """
                    local started = time.now()
                    http.get("\(receiver.url)/slow")
                    file.append("order/" .. event.call.id .. ".txt", #event.messages .. "\\n")
                    file.append("spans.txt", started .. " " .. time.now() .. " " .. event.call.id .. "\\n")
                    """,
            ]) { server in
                // 20 calls, 10 updates each, interleaved: update n of every call before update n + 1 of any
                let template = try JSONParser.parse(fixtureBytes("fixtures/conversation-update-short.json")).root
                _ = template
                for step in 1...10 {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for call in 0..<20 {
                            group.addTask {
                                let body = conversationUpdate(callID: "CALL\(call)", messages: step)
                                let response = try await server.post(body)
                                #expect(response.status == 200)
                            }
                        }
                        try await group.waitForAll()
                    }
                }
                try await server.drained()
                for call in 0..<20 {
                    let lines = (server.scratch.read("data/out/order/CALL\(call).txt") ?? "").split(separator: "\n").compactMap { Int($0) }
                    #expect(lines == Array(1...10), "call \(call) saw \(lines)")
                }
                // different calls ran at the same time
                let spans = (server.scratch.read("data/out/spans.txt") ?? "").split(separator: "\n").map { $0.split(separator: " ") }
                    .compactMap { parts -> (Int64, Int64)? in
                        guard parts.count == 3, let start = Int64(parts[0]), let end = Int64(parts[1]) else { return nil }
                        return (start, end)
                    }
                #expect(spans.count == 200)
                let overlapping = spans.filter { a in spans.contains { b in b != a && b.0 < a.1 && a.0 < b.1 } }.count
                #expect(overlapping > 20, "runs overlapped in time: \(overlapping)")
            }
        }
    }

    @Test func aSpinningScriptIsStoppedRetriedAndDeadWhileOthersFlow() async throws {
        try await withServer(scripts: [
            "hang.lua": "while true do end",
            "error.lua": "local t = {} for i = 1, 1e9 do t[i] = {i} end",
            "status-update.lua": #"file.append("flowing.txt", ctx.event_id .. "\n")"#,
        ], configure: { settings in
            settings.scriptTimeout = .milliseconds(300)
            settings.scriptMemory = 16 << 20
            settings.retries = 2
            settings.workers = 2
        }) { server in
            let hang = try #require(try await server.post(fixture: "fixtures/hang.json").json?["id"]?.string.flatMap(EventID.init))
            let error = try #require(try await server.post(fixture: "fixtures/error-llm.json").json?["id"]?.string.flatMap(EventID.init))
            // other events keep flowing meanwhile, and /healthz answers promptly
            for i in 0..<50 {
                #expect(try await server.post(event("fixtures/status-update-ongoing.json", callID: "FLOW\(i)")).status == 200)
                let started = ContinuousClock.now
                #expect(try await server.get("/healthz").status == 200)
                #expect(ContinuousClock.now - started < .seconds(1))
            }
            try await eventually("the 50 other events are processed") {
                (server.scratch.read("data/out/flowing.txt") ?? "").split(separator: "\n").count == 50
            }
            try await server.drained(timeout: .seconds(60))
            for (id, kind) in [(hang, "timeout"), (error, "memory")] {
                let detail = try #require(try await server.journal.event(id))
                #expect(detail.summary.state == .failed)
                #expect(detail.runs.count == 3, "first attempt and two retries")
                #expect(detail.runs.map(\.outcome) == [.failed, .failed, .dead])
                #expect(detail.runs.allSatisfy { $0.errorKind == kind }, "\(detail.runs.map(\.errorKind))")
                #expect(detail.runs.allSatisfy { $0.errorLine == 1 })
                #expect(detail.runs.last?.error?.contains(kind == "timeout" ? "time limit" : "memory limit") == true)
            }
            let metrics = try await server.get("/metrics").text
            #expect(metrics.contains(#"hookline_runs_dead_total{type="hang",script="hang.lua"} 1"#))
        }
    }

    @Test func laterEventsOfAFailingCallWaitForTheRetry() async throws {
        try await withServer(scripts: [
            // fails on its first attempt for the first event, succeeds on the retry
            "conversation-update.lua": """
                if #event.messages == 1 and ctx.attempt == 1 then error("downstream not ready") end
                file.append("seen.txt", #event.messages .. " attempt " .. ctx.attempt .. "\\n")
                """,
        ], configure: { $0.retryBackoff = .milliseconds(300) }) { server in
            for step in 1...3 { #expect(try await server.post(conversationUpdate(callID: "ONE", messages: step)).status == 200) }
            try await server.drained()
            #expect(server.scratch.read("data/out/seen.txt") == "1 attempt 2\n2 attempt 1\n3 attempt 1\n")
        }
    }

    @Test func hotReloadWhileEventsFlowAndABrokenEditKeepsTheOldVersion() async throws {
        try await withServer(scripts: [
            "hang.lua": #"file.append("versions.txt", "v1\n")"#,
        ]) { server in
            let sender = Task {
                for i in 0..<60 {
                    _ = try await server.post(event("fixtures/hang.json", callID: "RELOAD\(i)"))
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            try await Task.sleep(for: .milliseconds(200))
            server.scratch.write("scripts/hang.lua", #"file.append("versions.txt", "v2\n")"#)
            try await sender.value
            try await server.drained()
            let versions = (server.scratch.read("data/out/versions.txt") ?? "").split(separator: "\n").map(String.init)
            #expect(versions.count == 60)
            #expect(versions.first == "v1")
            #expect(versions.last == "v2")
            #expect(versions.drop { $0 == "v1" }.allSatisfy { $0 == "v2" }, "the switch is atomic: \(versions)")

            server.scratch.write("scripts/hang.lua", "file.append(\"versions.txt\", \"v3\\n\"\n  oops = = 1")
            try await eventually("the broken edit is reported") {
                server.logs.lines.contains { $0.contains("does not compile") && $0.contains("hang.lua:2") }
            }
            _ = try await server.post(event("fixtures/hang.json", callID: "AFTERBROKEN"))
            try await server.drained()
            #expect((server.scratch.read("data/out/versions.txt") ?? "").hasSuffix("v2\n"), "the previous version kept running")
            #expect(try await server.get("/metrics").text.contains(#"hookline_script_reloads_total{outcome="failed"}"#))
        }
    }

    @Test func fileAccessStaysInTheOutputFolder() async throws {
        let scratch = Scratch()
        try FileManager.default.createDirectory(atPath: scratch.path + "/data/out", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: scratch.path + "/data/out/escape", withDestinationPath: scratch.path)
        // links are not followed at all, even those that stay inside: no check can be raced by a link swap
        try FileManager.default.createDirectory(atPath: scratch.path + "/data/out/real", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: scratch.path + "/data/out/inside", withDestinationPath: "real")
        try FileManager.default.createSymbolicLink(atPath: scratch.path + "/data/out/real/link.txt",
                                                   withDestinationPath: scratch.path + "/secret.txt")
        scratch.write("secret.txt", "do not read")
        try await withServer(scripts: [
            "hang.lua": #"""
                local results = {}
                for _, path in ipairs({"escape/secret.txt", "real/link.txt"}) do
                  local ok, err = pcall(file.read, path)
                  results[#results + 1] = (ok and "READ " or "refused read: ") .. tostring(err)
                end
                for _, path in ipairs({"../x.txt", "/etc/passwd", "a/../../x.txt", "escape/secret.txt", "escape/new.txt", "",
                                       "inside/new.txt"}) do
                  local ok, err = pcall(file.write, path, "x")
                  results[#results + 1] = (ok and "WROTE " or "refused ") .. path .. ": " .. tostring(err)
                end
                file.write("real/link.txt", "replaced")  -- the link is replaced, never written through
                file.append(".//real/./log.txt", "a\n"); file.append("real/log.txt", "b\n")
                file.write("deep/er/ok.txt", "fine")
                file.write("results.txt", table.concat(results, "\n"))
                """#,
        ], scratch: scratch) { server in
            _ = try await server.post(fixture: "fixtures/hang.json")
            try await server.drained()
            let results = try #require(server.scratch.read("data/out/results.txt"))
            #expect(!results.contains("WROTE"), "\(results)")
            #expect(!results.contains("READ"), "\(results)")
            #expect(results.contains("leaves the output folder"))
            #expect(results.contains("is absolute"))
            #expect(results.contains("through a symbolic link"))
            #expect(server.scratch.read("data/out/deep/er/ok.txt") == "fine")
            #expect(server.scratch.read("data/out/real/log.txt") == "a\nb\n")
            #expect(server.scratch.read("secret.txt") == "do not read")
            #expect(server.scratch.read("data/out/real/link.txt") == "replaced")
            #expect(results.components(separatedBy: "\n").filter { $0.contains("links are not followed") }.count == 4, "\(results)")
            #expect(!FileManager.default.fileExists(atPath: scratch.path + "/data/out/real/new.txt"))
            #expect(!FileManager.default.fileExists(atPath: scratch.path + "/new.txt"))
            #expect(!FileManager.default.fileExists(atPath: scratch.path + "/data/x.txt"))
        }
    }

    /// The peer harness empties the output folder with `rm -rf` and `mkdir` while the server runs; operators
    /// move it aside or remove it. Writes go to the folder at that path afterwards, recreated when missing.
    @Test func theOutputFolderMayBeRemovedOrReplacedWhileRunning() async throws {
        try await withServer(scripts: [
            "hang.lua": #"""
                file.append("hangs.log", event.call.id .. "\n")
                file.write("calls/" .. event.call.id .. ".txt", "seen")
                """#,
        ]) { server in
            let out = server.scratch.path + "/data/out"
            _ = try await server.post(event("fixtures/hang.json", callID: "first"))
            try await server.drained()
            #expect(server.scratch.read("data/out/hangs.log") == "first\n")

            try FileManager.default.moveItem(atPath: out, toPath: out + ".old")  // moved aside, a new one made
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
            _ = try await server.post(event("fixtures/hang.json", callID: "second"))
            try await server.drained()
            #expect(server.scratch.read("data/out/hangs.log") == "second\n")
            #expect(server.scratch.read("data/out/calls/second.txt") == "seen")
            #expect(server.scratch.read("data/out.old/hangs.log") == "first\n")

            try FileManager.default.removeItem(atPath: out)  // removed and not made again
            _ = try await server.post(event("fixtures/hang.json", callID: "third"))
            try await server.drained()
            #expect(server.scratch.read("data/out/hangs.log") == "third\n")
            #expect(server.scratch.read("data/out/calls/third.txt") == "seen")
        }
    }

    @Test func concurrentAppendsNeverTear() async throws {
        try await withServer(scripts: [
            "hang.lua": #"""
                local line = string.rep(event.call.id, 200) .. "\n"
                for i = 1, 20 do file.append("shared.log", line) end
                """#,
        ], configure: { $0.workers = 2 }) { server in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<40 { group.addTask { _ = try await server.post(event("fixtures/hang.json", callID: "C\(i)X")) } }
                try await group.waitForAll()
            }
            try await server.drained()
            let lines = (server.scratch.read("data/out/shared.log") ?? "").split(separator: "\n")
            #expect(lines.count == 800)
            for line in lines {
                let id = line.prefix { $0 != "X" } + "X"
                #expect(line == String(repeating: String(id), count: 200), "a torn line: \(line.prefix(60))")
            }
        }
    }

    @Test func withoutFailuresEveryEventRunsExactlyOnce() async throws {
        try await withServer(scripts: ["hang.lua": #"file.append("ran.txt", ctx.event_id .. "\n")"#]) { server in
            // long enough for the periodic rescans to overlap the load
            let deadline = ContinuousClock.now + .seconds(5)
            var sent: Set<String> = []
            var round = 0
            while ContinuousClock.now < deadline {
                let prefix = "ONCE\(round)x"
                let ids = try await withThrowingTaskGroup(of: String?.self) { group in
                    for i in 0..<50 {
                        group.addTask { try await server.post(event("fixtures/hang.json", callID: prefix + String(i))).json?["id"]?.string }
                    }
                    var ids: [String] = []
                    for try await id in group { if let id { ids.append(id) } }
                    return ids
                }
                sent.formUnion(ids)
                round += 1
            }
            try await server.drained()
            let ran = (server.scratch.read("data/out/ran.txt") ?? "").split(separator: "\n").map(String.init)
            #expect(Set(ran) == sent)
            #expect(ran.count == sent.count, "\(ran.count - sent.count) runs were repeated")
        }
    }

    @Test func endpointsCanHaveTheirOwnScriptsFolder() async throws {
        let scratch = Scratch()
        scratch.write("team/hang.lua", #"file.append("team.txt", ctx.endpoint .. "\n")"#)
        try await withServer(scripts: ["hang.lua": #"file.append("default.txt", ctx.endpoint .. "\n")"#],
                                                scratch: scratch, configure: { settings in
            settings.endpoints = [.init(name: "team", secret: "t", scripts: scratch.path + "/team")]
        }) { server in
            _ = try await server.post(fixtureBytes("fixtures/hang.json"), path: "/webhook/team", secret: "t")
            _ = try await server.post(fixture: "fixtures/hang.json")
            try await server.drained()
            #expect(server.scratch.read("data/out/team.txt") == "team\n")
            #expect(server.scratch.read("data/out/default.txt") == "default\n")
        }
    }
}

/// A conversation-update of call `callID` with `messages` messages (1 = the first).
func conversationUpdate(callID: String, messages: Int) -> [UInt8] {
    let items = (1...messages).map { n in
        #"{"messageId":"m-\#(n)","role":"\#(n % 2 == 1 ? "user" : "assistant")","text":"message \#(n)","timestamp":\#(1_778_770_000_000 + Int64(n) * 1000)}"#
    }.joined(separator: ",")
    return Array(#"""
        {"message":{"timestamp":\#(1_778_770_000_000 + Int64(messages) * 1000),"type":"conversation-update","call":{"id":"\#(callID)","status":"ongoing"},"messages":[\#(items)]}}
        """#.utf8)
}

/// The body as the journal keeps it: echoed credentials replaced by "[redacted]".
func redactedForComparison(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var position = 0
    for range in credentialRanges(bytes) {
        out += bytes[position..<range.lowerBound] + Array("[redacted]".utf8)
        position = range.upperBound
    }
    return out + bytes[position...]
}
