import Foundation
import FuzzSupport
import JSON

// The strict JSON parser (Sources/JSON) against two others: the reference parser beside this file, which
// must agree on every input (accepted or not, why not, and every value), and Foundation's JSONSerialization,
// which must accept what ours accepts and read the same values. Both the intake's options (depth 64,
// duplicates refused) and others (depth 8, duplicates allowed) are checked.

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    Fuzz.initialize {
        Fuzz.fixtures() + Fuzz.fragments(maxSize: 4096) + [
            "[]", "{}", "0", "-0", "-0.0", "1e308", "1e309", "-9223372036854775808", "9223372036854775808", "5e-324",
            "0.1e-400", #"{"a":1,"a":2}"#, #"{"a":1,"\u0061":2}"#, #""\ud800\udc00\ud800x""#, #""\u00e9é""#,
            String(repeating: "[", count: 65) + String(repeating: "]", count: 65),
            String(repeating: "{\"k\":", count: 64) + "1" + String(repeating: "}", count: 64),
        ].map { Array($0.utf8) }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = data.bytes(size)
    compare(bytes, options: JSONParser.Options(maxDepth: 64, rejectDuplicateKeys: true))
    compare(bytes, options: JSONParser.Options(maxDepth: 8, rejectDuplicateKeys: false))
    return 0
}

private func compare(_ bytes: [UInt8], options: JSONParser.Options) {
    let expected = Reference.parse(bytes, maxDepth: options.maxDepth, duplicates: !options.rejectDuplicateKeys)
    let ours: JSONDocument
    do throws(JSONParseError) {
        ours = try JSONParser.parse(bytes, options: options)
    } catch {
        Fuzz.check(error.offset >= 0 && error.offset <= bytes.count, "error offset \(error.offset) outside 0...\(bytes.count)")
        guard case .failure(let reason) = expected else {
            Fuzz.fail("ours rejects (\(error)), the reference accepts")
        }
        Fuzz.check(reason == failure(error.reason), "ours rejects as \(error.reason) (\(error)), the reference as \(reason)")
        return
    }
    let value = reference(ours.root)
    switch expected {
    case .failure(let reason): Fuzz.fail("ours accepts, the reference rejects as \(reason)")
    case .success(let wanted): Fuzz.check(value == wanted, "values differ:\n ours      \(value)\n reference \(wanted)")
    }
    // Foundation, for a document it must accept too (its own depth limit is deeper than ours)
    let foundation: Any
    do {
        foundation = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    } catch {
        if lonelySurrogate(value) { return }  // Foundation refuses them; we read U+FFFD
        Fuzz.fail("ours accepts, Foundation rejects: \(error)")
    }
    if let difference = differs(value, foundation, at: "") { Fuzz.fail("ours and Foundation differ at \(difference)") }
}

private func failure(_ reason: JSONParseError.Reason) -> Reference.Failure {
    switch reason {
    case .duplicateKey: .duplicateKey
    case .tooDeep: .tooDeep
    case .numberOutOfRange: .outOfRange
    case .empty, .syntax, .invalidUTF8, .controlCharacter, .invalidEscape, .nonFiniteLiteral, .trailingData, .truncated: .syntax
    }
}

/// Our document read through its public API, as the reference's values.
private func reference(_ value: JSONValue) -> Reference {
    switch value.kind {
    case .null: return .null
    case .true, .false: return .bool(value.bool!)
    case .integer: return .integer(value.integer!)
    case .double: return .double(value.number!)
    case .string: return .string(value.stringBytes)
    case .array:
        let elements = value.elements.map(reference)
        Fuzz.check(elements.count == value.count, "array count \(value.count), \(elements.count) elements")
        return .array(elements)
    case .object:
        let members = value.members
        Fuzz.check(members.count == value.count, "object count \(value.count), \(members.count) members")
        var result: [([UInt8], Reference)] = []
        for (key, member) in members {
            result.append((Array(key.utf8), reference(member)))
            // a lookup by key finds a member with that key (the first, when duplicates are allowed)
            Fuzz.check(value[key] != nil, "member \(key) not found by subscript")
        }
        return .object(result)
    }
}

private func lonelySurrogate(_ value: Reference) -> Bool {
    switch value {
    case .string(let bytes): return bytes.count >= 3 && (0...(bytes.count - 3)).contains { bytes[$0] == 0xEF && bytes[$0 + 1] == 0xBF && bytes[$0 + 2] == 0xBD }
    case .array(let elements): return elements.contains(where: lonelySurrogate)
    case .object(let members): return members.contains { lonelySurrogate(.string($0.0)) || lonelySurrogate($0.1) }
    default: return false
    }
}

/// Where Foundation's reading differs from ours, or nil. Strings with U+FFFD (maybe a lone surrogate escape)
/// and members whose keys Swift's String takes as equal (canonical equivalence) are passed over.
private func differs(_ ours: Reference, _ theirs: Any, at path: String) -> String? {
    switch ours {
    case .null: return theirs is NSNull ? nil : "\(path): null vs \(theirs)"
    case .bool(let b):
        guard let n = theirs as? NSNumber, n.boolValue == b else { return "\(path): \(b) vs \(theirs)" }
        return nil
    case .integer(let i):
        guard let n = theirs as? NSNumber, n.int64Value == i || n.doubleValue == Double(i) else { return "\(path): \(i) vs \(theirs)" }
        return nil
    case .double(let d):
        guard let n = theirs as? NSNumber else { return "\(path): \(d) vs \(theirs)" }
        // an integral double may come back as an integer; Foundation's decimal conversion is not always the
        // nearest double (0.6880248999999999 reads as 0.6880248999999996, a 76-digit integer 6 units off in the
        // last place), so it is held to a relative 1e-13, the reference parser (Swift's Double(String)) to the bit
        if n.doubleValue == d || (d == d.rounded() && abs(d) < 9.2e18 && n.int64Value == Int64(d)) { return nil }
        if abs(n.doubleValue - d) <= 1e-13 * abs(d) { return nil }
        return "\(path): \(d) vs \(n.doubleValue) (\(n))"
    case .string(let bytes):
        if lonelySurrogate(ours) { return nil }
        guard let s = theirs as? String, Array(s.utf8) == bytes else { return "\(path): string \(bytes) vs \(theirs)" }
        return nil
    case .array(let elements):
        guard let list = theirs as? [Any], list.count == elements.count else { return "\(path): array vs \(theirs)" }
        for (index, element) in elements.enumerated() {
            if let found = differs(element, list[index], at: "\(path)/\(index)") { return found }
        }
        return nil
    case .object(let members):
        guard let map = theirs as? [String: Any] else { return "\(path): object vs \(theirs)" }
        let keys = members.map { String(decoding: $0.0, as: UTF8.self) }
        for (index, (_, member)) in members.enumerated() {
            let key = keys[index]
            if keys.filter({ $0 == key }).count > 1 || lonelySurrogate(.string(members[index].0)) { continue }
            guard let other = map[key] else { return "\(path)/\(key): missing in Foundation's" }
            if let found = differs(member, other, at: "\(path)/\(key)") { return found }
        }
        return nil
    }
}
