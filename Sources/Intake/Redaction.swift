import JSON

/// Replaces the credentials an event echoes back with "[redacted]", leaving every other byte as received:
/// the `assistantServer` secret and custom header values of the assistant (they are the webhook's own
/// credentials), and the call's control URL (a capability to control the live call).
enum Redaction {
    static let placeholder = Array("[redacted]".utf8)

    /// The redacted document, or nil when there is nothing to redact.
    static func redact(_ document: JSONDocument) -> JSONDocument? {
        guard let message = document.root["message"] else { return nil }
        var ranges: [Range<Int>] = []
        if let server = message["assistant", "assistantServer"] {
            if let secret = server["secret"]?.rawStringRange, !secret.isEmpty { ranges.append(secret) }
            for (_, value) in server["headers"]?.members ?? [] {
                if let range = value.rawStringRange { ranges.append(range) }
            }
        }
        if let control = message["call", "monitor", "controlUrl"]?.rawStringRange { ranges.append(control) }
        guard !ranges.isEmpty else { return nil }
        return document.replacingStrings(ranges, with: placeholder)
    }
}
