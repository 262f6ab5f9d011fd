import AsyncHTTPClient
import Foundation
import JSON
import NIOCore
import Synchronization
import Testing
import TestSupport

/// Several `hookline serve` processes on one PostgreSQL behind nginx, as the README's "Several nodes" sets
/// them up: deliveries keep succeeding while nodes die, restart and roll, and nothing acknowledged is lost,
/// run twice at once, or run out of its call's order.
@Suite(.serialized) struct ClusterTests {
    /// Each run takes a while (a call to a slow receiver), so a node killed in the middle holds work in
    /// flight; each appends its event's message count and its start and end to the call's file.
    static func scripts(receiver: String) -> [String: String] {
        ["conversation-update.lua": """
            local started = time.now()
            http.get("\(receiver)/slow")
            local finished = time.now()
            file.append("seq/" .. event.call.id .. ".txt", #event.messages .. " " .. started .. " " .. finished .. "\\n")
            """]
    }

    struct Cluster: Sendable {
        let scratch: Scratch
        let database: TestDatabase
        let nodes: [HooklineProcess]
        let balancer: LoadBalancer

        static func start(_ count: Int, scripts: [String: String], extra: [String] = [],
                          server: String? = ProcessInfo.processInfo.environment["HOOKLINE_TEST_POSTGRES"]) async throws -> Cluster {
            let scratch = Scratch()
            for (path, source) in scripts { scratch.write("scripts/" + path, source) }
            let database = try TestDatabase(on: server)
            let nodes = (1...count).map {
                node("node\($0)", database: database.url, scripts: scratch.path + "/scripts", out: scratch.path + "/out",
                     logs: scratch.path, extra: (extra.contains("--lease") ? [] : ["--lease", "3s", "--script-timeout", "1s"]) + extra)
            }
            for node in nodes { try node.start() }
            for node in nodes { try await node.waitUntilHealthy() }
            let balancer = try LoadBalancer(nodes: nodes, folder: scratch.path + "/nginx")
            try await waitUntilHealthy(balancer.base)
            return Cluster(scratch: scratch, database: database, nodes: nodes, balancer: balancer)
        }

        func stop() async {
            balancer.stop()
            for node in nodes { await node.stop() }
        }

        /// Waits until no event is pending anywhere.
        func drained(within limit: Duration = .seconds(120)) async throws {
            try await eventually("no event is pending", timeout: limit, interval: .milliseconds(200)) {
                try await database.value("SELECT count(*) FROM events WHERE state = 'pending'") == "0"
            }
        }
    }

    /// Runs `body` with a cluster started as `Cluster.start` does, and stops it (nginx and every node) before
    /// returning, also when `body` throws.
    static func withCluster(_ count: Int, scripts: [String: String], extra: [String] = [],
                            server: String? = ProcessInfo.processInfo.environment["HOOKLINE_TEST_POSTGRES"],
                            _ body: (Cluster) async throws -> Void) async throws {
        try await withResource(try await Cluster.start(count, scripts: scripts, extra: extra, server: server),
                               stop: { await $0.stop() }, body)
    }

