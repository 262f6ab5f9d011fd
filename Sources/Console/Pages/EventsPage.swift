import Hummingbird
import Journal

/// Events, newest first, 50 a page, filtered by the URL's parameters. The next page starts below the last id
/// shown (`before=`), so events arriving meanwhile do not shift it; the live toggle streams new ones.
struct EventsPage: Sendable {
    static let pageSize = 50
    let journal: any Journal

    struct View {
        let title = "Events"
        let nav = Navigation(events: true)
        let csrf: String
        let filter: EventFilter
        let stateOptions: [EventFilter.StateOption]
        let rows: [EventRow]
        let empty: Bool
        let next: String?
        let first: String?
        let newest: Int64
        let liveQuery: String
        let isFirstPage: Bool
        let searched: String?
    }

    func render(_ request: Request, session: ConsoleSession, renderer: PageRenderer) async throws -> Response {
        let parameters = request.uri.queryParameters
        let filter = EventFilter(parameters)
        let before = parameters["before"].flatMap { EventID(String($0)) }
        let page = filter.text.isEmpty ? try await plainPage(filter, before: before) : try await searchedPage(filter, before: before)
        let next = page.nextBefore.map { ConsolePaths.events + "?" + filter.queryString([("before", "\($0)")]) }
        return renderer.page("events", View(
            csrf: session.csrf, filter: filter, stateOptions: filter.stateOptions, rows: page.events.map(EventRow.init),
            empty: page.events.isEmpty, next: next, first: before == nil ? nil : ConsolePaths.events + "?" + filter.queryString(),
            newest: page.events.first?.id.rawValue ?? 0, liveQuery: filter.queryString(), isFirstPage: before == nil,
            searched: page.searched.map { "Searched the payloads of \($0) events, newest first" + (next == nil ? "." : "; Older searches on.") }))
    }

    struct Page {
        var events: [EventSummary] = []
        var nextBefore: EventID?
        var searched: Int?
    }

    private func plainPage(_ filter: EventFilter, before: EventID?) async throws -> Page {
        let found = try await journal.events(matching: filter.query(limit: Self.pageSize + 1, before: before))
        let shown = Array(found.prefix(Self.pageSize))
        return Page(events: shown, nextBefore: found.count > Self.pageSize ? shown.last?.id : nil)
    }

    /// Payloads are not indexed: a page reads at most `searchLimit` bodies of the events the other filters
    /// select, and the next page goes on below the last one read.
    static let searchLimit = 2_000
    private func searchedPage(_ filter: EventFilter, before: EventID?) async throws -> Page {
        var page = Page(searched: 0)
        var cursor = before
        while page.events.count <= Self.pageSize, page.searched! < Self.searchLimit {
            let batch = try await journal.events(matching: filter.query(limit: 200, before: cursor))
            for event in batch {
                page.searched! += 1
                cursor = event.id
                if let body = try await journal.body(of: event.id), filter.payloadMatches(body) { page.events.append(event) }
                if page.events.count > Self.pageSize { break }
            }
            if batch.count < 200 {
                if page.events.count <= Self.pageSize { cursor = nil }
                break
            }
        }
        if page.events.count > Self.pageSize {
            page.events.removeLast()
            page.nextBefore = page.events.last?.id
        } else {
            page.nextBefore = cursor
        }
        return page
    }
}

/// Which navigation link is the current page.
struct Navigation: Sendable {
    var overview = false
    var events = false
    var failures = false
    var scripts = false
}
