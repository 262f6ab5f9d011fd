import AsyncHTTPClient
import NIOCore
import Foundation
import JSON
import Synchronization
import Testing

/// The `hookline` binary killed with SIGKILL during a burst, then restarted: every acknowledged event is
/// processed (at least once).
@Suite(.serialized) struct CrashRecoveryTests {
    static let binary = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/debug/hookline").path

    @Test func killDuringABurstThenRestart() async throws {
        let scratch = Scratch()
        // slow enough that a backlog builds up while events arrive
        scratch.write("scripts/hang.lua", """
            local until_ = os.clock() + 0.01
            while os.clock() < until_ do end
            file.append("processed.txt", ctx.event_id .. "\\n")
            """)
        let port = freePort()
        var process = try launch(scratch, port: port)
        // a client of its own: the pooled connections of the killed server must not delay the restart checks
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        try await waitUntilListening(port, client)

        let acknowledged = Acknowledged()
        let burst = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<400 {
                    group.addTask {
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/webhook")
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.headers.add(name: "x-interactly-secret", value: "s3cret")
                        request.body = .bytes(ByteBuffer(bytes: event("fixtures/hang.json", callID: "KILL\(i)")))
                        guard let response = try? await client.execute(request, timeout: .seconds(3)),
                              response.status.code == 200,
                              let body = try? await response.body.collect(upTo: 1 << 16),
                              let id = (try? JSONParser.parse(Array(body.readableBytesView)))?.root["id"]?.string else { return }
                        acknowledged.add(id)
                    }
                }
                try await group.waitForAll()
            }
        }
        // kill once part of the burst is acknowledged, while scripts are still behind
        while acknowledged.count < 150 { try await Task.sleep(for: .milliseconds(5)) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        _ = try? await burst.value
        let ids = acknowledged.all
        let processedBeforeRestart = lines(scratch.read("data/out/processed.txt"))
        #expect(ids.count >= 150)
        #expect(processedBeforeRestart.count < ids.count, "the kill happened with work pending")

        process = try launch(scratch, port: port)
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let fresh = HTTPClient(eventLoopGroupProvider: .singleton)
        try await waitUntilListening(port, fresh)
        let deadline = ContinuousClock.now + .seconds(120)
        var missing = Set(ids)
        while !missing.isEmpty && ContinuousClock.now < deadline {
            missing.subtract(lines(scratch.read("data/out/processed.txt")))
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(missing.isEmpty, "acknowledged but never processed: \(missing.sorted().prefix(10))")
        try? await client.shutdown()
        try? await fresh.shutdown()
    }

    private func launch(_ scratch: Scratch, port: Int) throws -> Process {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw TestFailure("build the hookline binary first (swift build): \(Self.binary)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", "--port", "\(port)", "--secret", "s3cret", "--scripts", scratch.path + "/scripts",
                             "--data", scratch.path + "/data", "--log-level", "error"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    private func waitUntilListening(_ port: Int, _ client: HTTPClient) async throws {
        for _ in 0..<300 {
            if let response = try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"),
                                                        timeout: .seconds(1)),
               response.status.code == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("hookline did not start on port \(port)")
    }

    private func lines(_ text: String?) -> Set<String> {
        Set((text ?? "").split(separator: "\n").map(String.init))
    }
}

final class Acknowledged: Sendable {
    private let ids = Mutex<[String]>([])
    func add(_ id: String) { ids.withLock { $0.append(id) } }
    var count: Int { ids.withLock { $0.count } }
    var all: [String] { ids.withLock { $0 } }
}

/// A loopback port nobody listens on right now.
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
