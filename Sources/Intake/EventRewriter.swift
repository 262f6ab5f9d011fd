import Foundation
import JSON

/// Rewrites an event body as text, keeping everything else byte for byte, so that one recorded event can stand
/// for many calls (deliveries of the same event are otherwise recognised as duplicates): the call id everywhere
/// it appears, and every "timestamp" value shifted so that the message timestamp becomes `now`. `hookline send`
/// and the tests both deliver events made this way.
package enum EventRewriter {
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package let description: String
    }

    /// - Parameters:
    ///   - callID: the new call id; letters, digits, '-' or '_' as Interactly's call ids are (see `Inspector`).
    ///   - now: epoch milliseconds the message timestamp moves to; the other timestamps keep their spacing.
    package static func rewrite(_ body: [UInt8], callID: String?, now: Int64?) throws -> [UInt8] {
        guard callID != nil || now != nil else { return body }
        let document = try JSONParser.parse(body)
        var text = String(decoding: body, as: UTF8.self)
        if let callID {
            guard Inspector.isSafeIdentifier(callID) else {
                throw Failure(description: "a call id must be letters, digits, '-' or '_' (as Interactly's call ids are)")
            }
            guard let old = document.root["message", "call", "id"]?.string else { throw Failure(description: "the event has no call id") }
            text = text.replacingOccurrences(of: old, with: callID)
        }
        if let now, let original = document.root["message", "timestamp"]?.integer {
            let shift = now - original
            var out = ""
            var rest = Substring(text)
            while let key = rest.range(of: "\"timestamp\"") {
                out += rest[..<key.upperBound]
                rest = rest[key.upperBound...]
                let spacing = rest.prefix { $0 == " " || $0 == ":" || $0 == "\n" || $0 == "\t" }
                let digits = rest.dropFirst(spacing.count).prefix { $0.isNumber || $0 == "-" }
                guard spacing.contains(":"), let value = Int64(digits) else { continue }
                out += spacing + String(value + shift)
                rest = rest.dropFirst(spacing.count + digits.count)
            }
            text = out + rest
        }
        return Array(text.utf8)
    }
}
