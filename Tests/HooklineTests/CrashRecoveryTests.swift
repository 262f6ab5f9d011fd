import AsyncHTTPClient
import NIOCore
import Foundation
import JSON
import Synchronization
import Testing
import TestSupport

/// The `hookline` binary killed with SIGKILL during a burst, then restarted: every acknowledged event is
/// processed (at least once).
@Suite(.serialized) struct CrashRecoveryTests {
    @Test func killDuringABurstThenRestart() async throws {
        let scratch = Scratch()
        // slow enough that a backlog builds up while events arrive
        scratch.write("scripts/hang.lua", """
            local until_ = os.clock() + 0.01
            while os.clock() < until_ do end
            file.append("processed.txt", ctx.event_id .. "\\n")
            """)
        let served = HooklineProcess(["--secret", TestServer.secret, "--scripts", scratch.path + "/scripts",
                                      "--data", scratch.path + "/data", "--log-level", "error"])
        try await withResource(served, stop: { await $0.stop() }) { served in
            try await served.startAndWait()
            // a client of its own, shut down after the kill: its pooled connections to the killed server go with it
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            let port = served.port

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
            try await eventually("150 events are acknowledged", interval: .milliseconds(5)) { acknowledged.count >= 150 }
            await served.kill()
            _ = try? await burst.value
            let ids = acknowledged.all
            let processedBeforeRestart = lines(scratch.read("data/out/processed.txt"))
            #expect(ids.count >= 150)
            #expect(processedBeforeRestart.count < ids.count, "the kill happened with work pending")

            try? await client.shutdown()
            try await served.startAndWait()
            var missing = Set(ids)
            try? await eventually("every acknowledged event is processed", timeout: .seconds(120), interval: .milliseconds(100)) {
                missing.subtract(lines(scratch.read("data/out/processed.txt")))
                return missing.isEmpty
            }
            #expect(missing.isEmpty, "acknowledged but never processed: \(missing.sorted().prefix(10))")
        }
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
