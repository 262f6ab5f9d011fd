import Foundation
import FuzzSupport
import Intake
import JSON

// Intake's checks (`Intake.check`: strict parse, inspection, redaction) on arbitrary bodies: never a crash, a
// refusal is always a 4xx, and a stored body is exactly the delivery with the credentials it echoes replaced by
// "[redacted]": found here by walking every member of the document and matching its path, not by the
// lookups `Redaction` makes. The credentials of the fixtures never survive unless the delivery carried
// them somewhere else too.

/// The credentials in the seed deliveries (the fixtures' own, and those the seeds add).
let credentials = ["Bearer fixture-token-not-a-real-credential", "whsec-fixture-secret-1234",
                   "https://control.example/ctl-fixture-capability"].map { Array($0.utf8) }

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    Fuzz.initialize {
        var seeds = Fuzz.fixtures()
        for file in Fuzz.fixtures() {
            let text = String(decoding: file, as: UTF8.self)
            guard text.contains("\"assistantServer\"") else { continue }
            let variant = text.replacingOccurrences(of: "\"secret\": \"\"", with: "\"secret\": \"whsec-fixture-secret-1234\"")
                .replacingOccurrences(of: "\"call\": {", with: "\"call\": {\"monitor\": {\"controlUrl\": \"https://control.example/ctl-fixture-capability\"}, ")
            seeds.append(Array(variant.utf8))
        }
        return seeds
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = data.bytes(size)
    let now: Int64 = 1_767_225_600_000  // 2026-01-01
    switch Intake.check(body, receivedAt: now) {
    case .failure(let rejection):
        Fuzz.check((400..<500).contains(rejection.status), "refused with status \(rejection.status) (\(rejection.code))")
        Fuzz.check(!rejection.code.isEmpty && !rejection.message.isEmpty, "a refusal without a code or message")
    case .success(let checked):
        let input = try! JSONParser.parse(body)  // intake accepted it, parsed with the same options
        var ranges: [Range<Int>] = []
        collectCredentials(input.root, path: [], into: &ranges)
        var expected: [UInt8] = []
        var at = 0
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            expected += body[at..<range.lowerBound] + Array("[redacted]".utf8)
            at = range.upperBound
        }
        expected += body[at...]
        let stored = checked.stored.bytes
        Fuzz.check(stored == expected, "stored body differs from the delivery with \(ranges.count) credentials redacted")
        // the stored body is itself a delivery intake accepts, with the same identity
        guard case .success(let again) = Intake.check(stored, receivedAt: now) else { Fuzz.fail("the stored body is refused") }
        Fuzz.check(again.inspection.type == checked.inspection.type && again.inspection.callID == checked.inspection.callID,
                   "the stored body is another event")
        Fuzz.check(again.stored.bytes == stored, "redacting twice changed the body")
        for credential in credentials where contains(stored, credential) {
            var outside = body
            for range in ranges.sorted(by: { $0.lowerBound > $1.lowerBound }) { outside.removeSubrange(range) }
            Fuzz.check(contains(outside, credential), "a fixture credential survived redaction: \(String(decoding: credential, as: UTF8.self))")
        }
    }
    return 0
}

/// The raw ranges of the strings a delivery must not keep: message.assistant.assistantServer.secret (when
/// not empty), every string member of message.assistant.assistantServer.headers, message.call.monitor.controlUrl.
private func collectCredentials(_ value: JSONValue, path: [String?], into ranges: inout [Range<Int>]) {
    switch value.kind {
    case .object:
        for (key, member) in value.members { collectCredentials(member, path: path + [key], into: &ranges) }
    case .array:
        for element in value.elements { collectCredentials(element, path: path + [nil], into: &ranges) }
    case .string:
        let range = value.rawStringRange!
        let server: [String?] = ["message", "assistant", "assistantServer"]
        if path == server + ["secret"] && !range.isEmpty
            || path.count == 5 && Array(path.prefix(4)) == server + ["headers"] && path[4] != nil
            || path == ["message", "call", "monitor", "controlUrl"] {
            ranges.append(range)
        }
    default:
        break
    }
}

private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard haystack.count >= needle.count else { return false }
    return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
}
