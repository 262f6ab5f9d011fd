import Journal

/// One event in a list: the events page, a call's timeline.
struct EventRow: Sendable {
    let id: Int64
    let href: String
    let time: ConsoleTime
    let type: String
    let endpoint: String
    let callID: String
    let callHref: String
    let state: String
    let warnings: Int

    init(_ summary: EventSummary) {
        id = summary.id.rawValue
        href = ConsolePaths.event(summary.id.rawValue)
        time = ConsoleTime(summary.receivedAt)
        type = summary.type
        endpoint = summary.endpoint
        callID = summary.callID
        callHref = ConsolePaths.call(summary.callID)
        state = summary.state.rawValue
        warnings = summary.warnings.count
    }
}
