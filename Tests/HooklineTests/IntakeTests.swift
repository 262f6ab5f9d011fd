import AsyncHTTPClient
import Foundation
import JSON
import Journal
import LuaRuntime
@testable import Server
import Testing
import TestSupport

/// The front door, end to end: a real server on a loopback port, real HTTP, the real journal.
@Suite(.serialized) struct IntakeTests {
    @Test func everyUpstreamExampleAndFixtureIsAcceptedAndJournaledExactly() async throws {
        try await withServer { server in
            let files = fixturePaths(in: "upstream") + fixturePaths(in: "fixtures")
            #expect(files.count == 16)
            for file in files {
                let original = fixtureBytes(file)
                let response = try await server.post(original)
                #expect(response.status == 200, "\(file): \(response.text)")
                #expect(response.json?["accepted"]?.bool == true)
                let id = try #require(response.json?["id"]?.string.flatMap(EventID.init), "\(file)")
                let stored = try #require(try await server.journal.event(id))
                let credentials = credentialRanges(original)
                if credentials.isEmpty {
                    #expect(stored.body == original, "\(file) is stored byte for byte")
                } else {
                    // the echoed credentials are replaced; every other byte is as received
                    let redacted = try JSONParser.parse(stored.body).root
                    #expect(redacted["message", "assistant", "assistantServer", "secret"]?.string.map { $0 == "[redacted]" || $0.isEmpty } ?? true)
                    for (_, value) in redacted["message", "assistant", "assistantServer", "headers"]?.members ?? [] {
                        #expect(value.string == "[redacted]", "\(file)")
                    }
                    #expect(stripped(stored.body, credentialRanges(stored.body)) == stripped(original, credentials), "\(file)")
                }
                #expect(stored.summary.type == JSONParser.parseType(original))
                #expect(response.headers.first(name: "x-request-id") != nil)
            }
        }
    }

    @Test func credentialsNeverReachTheJournalOrTheLogs() async throws {
        try await withServer { server in
            let original = fixtureBytes("upstream/status-update-1.json")
            let document = try JSONParser.parse(original)
            let headerValues = (document.root["message", "assistant", "assistantServer", "headers"]?.members ?? []).compactMap { $0.value.string }
            #expect(!headerValues.isEmpty)
            let response = try await server.post(original)
            let id = try #require(response.json?["id"]?.string.flatMap(EventID.init))
            let stored = try #require(try await server.journal.event(id))
            let text = String(decoding: stored.body, as: UTF8.self)
            for value in headerValues where value.count > 3 {
                #expect(!text.contains(value))
                #expect(!server.logs.lines.joined().contains(value))
            }
            #expect(!server.logs.lines.joined().contains(TestServer.secret))
        }
    }

    @Test func transportProblemsGetTheirStatus() async throws {
        try await withServer { server in
            let body = fixtureBytes("fixtures/hang.json")
            #expect(try await server.request("GET", "/webhook", body: nil, headers: []).status == 405)
            #expect(try await server.request("PUT", "/webhook", body: body, headers: []).status == 405)
            let text = try await server.post(body, contentType: "text/plain")
            #expect(text.status == 415)
            #expect(text.errorCode == "unsupported_media_type")
            #expect(try await server.post(body, contentType: nil).status == 415)
            #expect(try await server.post(body, contentType: "application/json; charset=utf-8").status == 200)
            for accepted in ["Application/JSON", " application/json ;charset=utf-8", "APPLICATION/JSON;"] {
                #expect(try await server.post(body, contentType: accepted).status == 200, "\(accepted)")
            }
            for refused in ["application/jsonx", "application/json-patch+json", "xapplication/json", "application/js on", ""] {
                #expect(try await server.post(body, contentType: refused).status == 415, "\(refused)")
            }
            #expect(try await server.get("/nope").status == 404)
        }
    }

