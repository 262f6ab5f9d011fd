import Basics
import Foundation

/// A time as the pages show it: UTC in the markup (`datetime` and the hover title); the console's script
/// rewrites the text into the viewer's zone.
struct ConsoleTime: Sendable {
    let iso: String
    let epochMilliseconds: Int64

    init(_ milliseconds: Int64) {
        epochMilliseconds = milliseconds
        iso = ISO8601.string(fromEpochMilliseconds: milliseconds)
    }

    /// A time from a filter field: ISO-8601 (`2026-12-07T12:00:00Z`), or a form's `2026-12-07T12:00` read as UTC.
    static func parse(_ text: String?) -> Int64? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if let value = ISO8601.epochMilliseconds(from: text) { return value }
        let completed = text.count == 16 ? text + ":00Z" : text.hasSuffix("Z") ? text : text + "Z"
        return ISO8601.epochMilliseconds(from: completed)
    }
}
