import Basics
import Journal
import Logging
import Synchronization

/// The de-duplication of alerts by key: within a window of a delivered alert, alerts with the same key are
/// folded into it; the next one delivered after the window carries how many were folded.
///
/// ```swift
/// let folding: any AlertFolding = JournalAlertFolding(store: journal, window: .seconds(600), logger: logger)
/// if let folded = await folding.admit(key: "hang:CA1", now: now) { deliver(alert, folded: folded) }
/// ```
public protocol AlertFolding: Sendable {
    /// nil when the alert is folded; otherwise how many alerts with this key were folded since the last
    /// delivered one. `now` is epoch milliseconds (the run's clock, so that tests can move it).
    func admit(key: String, now: Int64) async -> Int?
}

/// Folding kept in the journal, so that it holds across restarts and across every node on one journal.
/// When the journal cannot answer, the alert is delivered: two alerts are better than none.
package struct JournalAlertFolding: AlertFolding {
    let store: any ScriptStore
    let window: Int64
    let logger: Logger

    package init(store: any ScriptStore, window: Duration, logger: Logger) {
        self.store = store
        self.window = window.wholeMilliseconds
        self.logger = logger
    }

    package func admit(key: String, now: Int64) async -> Int? {
        do {
            return try await store.foldAlert(key: key, window: window, now: now)
        } catch {
            logger.error("cannot read or write alert folding in the journal; the alert is delivered unfolded",
                         metadata: ["key": "\(key)", "error": "\(error)"])
            return 0
        }
    }
}

/// Folding in memory, for one process that keeps nothing (dry runs, script tests).
public final class MemoryAlertFolding: AlertFolding {
    private let window: Int64
    private let seen = Mutex<[String: (deliveredAt: Int64, folded: Int)]>([:])

    public init(window: Duration) {
        self.window = window.wholeMilliseconds
    }

    public func admit(key: String, now: Int64) async -> Int? {
        seen.withLock { seen in
            if let entry = seen[key], now - entry.deliveredAt < window {
                seen[key] = (entry.deliveredAt, entry.folded + 1)
                return nil
            }
            let folded = seen[key]?.folded ?? 0
            seen[key] = (now, 0)
            if seen.count > 10_000 { seen = seen.filter { now - $0.value.deliveredAt < window } }
            return folded
        }
    }
}
