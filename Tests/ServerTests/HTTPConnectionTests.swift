import Intake
import Journal
import JSON
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Observability
@testable import Server
import Testing
import TestSupport

/// One connection's HTTP handling on NIO's testing channel (NIOEmbedded's `NIOAsyncTestingChannel`): raw bytes in,
/// raw bytes out, no socket. The endpoint's secret is "s3cret"; its journal is SQLite in a scratch folder.
@Suite struct HTTPConnectionTests {
    struct Response {
        let status: Int
        let headers: [String: String]
        let body: [UInt8]
        var json: JSONValue? { (try? JSONParser.parse(body))?.root }
    }

    final class Connection: Sendable {
        let scratch = Scratch()
        let journal: SQLiteJournal
        let channel = NIOAsyncTestingChannel()

        init() async throws {
            journal = try SQLiteJournal(directory: scratch.path)
            let telemetry = Telemetry(eventTypes: EventTypes.known)
            let intake = Intake(journal: journal, node: NodeIdentity(name: "test", incarnation: "test/1"), telemetry: telemetry)
            let server = HooklineServer(settings: ServerSettings(endpoints: [EndpointSettings(secret: "s3cret")]), intake: intake,
                                        journal: journal, telemetry: telemetry, logger: Logger(label: "test"), backlog: { 0 })
            let routes = server.routes()
            let channel = channel
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: true)
                try channel.pipeline.syncOperations.addHandler(HTTPConnection(routes: routes, logger: Logger(label: "test")))
            }.get()
        }

        /// Sends one request and reads its whole answer.
        func exchange(_ head: String, body: [UInt8] = []) async throws -> Response {
            try await channel.writeInbound(ByteBuffer(bytes: Array(head.utf8) + body))
            var received: [UInt8] = []
            while true {
                let part = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
                received += part.readableBytesView
                if let response = Self.parse(received) { return response }
            }
        }

        func post(_ body: [UInt8], secret: String = "s3cret", extraHeaders: String = "") async throws -> Response {
            try await exchange("POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nx-interactly-secret: \(secret)\r\n"
                               + "Content-Length: \(body.count)\r\n\(extraHeaders)\r\n", body: body)
        }

        func close() async throws {
            _ = try await channel.finish(acceptAlreadyClosed: true)
            await journal.close()
        }

        private static func parse(_ bytes: [UInt8]) -> Response? {
            let separator = Array("\r\n\r\n".utf8)
            guard let end = (0...max(0, bytes.count - separator.count)).first(where: { bytes[$0..<min($0 + 4, bytes.count)].elementsEqual(separator) })
            else { return nil }
            let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2 { headers[parts[0].lowercased()] = parts[1] }
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            guard bytes.count >= end + 4 + length, let status = Int(lines[0].split(separator: " ")[1]) else { return nil }
            return Response(status: status, headers: headers, body: Array(bytes[(end + 4)..<(end + 4 + length)]))
        }
    }

    static func withConnection(_ body: (Connection) async throws -> Void) async throws {
        try await withResource(try await Connection(), stop: { try await $0.close() }, body)
    }

    @Test func aValidDeliveryIsJournaledBeforeItIsAcknowledged() async throws {
        try await Self.withConnection { connection in
            let body = fixtureBytes("fixtures/hang.json")
            let response = try await connection.post(body)
            #expect(response.status == 200)
            #expect(response.json?["accepted"]?.bool == true)
            let id = try #require(response.json?["id"]?.string.flatMap(EventID.init))
            #expect(try await connection.journal.event(id)?.body == body)
        }
    }

    @Test func aRefusedBodyGetsItsStatusCodeAndMessage() async throws {
        try await Self.withConnection { connection in
            let response = try await connection.post(fixtureBytes("fixtures/bad/missing-type.json"))
            #expect(response.status == 422)
            #expect(response.json?["error", "code"]?.string == "missing_type")
            #expect((response.json?["error", "message"]?.string?.count ?? 0) > 10)
        }
    }

    @Test func aWrongSecretIsRefusedAndNothingIsStored() async throws {
        try await Self.withConnection { connection in
            let response = try await connection.post(fixtureBytes("fixtures/hang.json"), secret: "wrong")
            #expect(response.status == 401)
            #expect(try await connection.journal.statistics().pending == 0)
        }
    }

    @Test func routesAndMethods() async throws {
        try await Self.withConnection { connection throws in
            #expect(try await connection.exchange("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n").status == 404)
            #expect(try await connection.exchange("GET /webhook HTTP/1.1\r\nHost: x\r\n\r\n").status == 405)
            #expect(try await connection.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").status == 200)
        }
    }

    @Test func aSafeRequestIDIsKeptAndAnyOtherReplaced() async throws {
        try await Self.withConnection { connection in
            let kept = try await connection.post(fixtureBytes("fixtures/hang.json"), extraHeaders: "x-request-id: trace-42_a\r\n")
            #expect(kept.headers["x-request-id"] == "trace-42_a")
            let replaced = try await connection.post(event("fixtures/hang.json", callID: "CA2"), extraHeaders: "x-request-id: a b/c\r\n")
            let generated = try #require(replaced.headers["x-request-id"])
            #expect(generated != "a b/c")
            #expect(generated.count == 16 && generated.allSatisfy(\.isHexDigit))
        }
    }

    @Test func anHTTP11RequestWithoutHostIsRefused() async throws {
        try await Self.withConnection { connection in
            let body = fixtureBytes("fixtures/hang.json")
            let response = try await connection.exchange("POST /webhook HTTP/1.1\r\nContent-Type: application/json\r\n"
                                                         + "x-interactly-secret: s3cret\r\nContent-Length: \(body.count)\r\n\r\n", body: body)
            #expect(response.status == 400)
            #expect(response.json?["error", "code"]?.string == "bad_host")
            try await connection.channel.closeFuture.get()  // and the connection is closed: its framing cannot be trusted
        }
    }
}

/// Request ids from outside: at most 64 bytes of the identifier alphabet, any of them first.
@Suite struct RequestIDTests {
    @Test func theRule() {
        #expect(RequestIDs.isSafe("_trace-1"))
        #expect(RequestIDs.isSafe(String(repeating: "a", count: 64)))
        #expect(!RequestIDs.isSafe(String(repeating: "a", count: 65)))
        #expect(!RequestIDs.isSafe(""))
        #expect(!RequestIDs.isSafe("a\r\nSet-Cookie: x"))
    }

    @Test func generatedIDsAreSixteenHexDigitsAndDistinct() {
        let ids = (0..<100).map { _ in RequestIDs.next() }
        #expect(Set(ids).count == 100)
        #expect(ids.allSatisfy { $0.count == 16 && $0.allSatisfy(\.isHexDigit) && RequestIDs.isSafe($0) })
    }
}
