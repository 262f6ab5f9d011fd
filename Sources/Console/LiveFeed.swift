import Journal
import Logging
import Synchronization

/// New events for the live views: one poller asks the journal for what arrived after the last id it saw (one
/// question per interval however many views are open, and none when no view is), and hands each view its
/// share. Polling the journal rather than listening to intake keeps the webhook path untouched, and shows
/// events accepted by every node sharing a database.
///
/// ```swift
/// let feed = LiveFeed(journal: journal, interval: .milliseconds(250), heartbeat: .seconds(15), logger: logger)
/// for await update in feed.subscribe() { ... }   // .events([...]) or .heartbeat
/// ```
final class LiveFeed: Sendable {
    enum Update: Sendable {
        case events([LiveEvent])
        case heartbeat
    }

    /// An event with its Server-Sent Events message, written once for every view.
    struct LiveEvent: Sendable {
        let summary: EventSummary
        let message: String
    }

    private struct State {
        var subscribers: [Int: AsyncStream<Update>.Continuation] = [:]
        var nextID = 0
        var poller: Task<Void, Never>?
        var finished = false
    }

    private let journal: any Journal
    private let interval: Duration
    private let heartbeat: Duration
    private let logger: Logger
    private let state = Mutex(State())

    init(journal: any Journal, interval: Duration, heartbeat: Duration, logger: Logger) {
        self.journal = journal
        self.interval = interval
        self.heartbeat = heartbeat
        self.logger = logger
    }

    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// A stream of updates until the view goes away (its stream is dropped) or the console stops.
    func subscribe() -> AsyncStream<Update> {
        // updates share their messages with every view, so a long buffer costs little; past it a view that
        // cannot keep up loses the oldest
        let (stream, continuation) = AsyncStream<Update>.makeStream(bufferingPolicy: .bufferingNewest(4096))
        let id: Int? = state.withLock { state in
            guard !state.finished else { return nil }
            state.nextID += 1
            state.subscribers[state.nextID] = continuation
            if state.poller == nil { state.poller = Task { await self.poll() } }
            return state.nextID
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Ends every stream (the console is stopping).
    func finish() {
        let (subscribers, poller) = state.withLock { state in
            state.finished = true
            defer { state.subscribers = [:]; state.poller = nil }
            return (Array(state.subscribers.values), state.poller)
        }
        poller?.cancel()
        for subscriber in subscribers { subscriber.finish() }
    }

    static let pageSize = 500
    /// At most this many events a poll (the newest); a view that far behind shows the latest.
    static let pollLimit = 10_000

    /// The events stored after `last`, oldest first: pages of the newest ones downwards until a page is short.
    private func arrived(after last: EventID) async throws(JournalError) -> [EventSummary] {
        var pages: [[EventSummary]] = []
        var below: EventID?
        while pages.count * Self.pageSize < Self.pollLimit {
            let page = try await journal.events(matching: EventQuery(limit: Self.pageSize, before: below, after: last))
            pages.append(page)
            guard page.count == Self.pageSize, let oldest = page.last?.id else { break }
            below = oldest
        }
        return pages.joined().reversed()
    }

    private func poll() async {
        var last: EventID? = try? await journal.events(matching: EventQuery(limit: 1)).first?.id
        var sinceHeartbeat = Duration.zero
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            sinceHeartbeat += interval
            let subscribers = state.withLock { state in
                if state.subscribers.isEmpty { state.poller = nil }
                return Array(state.subscribers.values)
            }
            if subscribers.isEmpty { return }
            do {
                let fresh = try await arrived(after: last ?? EventID(0))
                if let newest = fresh.last?.id { last = newest }
                if !fresh.isEmpty {
                    let update = Update.events(fresh.map { LiveEvent(summary: $0, message: LiveEvents.message($0)) })
                    for subscriber in subscribers { subscriber.yield(update) }
                }
            } catch {
                logger.warning("the console's live view cannot read the journal; it tries again", metadata: ["error": "\(error)"])
            }
            if sinceHeartbeat >= heartbeat {
                sinceHeartbeat = .zero
                for subscriber in subscribers { subscriber.yield(.heartbeat) }
            }
        }
    }
}
