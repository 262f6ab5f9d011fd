// Prints what intake costs per delivery before the journal, as the fastest of 31 samples (the machine's
// noise only ever adds time, and it is large here):
// `swift run -c release --package-path Benchmarks IntakeBenchmark [payload-folder]` (default: the payloads of
// the peer harness at $BENCH, or shared/bench beside the repository).
import Foundation
import Intake
import JSON

let harness = ProcessInfo.processInfo.environment["BENCH"]
    ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/bench").standardized.path
let folder = CommandLine.arguments.dropFirst().first ?? harness + "/payloads"
let payloads = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
guard !payloads.isEmpty else {
    FileHandle.standardError.write(Data("""
        no .json payloads in \(folder): name a folder of payloads, or set BENCH to the peer harness's folder \
        (the one with payloads/)\n
        """.utf8))
    exit(2)
}

let now = Int64(Date().timeIntervalSince1970 * 1000)

/// The fastest of 31 samples of the time per call, each sample timing `batch` calls.
func fastest(batch: Int, _ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    for _ in 0..<batch { body() }  // warm-up
    var times: [Double] = []
    for _ in 0..<31 {
        let start = clock.now
        for _ in 0..<batch { body() }
        let (s, atto) = (clock.now - start).components
        times.append((Double(s) * 1e6 + Double(atto) / 1e12) / Double(batch))
    }
    return times.min()!
}

print("Hookline intake benchmark (time per delivery, fastest of 31 samples, one thread; \(folder))")
print("")
print("| payload | size | strict parse | parse + inspect + redact | MB/s (whole check) | warnings |")
print("|---|---:|---:|---:|---:|---:|")
for name in payloads {
    let body = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name)")))
    guard case .success(let checked) = Intake.check(body, receivedAt: now) else {
        fatalError("\(name) is refused by intake")
    }
    let batch = max(20, 2_000_000 / body.count)
    let parse = fastest(batch: batch) { _ = try! JSONParser.parse(body) }
    let check = fastest(batch: batch) { _ = Intake.check(body, receivedAt: now) }
    print(String(format: "| %@ | %.1f KB | %.1f µs | %.1f µs | %.0f | %d |", name, Double(body.count) / 1024, parse, check,
                 Double(body.count) / check, checked.inspection.warnings.count))
}

// The harness's mix in its order (wrk/mix.lua: C H C C H C E C H C), so that no payload is met twice running:
// the per-payload rows above may flatter the parser, whose branches can learn one document seen over and over.
let byType = Dictionary(uniqueKeysWithValues: try payloads.map { name in
    (name.replacingOccurrences(of: ".json", with: ""), [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name)"))))
})
let cycle = "chcchcechc".map { ["c": "conversation-update", "h": "hang", "e": "end-of-call-report"][String($0)]! }
if cycle.allSatisfy({ byType[$0] != nil }) {
    let bodies = cycle.map { byType[$0]! }
    let bytes = bodies.map(\.count).reduce(0, +)
    let mixed = fastest(batch: 20) { for body in bodies { _ = Intake.check(body, receivedAt: now) } } / Double(bodies.count)
    print(String(format: "| the harness mix, in its order (average) | %.1f KB | | %.1f µs | %.0f | |",
                 Double(bytes) / Double(bodies.count) / 1024, mixed, Double(bytes) / Double(bodies.count) / mixed))
}
