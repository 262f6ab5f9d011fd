// Weighs the journal's two hot paths on each backend: appends from many concurrent deliveries (32 by default,
// as the peer harness's connections), and the record path of dispatch (a call's pending work read, then each
// event's run and completion recorded as it finishes, the call released with the last). PostgreSQL gets a
// fresh database on the server given, dropped at the end; SQLite a temporary folder.
//
//   PostgresJournalBenchmark --database postgres://user:pw@127.0.0.1:5432/postgres [--events 20000]
//                            [--appenders 32] [--calls 500] [--body-bytes 2000] [--backends sqlite,postgres]
//
// Benchmarks/postgres-journal.sh starts a throwaway server (tools/postgres.sh), builds this in release mode and runs it.
import Foundation
import Journal
import Logging
import PostgresJournal
import PostgresNIO
import Synchronization

struct Options {
    var database = ProcessInfo.processInfo.environment["HOOKLINE_TEST_POSTGRES"]
    var events = 20_000
    var appenders = 32
    var calls = 500
    var bodyBytes = 2_000
    var backends = ["sqlite", "postgres"]

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { fatalError("\(flag) needs a value") }
            switch flag {
            case "--database": database = value
            case "--events": events = Int(value)!
            case "--appenders": appenders = Int(value)!
            case "--calls": calls = Int(value)!
            case "--body-bytes": bodyBytes = Int(value)!
            case "--backends": backends = value.split(separator: ",").map(String.init)
            default: fatalError("unknown option \(flag)")
            }
        }
    }
}

/// Milliseconds of each operation, for percentiles.
final class Latencies: Sendable {
    private let values = Mutex<[Double]>([])

    func add(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        values.withLock { $0.append(Double(seconds) * 1_000 + Double(attoseconds) / 1e15) }
    }

    func percentile(_ p: Double) -> Double {
        let sorted = values.withLock { $0 }.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }
}

/// A value several tasks change.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func change<T: Sendable>(_ body: (inout Value) -> T) -> T { value.withLock { body(&$0) } }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func format(_ value: Double) -> String { String(format: "%.2f", value) }

let node = NodeIdentity(name: "bench", incarnation: "bench/1")

/// Appends `events` events over `calls` calls from `appenders` concurrent tasks; returns each call's claim.
func appends(_ journal: any Journal, _ options: Options, body: [UInt8]) async throws -> (rate: Double, latencies: Latencies, claims: [CallKey: CallClaim]) {
    let latencies = Latencies()
    let claims = Shared<[CallKey: CallClaim]>([:])
    let perAppender = options.events / options.appenders
    let started = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for appender in 0..<options.appenders {
            group.addTask {
                for n in 0..<perAppender {
                    let index = appender * perAppender + n
                    let call = "CA\(index % options.calls)"
                    let event = NewEvent(receivedAt: 1_764_000_000_000 + Int64(index), endpoint: "default", type: "status-update",
                                         callID: call, dedupKey: "k\(index)", requestID: "r\(index)", body: body, warnings: [])
                    let sent = ContinuousClock.now
                    guard case .stored(let stored) = try await journal.append(event, claimant: node) else {
                        fatalError("a duplicate among unique keys")
                    }
                    latencies.add(ContinuousClock.now - sent)
                    if let claim = stored.claim { claims.change { $0[claim.call] = claim } }
                }
            }
        }
        try await group.waitForAll()
    }
    let elapsed = seconds(ContinuousClock.now - started)
    return (Double(perAppender * options.appenders) / elapsed, latencies, claims.change { $0 })
}

