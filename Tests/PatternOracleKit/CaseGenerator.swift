/// Pattern-function calls drawn from the grammar of Lua patterns (manual §6.4.1), reproducible from a seed.
///
/// Every pattern item appears: single characters and escapes, `.`, the classes `%a %c %d %g %l %p %s %u %w %x`
/// (and `%z`) with their complements, sets with ranges, classes and `^`, the quantifiers `* + - ?`, captures
/// nested and empty, position captures, `%b`, `%f`, back-references, and the anchors; a share of the
/// patterns is broken on purpose (unfinished sets and captures, bad back-references, too many captures,
/// a trailing `%`), and some nest deep enough to reach the matcher's depth limit. Subjects are built from
/// the pattern (so that most calls match) with noise, NULs and bytes over 127; `init` is negative, zero,
/// inside and past the end.
///
/// ```swift
/// var cases = CaseGenerator(seed: 42)
/// let call = cases.next()   // e.g. string.gsub("xa(b)a", "%b()", "<%0>")
/// ```
public struct CaseGenerator {
    private var random: SplitMix64

    public init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    public mutating func next() -> PatternCase {
        var pattern: Built
        let shape = int(100)
        if shape < 3 {
            pattern = deepPattern()
        } else if shape < 8 {
            pattern = Built(bytes: rawBytes(from: Self.magic + Self.plain, count: int(12)), sample: [], captures: 0)
        } else {
            pattern = structuredPattern()
            if int(100) < 12 { pattern.bytes = breakPattern(pattern.bytes) }
        }
        let subject = subject(for: pattern)
        let function = PatternCase.Function.allCases[int(4)]
        var arguments: [PatternCase.Argument] = [
            int(100) == 0 ? .integer(Int64(int(1000))) : .string(subject),
            int(200) == 0 ? .integer(Int64(int(10))) : .string(pattern.bytes),
        ]
        switch function {
        case .find:
            let (initial, plain) = (int(100) < 60, int(100) < 25)
            if initial || plain { arguments.append(initArgument(count: subject.count)) }
            if plain { arguments.append([.boolean(true), .boolean(false), .nil, .integer(1)][int(4)]) }
        case .match, .gmatch:
            if int(100) < 60 { arguments.append(initArgument(count: subject.count)) }
        case .gsub:
            arguments.append(replacement(captures: pattern.captures))
            if int(100) < 30 { arguments.append(limit()) }
        }
        return PatternCase(function, arguments)
    }

    // MARK: patterns

    /// A pattern and a string it (roughly) matches, from which subjects are made.
    struct Built {
        var bytes: [UInt8]
        var sample: [UInt8]
        var captures: Int
    }

    /// Items in sequence, in captures nested up to three deep, with the anchors now and then.
    private mutating func structuredPattern() -> Built {
        var state = PatternState()
        var bytes: [UInt8] = []
        var sample: [UInt8] = []
        if int(100) < 15 { bytes.append(UInt8(ascii: "^")) }
        sequence(into: &bytes, sample: &sample, state: &state, depth: 0, items: 1 + int(6))
        if int(100) < 15 { bytes.append(UInt8(ascii: "$")) }
        return Built(bytes: bytes, sample: sample, captures: state.opened)
    }

    /// What the pattern built so far declares: captures opened, the samples of those closed (for
    /// back-references), and how many items can backtrack (bounded, so that real Lua stays fast).
    struct PatternState {
        var opened = 0
        var closed: [Int: [UInt8]] = [:]
        var repeating = 0
    }

