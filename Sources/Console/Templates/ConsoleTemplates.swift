/// Every template by name, for the renderer's library.
enum ConsoleTemplates {
    static let all: [String: String] = [
        "layout": layout, "login": login, "events": events, "event": event, "json": jsonNode, "call": call,
        "failures": failures, "scripts": scripts, "overview": overview,
    ]
}