    /// A small body can hold a great many deviations (1.2 million from 900 KB): the first ones are listed, the
    /// rest summed up in one last warning, and all of them counted in the metrics by kind.
    @Test func warningsAreListedUpToALimitAndCountedInFull() async throws {
        try await withServer { server in
            let messages = Array(repeating: "{}", count: 1_000).joined(separator: ",")
            let body = #"{"message": {"type": "conversation-update", "timestamp": 1764000000000, "call": {"id": "many"}, "messages": ["#
                + messages + "]}}"
            let response = try await server.post(Array(body.utf8))
            #expect(response.status == 200)
            let warnings = response.json?["warnings"]?.elements.compactMap(\.string) ?? []
            #expect(warnings.count == 101)
            #expect(warnings.last == "/message: 3900 more deviations not listed (in all: missing_field 4000)", "\(warnings.last ?? "")")
            let metrics = try await server.get("/metrics").text
            #expect(metrics.contains(#"hookline_event_warnings_total{kind="missing_field"} 4000"#), "\(metrics)")
        }
    }

    /// Retention switched off (`--retention 0`) leaves its service idle, not the server stopped.
    @Test func serverRunsWithRetentionOff() async throws {
        try await withServer(configure: { $0.retention = .zero }) { server in
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await server.post(fixture: "fixtures/hang.json").status == 200)
        }
    }

    /// Connections that go quiet are closed: one that never sends a request, and one that stops in the middle of
    /// a body, so that idle or stalled clients cannot pile up until the server runs out of descriptors.
    @Test func quietConnectionsAreClosed() async throws {
        try await withServer(configure: { $0.idleTimeout = .milliseconds(500) }) { server in
            let silent = try await RawHTTP.secondsUntilClosed(port: server.port, sending: "", limit: 10)
            #expect(silent != nil && silent! >= 0.4, "closed after \(String(describing: silent)) s")
            let stalled = try await RawHTTP.secondsUntilClosed(port: server.port, sending: """
                POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nx-interactly-secret: \(TestServer.secret)\r\n\
                Content-Length: 100\r\n\r\n{"message":
                """, limit: 10)
            #expect(stalled != nil && stalled! >= 0.4, "closed after \(String(describing: stalled)) s")
            #expect(try await server.post(fixture: "fixtures/hang.json").status == 200, "the server still answers")
        }
    }

    /// A client that asks before sending its body (`Expect: 100-continue`, as curl does past 1 KB) is told to
    /// go on at once when its headers pass, and answered at once when they do not.
    @Test func clientsThatAskBeforeSendingTheBodyAreAnswered() async throws {
        try await withServer { server throws in
            func head(secret: String) -> String {
                "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nx-interactly-secret: \(secret)\r\n"
                    + "Content-Length: 100\r\nExpect: 100-continue\r\n\r\n"
            }
            #expect(try await RawHTTP.firstStatus(port: server.port, head: head(secret: TestServer.secret), limit: 0.5) == 100)
            #expect(try await RawHTTP.firstStatus(port: server.port, head: head(secret: "wrong"), limit: 0.5) == 401)
        }
    }

    @Test func bodiesOverTheLimitGet413WithoutBeingReadToTheEnd() async throws {
        try await withServer(configure: { $0.maxBody = 1 << 20 }) { server in
            // Content-Length says 20 MiB: the answer comes after the headers and a first chunk, not the whole body.
            let declared = try await RawHTTP.send(port: server.port, head: """
                POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nx-interactly-secret: \(TestServer.secret)\r\nContent-Length: \(20 << 20)\r\n\r\n
                """, chunks: 1 << 20, chunkSize: 64 << 10)
            #expect(declared.status == 413)
            #expect(declared.bytesSent < 4 << 20, "sent \(declared.bytesSent) bytes before the answer")
            // Chunked, no length: refused once the limit is passed.
            let chunked = try await RawHTTP.send(port: server.port, head: """
                POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nx-interactly-secret: \(TestServer.secret)\r\nTransfer-Encoding: chunked\r\n\r\n
                """, chunks: 20 << 20, chunkSize: 64 << 10, chunked: true)
            #expect(chunked.status == 413)
            #expect(chunked.bytesSent < 8 << 20, "sent \(chunked.bytesSent) bytes before the answer")
            // the server is fine afterwards
            #expect(try await server.post(fixture: "fixtures/hang.json").status == 200)
        }
    }

    @Test func generatedHugeBodyGets413() async throws {
        try await withServer { server in
            let huge = server.scratch.path + "/huge.json"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [fixtureURL("fixtures/bad/gen-huge.sh").path, huge]
            try process.run()
            process.waitUntilExit()
            let size = (try FileManager.default.attributesOfItem(atPath: huge)[.size] as? Int) ?? 0
            #expect(size > 16 << 20)
            let response = try await RawHTTP.send(port: server.port, head: """
                POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nx-interactly-secret: \(TestServer.secret)\r\nContent-Length: \(size)\r\n\r\n
                """, file: huge)
            #expect(response.status == 413)
            #expect(response.bytesSent < size, "the server answered before reading all \(size) bytes (sent \(response.bytesSent))")
        }
    }

    @Test func secretsAndRequiredHeaders() async throws {
        try await withServer(configure: { settings in
            settings.endpoints = [
                .init(name: "clinic", secret: "clinic-secret", headers: [("Authorization", "Bearer abc")]),
                .init(name: "sales", secret: "sales-secret", events: ["end-of-call-report"]),
            ]
        }) { server in
            let body = fixtureBytes("fixtures/hang.json")
            let wrong = try await server.post(body, secret: "nope")
            #expect(wrong.status == 401)
            #expect(!wrong.text.contains(TestServer.secret))
            #expect(try await server.post(body, secret: nil).status == 401)
            #expect(try await server.post(body, secret: TestServer.secret + "x").status == 401)
            #expect(try await server.post(body).status == 200)

            #expect(try await server.post(body, path: "/webhook/clinic", secret: "clinic-secret").status == 401)
            let clinic = try await server.post(body, path: "/webhook/clinic", secret: "clinic-secret", headers: [("Authorization", "Bearer abc")])
            #expect(clinic.status == 200)
            #expect(try await server.post(body, path: "/webhook/clinic", secret: TestServer.secret,
                                          headers: [("Authorization", "Bearer abc")]).status == 401)
            let badHeader = try await server.post(body, path: "/webhook/clinic", secret: "clinic-secret", headers: [("Authorization", "Bearer abd")])
            #expect(badHeader.status == 401)
            #expect(!badHeader.text.contains("abc"))

            // a type the endpoint does not subscribe to is kept, not processed
            let skipped = try await server.post(body, path: "/webhook/sales", secret: "sales-secret")
            #expect(skipped.status == 200)
            #expect(skipped.json?["processed"]?.bool == false)
            let id = try #require(skipped.json?["id"]?.string.flatMap(EventID.init))
            #expect(try await server.journal.event(id)?.summary.state == .skipped)
            #expect(try await server.post(body, path: "/webhook/unknown").status == 404)
        }
    }

    @Test func generatedSecretIsStoredOwnerOnlyAndReused() async throws {
        let scratch = Scratch()
        let secret = try await withServer(scratch: scratch, configure: { $0.secret = nil }) { first in
            let secret = try #require(first.hookline.secret)
            #expect(secret.count >= 32)
            let path = scratch.path + "/data/secret"
            let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(permissions == 0o600)
            #expect(try await first.post(fixtureBytes("fixtures/hang.json"), secret: secret).status == 200)
            #expect(!first.logs.lines.joined().contains(secret))
            return secret
        }
        try await withServer(scratch: scratch, configure: { $0.secret = nil }) { second in
            #expect(second.hookline.secret == secret)
        }
        try await withServer(configure: { settings in
            settings.secret = nil
            settings.open = true
        }) { open throws in
            #expect(try await open.post(fixtureBytes("fixtures/hang.json"), secret: nil).status == 200)
            #expect(open.logs.lines.contains { $0.contains("running OPEN") })
        }
    }

    @Test func thousandConcurrentDeliveriesAreAllJournaledOnce() async throws {
        try await withServer { server in
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for i in 0..<1000 {
                    group.addTask {
                        let response = try await server.post(event("fixtures/hang.json", callID: "CALL\(i)"))
                        return (response.status, response.json?["id"]?.string)
                    }
                }
                var all: [(Int, String?)] = []
                for try await result in group { all.append(result) }
                return all
            }
            #expect(statuses.allSatisfy { $0.0 == 200 })
            #expect(Set(statuses.compactMap(\.1)).count == 1000)
            let stored = try await server.journal.events(matching: EventQuery(type: "hang", limit: 5000))
            #expect(stored.count == 1000)
            #expect(Set(stored.map(\.callID)).count == 1000)
            // the same deliveries again are duplicates, not new events
            let again = try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 0..<100 {
                    group.addTask { try await server.post(event("fixtures/hang.json", callID: "CALL\(i)")).json?["duplicate"]?.bool == true }
                }
                var count = 0
                for try await duplicate in group where duplicate { count += 1 }
                return count
            }
            #expect(again == 100)
            #expect(try await server.journal.events(matching: EventQuery(type: "hang", limit: 5000)).count == 1000)
        }
    }

    @Test func deduplicationFollowsEachTypesNaturalKey() async throws {
        try await withServer { server in
            for file in fixturePaths(in: "fixtures") {
                let first = try await server.post(fixtureBytes(file))
                let second = try await server.post(fixtureBytes(file))
                #expect(second.json?["duplicate"]?.bool == true, "\(file)")
                #expect(second.json?["id"]?.string == first.json?["id"]?.string)
            }
            // a hang of the same call at another moment is a new event
            let later = try await server.post(event("fixtures/hang.json", callID: "CA5d2c7e90a1f34b6d8e0b9c4a3f2e1d07", timestamp: 1_778_771_299_000))
            #expect(later.json?["duplicate"] == nil)
        }
    }

    @Test func journaledEventsSurviveARestart() async throws {
        let scratch = Scratch()
        let ids = try await withServer(scratch: scratch) { first in
            var ids: [String] = []
            for file in fixturePaths(in: "fixtures") {
                ids.append(try #require(try await first.post(fixtureBytes(file)).json?["id"]?.string))
            }
            return ids
        }
        try await withServer(scratch: scratch) { second throws in
            for id in ids {
                #expect(try await second.journal.event(EventID(id)!) != nil)
            }
        }
    }

    @Test(.enabled(if: ReadOnly.available)) func aReadOnlyDataFolderGets503NotAcceptance() async throws {
        try await withServer { server in
            #expect(try await server.post(fixture: "fixtures/hang.json").status == 200)
            let data = server.scratch.path + "/data"
            try ReadOnly.apply(data)
            defer { ReadOnly.undo(data) }
            let refused = try await server.post(event("fixtures/hang.json", callID: "CAreadonly"))
            #expect(refused.status == 503, "\(refused.text)")
            #expect(refused.errorCode == "journal_unavailable")
            #expect(try await server.get("/healthz").status == 503)
            #expect(server.logs.lines.contains { $0.contains("JOURNAL CANNOT WRITE") })
            ReadOnly.undo(data)
            #expect(try await server.post(event("fixtures/hang.json", callID: "CAreadonly")).status == 200)
        }
    }

    /// The server runs an event loop per core the process may use: the affinity list bounds the count.
    @Test func usableCoresFollowTheAffinityList() throws {
        let status = FileManager.default.temporaryDirectory.appendingPathComponent("hookline-status-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: status) }
        let cases: [(String, Int?)] = [("0-3,8", 5), ("0", 1), ("1-1", 1), ("0-63", 64), ("3-1", nil), ("x", nil)]
        for (list, expected) in cases {
            try "Name:\thookline\nCpus_allowed:\tff\nCpus_allowed_list:\t\(list)\nMems_allowed:\t1\n"
                .write(toFile: status, atomically: true, encoding: .utf8)
            #expect(UsableCores.affinityCount(status: status) == expected, "Cpus_allowed_list: \(list)")
        }
        #expect(UsableCores.affinityCount(status: status + ".missing") == nil)
        #expect(UsableCores.count >= 1 && UsableCores.count <= ProcessInfo.processInfo.activeProcessorCount)
    }

    @Test func healthAndMetrics() async throws {
        try await withServer { server in
            _ = try await server.post(fixture: "fixtures/hang.json")
            _ = try await server.post(fixtureBytes("fixtures/bad/truncated.json"))
            let health = try await server.get("/healthz")
            #expect(health.status == 200)
            #expect(health.json?["journal"]?.string == "writable")
            let metrics = try await server.get("/metrics").text
            #expect(metrics.contains(#"hookline_events_accepted_total{endpoint="default",type="hang"} 1"#))
            #expect(metrics.contains(#"hookline_events_rejected_total{endpoint="default",reason="malformed_json"} 1"#))
            #expect(metrics.contains("hookline_journal_size_bytes"))
        }
    }
}

extension JSONParser {
    static func parseType(_ bytes: [UInt8]) -> String? {
        (try? parse(bytes))?.root["message", "type"]?.string
    }
}

/// Byte ranges of the credentials an event echoes (what redaction replaces).
func credentialRanges(_ bytes: [UInt8]) -> [Range<Int>] {
    guard let root = try? JSONParser.parse(bytes).root, let server = root["message", "assistant", "assistantServer"] else { return [] }
    var ranges: [Range<Int>] = []
    if let secret = server["secret"]?.rawStringRange, !secret.isEmpty { ranges.append(secret) }
    for (_, value) in server["headers"]?.members ?? [] { if let range = value.rawStringRange { ranges.append(range) } }
    return ranges.sorted { $0.lowerBound < $1.lowerBound }
}

/// The bytes without the given ranges.
func stripped(_ bytes: [UInt8], _ ranges: [Range<Int>]) -> [UInt8] {
    var out: [UInt8] = []
    var position = 0
    for range in ranges {
        out += bytes[position..<range.lowerBound]
        position = range.upperBound
    }
    return out + bytes[position...]
}

/// Makes the journal unwritable even for root (immutable files), and back. The `-shm` index stays
/// writable: SQLite maps it into memory, and a write to a mapping of an immutable file is a bus error.
enum ReadOnly {
    static let available: Bool = {
        let probe = NSTemporaryDirectory() + "hookline-immutable-probe"
        FileManager.default.createFile(atPath: probe, contents: Data())
        defer {
            _ = run("chattr", "-i", probe)
            try? FileManager.default.removeItem(atPath: probe)
        }
        return geteuid() != 0 || run("chattr", "+i", probe)
    }()

    static func apply(_ folder: String) throws {
        let files = ["journal.sqlite", "journal.sqlite-wal"].map { folder + "/" + $0 }
        if geteuid() == 0 {
            for path in files + [folder] where !run("chattr", "+i", path) { throw TestFailure("chattr +i \(path) failed") }
        } else {
            for path in files { chmod(path, 0o444) }
            chmod(folder, 0o555)
        }
    }

    static func undo(_ folder: String) {
        let files = ["journal.sqlite", "journal.sqlite-wal"].map { folder + "/" + $0 }
        if geteuid() == 0 {
            for path in [folder] + files { _ = run("chattr", "-i", path) }
        } else {
            chmod(folder, 0o755)
            for path in files { chmod(path, 0o644) }
        }
    }

    @discardableResult
    static func run(_ arguments: String...) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
