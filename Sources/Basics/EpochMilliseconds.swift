import Foundation

/// Milliseconds since 1970-01-01 UTC, the unit of every time Hookline stores, logs or hands to scripts
/// (`received_at`, run times, `time.now()`). `date` defaults to now: the one wall clock Hookline reads.
package func epochMilliseconds(_ date: Date = Date()) -> Int64 {
    Int64(date.timeIntervalSince1970 * 1000)
}