    /// Delivers `count` events of `calls` interleaved calls (call c's n-th event has n messages) through the
    /// load balancer, `concurrency` at a time; `during` runs after each delivery with the count so far.
    static func deliver(_ count: Int, calls: Int, to base: String, concurrency: Int = 32,
                        during: @escaping @Sendable (Int) async -> Void = { _ in }) async throws -> Deliveries {
        let deliveries = Deliveries()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let next = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while true {
                        let index = next.take()
                        guard index < count else { return }
                        let call = "CALL\(index % calls)"
                        let messages = index / calls + 1
                        var request = HTTPClientRequest(url: base + "/webhook")
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.headers.add(name: "x-interactly-secret", value: "s3cret")
                        request.body = .bytes(ByteBuffer(bytes: conversationUpdate(callID: call, messages: messages)))
                        do {
                            let response = try await client.execute(request, timeout: .seconds(25))
                            let body = try await response.body.collect(upTo: 1 << 16)
                            deliveries.record(status: Int(response.status.code), body: Array(body.readableBytesView))
                        } catch {
                            deliveries.failed("\(call) #\(messages): \(error)")
                        }
                        await during(deliveries.count)
                    }
                }
            }
            try await group.waitForAll()
        }
        try await client.shutdown()
        return deliveries
    }

    /// Every line of every call's file: first runs in the journal's order of the call's events (a run repeated
    /// after a node died comes again later, but never before an earlier event's first run), and no two runs of
    /// one call overlap. The journal's order, not the message counts': two deliveries of a call that overlap
    /// (one slow on a node that just started) may commit in either order, and that order is the one to keep.
    static func checkOrder(_ cluster: Cluster, calls: Int) async throws {
        let stored = try await cluster.database.value("""
            SELECT string_agg(call_id || ':' || messages, ' ') FROM (
                SELECT call_id, string_agg(jsonb_array_length(convert_from(body, 'UTF8')::jsonb->'message'->'messages')::text,
                                           ',' ORDER BY id) AS messages
                FROM events GROUP BY call_id) AS calls
            """)
        var journalOrder: [String: [Int]] = [:]
        for entry in stored.split(separator: " ") {
            let parts = entry.split(separator: ":")
            journalOrder[String(parts[0])] = parts[1].split(separator: ",").compactMap { Int($0) }
        }
        for call in 0..<calls {
            let lines = (cluster.scratch.read("out/seq/CALL\(call).txt") ?? "").split(separator: "\n").map { $0.split(separator: " ") }
            let runs = lines.compactMap { parts -> (Int, Int64, Int64)? in
                guard parts.count == 3, let n = Int(parts[0]), let start = Int64(parts[1]), let end = Int64(parts[2]) else { return nil }
                return (n, start, end)
            }
            var seen: [Int] = []
            for (n, _, _) in runs where !seen.contains(n) { seen.append(n) }
            let expected = journalOrder["CALL\(call)"] ?? []
            #expect(!seen.isEmpty && seen == expected, "CALL\(call): first runs \(seen), the journal's order \(expected)")
            for pair in zip(runs, runs.dropFirst()) {
                #expect(pair.1.1 >= pair.0.2, "CALL\(call): runs of \(pair.0.0) and \(pair.1.0) overlapped: \(runs)")
            }
        }
    }

    @Test func threeNodesBehindNginxLoseNothingWhenOneIsKilledAndComesBack() async throws {
        try await withReceiver(delay: .milliseconds(20)) { receiver in
            try await Self.withCluster(3, scripts: Self.scripts(receiver: receiver.url)) { cluster in
                let victim = cluster.nodes[1]
                let killed = Counter()
                let restarted = Counter()
                let deliveries = try await Self.deliver(3_000, calls: 100, to: cluster.balancer.base) { sent in
                    if sent >= 1_000, killed.take() == 0 { await victim.kill() }
                    if sent >= 2_000, restarted.take() == 0 { try? victim.start() }
                }
                try await cluster.drained()
                #expect(deliveries.failures.isEmpty, "failed deliveries: \(deliveries.failures.prefix(5))")
                #expect(deliveries.count == 3_000)
                #expect(try await cluster.database.value("SELECT count(*) FROM events") == "3000", "every delivery stored once")
                #expect(try await cluster.database.value("SELECT count(*) FROM events WHERE state <> 'done'") == "0")
                try await Self.checkOrder(cluster, calls: 100)
            }
        }
    }
}

