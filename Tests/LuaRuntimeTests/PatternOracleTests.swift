import PatternOracleKit
import Testing

/// Hookline's find, match, gmatch and gsub give what real Lua gives (the system liblua5.4's string library, in
/// a separate unsandboxed state): every value, capture and error message, on generated calls and on the
/// calls that once disagreed. Longer runs: `swift run -c release PatternOracle --cases N --seed S`.
@Suite struct PatternOracleTests {
    static let seed: UInt64 = 20_240_517

    @Test func generatedCallsAgreeWithRealLua() {
        let run = PatternOracle().check(seed: Self.seed, cases: PatternOracle.chunk)
        #expect(run.disagreement == nil, "\(run.disagreement.map(String.init(describing:)) ?? "")")
        #expect(run.checked == PatternOracle.chunk)
        // a quiet run must have covered something: every function, errors, and matches
        for function in PatternCase.Function.allCases {
            #expect(run.perFunction[function, default: 0] > PatternOracle.chunk / 5, "\(function)")
        }
        #expect(run.errors > PatternOracle.chunk / 20)
        #expect(run.matches > PatternOracle.chunk / 10)
    }

    @Test func theGeneratorCoversThePatternGrammar() {
        var generator = CaseGenerator(seed: Self.seed)
        var patterns: [[UInt8]] = []
        for _ in 0..<PatternOracle.chunk {
            if case .string(let pattern) = generator.next().arguments[1] { patterns.append(pattern) }
        }
        let features = ["%a", "%c", "%d", "%g", "%l", "%p", "%s", "%u", "%w", "%x", "%A", "%W", "[^", "-", "*", "+", "?",
                        "()", "((", "%b", "%f[", "%1", "%2", "%0", "^", "$", "%.", "%%", "[%"]
        for feature in features {
            #expect(patterns.contains { $0.contains(Array(feature.utf8)) }, "no generated pattern has \(feature)")
        }
        #expect(patterns.contains { $0.contains(0) } && patterns.contains { $0.contains { $0 > 127 } })
        let deep = patterns.filter { $0.count > 150 }
        #expect(deep.count > 50, "patterns deep enough to reach the depth limit")
    }

    @Test func theRunnersAreTwoImplementations() {
        let oracle = PatternOracle()
        for function in PatternCase.Function.allCases {
            for hookline in oracle.hooklineRunners {
                #expect(oracle.reference.functionAddress(function) != hookline.functionAddress(function))
            }
        }
    }