    private mutating func sequence(into bytes: inout [UInt8], sample: inout [UInt8], state: inout PatternState,
                                   depth: Int, items: Int) {
        for _ in 0..<items {
            let kind = int(100)
            if kind < 10 && depth < 3 && state.opened < 32 {
                state.opened += 1
                let index = state.opened
                bytes.append(UInt8(ascii: "("))
                var inner: [UInt8] = []
                sequence(into: &bytes, sample: &inner, state: &state, depth: depth + 1, items: int(4))
                bytes.append(UInt8(ascii: ")"))
                state.closed[index] = inner
                sample += inner
            } else if kind < 14 && state.opened < 32 {
                state.opened += 1
                state.closed[state.opened] = []
                bytes += Array("()".utf8)
            } else if kind < 18 {
                let (open, close) = Self.balancePairs[int(Self.balancePairs.count)]
                bytes += [UInt8(ascii: "%"), UInt8(ascii: "b"), open, close]
                sample += [open] + (int(2) == 0 ? [] : [pick(Self.plain)]) + [close]
            } else if kind < 22 {
                bytes += Array("%f".utf8)
                var ignored: [UInt8] = []
                set(into: &bytes, sample: &ignored)
            } else if kind < 27 {
                // mostly captures already closed; sometimes one still open or not there at all
                let index = state.closed.isEmpty || int(4) == 0 ? 1 + int(9) : state.closed.keys.sorted()[int(state.closed.count)]
                bytes += [UInt8(ascii: "%"), UInt8(ascii: "0") + UInt8(index % 10)]
                sample += state.closed[index] ?? []
            } else if kind < 29 {
                bytes.append(pick(Array("^$)]".utf8)))  // magic characters where they stand for themselves
                sample.append(bytes.last!)
            } else {
                single(into: &bytes, sample: &sample, state: &state)
            }
        }
    }

    /// A single-character class, maybe with a quantifier, and a sample repeated as the quantifier allows.
    private mutating func single(into bytes: inout [UInt8], sample: inout [UInt8], state: inout PatternState) {
        var one: [UInt8] = []
        let kind = int(100)
        if kind < 35 {
            let c = pick(Self.plain)
            bytes.append(c)
            one = [c]
        } else if kind < 45 {
            bytes.append(UInt8(ascii: "."))
            one = [pick(Self.plain + Self.magic + Self.odd)]
        } else if kind < 70 {
            let letter = pick(Self.classLetters)
            let upper = int(3) == 0
            bytes += [UInt8(ascii: "%"), upper ? letter - 32 : letter]
            one = [member(ofClass: letter, complement: upper)]
        } else if kind < 75 {
            let c = pick(Self.magic + Array("qQyYbBfF".utf8) + Self.odd)  // escapes, and letters that are no class
            bytes += [UInt8(ascii: "%"), c]
            one = [c]
        } else {
            set(into: &bytes, sample: &one)
        }
        let quantifier = int(100)
        if quantifier < 50 || state.repeating >= 5 {
            sample += one
            return
        }
        state.repeating += 1
        let suffix = Array("*+-?".utf8)[int(4)]
        bytes.append(suffix)
        let times = suffix == UInt8(ascii: "?") ? int(2) : (suffix == UInt8(ascii: "+") ? 1 : 0) + int(4)
        for _ in 0..<times { sample += one }
    }

    /// `[...]`: characters (`]` first, `-` at the edges, escapes), ranges (some reversed), classes, `^`.
    private mutating func set(into bytes: inout [UInt8], sample: inout [UInt8]) {
        bytes.append(UInt8(ascii: "["))
        let complement = int(4) == 0
        if complement { bytes.append(UInt8(ascii: "^")) }
        var members: [UInt8] = []
        if int(8) == 0 {
            bytes.append(UInt8(ascii: "]"))
            members.append(UInt8(ascii: "]"))
        }
        for _ in 0..<(1 + int(4)) {
            let kind = int(100)
            if kind < 35 {
                let c = pick(Self.plain + Array("-^[".utf8) + Self.odd)
                bytes.append(c)
                members.append(c)
            } else if kind < 60 {
                var (low, high) = (pick(Self.plain), pick(Self.plain))
                if low > high && int(4) != 0 { swap(&low, &high) }
                bytes += [low, UInt8(ascii: "-"), high]
                if low <= high { members.append(low + UInt8(int(Int(high - low) + 1))) }
            } else if kind < 85 {
                let letter = pick(Self.classLetters)
                let upper = int(3) == 0
                bytes += [UInt8(ascii: "%"), upper ? letter - 32 : letter]
                members.append(member(ofClass: letter, complement: upper))
            } else {
                let c = pick(Self.magic + Self.odd)
                bytes += [UInt8(ascii: "%"), c]
                members.append(c)
            }
        }
        if int(10) == 0 { bytes.append(UInt8(ascii: "-")) }
        bytes.append(UInt8(ascii: "]"))
        if complement {
            sample.append(pick(Self.plain + Self.odd))
        } else if !members.isEmpty {
            sample.append(pick(members))
        }
    }

