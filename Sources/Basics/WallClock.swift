import Synchronization

/// Where the parts that decide on wall-clock time read it (epoch milliseconds): intake stamping `received_at`,
/// the dispatcher firing due timers and dating runs, scripts' `time.now()` and `timer.set`, the store's expiries,
/// the journal's retention. A server runs on `SystemClock`; a test hands a `ManualClock` to `Hookline.start` and
/// moves time itself, so that "an hour later" is a step it takes, not a wait.
///
/// ```swift
/// let clock = ManualClock(at: 1_800_000_000_000)
/// try await withServer(scripts: ["hang.lua": #"timer.set("t", 3600)"#], clock: clock) { server in
///     _ = try await server.post(event("fixtures/hang.json"))   // the timer is due at 1_800_003_600_000
///     clock.advance(by: .seconds(3600))                       // the dispatcher fires it at its next look
/// }
/// ```
///
/// Durations measured within one process (timeouts, leases, backoff) use `ContinuousClock`, not this.
public protocol WallClock: Sendable {
    /// Milliseconds since 1970-01-01 UTC.
    func now() -> Int64
}

/// The machine's clock.
public struct SystemClock: WallClock {
    public init() {}

    public func now() -> Int64 { epochMilliseconds() }
}

/// A clock that stands still until it is set or advanced.
package final class ManualClock: WallClock {
    private let milliseconds: Mutex<Int64>

    package init(at milliseconds: Int64) {
        self.milliseconds = Mutex(milliseconds)
    }

    package func now() -> Int64 { milliseconds.withLock { $0 } }

    package func advance(by duration: Duration) {
        milliseconds.withLock { $0 += duration.wholeMilliseconds }
    }
}