    @Test(arguments: [
        (PatternCase(.find, [s("hello world"), s("o w")]), "(integer 5, integer 7)"),
        (PatternCase(.match, [s("key=val"), s("(%w+)=(%w+)()")]), #"("key", "val", integer 8)"#),
        (PatternCase(.gmatch, [s("a1b22"), s("%d+")]), #"("1") ("22") ()"#),
        (PatternCase(.gsub, [s("abc"), s("%w"), .function(0)]), #"("a#1b#1c#1", integer 3)"#),
        (PatternCase(.match, [s("x"), s("[a")]), "error: fixtures:14: malformed pattern (missing ']')"),
    ])
    func transcriptsSayWhatCameBack(call: PatternCase, expected: String) {
        let oracle = PatternOracle()
        #expect(oracle.reference.run(call).description == expected)
        for hookline in oracle.hooklineRunners {
            #expect(hookline.run(call).description == expected, "\(hookline.implementation)")
        }
    }

    /// Calls that once disagreed, or that pin a corner of the semantics (each note says which).
    @Test(arguments: PatternOracleTests.regressions)
    func regression(call: PatternCase) {
        let oracle = PatternOracle()
        #expect(oracle.disagreement(on: call) == nil, "\(oracle.disagreement(on: call).map(String.init(describing:)) ?? "")")
    }

    static let regressions: [PatternCase] = [
        // find without specials searches plainly, so ')' is text there and a capture error for match
        PatternCase(.find, [s("a)"), s(")")]),
        PatternCase(.match, [s("a)"), s(")")]),
        // %z still stands for NUL; %f treats both ends of the subject as NUL
        PatternCase(.find, [s("a\0b"), s("%z")]),
        PatternCase(.find, [s("ab"), s("%f[%z]")]),
        PatternCase(.find, [s("\0ab"), s("%f[%Z]")]),
        PatternCase(.find, [s("ab"), s("%f[b]"), .integer(2)]),
        // '^' is no anchor for gmatch; an empty match right after the previous one is skipped (5.4)
        PatternCase(.gmatch, [s("a^b^c"), s("^.")]),
        PatternCase(.gmatch, [s("abc d"), s("%a*")]),
        PatternCase(.gmatch, [s("abc"), s(""), .integer(4)]),
        PatternCase(.gmatch, [s("abc"), s(""), .integer(5)]),
        PatternCase(.gsub, [s("abc d"), s("%a*"), s("-")]),
        // errors are raised where matching reaches them, not when the pattern is read
        PatternCase(.find, [s("abc"), s("x%")]),
        PatternCase(.find, [s("xbc"), s("x%")]),
        PatternCase(.match, [s("abc"), s("(a")]),
        PatternCase(.gsub, [s("abc"), s("(a"), s("%0")]),
        PatternCase(.gsub, [s("abc"), s("(a"), s("%1")]),
        PatternCase(.find, [s("aa"), s("()a%1")]),
        // the depth limit: captures and matched quantifiers nest, 200 deep at most
        PatternCase(.find, [s(String(repeating: "a", count: 199)), s(String(repeating: "a?", count: 199))]),
        PatternCase(.find, [s(String(repeating: "a", count: 200)), s(String(repeating: "a?", count: 200))]),
        PatternCase(.find, [s(String(repeating: "a", count: 300)), s(String(repeating: "a*", count: 300))]),
        PatternCase(.find, [s("a"), s(String(repeating: "a-", count: 300))]),
        PatternCase(.find, [s(String(repeating: "a", count: 136)), s(String(repeating: "(", count: 32) + String(repeating: ")", count: 32) + String(repeating: "a?", count: 136))]),
        PatternCase(.find, [s(String(repeating: "a", count: 137)), s(String(repeating: "(", count: 32) + String(repeating: ")", count: 32) + String(repeating: "a?", count: 137))]),
        PatternCase(.find, [s(""), s(String(repeating: "()", count: 33))]),
        // replacements: position captures as keys, numbers as text, false keeps the match
        PatternCase(.gsub, [s("abc"), s("()"), .table(0)]),
        PatternCase(.gsub, [s("abc"), s("b"), .function(4)]),
        PatternCase(.gsub, [s("abc"), s("b"), .integer(5)]),
        PatternCase(.gsub, [s("abc"), s("b"), s("%\0")]),
        PatternCase(.gsub, [s("abc"), s("(a)"), s("%1"), .integer(-1)]),
        PatternCase(.find, [s("abc"), s("b"), .float(2.5)]),
        PatternCase(.find, [s("abc"), s(""), .integer(Int64.max)]),
        PatternCase(.find, [s("abc"), s(""), .integer(Int64.min)]),
        // the shrunk reproductions of faults planted in the matcher on purpose, each caught by the generated
        // cases: %b with equal ends, %f at the end, '-' last in a set, '-' before '$', empty gmatch matches,
        // "[^]", %z, an optional item giving its level back, an unfinished capture, find's plain shortcut,
        // a failure remembered for too long a run
        PatternCase(.match, [s("\"\""), s("%b\"\"")]),
        PatternCase(.gmatch, [s("a"), s("%f[\u{01}]")]),
        PatternCase(.gsub, [s("a"), s("[a-]"), s("a")]),
        PatternCase(.find, [s("9"), s("[9]-$")]),
        PatternCase(.gmatch, [s("Z!"), s("[%A&%x]-"), .nil]),
        PatternCase(.gmatch, [s("a"), s("[^]")]),
        PatternCase(.gmatch, [s("\0"), s("%z")]),
        PatternCase(.match, [.string(Array("aaaaaa!".utf8) + [184, 64, 58, 194, 194, 194]), s("%S+(.-[^X]?%X?]")]),
        PatternCase(.gmatch, [s("a"), s("(")]),
        PatternCase(.find, [s("a"), s("[")]),
        PatternCase(.gmatch, [s("5aa\t"), s("%d*[a]\t")]),
    ]
}

private func s(_ text: String) -> PatternCase.Argument {
    .string(Array(text.utf8))
}
