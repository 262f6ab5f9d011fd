import Foundation

/// Real Lua as the oracle for Hookline's matcher: each case runs through both, any difference in the
/// transcripts is a disagreement, and a disagreement is shrunk to a minimal reproduction.
///
/// ```swift
/// let oracle = PatternOracle()
/// let run = oracle.check(seed: 7, cases: 10_000)
/// if let found = run.disagreement { print(found) }   // the minimal call and both transcripts
/// ```
///
/// Not thread-safe (it owns Lua states); use one per thread.
public final class PatternOracle {
    /// Real Lua. Replaced when a shrinking step leaves it to a thread that cannot be stopped (see `shrink`).
    public private(set) var reference = PatternRunner(.reference)
    /// Hookline's matcher as scripts get it, then remembering from the first step, then never.
    public let hooklineRunners = PatternRunner.Memo.allCases.map { PatternRunner(.hookline($0)) }

    /// How many cases one seed generates in the tool's runs (and in the test suite's).
    public static let chunk = 10_000

    public init() {}

    /// Where Hookline's transcript for `call` (any way of memoising) differs from real Lua's, if it does.
    public func disagreement(on call: PatternCase) -> Disagreement? {
        disagreement(on: call, expected: reference.run(call))
    }

    private func disagreement(on call: PatternCase, expected: Transcript) -> Disagreement? {
        for runner in hooklineRunners {
            let actual = runner.run(call)
            if actual != expected {
                return Disagreement(call: call, expected: expected, actual: actual, implementation: runner.implementation)
            }
        }
        return nil
    }

    /// Checks `cases` generated cases from `seed`; stops at the first disagreement and shrinks it.
    public func check(seed: UInt64, cases: Int) -> Check {
        var generator = CaseGenerator(seed: seed)
        var summary = Check(seed: seed)
        for _ in 0..<cases {
            let call = generator.next()
            let expected = reference.run(call)
            if let found = disagreement(on: call, expected: expected) {
                summary.disagreement = shrink(found)
                return summary
            }
            summary.count(call, expected)
        }
        return summary
    }

    /// The smallest variation of the disagreeing call found that still disagrees: bytes dropped from the
    /// strings, integers made small, trailing arguments dropped. A variation may well be a pattern real Lua
    /// takes hours on (a deep pattern with a byte gone can backtrack exponentially), so real Lua answers each
    /// on a thread of its own within a moment, or the variation is passed over.
    public func shrink(_ found: Disagreement) -> Disagreement {
        var best = found
        var improved = true
        var abandoned = 0
        while improved && abandoned < 8 {
            improved = false
            for candidate in simplifications(of: best.call) {
                guard let expected = referenceTranscript(candidate, milliseconds: 250) else {
                    abandoned += 1
                    if abandoned == 8 { break }
                    continue
                }
                if let smaller = disagreement(on: candidate, expected: expected) {
                    best = Disagreement(call: smaller.call, expected: smaller.expected, actual: smaller.actual,
                                        implementation: smaller.implementation, original: found.original)
                    improved = true
                    break
                }
            }
        }
        return best
    }

    /// Real Lua's transcript of `call` if it comes within `milliseconds`. Otherwise the state is left to the
    /// thread still matching (its matcher cannot be interrupted; the thread ends when it does) and a new one
    /// takes its place.
    private func referenceTranscript(_ call: PatternCase, milliseconds: Int) -> Transcript? {
        let run = PendingRun(runner: reference, call: call)
        Thread.detachNewThread { run.start() }
        if run.done.wait(timeout: .now() + .milliseconds(milliseconds)) == .timedOut {
            reference = PatternRunner(.reference)
            return nil
        }
        return run.transcript
    }

    private func simplifications(of call: PatternCase) -> [PatternCase] {
        var candidates: [PatternCase] = []
        if call.arguments.count > 2 {
            candidates.append(PatternCase(call.function, Array(call.arguments.dropLast())))
        }
        for (position, argument) in call.arguments.enumerated() {
            func with(_ replacement: PatternCase.Argument) {
                var arguments = call.arguments
                arguments[position] = replacement
                candidates.append(PatternCase(call.function, arguments))
            }
            switch argument {
            case .string(let bytes):
                var size = bytes.count / 2
                while size >= 1 {
                    for start in stride(from: 0, to: bytes.count - size + 1, by: size) {
                        with(.string(Array(bytes[..<start] + bytes[(start + size)...])))
                    }
                    size /= 2
                }
                for (index, byte) in bytes.enumerated() where byte != UInt8(ascii: "a") {
                    var simpler = bytes
                    simpler[index] = UInt8(ascii: "a")
                    with(.string(simpler))
                }
            case .integer(let i):
                for simpler in [0, 1, -1, i / 2] where simpler != i { with(.integer(simpler)) }
            default:
                break
            }
        }
        return candidates
    }
}

/// A call handed to a thread of its own; the thread alone touches `runner` until it signals `done`.
private final class PendingRun: @unchecked Sendable {
    let runner: PatternRunner
    let call: PatternCase
    let done = DispatchSemaphore(value: 0)
    var transcript: Transcript?

    init(runner: PatternRunner, call: PatternCase) {
        self.runner = runner
        self.call = call
    }

    func start() {
        transcript = runner.run(call)
        done.signal()
    }
}

/// A call on which Hookline and real Lua gave different transcripts.
public struct Disagreement: CustomStringConvertible, Sendable {
    public let call: PatternCase
    /// What real Lua gave.
    public let expected: Transcript
    /// What Hookline gave.
    public let actual: Transcript
    /// Which way of running Hookline's matcher gave it.
    public let implementation: PatternRunner.Implementation
    /// The generated call this one was shrunk from.
    public let original: PatternCase

    init(call: PatternCase, expected: Transcript, actual: Transcript, implementation: PatternRunner.Implementation,
         original: PatternCase? = nil) {
        self.call = call
        self.expected = expected
        self.actual = actual
        self.implementation = implementation
        self.original = original ?? call
    }

    public var description: String {
        """
        \(call.lua)
          real Lua: \(abridged(expected))
          Hookline: \(abridged(actual)) (\(implementation))
          (shrunk from \(original.lua))
        """
    }

    private func abridged(_ transcript: Transcript) -> String {
        let text = transcript.description
        return text.count <= 2000 ? text : text.prefix(2000) + "... (\(text.count) characters)"
    }
}

/// What a run of the oracle covered, so that a quiet run can be told from an empty one.
public struct Check: Sendable {
    public let seed: UInt64
    public var checked = 0
    /// Cases that ended in an error (malformed patterns, bad arguments, replacement errors).
    public var errors = 0
    /// find and match calls that found a match.
    public var matches = 0
    public var perFunction: [PatternCase.Function: Int] = [:]
    public var disagreement: Disagreement?

    init(seed: UInt64) {
        self.seed = seed
    }

    mutating func count(_ call: PatternCase, _ transcript: Transcript) {
        checked += 1
        perFunction[call.function, default: 0] += 1
        if transcript.isError {
            errors += 1
        } else if call.function == .find || call.function == .match, transcript.bytes != Array("(nil)".utf8) {
            matches += 1
        }
    }
}
