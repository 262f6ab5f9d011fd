import Foundation
import JSON
import Journal
import Synchronization
import Testing
import TestSupport

/// What an attacker's probes found (issue 12), each answered: labels from events stay bounded, bodies
/// held open cost a bounded amount, slow clients meet deadlines, ambiguous heads are refused, answers
/// never echo a request whole, health is read without writing, and a scripts folder that cannot be read
/// keeps its scripts running.
@Suite(.serialized) struct HostileLoadTests {
    static func head(length: Int? = nil, chunked: Bool = false, extra: String = "") -> String {
        "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nx-interactly-secret: \(TestServer.secret)\r\n"
            + (length.map { "Content-Length: \($0)\r\n" } ?? "") + (chunked ? "Transfer-Encoding: chunked\r\n" : "") + extra + "\r\n"
    }

    /// Types from events never become label values: 300 distinct unknown types leave `/metrics` as it was
    /// after one (counted as `other`), while each event keeps its type and a warning says so.
    @Test func eventTypesFromSendersDoNotGrowMetrics() async throws {
        try await withServer(scripts: ["any.lua": "local x = event.type"]) { server in
            func post(type: String, call: String) async throws -> TestResponse {
                let body = #"{"message":{"type":"\#(type)","timestamp":\#(Int64(Date().timeIntervalSince1970 * 1000)),"call":{"id":"\#(call)"}}}"#
                return try await server.post(Array(body.utf8))
            }
            #expect(try await post(type: "hang", call: "CAknown").status == 200)
            let first = try await post(type: "x-0-" + String(repeating: "t", count: 2000), call: "CA0")
            #expect(first.text.contains("counted as \\\"other\\\" in metrics"), "\(first.text)")
            try await server.drained()
            let before = try await server.get("/metrics").text
            for i in 1...300 {
                #expect(try await post(type: "x-\(i)-" + String(repeating: "t", count: 2000), call: "CA\(i)").status == 200)
            }
            try await server.drained()
            let after = try await server.get("/metrics").text
            #expect(after.utf8.count < before.utf8.count + 200, "grew from \(before.utf8.count) to \(after.utf8.count) bytes")
            #expect(after.contains(#"hookline_events_accepted_total{endpoint="default",type="other"} 301"#), "\(after.prefix(3000))")
            #expect(after.contains(#"hookline_events_accepted_total{endpoint="default",type="hang"} 1"#))
            #expect(after.contains(#"hookline_runs_succeeded_total{type="other",script="any.lua"} 301"#))
            #expect(!after.contains("tttttttttt"))
            let stored = try await server.journal.events(matching: EventQuery(limit: 1))
            #expect(stored.first?.type == "x-300-" + String(repeating: "t", count: 2000), "the event keeps its real type")
        }
    }

