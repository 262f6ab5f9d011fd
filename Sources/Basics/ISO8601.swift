import Foundation

/// ISO-8601 times in UTC with milliseconds (`2026-05-14T15:02:03.123Z`), as scripts and the command line show
/// and read them.
package enum ISO8601 {
    /// The time of epoch milliseconds.
    package static func string(fromEpochMilliseconds milliseconds: Int64) -> String {
        formatter(fractionalSeconds: true).string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    /// Epoch milliseconds of a time written with or without fractional seconds; nil for anything else.
    package static func epochMilliseconds(from text: String) -> Int64? {
        guard let date = formatter(fractionalSeconds: false).date(from: text) ?? formatter(fractionalSeconds: true).date(from: text) else {
            return nil
        }
        return Basics.epochMilliseconds(date)
    }

    /// A formatter per call: `ISO8601DateFormatter` is not Sendable, and these calls are rare.
    private static func formatter(fractionalSeconds: Bool) -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = fractionalSeconds ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter
    }
}
