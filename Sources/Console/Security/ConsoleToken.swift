import Crypto
import Foundation

/// The console's login token: configured, or the one kept in the data folder, or a new one stored there
/// owner-only (as the webhook secret is).
///
/// ```swift
/// let token = try ConsoleToken.resolve(configured: nil, dataFolder: "./data") { path in print("stored in \(path)") }
/// ConsoleToken.matches("typed", token)   // compared in constant time
/// ```
package enum ConsoleToken {
    package static let fileName = "console-token"

    package static func resolve(configured: String?, dataFolder: String, generated: (String) -> Void) throws -> String {
        if let configured, !configured.isEmpty { return configured }
        let path = (dataFolder as NSString).appendingPathComponent(fileName)
        if let stored = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
           !stored.isEmpty {
            return stored
        }
        let token = randomHex(bytes: 32)
        // with --database nothing else may have made the data folder yet; it is owner-only like the rest of it
        try? FileManager.default.createDirectory(atPath: dataFolder, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        guard FileManager.default.createFile(atPath: path, contents: Data((token + "\n").utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw ConsoleError("cannot store the generated console token in \(path): is the data folder writable?")
        }
        generated(path)
        return token
    }

    /// Whether `given` is the token, in time that does not depend on where they differ.
    package static func matches(_ given: String, _ token: String) -> Bool {
        let a = SHA256.hash(data: Data(given.utf8)), b = SHA256.hash(data: Data(token.utf8))
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
