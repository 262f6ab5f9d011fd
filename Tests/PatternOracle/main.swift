// Hookline's pattern matcher against real Lua (the system liblua5.4), on generated calls:
//
//   swift run -c release PatternOracle --cases 1000000 --seed 1     first disagreement, shrunk, or a summary
//   swift run -c release PatternOracle --show 20 --seed 1           the first cases of a seed, with real Lua's answers
//   swift run -c release PatternOracle --bench                      time per call, real Lua and Hookline
import Foundation
import PatternOracleKit
import Synchronization

func usage() -> Never {
    print("usage: PatternOracle [--cases N] [--seed S] [--jobs J] | --show N [--seed S] | --bench")
    exit(2)
}

/// The number after a flag, or the usage.
func number<N: FixedWidthInteger>(_ text: String?) -> N {
    guard let text, let value = N(text) else { usage() }
    return value
}

/// Checks `cases` cases in chunks of `PatternOracle.chunk`, chunk i generated from seed `seed + i`, so
/// that a run finds the same cases whatever the number of jobs. Returns whether all agreed.
func check(cases: Int, seed: UInt64, jobs: Int) -> Bool {
    let chunk = PatternOracle.chunk
    let chunks = (cases + chunk - 1) / chunk
    let start = Date()
    let results = Mutex<[Int: Check]>([:])
    DispatchQueue.concurrentPerform(iterations: jobs) { job in
        let oracle = PatternOracle()
        for index in stride(from: job, to: chunks, by: jobs) {
            let result = oracle.check(seed: seed &+ UInt64(index), cases: min(chunk, cases - index * chunk))
            results.withLock { $0[index] = result }
            if result.disagreement != nil { break }
        }
    }
    let elapsed = Date().timeIntervalSince(start)
    let done = results.withLock { $0 }.sorted { $0.key < $1.key }.map(\.value)
    var perFunction: [PatternCase.Function: Int] = [:]
    for result in done { perFunction.merge(result.perFunction, uniquingKeysWith: +) }
    print(String(format: "%d cases (seeds %llu...%llu, %d cases each) in %.1f s on %d jobs",
                 done.reduce(0) { $0 + $1.checked }, seed, seed &+ UInt64(chunks - 1), chunk, elapsed, jobs))
    print("  " + PatternCase.Function.allCases.map { "\($0.rawValue) \(perFunction[$0] ?? 0)" }.joined(separator: ", ")
          + "; \(done.reduce(0) { $0 + $1.errors }) ended in an error, "
          + "\(done.reduce(0) { $0 + $1.matches }) find/match calls matched")
    if let found = done.first(where: { $0.disagreement != nil }), let disagreement = found.disagreement {
        print("DISAGREEMENT (seed \(found.seed)):\n\(disagreement)")
        return false
    }
    print("no disagreement with real Lua")
    return true
}

var cases = 100_000
var seed: UInt64 = 1
var jobs = ProcessInfo.processInfo.activeProcessorCount
var benchmark = false
var show = 0
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let flag = arguments.next() {
    switch flag {
    case "--cases": cases = number(arguments.next())
    case "--seed": seed = number(arguments.next())
    case "--jobs": jobs = max(1, number(arguments.next()))
    case "--show": show = number(arguments.next())
    case "--bench": benchmark = true
    default: usage()
    }
}
if benchmark {
    runBenchmark()
} else if show > 0 {
    var generator = CaseGenerator(seed: seed)
    let lua = PatternRunner(.reference)
    for _ in 0..<show {
        let call = generator.next()
        print("\(call.lua)\n  --> \(lua.run(call))")
    }
} else if !check(cases: cases, seed: seed, jobs: jobs) {
    exit(1)
}
