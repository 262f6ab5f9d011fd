import Foundation
import Hummingbird

/// A posted form (`application/x-www-form-urlencoded`), read once and kept on the request for the handler.
struct ConsoleForm: Sendable {
    static let maxSize = 64 * 1024
    let fields: [String: String]

    subscript(name: String) -> String? { fields[name] }

    /// Reads the body (at most 64 KiB) as a form, and leaves it on the request so that it can be read again.
    static func read(_ request: inout Request, context: some RequestContext) async throws -> ConsoleForm {
        let buffer = try await request.collectBody(upTo: maxSize)
        return ConsoleForm(urlEncoded: String(buffer: buffer))
    }

    init(urlEncoded text: String) {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            let key = decode(parts[0])
            if fields[key] == nil { fields[key] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        self.fields = fields
    }
}