extension ClusterTests {
    /// The database stops at once for a few seconds under load: nodes answer 503 (never a 2xx for an event
    /// they did not store), say so on /healthz, and go on by themselves when it is back; nothing acknowledged
    /// is lost.
    @Test func aDatabaseStoppedForSecondsUnderLoadLosesNothing() async throws {
        let server = try OwnPostgres()
        try await withReceiver(delay: .milliseconds(5)) { receiver in
            try await Self.withCluster(2, scripts: Self.scripts(receiver: receiver.url), server: server.url) { cluster in
                let paused = Counter()
                let healthWhilePaused = Mutex<[Int]>([])
                let deliveries = try await Self.deliver(1_500, calls: 50, to: cluster.nodes[0].base, concurrency: 8) { sent in
                    guard sent >= 500, paused.take() == 0 else { return }
                    try? server.pause()
                    try? await Task.sleep(for: .seconds(1))
                    let client = HTTPClient(eventLoopGroupProvider: .singleton)
                    for node in cluster.nodes {
                        let status = try? await client.execute(HTTPClientRequest(url: node.base + "/healthz"), timeout: .seconds(8)).status.code
                        healthWhilePaused.withLock { $0.append(Int(status ?? 0)) }
                    }
                    try? await client.shutdown()
                    try? await Task.sleep(for: .seconds(3))
                    try? server.resume()
                }
                try await cluster.drained()
                let acknowledged = Set(deliveries.ids)
                let stored = Set(try await cluster.database.value("SELECT string_agg(id::text, ',') FROM events").split(separator: ",").map(String.init))
                #expect(acknowledged.isSubset(of: stored), "acknowledged but not stored: \(acknowledged.subtracting(stored).prefix(5))")
                #expect(!deliveries.failures.isEmpty, "the pause refused deliveries")
                #expect(deliveries.failures.allSatisfy { $0.hasPrefix("503 ") && $0.contains("journal_unavailable") },
                        "only 503 journal_unavailable: \(deliveries.failures.filter { !$0.hasPrefix("503 ") }.prefix(3))")
                #expect(healthWhilePaused.withLock { $0 } == [503, 503], "/healthz while the database is stopped")
                #expect(deliveries.ids.count > 900, "deliveries succeeded again after the database came back: \(deliveries.ids.count)")
                #expect(try await cluster.database.value("SELECT count(*) FROM events WHERE state <> 'done'") == "0")
                // the pause outlasted the 3 s lease: a node that could not renew stopped starting runs in time
                try await Self.checkOrder(cluster, calls: 50)
            }
        }
    }

    /// `hookline events`, `events show` and `replay` work on the database, the replayed event runs on the node
    /// that holds the journal's work, and `serve --database` without a secret is refused.
    @Test func theCommandLineReadsAndReplaysTheDatabase() async throws {
        try await Self.withCluster(1, scripts: [
            "hang.lua": #"file.append("runs.txt", ctx.event_id .. "\n")"#,
            "error.lua": #"error("broken on purpose")"#,
        ], extra: ["--retries", "0"]) { cluster in
            let node = cluster.nodes[0]
            func post(_ fixture: String) async throws -> String {
                let answer = try await HooklineBinary.run(["send", "Tests/Fixtures/interactly/" + fixture, "--url", node.base + "/webhook",
                                                     "--secret", "s3cret"])
                let body = try #require(answer.text.split(separator: "\n").last.map { Array($0.utf8) })
                return try #require(try JSONParser.parse(body).root["id"]?.string, "\(answer.text)")
            }
            let hang = try await post("fixtures/hang.json")
            let failing = try await post("fixtures/error-llm.json")
            try await cluster.drained()
            let database = cluster.database.url

            let list = try await HooklineBinary.run(["events", "--database", database])
            #expect(list.status == 0 && list.text.contains("hang") && list.text.contains("failed"), "\(list.text)")
            let show = try await HooklineBinary.run(["events", "show", failing, "--database", database])
            #expect(show.text.contains("error.lua:1: broken on purpose"), "\(show.text)")
            let replay = try await HooklineBinary.run(["replay", hang, "--database", database])
            #expect(replay.text.contains("1 event queued again"), "\(replay.text)")
            try await cluster.drained()
            #expect(cluster.scratch.read("out/runs.txt") == "\(hang)\n\(hang)\n", "the replayed event ran again")

            let unsecret = try await HooklineBinary.run(["serve", "--database", database, "--port", "0", "--data", cluster.scratch.path + "/x"])
            #expect(unsecret.status != 0 && unsecret.text.contains("every node must take the same secret"), "\(unsecret.text)")
        }
    }

    /// Timers set on three nodes come due once each, wherever their call is, and a node killed with timers of
    /// its calls pending hands them over: every one fires once, on one node.
    @Test func timersFireOnceAcrossNodesAndSurviveANodeKilled() async throws {
        try await Self.withCluster(3, scripts: [
            "hang.lua": #"timer.set("t", 2)"#,
            "timers/t.lua": #"file.append("fired.txt", ctx.call_id .. "\n")"#,
        ]) { cluster in
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            for call in 0..<30 {
                var request = HTTPClientRequest(url: cluster.nodes[call % 3].base + "/webhook")
                request.method = .POST
                request.headers.add(name: "x-interactly-secret", value: "s3cret")
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: event("fixtures/hang.json", callID: "TIMER\(call)")))
                let response = try await client.execute(request, timeout: .seconds(10))
                #expect(response.status == .ok)
            }
            try await client.shutdown()
            try await eventually("30 timers are pending", interval: .milliseconds(100)) {
                try await cluster.database.value("SELECT count(*) FROM timers WHERE state = 'pending'") == "30"
            }
            #expect(try await cluster.database.value("""
                SELECT count(*) || ' ' || count(DISTINCT scripts_version) FROM nodes WHERE scripts_version IS NOT NULL
                """) == "3 1", "every node announced the scripts it runs, the same on each (the console's overview shows them)")
            await cluster.nodes[0].kill()  // its calls' timers come due while it is dead
            try await eventually("every timer fired and ran", timeout: .seconds(60), interval: .milliseconds(200)) {
                try await cluster.database.value("SELECT count(*) FROM events WHERE type = 'timer:t' AND state = 'done'") == "30"
            }
            try await cluster.drained()
            let fired = (cluster.scratch.read("out/fired.txt") ?? "").split(separator: "\n").map(String.init)
            #expect(fired.count == 30, "each timer's handler ran once: \(fired.count) runs")
            #expect(Set(fired) == Set((0..<30).map { "TIMER\($0)" }))
            #expect(try await cluster.database.value("SELECT count(*) FROM timers WHERE state = 'pending'") == "0")
        }
    }

    /// A re-delivery to another node is a duplicate; `store.incr` from runs on three nodes adds up exactly; an
    /// alert key alerted on one node folds the same key on the others.
    @Test func deduplicationTheStoreAndAlertFoldingHoldAcrossNodes() async throws {
        try await withReceiver { receiver in
            try await Self.withCluster(3, scripts: [
                "status-update.lua": """
                    store.incr("updates")
                    alert{title = "status", key = "one-key", severity = "info"}
                    file.append("shared.txt", string.rep(string.sub(event.call.id, -1), 200000) .. "\\n")
                    """,
            ], extra: ["--alert-webhook", receiver.url + "/alerts", "--lease", "10s", "--script-timeout", "5s"]) { cluster in  // 60 runs on two hot keys
                let client = HTTPClient(eventLoopGroupProvider: .singleton)
                func post(_ body: [UInt8], to node: HooklineProcess) async throws -> JSONValue? {
                    var request = HTTPClientRequest(url: node.base + "/webhook")
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.headers.add(name: "x-interactly-secret", value: "s3cret")
                    request.body = .bytes(ByteBuffer(bytes: body))
                    let response = try await client.execute(request, timeout: .seconds(10))
                    return (try? JSONParser.parse(Array(try await response.body.collect(upTo: 1 << 16).readableBytesView)))?.root
                }
                let first = try await post(event("fixtures/status-update-ongoing.json", callID: "DUP1"), to: cluster.nodes[0])
                let again = try await post(event("fixtures/status-update-ongoing.json", callID: "DUP1"), to: cluster.nodes[2])
                #expect(again?["duplicate"]?.bool == true && again?["id"]?.string == first?["id"]?.string)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for n in 1..<60 {
                        group.addTask {
                            _ = try await post(event("fixtures/status-update-ongoing.json", callID: "INCR\(n)"), to: cluster.nodes[n % 3])
                        }
                    }
                    try await group.waitForAll()
                }
                try await cluster.drained()
                try await Task.sleep(for: .milliseconds(500))  // alert deliveries run in the background
                let failedRuns = try await cluster.database.value("SELECT string_agg(outcome || ' ' || coalesce(error, ''), '; ') FROM runs WHERE outcome <> 'ok'")
                let updates = try await cluster.database.value("SELECT value FROM store WHERE key = 'updates'")
                #expect(updates == "60", "failed runs: \(failedRuns)")
                #expect(receiver.requests.filter { $0.path == "/alerts" }.count == 1, "the key was folded on every node")
                let metrics = try await client.execute(HTTPClientRequest(url: cluster.nodes[1].base + "/metrics"), timeout: .seconds(5))
                let text = String(buffer: try await metrics.body.collect(upTo: 1 << 20))
                #expect(text.contains(#"hookline_calls_held{node="node2"}"#), "each node tells the calls it holds")
                let lines = (cluster.scratch.read("out/shared.txt") ?? "").split(separator: "\n")
                #expect(lines.count == 60 && lines.allSatisfy { $0.count == 200_000 && Set($0).count == 1 },
                        "appends of three nodes to one file kept whole lines")
                try await client.shutdown()
            }
        }
    }

    /// Every node restarted in turn (SIGTERM, then started again) while deliveries go on through nginx: not one
    /// delivery fails, and everything runs.
    @Test func aRollingRestartUnderLoadFailsNoDelivery() async throws {
        try await withReceiver(delay: .milliseconds(10)) { receiver in
            try await Self.withCluster(3, scripts: Self.scripts(receiver: receiver.url)) { cluster in
                let restarting = Counter()
                let deliveries = try await Self.deliver(2_400, calls: 80, to: cluster.balancer.base, concurrency: 16) { sent in
                    let turn = restarting.value
                    guard turn < 3, sent >= 300 + 600 * turn, restarting.advance(from: turn) else { return }
                    let node = cluster.nodes[turn]
                    await node.stop()
                    try? node.start()
                    try? await node.waitUntilHealthy()
                }
                try await cluster.drained()
                #expect(deliveries.failures.isEmpty, "failed deliveries: \(deliveries.failures.prefix(5))")
                #expect(try await cluster.database.value("SELECT count(*) FROM events") == "2400")
                #expect(try await cluster.database.value("SELECT count(*) FROM events WHERE state <> 'done'") == "0")
                try await Self.checkOrder(cluster, calls: 80)
            }
        }
    }
}

/// What the sender saw: 2xx answers (with the accepted ids) and failures.
final class Deliveries: Sendable {
    private let state = Mutex<(ids: [String], duplicates: Int, failures: [String])>(([], 0, []))

    func record(status: Int, body: [UInt8]) {
        let root = (try? JSONParser.parse(body))?.root
        state.withLock { state in
            guard (200..<300).contains(status), let id = root?["id"]?.string else {
                state.failures.append("\(status) \(String(decoding: body.prefix(200), as: UTF8.self))")
                return
            }
            state.ids.append(id)
            if root?["duplicate"]?.bool == true { state.duplicates += 1 }
        }
    }

    func failed(_ reason: String) { state.withLock { $0.failures.append(reason) } }

    var count: Int { state.withLock { $0.ids.count + $0.failures.count } }
    var ids: [String] { state.withLock { $0.ids } }
    var failures: [String] { state.withLock { $0.failures } }
    var duplicates: Int { state.withLock { $0.duplicates } }
}

/// Waits until `base/healthz` answers 200.
/// A number shared by tasks: `take` returns it and adds one.
final class Counter: Sendable {
    private let number = Atomic<Int>(0)
    func take() -> Int { number.add(1, ordering: .relaxed).oldValue }
    var value: Int { number.load(ordering: .relaxed) }
    /// Adds one if it is still `current`; false when another task did first.
    func advance(from current: Int) -> Bool {
        number.compareExchange(expected: current, desired: current + 1, ordering: .relaxed).exchanged
    }
}
