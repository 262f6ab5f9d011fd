import Journal

/// Moves the journal of one node (SQLite) into PostgreSQL, for an operator who grows from one node to several:
/// events with their bodies and runs, in batches, then the scripts' store and the pending timers. Made to be run again: what is there
/// already is left as it is (events by their deduplication keys, store values by key). Events get new ids in
/// PostgreSQL, in the same order.
///
/// ```swift
/// let report = try await JournalCopy.run(from: sqlite, to: postgres) { print("\($0.read) of \($0.total) events") }
/// ```
package enum JournalCopy {
    package struct Progress: Sendable {
        /// Events in the SQLite journal when the copy started.
        package var total: Int
        package var read = 0
        package var copied = 0
        package var runs = 0
        /// Read, but there already (copied before).
        package var present: Int { read - copied }
        package var storeValues = 0
        package var timers = 0
    }

    /// A batch holds at most `batchSize` events and about `batchBytes` of bodies; `report` hears after each.
    package static func run(from source: SQLiteJournal, to target: PostgresJournal, batchSize: Int = 500,
                           batchBytes: Int = 8 << 20,
                           progress report: (Progress) -> Void = { _ in }) async throws(JournalError) -> Progress {
        var progress = Progress(total: try await source.eventCount())
        var last: EventID?
        while true {
            let page = try await source.exportEvents(after: last, limit: batchSize)
            guard let newest = page.last else { break }
            var batch: [EventDetail] = []
            var bytes = 0
            for event in page {
                if !batch.isEmpty && bytes + event.body.count > batchBytes {
                    try await copy(batch, to: target, progress: &progress)
                    (batch, bytes) = ([], 0)
                }
                batch.append(event)
                bytes += event.body.count
            }
            try await copy(batch, to: target, progress: &progress)
            last = newest.summary.id
            report(progress)
        }
        progress.storeValues = try await target.importStore(try await source.exportStore())
        progress.timers = try await target.importTimers(try await source.exportTimers())
        return progress
    }

    private static func copy(_ batch: [EventDetail], to target: PostgresJournal, progress: inout Progress) async throws(JournalError) {
        let (events, runs) = try await target.importEvents(batch)
        progress.read += batch.count
        progress.copied += events
        progress.runs += runs
    }
}
