import Basics
import AsyncHTTPClient
import Foundation
import HooklineApp
import JSON
import Journal
import Logging
import NIOCore
import NIOHTTP1

/// A real Hookline on a free loopback port, with its own folders.
public struct TestServer: Sendable {
    public static let secret = "s3cret"
    public let hookline: Hookline
    public let scratch: Scratch
    public let logs: LogSink

    public var port: Int { hookline.port }
    public var base: String { "http://127.0.0.1:\(port)" }
    public var journal: any Journal { hookline.journal }
    public var scriptsFolder: String { scratch.path + "/scripts" }
    public var outFolder: String { scratch.path + "/data/out" }

    /// Starts Hookline with `scripts` (path -> Lua source) in its scripts folder, reading time from `clock`.
    static func start(scripts: [String: String] = [:], scratch: Scratch = Scratch(), clock: any WallClock = SystemClock(),
                      configure: (inout Settings) -> Void = { _ in },
                      isolation: isolated (any Actor)? = #isolation) async throws -> TestServer {
        for (path, source) in scripts { scratch.write("scripts/" + path, source) }
        try FileManager.default.createDirectory(atPath: scratch.path + "/scripts", withIntermediateDirectories: true)
        var settings = Settings()
        settings.port = 0
        settings.secret = secret
        settings.scripts = scratch.path + "/scripts"
        settings.data = scratch.path + "/data"
        settings.retryBackoff = .milliseconds(20)
        settings.reloadInterval = .milliseconds(100)
        configure(&settings)
        let logs = LogSink.memory()
        let logger = Logger(label: "test") { label in LogOutput(label: label, format: .json, level: .debug, sink: logs) }
        let hookline = try await Hookline.start(settings, logger: logger, clock: clock)
        return TestServer(hookline: hookline, scratch: scratch, logs: logs)
    }

    func stop() async {
        await hookline.shutdown()
    }

    public func post(_ body: [UInt8], path: String = "/webhook", secret: String? = TestServer.secret,
              headers: [(String, String)] = [], contentType: String? = "application/json") async throws -> TestResponse {
        try await request("POST", path, body: body, headers: headers + (secret.map { [("x-interactly-secret", $0)] } ?? [])
                                                      + (contentType.map { [("Content-Type", $0)] } ?? []))
    }

    public func post(fixture: String, path: String = "/webhook") async throws -> TestResponse {
        try await post(fixtureBytes(fixture), path: path)
    }

    public func get(_ path: String) async throws -> TestResponse {
        try await request("GET", path, body: nil, headers: [])
    }

    public func request(_ method: String, _ path: String, body: [UInt8]?, headers: [(String, String)]) async throws -> TestResponse {
        var request = HTTPClientRequest(url: base + path)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return TestResponse(status: Int(response.status.code), headers: response.headers, body: Array(bytes.readableBytesView))
    }

    /// Waits until every journaled event is processed.
    public func drained(timeout: Duration = .seconds(60)) async throws {
        try await eventually("every event is processed", timeout: timeout) {
            try await journal.statistics().pending == 0
        }
    }
}

public struct TestResponse: Sendable {
    public let status: Int
    public let headers: HTTPHeaders
    public let body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }
    public var json: JSONValue? { (try? JSONParser.parse(body))?.root }
    public var errorCode: String? { json?["error", "code"]?.string }
}

/// Runs `body` with a Hookline started as `TestServer.start` does, and returns once the server has shut down
/// (also when `body` throws): the next test never shares the machine with this one's server. A body whose only
/// `try`s stand inside `#expect` says `{ server throws in }`: a closure's throwing is inferred before macros expand.
public func withServer<Result>(scripts: [String: String] = [:], scratch: Scratch = Scratch(),
                               clock: any WallClock = SystemClock(), configure: (inout Settings) -> Void = { _ in }, isolation: isolated (any Actor)? = #isolation,
                               _ body: (TestServer) async throws -> Result) async throws -> Result {
    try await withResource(try await TestServer.start(scripts: scripts, scratch: scratch, clock: clock, configure: configure),
                           stop: { await $0.stop() }, body)
}