    /// Bodies held open by many connections share one budget: past it a new body gets 503 with Retry-After
    /// at once, before it is sent, and once the holders are gone deliveries are taken again.
    @Test func bodiesInFlightShareABudget() async throws {
        try await withServer(configure: { $0.maxInflightBytes = 1 << 20 }) { server in
            let holder = try RawHTTP.Connection(port: server.port)
            try holder.send(Array((Self.head(length: 800_000) + #"{"message":"#).utf8))
            try await Task.sleep(for: .milliseconds(200))
            let refused = try RawHTTP.Connection(port: server.port)
            let answer = try await refused.exchange(Array(Self.head(length: 400_000).utf8))
            #expect(answer.status == 503)
            #expect(answer.headers["retry-after"] == "1")
            #expect((try? JSONParser.parse(answer.body))?.root["error", "code"]?.string == "overloaded")
            // a chunked body takes its share as it arrives, and is refused once there is none left: 503 long
            // before the 4 MiB --max-body would answer 413
            let chunked = try await RawHTTP.send(port: server.port, head: Self.head(chunked: true), chunks: 20 << 20, chunkSize: 16 << 10,
                                           chunked: true)
            #expect(chunked.status == 503)
            #expect(try await server.post(fixture: "fixtures/hang.json").status == 200, "small bodies still fit")
            holder.close()
            try await eventually("the held body's share is given back", timeout: .seconds(10)) {
                guard (try? await server.post(event("fixtures/hang.json", callID: "CAafter")))?.status == 200 else { return false }
                return (try? await RawHTTP.firstStatus(port: server.port, head: Self.head(length: 900_000), limit: 0.5)) == nil
            }
        }
    }

    /// A body of ~400,000 keys (just under 4 MiB) is checked off the event loops: while four arrive at once,
    /// `/healthz` keeps answering at once (before, each held its loop for ~0.7 s in a release build, its
    /// duplicate-key check costing per key; in this debug build, seconds), and each is stored.
    @Test func manyKeyBodiesDoNotHoldOtherRequests() async throws {
        try await withServer { server in
            func body(call: String) -> [UInt8] {
                var text = #"{"message":{"type":"hang","timestamp":1764000000000,"call":{"id":"\#(call)"}"#
                var n = 0
                while text.utf8.count < (4 << 20) - 64 {
                    text += #","k\#(n)":0"#
                    n += 1
                }
                return Array((text + "}}").utf8)
            }
            let bodies = (0..<4).map { body(call: "CAkeys\($0)") }
            let slowest = Mutex<Duration>(.zero)
            let polling = Task {
                while !Task.isCancelled {
                    let started = ContinuousClock.now
                    _ = try? await server.get("/healthz")
                    let took = ContinuousClock.now - started
                    slowest.withLock { $0 = max($0, took) }
                    try? await Task.sleep(for: .milliseconds(5))
                }
            }
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for body in bodies { group.addTask { try await server.post(body).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            polling.cancel()
            _ = await polling.value
            #expect(statuses == [200, 200, 200, 200])
            #expect(slowest.withLock { $0 } < .milliseconds(500), "the slowest /healthz took \(slowest.withLock { $0 })")
        }
    }

    /// The head must be complete within the head timeout of its first byte, however steadily bytes come:
    /// the idle timeout, which every byte restarts, does not bound it.
    @Test func aHeadSentByteByByteMeetsItsDeadline() async throws {
        try await withServer(configure: { $0.headTimeout = .seconds(1) }) { server in
            let closed = try await RawHTTP.secondsUntilClosed(port: server.port, trickling: Self.head(length: 10), every: 0.1, limit: 8)
            #expect(closed != nil && closed! >= 0.9 && closed! < 4, "closed after \(String(describing: closed)) s")
            #expect(try await server.post(fixture: "fixtures/hang.json").status == 200)
        }
    }

    /// A body must keep up a minimum rate after its first head-timeout: a trickle gets 408 and the close.
    @Test func aTricklingBodyGets408() async throws {
        try await withServer(configure: {
            $0.headTimeout = .seconds(1)
            $0.minBodyRate = 1000
        }) { server in
            let connection = try RawHTTP.Connection(port: server.port)
            try connection.send(Array(Self.head(length: 100_000).utf8))
            let started = Date()
            var status: Int?
            while status == nil && Date().timeIntervalSince(started) < 10 {
                try? connection.send(Array(String(repeating: " ", count: 10).utf8))
                status = try? await RawHTTP.statusIfAnswered(connection, within: 0.2)
            }
            #expect(status == 408, "after \(Date().timeIntervalSince(started)) s")
            #expect(Date().timeIntervalSince(started) < 5)
            // a body at a good pace is fine: 2 KiB over 1.5 s, at ten times the rate
            let paced = try RawHTTP.Connection(port: server.port)
            let body = event("fixtures/hang.json", callID: "CApaced")
            try paced.send(Array(Self.head(length: body.count).utf8))
            for piece in stride(from: 0, to: body.count, by: body.count / 5 + 1) {
                try await Task.sleep(for: .milliseconds(300))
                try paced.send(Array(body[piece..<min(body.count, piece + body.count / 5 + 1)]))
            }
            #expect(try await paced.exchange([]).status == 200)
        }
    }

    /// Heads whose framing is ambiguous are refused with 400 and the connection closed (RFC 9112): an
    /// HTTP/1.1 request without Host or with two, a transfer coding other than chunked alone.
    @Test func ambiguousHeadsAreRefused() async throws {
        try await withServer { server throws in
            let body = String(decoding: event("fixtures/hang.json", callID: "CAframing"), as: UTF8.self)
            func status(_ head: String, _ body: String) async throws -> (Int, String?) {
                let answer = try await RawHTTP.Connection(port: server.port).exchange(Array((head + body).utf8))
                return (answer.status, (try? JSONParser.parse(answer.body))?.root["error", "code"]?.string)
            }
            let headers = "Content-Type: application/json\r\nx-interactly-secret: \(TestServer.secret)\r\nContent-Length: \(body.utf8.count)\r\n"
            #expect(try await status("POST /webhook HTTP/1.1\r\n\(headers)\r\n", body) == (400, "bad_host"))
            #expect(try await status("POST /webhook HTTP/1.1\r\nHost: a\r\nHost: b\r\n\(headers)\r\n", body) == (400, "bad_host"))
            #expect(try await status("POST /webhook HTTP/1.0\r\n\(headers)\r\n", body).0 == 200, "HTTP/1.0 needs no Host")
            let chunk = String(body.utf8.count, radix: 16) + "\r\n" + body + "\r\n0\r\n\r\n"
            let coded = "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nx-interactly-secret: \(TestServer.secret)\r\n"
            #expect(try await status(coded + "Transfer-Encoding: identity, chunked\r\n\r\n", chunk) == (400, "unsupported_transfer_encoding"))
            #expect(try await status(coded + "Transfer-Encoding: chunked\r\n\r\n", chunk).0 == 200)
        }
    }

    /// A 404 quotes the start of the path, never the whole of it.
    @Test func notFoundQuotesOnlyTheStartOfThePath() async throws {
        try await withServer { server in
            let path = "/" + String(repeating: "p", count: 60_000) + "\"<x>"
            let answer = try await RawHTTP.Connection(port: server.port).exchange(Array("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            #expect(answer.status == 404)
            #expect(answer.body.count < 400, "\(answer.body.count) bytes")
            let message = try #require((try? JSONParser.parse(answer.body))?.root["error", "message"]?.string)
            #expect(message.contains("/" + String(repeating: "p", count: 99) + "..."))
        }
    }

    /// `/healthz` answers from what the journal's writes did: asked over and over within a second it writes
    /// nothing (neither the journal's files nor the body file change), and a second later it probes again
    /// (in the background: the answer never waits for the disk).
    @Test func healthChecksDoNotWriteEachTime() async throws {
        try await withServer { server in
            let data = server.scratch.path + "/data"
            func modified() throws -> [String: Date] {
                var times: [String: Date] = [:]
                for file in ["journal.sqlite-wal", "bodies/000001.seg"] {
                    times[file] = try FileManager.default.attributesOfItem(atPath: data + "/" + file)[.modificationDate] as? Date
                }
                return times
            }
            let started = try modified()
            #expect(try await server.get("/healthz").status == 200)  // nothing written yet: this one starts a probe
            try await eventually("the probe wrote", timeout: .seconds(10)) { try modified() != started }
            try await Task.sleep(for: .milliseconds(50))  // its last file written
            let probed = try modified()
            let checking = ContinuousClock.now
            var checks = 0
            while ContinuousClock.now - checking < .milliseconds(500) {
                #expect(try await server.get("/healthz").json?["journal"]?.string == "writable")
                checks += 1
            }
            #expect(checks >= 5)
            #expect(try modified() == probed, "\(checks) health checks wrote to the journal")
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await server.get("/healthz").status == 200)
            try await eventually("a second later it probes", timeout: .seconds(10)) {
                try modified()["journal.sqlite-wal"] != probed["journal.sqlite-wal"]
            }
        }
    }

    /// A scripts folder that cannot be read is an error, never an empty folder: the scripts loaded before
    /// keep running for every event, and the folder is read again once it can be.
    @Test func anUnreadableScriptsFolderKeepsItsScripts() async throws {
        try await withServer(scripts: ["any.lua": #"file.append("seen.txt", ctx.event_id .. "\n")"#]) { server in
            let folder = server.scriptsFolder
            try FileManager.default.moveItem(atPath: folder, toPath: folder + ".away")
            try await eventually("the failure is logged", timeout: .seconds(10)) {
                server.logs.lines.contains { $0.contains("cannot read the scripts folder") }
            }
            let response = try await server.post(fixture: "fixtures/hang.json")
            let id = try #require(response.json?["id"]?.string)
            try await eventually("the event ran with the scripts loaded before", timeout: .seconds(10)) {
                (server.scratch.read("data/out/seen.txt") ?? "").split(separator: "\n").contains(Substring(id))
            }
            // a file that cannot be read (a link to itself) fails the load too: nothing is taken for removed
            try FileManager.default.moveItem(atPath: folder + ".away", toPath: folder)
            try FileManager.default.createSymbolicLink(atPath: folder + "/hang.lua", withDestinationPath: "hang.lua")
            try await Task.sleep(for: .milliseconds(400))
            let second = try #require(try await server.post(event("fixtures/hang.json", callID: "CAloop")).json?["id"]?.string)
            try await eventually("the second event ran too", timeout: .seconds(10)) {
                (server.scratch.read("data/out/seen.txt") ?? "").split(separator: "\n").contains(Substring(second))
            }
            #expect(!server.logs.lines.contains { $0.contains("removed any.lua") })
            #expect(server.dispatcherScripts == ["any.lua"])
        }
    }
}

extension TestServer {
    var dispatcherScripts: [String] { hookline.dispatcher.scriptSets.flatMap { $0.scripts.map(\.path) } }
}

extension RawHTTP {
    /// The status of an answer already sent on `connection`, waiting at most `within` seconds; nil if none.
    static func statusIfAnswered(_ connection: Connection, within seconds: TimeInterval) async throws -> Int? {
        (try? await connection.exchange([], timeout: seconds))?.status
    }
}
