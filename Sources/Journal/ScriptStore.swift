/// The scripts' durable state: the key-value store of each endpoint, and the alert-folding state, both exact
/// across every node on one journal.
///
/// Writes made by a run carry its claim as a `Fence`, and are refused (`JournalError.Kind.fenced`) once
/// another node has taken the call over:
///
/// ```swift
/// let hangs = try await store.storeIncrement(endpoint: "default", key: "hangs:A1", by: 1,
///                                            expiresAt: now + 900_000, now: now, fence: fence)
/// if let folded = try await store.foldAlert(key: "hang:CA1", window: 600_000, now: now) { deliver(folded) }
/// ```
public protocol ScriptStore: Sendable {
    /// The value (JSON text) of a key, unless absent or expired at `now` (epoch ms).
    func storeGet(endpoint: String, key: String, now: Int64) async throws(JournalError) -> String?
    func storeSet(endpoint: String, key: String, value: String, expiresAt: Int64?, fence: Fence?) async throws(JournalError)
    /// Adds `by` to a numeric value (absent or expired counts as 0) and returns the new value, atomically. An
    /// existing unexpired value keeps its expiry unless `expiresAt` is given.
    func storeIncrement(endpoint: String, key: String, by: Double, expiresAt: Int64?, now: Int64,
                        fence: Fence?) async throws(JournalError) -> Double
    func storeDelete(endpoint: String, key: String, fence: Fence?) async throws(JournalError)

    /// Alert de-duplication: nil when an alert with `key` was delivered less than `window` ms before `now`
    /// (this one is folded into it); otherwise the alert is to be delivered, and the result is how many were
    /// folded since the last delivered one.
    func foldAlert(key: String, window: Int64, now: Int64) async throws(JournalError) -> Int?

    /// The call's timers pending at `event`'s place in the call's order (see `Timers`): those pending now, and
    /// those fired into an event that comes after `event` (their runs are still ahead of it).
    func pendingTimers(of call: CallKey, asOf event: EventID) async throws(JournalError) -> [PendingTimer]
}