/// Dispatch's record path: per call, its pending work read, then one record per event (its run and completion),
/// the last one releasing the call; `appenders` calls at once.
func records(_ journal: any Journal, _ options: Options, claims: [CallKey: CallClaim]) async throws -> (rate: Double, latencies: Latencies, released: Int) {
    let latencies = Latencies()
    let queue = Shared(Array(claims.values))
    let counts = Shared((recorded: 0, released: 0))
    let started = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<options.appenders {
            group.addTask {
                while let claim = queue.change({ $0.popLast() }) {
                    guard let work = try await journal.pendingWork(of: claim, for: node, after: nil, limit: 10_000) else {
                        fatalError("lost the claim on \(claim)")
                    }
                    for (index, item) in work.items.enumerated() {
                        let id = item.event.id
                        let run = RunRecord(eventID: id, generation: 0, script: "status-update.lua", scriptVersion: "v1", attempt: 1,
                                            startedAt: 1_764_000_000_000, durationMicroseconds: 300, outcome: .ok,
                                            effects: EffectRecord(notes: ["http.post https://crm.example/calls -> 201"]))
                        let completion = EventCompletion(eventID: id, generation: 0, state: .done, finishedAt: 1_764_000_000_100)
                        let last = index == work.items.count - 1
                        let sent = ContinuousClock.now
                        let outcome = try await journal.record([CallRecords(claim: claim, runs: [run], completions: [completion],
                                                                            releaseAt: last ? work.version : nil)], for: node)
                        latencies.add(ContinuousClock.now - sent)
                        counts.change { counts in
                            counts.recorded += 1
                            if outcome == [.recorded(released: true)] { counts.released += 1 }
                        }
                    }
                }
            }
        }
        try await group.waitForAll()
    }
    let elapsed = seconds(ContinuousClock.now - started)
    let (recorded, released) = counts.change { $0 }
    return (Double(recorded) / elapsed, latencies, released)
}

func measure(_ name: String, _ journal: any Journal, _ options: Options) async throws {
    var generator = SystemRandomNumberGenerator()
    let body = (0..<options.bodyBytes).map { _ in UInt8.random(in: 0x61...0x7a, using: &generator) }
    try await journal.heartbeat(node, lease: .seconds(600))
    let appended = try await appends(journal, options, body: body)
    print("| \(name) | append | \(options.appenders) | \(Int(appended.rate)) | \(format(appended.latencies.percentile(0.5))) | \(format(appended.latencies.percentile(0.99))) |")
    let recorded = try await records(journal, options, claims: appended.claims)
    print("| \(name) | record (1 run + completion) | \(options.appenders) | \(Int(recorded.rate)) | \(format(recorded.latencies.percentile(0.5))) | \(format(recorded.latencies.percentile(0.99))) |")
    let pending = try await journal.statistics().pending
    guard pending == 0, recorded.released == appended.claims.count else {
        fatalError("\(pending) events still pending, \(recorded.released) of \(appended.claims.count) calls released")
    }
}

let options = Options(CommandLine.arguments)
print("events \(options.events), calls \(options.calls), body \(options.bodyBytes) bytes, \(ProcessInfo.processInfo.activeProcessorCount) cores")
print("| backend | path | concurrent | per second | p50 ms | p99 ms |")
print("|---|---|---:|---:|---:|---:|")
for backend in options.backends {
    switch backend {
    case "sqlite":
        let folder = NSTemporaryDirectory() + "hookline-bench-" + UUID().uuidString
        let journal = try SQLiteJournal(directory: folder)
        try await measure("SQLite", journal, options)
        await journal.close()
        try? FileManager.default.removeItem(atPath: folder)
    case "postgres":
        guard let url = options.database else {
            fatalError("give --database postgres://... (an administrator's URL: a database is created and dropped), or HOOKLINE_TEST_POSTGRES")
        }
        var configuration = try PostgresConfiguration.parse(url)
        let admin = configuration
        let name = "hookline_bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let logger = Logger(label: "bench")
        let client = PostgresClient(configuration: PostgresClient.Configuration(
            host: admin.host, port: admin.port, username: admin.username,
            password: URLComponents(string: url)?.password, database: admin.database, tls: .disable))
        let running = Task { await client.run() }
        try await client.query("CREATE DATABASE \(unescaped: name)", logger: logger)
        configuration.database = name
        configuration.poolSize = max(options.appenders, 4)
        let journal = try await PostgresJournal(configuration)
        do {
            try await measure("PostgreSQL", journal, options)
        } catch {
            print("PostgreSQL failed: \(error)")
        }
        await journal.close()
        try await client.query("DROP DATABASE \(unescaped: name) WITH (FORCE)", logger: logger)
        running.cancel()
    default:
        fatalError("unknown backend \(backend); give sqlite and/or postgres")
    }
}
