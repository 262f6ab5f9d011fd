import Crypto
import Foundation
import NIOHTTP1

/// Checks a delivery's credentials in constant time. Both sides are hashed first, so neither the time
/// taken nor an early exit reveals the expected value or its length.
struct Authenticator: Sendable, CustomStringConvertible {
    private let secret: [UInt8]?
    private let headers: [(name: String, digest: [UInt8])]

    static let secretHeader = "x-interactly-secret"

    /// Which headers are checked, never the digests.
    var description: String { "Authenticator(\(secret == nil ? [] : [Self.secretHeader]) + \(headers.map(\.name)))" }

    init(_ endpoint: EndpointSettings) {
        secret = endpoint.secret.map(Self.digest)
        headers = endpoint.requiredHeaders.map { ($0.name.lowercased(), Self.digest($0.value)) }
    }

    /// nil when the delivery is authentic, else which credential was wrong (never its value).
    func check(_ fields: HTTPHeaders) -> String? {
        var failure: String?
        if let secret, !matches(fields.first(name: Self.secretHeader), secret) {
            failure = Self.secretHeader
        }
        for (name, digest) in headers where !matches(fields.first(name: name), digest) {
            failure = failure ?? name
        }
        return failure
    }

    private static func digest(_ text: String) -> [UInt8] { Array(SHA256.hash(data: Data(text.utf8))) }

    private func matches(_ value: String?, _ expected: [UInt8]) -> Bool {
        let given = Self.digest(value ?? "")
        var difference: UInt8 = value == nil ? 1 : 0
        for (a, b) in zip(given, expected) { difference |= a ^ b }
        return difference == 0
    }
}
