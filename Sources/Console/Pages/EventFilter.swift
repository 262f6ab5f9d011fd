import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import JSON
import Journal

/// The events page's filters, read from and written back into the URL, so that a filtered page can be linked.
struct EventFilter: Sendable {
    var type = ""
    var endpoint = ""
    var call = ""
    var state = ""
    var since = ""
    var until = ""
    /// Text the payload must contain.
    var text = ""

    init(_ parameters: FlatDictionary<Substring, Substring>) {
        func value(_ name: Substring) -> String { parameters[name].map { String($0).trimmingCharacters(in: .whitespaces) } ?? "" }
        type = value("type")
        endpoint = value("endpoint")
        call = value("call")
        state = EventState(rawValue: value("state")) == nil ? "" : value("state")
        since = value("since")
        until = value("until")
        text = value("text")
    }

    func query(limit: Int, before: EventID? = nil, after: EventID? = nil) -> EventQuery {
        EventQuery(type: type.isEmpty ? nil : type, callID: call.isEmpty ? nil : call, endpoint: endpoint.isEmpty ? nil : endpoint,
                   states: EventState(rawValue: state).map { [$0] } ?? [], since: ConsoleTime.parse(since), limit: limit,
                   until: ConsoleTime.parse(until), before: before, after: after)
    }

    /// Whether a payload contains the text searched for (always, when none is): as typed, or as JSON writes it
    /// inside a string (`"` as `\"`).
    func payloadMatches(_ body: [UInt8]) -> Bool {
        guard !text.isEmpty else { return true }
        var escaped: [UInt8] = []
        JSONStrings.appendQuoted(text, to: &escaped)
        return body.firstRange(of: Array(text.utf8)) != nil || body.firstRange(of: escaped.dropFirst().dropLast()) != nil
    }

    /// Whether a newly accepted event belongs on this filtered page (for the live stream), but for its payload.
    func admits(_ event: EventSummary) -> Bool {
        (type.isEmpty || event.type == type) && (endpoint.isEmpty || event.endpoint == endpoint)
            && (call.isEmpty || event.callID == call) && (state.isEmpty || event.state.rawValue == state)
            && (ConsoleTime.parse(since).map { event.receivedAt >= $0 } ?? true)
            && (ConsoleTime.parse(until).map { event.receivedAt < $0 } ?? true)
    }

    /// The filters as a query string (without `?`), plus `extra` items.
    func queryString(_ extra: [(String, String)] = []) -> String {
        let items = [("type", type), ("endpoint", endpoint), ("call", call), ("state", state), ("since", since), ("until", until),
                     ("text", text)]
            .filter { !$0.1.isEmpty } + extra
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?#")
        return items.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
    }

    var stateOptions: [StateOption] {
        [StateOption(value: "", label: "any", selected: state.isEmpty)]
            + EventState.allCases.map { StateOption(value: $0.rawValue, label: $0.rawValue, selected: $0.rawValue == state) }
    }

    struct StateOption: Sendable {
        let value: String
        let label: String
        let selected: Bool
    }
}
