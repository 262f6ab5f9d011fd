import AsyncHTTPClient
import Foundation
import HooklineApp
import JSON
import Journal
import Logging
import NIOCore
import NIOHTTP1
@_exported import TestFixtures

/// A scratch folder removed at the end of the test.
final class Scratch: Sendable {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "hookline-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func write(_ relative: String, _ text: String) {
        let full = path + "/" + relative
        try! FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! text.write(toFile: full, atomically: true, encoding: .utf8)
    }

    func read(_ relative: String) -> String? {
        try? String(contentsOfFile: path + "/" + relative, encoding: .utf8)
    }
}

/// A real Hookline on a free loopback port, with its own folders.
struct TestServer {
    static let secret = "s3cret"
    let hookline: Hookline
    let scratch: Scratch
    let logs: LogSink

    var port: Int { hookline.port }
    var base: String { "http://127.0.0.1:\(port)" }
    var journal: any Journal { hookline.journal }
    var scriptsFolder: String { scratch.path + "/scripts" }
    var outFolder: String { scratch.path + "/data/out" }

    /// Starts Hookline with `scripts` (path -> Lua source) in its scripts folder.
    static func start(scripts: [String: String] = [:], scratch: Scratch = Scratch(),
                      configure: (inout Settings) -> Void = { _ in }) async throws -> TestServer {
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
        let hookline = try await Hookline.start(settings, logger: logger)
        return TestServer(hookline: hookline, scratch: scratch, logs: logs)
    }

    func stop() async {
        await hookline.shutdown()
    }

    func post(_ body: [UInt8], path: String = "/webhook", secret: String? = TestServer.secret,
              headers: [(String, String)] = [], contentType: String? = "application/json") async throws -> TestResponse {
        try await request("POST", path, body: body, headers: headers + (secret.map { [("x-interactly-secret", $0)] } ?? [])
                                                      + (contentType.map { [("Content-Type", $0)] } ?? []))
    }

    func post(fixture: String, path: String = "/webhook") async throws -> TestResponse {
        try await post(fixtureBytes(fixture), path: path)
    }

    func get(_ path: String) async throws -> TestResponse {
        try await request("GET", path, body: nil, headers: [])
    }

    func request(_ method: String, _ path: String, body: [UInt8]?, headers: [(String, String)]) async throws -> TestResponse {
        var request = HTTPClientRequest(url: base + path)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return TestResponse(status: Int(response.status.code), headers: response.headers, body: Array(bytes.readableBytesView))
    }

    /// Waits until `condition` holds (polling), failing after `timeout`.
    func eventually(_ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("timed out waiting until \(what)")
    }

    /// Waits until every journaled event is processed.
    func drained(timeout: Duration = .seconds(60)) async throws {
        try await eventually("every event is processed", timeout: timeout) {
            try await journal.statistics().pending == 0
        }
    }
}

struct TestResponse {
    let status: Int
    let headers: HTTPHeaders
    let body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    var json: JSONValue? { (try? JSONParser.parse(body))?.root }
    var errorCode: String? { json?["error", "code"]?.string }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Paths of a fixture folder's `.json` files, relative to the fixtures (e.g. "fixtures/hang.json").
func fixturePaths(in folder: String) -> [String] {
    fixtureFiles(in: folder).map { "\(folder)/\($0.lastPathComponent)" }
}

/// The event with `call.id` (and the message timestamp, when given) replaced: one fixture, many calls.
func event(_ fixture: String, callID: String, timestamp: Int64? = nil) -> [UInt8] {
    var text = String(decoding: fixtureBytes(fixture), as: UTF8.self)
    let document = try! JSONParser.parse(fixtureBytes(fixture))
    let original = document.root["message", "call", "id"]!.string!
    text = text.replacingOccurrences(of: original, with: callID)
    if let timestamp, let old = document.root["message", "timestamp"]?.integer {
        text = text.replacingOccurrences(of: "\"timestamp\": \(old)", with: "\"timestamp\": \(timestamp)")
            .replacingOccurrences(of: "\"timestamp\":\(old)", with: "\"timestamp\":\(timestamp)")
    }
    return Array(text.utf8)
}
