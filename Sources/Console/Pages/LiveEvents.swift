import HTTPTypes
import Hummingbird
import HummingbirdCore
import JSON
import Journal

/// The events page's live stream (Server-Sent Events): the events after the last one the page shows (or the
/// browser's `Last-Event-ID` when it reconnects) that pass its filters, then each new one as it is journaled,
/// as JSON the page's script turns into rows with text nodes; a comment line as heartbeat.
struct LiveEvents: Sendable {
    let journal: any Journal
    let feed: LiveFeed

    func stream(_ request: Request) async throws -> Response {
        let filter = EventFilter(request.uri.queryParameters)
        let resumeFrom = request.headers[.lastEventID].flatMap(EventID.init)
            ?? request.uri.queryParameters["after"].flatMap { EventID(String($0)) } ?? EventID(0)
        let updates = feed.subscribe()
        let missed = try await matching(filter, try await journal.events(matching: filter.query(limit: EventsPage.pageSize, after: resumeFrom)))
        let body = ResponseBody { writer in
            var sent = resumeFrom
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            if let newest = missed.first?.id {
                try await writer.write(ByteBuffer(string: missed.reversed().map(Self.message).joined()))
                sent = newest
            }
            for await update in updates {
                switch update {
                case .heartbeat:
                    try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                case .events(let events):
                    let admitted = events.filter { $0.summary.id > sent && filter.admits($0.summary) }
                    let shown = filter.text.isEmpty ? admitted : try await matching(filter, admitted)
                    guard let newest = shown.last?.summary.id else { continue }
                    // one write for all of them: a hundred views at a thousand events a second are many writes
                    try await writer.write(ByteBuffer(string: shown.map(\.message).joined()))
                    sent = newest
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store",
                                               .xAccelBuffering: "no"], body: body)
    }

    /// The events whose payload has the filter's text (all of them when it has none).
    private func matching(_ filter: EventFilter, _ events: [EventSummary]) async throws -> [EventSummary] {
        guard !filter.text.isEmpty else { return events }
        var kept: [EventSummary] = []
        for event in events where try await journal.body(of: event.id).map(filter.payloadMatches) == true { kept.append(event) }
        return kept
    }

    private func matching(_ filter: EventFilter, _ events: [LiveFeed.LiveEvent]) async throws -> [LiveFeed.LiveEvent] {
        let kept = Set(try await matching(filter, events.map(\.summary)).map(\.id))
        return events.filter { kept.contains($0.summary.id) }
    }

    /// One event as an SSE message whose data is a JSON object (one line).
    static func message(_ event: EventSummary) -> String {
        let row = EventRow(event)
        var json: [UInt8] = Array(#"{"id":"#.utf8) + Array(String(row.id).utf8)
        for (key, value) in [("href", row.href), ("time", row.time.iso), ("type", row.type), ("endpoint", row.endpoint),
                             ("callID", row.callID), ("callHref", row.callHref), ("state", row.state)] {
            json += Array(",\"\(key)\":".utf8)
            JSONStrings.appendQuoted(value, to: &json)
        }
        json += Array(",\"warnings\":\(row.warnings)}".utf8)
        return "id: \(row.id)\nevent: event\ndata: " + String(decoding: json, as: UTF8.self) + "\n\n"
    }
}

extension HTTPField.Name {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    /// Tells nginx not to buffer the stream.
    static let xAccelBuffering = HTTPField.Name("X-Accel-Buffering")!
}