    /// A pattern whose captures and matched quantifiers nest about as deep as the matcher allows (200), in
    /// shapes that never backtrack far (real Lua would take exponential time on others).
    private mutating func deepPattern() -> Built {
        let (item, piece): (String, String) = [("a?", "a"), ("a*b", "ab"), ("a-b", "ab"), ("a+b", "ab"),
                                               ("(a?)", "a"), ("()a", "a"), ("(a)", "a")][int(7)]
        let prefix = String(repeating: "()", count: int(3) == 0 ? int(33) : 0)
        let count = 60 + int(150)
        let bytes = Array((prefix + String(repeating: item, count: count)).utf8)
        let sample = Array(String(repeating: piece, count: count + int(5) - 2).utf8)
        return Built(bytes: bytes, sample: sample, captures: 0)
    }

    /// The same pattern made malformed at a random place, in one of the ways a pattern can be wrong.
    private mutating func breakPattern(_ bytes: [UInt8]) -> [UInt8] {
        let cut = int(bytes.count + 1)
        let (head, tail) = (Array(bytes[..<cut]), Array(bytes[cut...]))
        let breakage: [String] = ["%", "[", "[^", "[]", "[%", "[a%", "(", ")", "%b", "%bx", "%f", "%fx", "%f[", "%f[a",
                                  "%0", "%1", "(%1)", "(()%2)", String(repeating: "()", count: 33)]
        let wrong = Array(breakage[int(breakage.count)].utf8)
        switch int(3) {
        case 0: return head  // truncated
        case 1: return head + wrong  // ends badly
        default: return head + wrong + tail
        }
    }

    // MARK: subjects and arguments

    /// The pattern's sample once or twice, among noise; some bytes flipped.
    private mutating func subject(for pattern: Built) -> [UInt8] {
        var subject: [UInt8] = []
        let limit = pattern.sample.count > 64 ? pattern.sample.count + 8 : 24
        for _ in 0..<(1 + int(3)) {
            subject += rawBytes(from: Self.plain + Self.odd + Self.magic, count: int(4))
            if int(4) != 0 { subject += pattern.sample }
        }
        for _ in 0..<int(3) where !subject.isEmpty {
            subject[int(subject.count)] = pick(Self.plain + Self.odd + Self.magic)
        }
        return Array(subject.prefix(limit))
    }

    private mutating func initArgument(count: Int) -> PatternCase.Argument {
        let kind = int(100)
        if kind < 10 { return .nil }
        if kind < 80 { return .integer(Int64(int(2 * count + 7) - count - 3)) }
        if kind < 92 {
            return .integer([0, 1, Int64(count), Int64(count) + 1, Int64(count) + 2, Int64.min, Int64.max, -Int64(count) - 1][int(8)])
        }
        return [.float(2), .float(1.5), .string(Array("2".utf8)), .string(Array("x".utf8)), .boolean(true)][int(5)]
    }

    private mutating func replacement(captures: Int) -> PatternCase.Argument {
        let kind = int(100)
        if kind < 50 { return .string(template(captures: captures)) }
        if kind < 65 { return .table(int(ReplacementFixtures.tables.count)) }
        if kind < 92 { return .function(int(ReplacementFixtures.functions.count)) }
        if kind < 96 { return [.integer(5), .float(0.25)][int(2)] }
        return [.boolean(false), .nil][int(2)]
    }

