import Basics
import Foundation

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return self % divisor < 0 ? quotient - 1 : quotient
    }
}

/// A time as the pages show it: UTC in the markup (`datetime` and the hover title); the console's script
/// rewrites the text into the viewer's zone.
struct ConsoleTime: Sendable {
    let iso: String
    let epochMilliseconds: Int64

    init(_ milliseconds: Int64) {
        epochMilliseconds = milliseconds
        iso = Self.iso(milliseconds)
    }

    /// `2026-12-07T12:00:00.123Z`, as `ISO8601.string(fromEpochMilliseconds:)` writes it, without making a
    /// formatter each time: a live view writes one per event.
    static func iso(_ milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds.floorDivided(by: 1000))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(milliseconds - milliseconds.floorDivided(by: 1000) * 1000))
    }

    /// A time from a filter field: ISO-8601 (`2026-12-07T12:00:00Z`), or a form's `2026-12-07T12:00` read as UTC.
    static func parse(_ text: String?) -> Int64? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if let value = ISO8601.epochMilliseconds(from: text) { return value }
        let completed = text.count == 16 ? text + ":00Z" : text.hasSuffix("Z") ? text : text + "Z"
        return ISO8601.epochMilliseconds(from: completed)
    }
}
