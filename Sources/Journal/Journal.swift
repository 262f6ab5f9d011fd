/// Where every accepted event, every script run and the scripts' durable state are kept: the small seams
/// of one backend, together.
///
/// Each module depends on the seam it uses: intake on `EventLog`, dispatch on `WorkQueue`, the host
/// functions on `ScriptStore`, the command line on `JournalQueries`. `SQLiteJournal` is the embedded backend
/// for one node (one process, its claims in memory); `PostgresJournal` serves several nodes on one database.
/// Both pass one conformance suite (`Tests/JournalTests`).
///
/// ```swift
/// let journal: any Journal = try SQLiteJournal(directory: "./data")
/// let node = NodeIdentity.starting(name: "web-1")
/// let outcome = try await journal.append(event, claimant: node)
/// print(try await journal.statistics().pending)
/// await journal.close()
/// ```
public protocol Journal: EventLog, WorkQueue, ScriptStore, JournalQueries {
    /// Deletes the finished events (any state but pending) received before `cutoff` (epoch ms), their runs,
    /// and their bodies, a slice at a time so deliveries never wait long. With several nodes, one prunes at a
    /// time; the others get `nil`.
    func prune(receivedBefore cutoff: Int64) async throws(JournalError) -> PruneReport?

    /// Whether the journal can write (for readiness): from the outcomes of its latest writes, with a probe
    /// write at most once a second when they are older than that. Cheap to ask often (SQLite's never waits
    /// for the disk: its probe's outcome answers the checks after it).
    func checkWritable() async -> Bool

    func close() async
}

/// What one prune removed.
public struct PruneReport: Sendable, Equatable {
    package var events: Int
    package var bodyFiles: Int

    package init(events: Int, bodyFiles: Int) {
        self.events = events
        self.bodyFiles = bodyFiles
    }
}
