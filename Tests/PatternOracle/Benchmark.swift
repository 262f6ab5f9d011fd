import Foundation
import PatternOracleKit

/// Typical calls (short matches, scans of a long text) and pathological ones, timed in real Lua's string
/// library and in Hookline's matcher: the median of 5 samples of CPU time per call, each sample a Lua loop
/// of about 0.1 s. Prints a Markdown table.
func runBenchmark() {
    let prose = String(repeating: "The quick brown fox, 42 jumps over 7 lazy dogs; ", count: 200)  // ~10 KB
    let nested = String(repeating: "(a(b)c)", count: 150)
    let calls: [(String, PatternCase)] = [
        ("match `^(%w+)=(%w+)$` on `key=value`", call(.match, "key=value", "^(%w+)=(%w+)$")),
        ("match a date `(%d+)-(%d+)-(%d+)`", call(.match, "on 2024-05-17 at noon", "(%d+)-(%d+)-(%d+)")),
        ("find without specials (plain) in 10 KB", call(.find, prose + "needle", "needle")),
        ("find `%d+` in 10 KB, late", call(.find, String(repeating: "x", count: 10_000) + "123", "%d+")),
        ("gmatch `%a+` over 10 KB (all words)", call(.gmatch, prose, "%a+")),
        ("gsub `%s+` -> ` ` over 10 KB", call(.gsub, prose, "%s+", " ")),
        ("gsub `(%w+)` -> `<%1>` over 10 KB", call(.gsub, prose, "(%w+)", "<%1>")),
        ("gsub `%b()` -> `` over 1 KB of nesting", call(.gsub, nested, "%b()", "")),
        ("find `(%a+) %1` (back-reference) in 10 KB", call(.find, prose, "(%a+) %1")),
        ("find `a*a*a*a*a*a*b` on 30 `a` (no match)", call(.find, String(repeating: "a", count: 30), "a*a*a*a*a*a*b")),
        ("gmatch `a*a*a*a*a*a*b` on 30 `a` (no match)", call(.gmatch, String(repeating: "a", count: 30), "a*a*a*a*a*a*b")),
        ("gsub `a-a-a-a-a-a-b` on 30 `a` (no match)", call(.gsub, String(repeating: "a", count: 30), "a-a-a-a-a-a-b", "")),
        ("find `(.-)(.-)(.-)x` on 100 `a` (no match)", call(.find, String(repeating: "a", count: 100), "(.-)(.-)(.-)x")),
        ("find `a?`x20 `a`x20 on 20 `a`", call(.find, String(repeating: "a", count: 20),
                                            String(repeating: "a?", count: 20) + String(repeating: "a", count: 20))),
    ]
    let reference = PatternRunner(.reference)
    let hookline = PatternRunner(.hookline(.whenCostly))
    let withoutMemo = PatternRunner(.hookline(.never))
    print("Pattern functions, CPU time per call (median of 5 samples; \(ProcessInfo.processInfo.activeProcessorCount) cores)")
    print("")
    print("| call | real Lua 5.4 | Hookline | Hookline / Lua | Hookline without memo |")
    print("|---|---:|---:|---:|---:|")
    for (name, call) in calls {
        let lua = median(reference, call)
        let ours = median(hookline, call)
        let plain = median(withoutMemo, call)
        print("| \(name) | \(format(lua)) | \(format(ours)) | \(String(format: "%.2f", ours / lua)) | \(format(plain)) |")
    }
}

private func call(_ function: PatternCase.Function, _ subject: String, _ pattern: String, _ replacement: String? = nil) -> PatternCase {
    var arguments: [PatternCase.Argument] = [.string(Array(subject.utf8)), .string(Array(pattern.utf8))]
    if let replacement { arguments.append(.string(Array(replacement.utf8))) }
    return PatternCase(function, arguments)
}

private func median(_ runner: PatternRunner, _ call: PatternCase) -> Double {
    let once = max(runner.secondsPerCall(call, repetitions: 1), 1e-7)
    let repetitions = max(1, Int(0.1 / once))
    let samples = (0..<5).map { _ in runner.secondsPerCall(call, repetitions: repetitions) }
    return samples.sorted()[2]
}

private func format(_ seconds: Double) -> String {
    if seconds >= 1e-3 { return String(format: "%.2f ms", seconds * 1e3) }
    return String(format: "%.2f µs", seconds * 1e6)
}
