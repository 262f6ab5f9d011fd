// Prints what intake costs per delivery before the journal, as the fastest of 31 samples (the machine's
// noise only ever adds time, and it is large here):
// `swift run -c release --package-path Benchmarks IntakeBenchmark [payload-folder]` (default: the payloads of
// the peer harness at $BENCH, which must then be set).
import Foundation
import Intake
import JSON

guard let folder = CommandLine.arguments.dropFirst().first ?? ProcessInfo.processInfo.environment["BENCH"].map({ $0 + "/payloads" }) else {
    FileHandle.standardError.write(Data("""
        name a folder of payloads, or set BENCH to the team's peer harness folder (the one with payloads/)\n
        """.utf8))
    exit(2)
}
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

// Hostile bodies just under the 4 MiB limit: the per-key cost of one check is what one delivery holds its
// event loop for (issue 12: 426,400 keys took ~700 ms). Keys of four characters, in the message (where
// inspection looks fields up) and at the top level; then one long string, for the cost per byte alone.
func manyKeys(inMessage: Bool) -> (body: [UInt8], keys: Int) {
    let digits = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)
    let head = Array(#"{"message":{"type":"hang","timestamp":\#(now),"call":{"id":"CAkeys"},"messages":[]"#.utf8)
    var body = inMessage ? head : Array(#"{"message":{"type":"hang","timestamp":\#(now),"call":{"id":"CAkeys"},"messages":[]}"#.utf8)
    var keys = 0
    while body.count + 12 < 4 << 20 {
        body += [UInt8(ascii: ","), UInt8(ascii: "\"")]
        for shift in [46656, 1296, 36, 1] { body.append(digits[keys / shift % 36]) }
        body += Array(#"":0"#.utf8)
        keys += 1
    }
    body += inMessage ? [UInt8(ascii: "}"), UInt8(ascii: "}")] : [UInt8(ascii: "}")]
    return (body, keys)
}
let longString = Array(#"{"message":{"type":"hang","timestamp":\#(now),"call":{"id":"CAlong"},"messages":[],"x":""#.utf8)
    + [UInt8](repeating: UInt8(ascii: "a"), count: (4 << 20) - 200) + Array(#""}}"#.utf8)
print("")
print("| hostile body | size | parse, duplicate keys allowed | strict parse | parse + inspect + redact | per key |")
print("|---|---:|---:|---:|---:|---:|")
let (inMessage, atTop) = (manyKeys(inMessage: true), manyKeys(inMessage: false))
for (name, body, keys) in [("keys in the message", inMessage.body, inMessage.keys), ("keys at the top level", atTop.body, atTop.keys),
                           ("one long string", longString, 0)] {
    guard case .success = Intake.check(body, receivedAt: now) else { fatalError("\(name) is refused by intake") }
    let parse = fastest(batch: 1) { _ = try! JSONParser.parse(body) }
    let loose = fastest(batch: 1) { _ = try! JSONParser.parse(body, options: .init(rejectDuplicateKeys: false)) }
    let check = fastest(batch: 1) { _ = Intake.check(body, receivedAt: now) }
    print(String(format: "| %@%@ | %.2f MiB | %.1f ms | %.1f ms | %.1f ms | %@ |", name, keys > 0 ? " (\(keys) keys)" : "",
                 Double(body.count) / 1048576, loose / 1000, parse / 1000, check / 1000,
                 keys > 0 ? String(format: "%.0f ns", check * 1000 / Double(keys)) : "-"))
}