    /// A replacement string: text, `%0`-`%9` (mostly captures that exist), `%%`, and now and then a `%`
    /// before something else or at the very end.
    private mutating func template(captures: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<int(5) {
            let kind = int(100)
            if kind < 40 {
                bytes += rawBytes(from: Self.plain + Self.odd, count: 1 + int(3))
            } else if kind < 80 {
                let index = int(4) == 0 ? int(10) : int(min(captures, 9) + 1)
                bytes += [UInt8(ascii: "%"), UInt8(ascii: "0") + UInt8(index)]
            } else if kind < 92 {
                bytes += Array("%%".utf8)
            } else {
                bytes += [UInt8(ascii: "%"), pick(Self.plain + Self.magic)]
            }
        }
        if int(30) == 0 { bytes.append(UInt8(ascii: "%")) }
        return bytes
    }

    private mutating func limit() -> PatternCase.Argument {
        let kind = int(100)
        if kind < 75 { return .integer(Int64(int(4))) }
        if kind < 90 { return .integer([-1, Int64.min, Int64.max, 100][int(4)]) }
        return [.nil, .float(1.5), .float(2), .string(Array("1".utf8))][int(4)]
    }

    // MARK: alphabets

    /// Characters a pattern may use as themselves (no magic), including class representatives.
    static let plain = Array("abcxyzABXZ019 \t\n_,;:=/#@!&'\"<>{}~`|".utf8)
    static let magic = Array("^$()%.[]*+-?".utf8)
    /// NUL, DEL and bytes over 127: in no class but the complements.
    static let odd: [UInt8] = [0, 1, 0x7f, 0x80, 0xa0, 0xc3, 0xe9, 0xff]
    static let classLetters = Array("acdglpsuwxz".utf8)
    static let balancePairs: [(UInt8, UInt8)] = [("(", ")"), ("[", "]"), ("{", "}"), ("<", ">"), ("a", "b"),
                                                  ("\"", "\""), ("x", "x"), ("%", "%")].map {
        (UInt8(ascii: $0.0), UInt8(ascii: $0.1))
    }

    /// A byte in `%letter` (or out of it, for the complement), as the C locale classifies bytes.
    private mutating func member(ofClass letter: UInt8, complement: Bool) -> UInt8 {
        let members = (complement ? Self.complements : Self.members)[letter] ?? []
        return members.isEmpty ? 0 : pick(members)
    }

    static let members = classTable(complement: false)
    static let complements = classTable(complement: true)

    private static func classTable(complement: Bool) -> [UInt8: [UInt8]] {
        Dictionary(uniqueKeysWithValues: classLetters.map { letter in
            (letter, (0...255).map { UInt8($0) }.filter { isMember($0, ofClass: letter) != complement })
        })
    }

    private static func isMember(_ c: UInt8, ofClass letter: UInt8) -> Bool {
        let (lower, upper, digit) = ((97...122).contains(c), (65...90).contains(c), (48...57).contains(c))
        let graphic = (33...126).contains(c)
        switch letter {
        case UInt8(ascii: "a"): return lower || upper
        case UInt8(ascii: "c"): return c < 32 || c == 127
        case UInt8(ascii: "d"): return digit
        case UInt8(ascii: "g"): return graphic
        case UInt8(ascii: "l"): return lower
        case UInt8(ascii: "p"): return graphic && !(lower || upper || digit)
        case UInt8(ascii: "s"): return c == 32 || (9...13).contains(c)
        case UInt8(ascii: "u"): return upper
        case UInt8(ascii: "w"): return lower || upper || digit
        case UInt8(ascii: "x"): return digit || (97...102).contains(c) || (65...70).contains(c)
        default: return c == 0  // %z
        }
    }

    // MARK: randomness

    private mutating func int(_ bound: Int) -> Int {
        bound <= 1 ? 0 : Int(random.next() % UInt64(bound))
    }

    private mutating func pick(_ choices: [UInt8]) -> UInt8 {
        choices[int(choices.count)]
    }

    private mutating func rawBytes(from choices: [UInt8], count: Int) -> [UInt8] {
        (0..<count).map { _ in pick(choices) }
    }
}

/// Sebastiano Vigna's SplitMix64: tiny, fast, and the same sequence on every platform for a seed.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
