import Crypto
import Foundation
import HTTPTypes

/// Checks a delivery's credentials in constant time. Both sides are hashed first, so neither the time
/// taken nor an early exit reveals the expected value or its length.
struct Authenticator: Sendable {
    private let secret: [UInt8]?
    private let headers: [(name: HTTPField.Name, digest: [UInt8])]

    static let secretHeader = HTTPField.Name("x-interactly-secret")!

    init(_ endpoint: EndpointSettings) {
        secret = endpoint.secret.map(Self.digest)
        headers = endpoint.requiredHeaders.compactMap { header in
            HTTPField.Name(header.name).map { ($0, Self.digest(header.value)) }
        }
    }

    /// nil when the delivery is authentic, else which credential was wrong (never its value).
    func check(_ fields: HTTPFields) -> String? {
        var failure: String?
        if let secret, !matches(fields[Self.secretHeader], secret) {
            failure = "x-interactly-secret"
        }
        for (name, digest) in headers where !matches(fields[name], digest) {
            failure = failure ?? name.canonicalName
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
