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
    }

    func render(_ request: Request, session: ConsoleSession, renderer: PageRenderer) async throws -> Response {
        let parameters = request.uri.queryParameters
        let filter = EventFilter(parameters)
        let before = parameters["before"].flatMap { EventID(String($0)) }
        let found = try await journal.events(matching: filter.query(limit: Self.pageSize + 1, before: before))
        let shown = Array(found.prefix(Self.pageSize))
        let next = found.count > Self.pageSize ? shown.last.map { ConsolePaths.events + "?" + filter.queryString([("before", "\($0.id)")]) } : nil
        return renderer.page("events", View(
            csrf: session.csrf, filter: filter, stateOptions: filter.stateOptions, rows: shown.map(EventRow.init), empty: shown.isEmpty,
            next: next, first: before == nil ? nil : ConsolePaths.events + "?" + filter.queryString(),
            newest: shown.first?.id.rawValue ?? 0, liveQuery: filter.queryString(), isFirstPage: before == nil))
    }
}

/// Which navigation link is the current page.
struct Navigation: Sendable {
    var overview = false
    var events = false
    var failures = false
    var scripts = false
}
