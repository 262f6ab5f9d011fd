import CLua
import FuzzSupport
import LuaShim
import PatternOracleKit

// Hookline's pattern matcher against real Lua (the system liblua5.4), on calls decoded from the fuzzer's bytes:
// every transcript (values, captures, positions, replacements, error messages) must be real Lua's, for each
// way the matcher memoises; and run as scripts run it, under a deadline, the call gives the same transcript
// (a generous deadline) or stops cleanly without a wrong answer (a deadline already past).
//
// Input: byte 0 picks the function (bits 0-1) and whether the optional arguments are given (bits 2, 3);
// byte 1 the pattern's length, then the pattern; then the optional arguments (an integer byte for init, a
// byte for find's plain; for gsub a replacement: string, table or function, then an integer byte for n); the
// rest is the subject. Subjects and patterns are kept short, and patterns to four repetition items, so that
// real Lua's backtracking (which cannot be stopped) ends quickly.

let maxPattern = 32
let maxSubject = 48
let maxRepetitions = 4

// libFuzzer calls the target from one thread only.
nonisolated(unsafe) let oracle = PatternOracle()
nonisolated(unsafe) let scripted = PatternRunner(.hookline(.whenCostly))

func decode(_ reader: inout FuzzReader) -> PatternCase {
    let head = reader.byte()
    let function = PatternCase.Function.allCases[Int(head & 3)]
    let length = Int(reader.byte()) % (maxPattern + 1)
    var pattern = reader.take(length)
    var repetitions = 0
    for (index, byte) in pattern.enumerated() where "*+-?".utf8.contains(byte) {
        repetitions += 1
        if repetitions > maxRepetitions { pattern = Array(pattern[..<index]); break }
    }
    var extra: [PatternCase.Argument] = []
    if function == .gsub {
        let kind = reader.byte()
        switch kind & 3 {
        case 1: extra.append(.table(Int(kind >> 2) % ReplacementFixtures.tables.count))
        case 2: extra.append(.function(Int(kind >> 2) % ReplacementFixtures.functions.count))
        default:
            let count = Int(reader.byte()) % 17
            extra.append(.string(reader.take(count)))
        }
        if head & 8 != 0 { extra.append(.integer(Int64(Int8(bitPattern: reader.byte())))) }
    } else if head & 4 != 0 {
        extra.append(.integer(Int64(Int8(bitPattern: reader.byte()))))
        if function == .find && head & 8 != 0 { extra.append(.boolean(reader.byte() & 1 == 1)) }
    }
    let subject = reader.take(maxSubject)
    return PatternCase(function, [.string(subject), .string(pattern)] + extra)
}

/// The bytes `decode` reads back as `call`, when the call has that shape.
func encode(_ call: PatternCase) -> [UInt8]? {
    guard call.arguments.count >= 2, case .string(let subject) = call.arguments[0], case .string(let pattern) = call.arguments[1],
          subject.count <= maxSubject, pattern.count <= maxPattern else { return nil }
    var head = UInt8(PatternCase.Function.allCases.firstIndex(of: call.function)!)
    var extra: [UInt8] = []
    let rest = Array(call.arguments.dropFirst(2))
    func int8(_ argument: PatternCase.Argument) -> UInt8? {
        guard case .integer(let i) = argument, let small = Int8(exactly: i) else { return nil }
        return UInt8(bitPattern: small)
    }
    if call.function == .gsub {
        guard let replacement = rest.first else { return nil }
        switch replacement {
        case .table(let k): extra.append(UInt8(k << 2 | 1))
        case .function(let k): extra.append(UInt8(k << 2 | 2))
        case .string(let text) where text.count <= 16: extra += [0, UInt8(text.count)] + text
        default: return nil
        }
        if rest.count == 2 {
            guard let n = int8(rest[1]) else { return nil }
            head |= 8
            extra.append(n)
        } else if rest.count > 2 { return nil }
    } else if !rest.isEmpty {
        guard let initial = int8(rest[0]) else { return nil }
        head |= 4
        extra.append(initial)
        if rest.count == 2 {
            guard call.function == .find, case .boolean(let plain) = rest[1] else { return nil }
            head |= 8
            extra.append(plain ? 1 : 0)
        } else if rest.count > 2 { return nil }
    }
    return [head, UInt8(pattern.count)] + pattern + extra + subject
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    Fuzz.initialize {
        // the oracle's own generator over the pattern grammar, as far as its calls fit this input's shape
        var generator = CaseGenerator(seed: 14)
        var seeds: [[UInt8]] = []
        for _ in 0..<20_000 where seeds.count < 2_000 {
            if let bytes = encode(generator.next()) { seeds.append(bytes) }
        }
        return seeds
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var reader = FuzzReader(data, size)
    let call = decode(&reader)
    let expected = oracle.reference.run(call)
    if let found = oracle.disagreement(on: call) {
        Fuzz.fail("\(oracle.shrink(found))")
    }
    // under a deadline, as scripts run it: a generous one changes nothing
    let second: Int64 = 1_000_000_000
    let started = lshim_now_ns()
    guard let late = scripted.run(call, deadline: started + 5 * second) else {
        Fuzz.fail("\(call.lua): stopped by a 5 s deadline after \((lshim_now_ns() - started) / 1_000_000) ms")
    }
    Fuzz.check(late == expected, "\(call.lua) under a deadline: \(late), real Lua: \(expected)")
    // a deadline already past: the same answer, or a clean stop, and soon
    let again = lshim_now_ns()
    if let stopped = scripted.run(call, deadline: again - second) {
        Fuzz.check(stopped == expected, "\(call.lua) past its deadline: \(stopped), real Lua: \(expected)")
    }
    let took = lshim_now_ns() - again
    Fuzz.check(took < 2 * second, "\(call.lua) ran \(took / 1_000_000) ms past its deadline")
    return 0
}
