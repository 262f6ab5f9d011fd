import ArgumentParser
import Basics
import Foundation
import JSON
import HooklineApp
import Journal
import Logging

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "List what arrived, what ran and what failed, from the journal.",
        discussion: """
            Bodies are shown as stored: the credentials events echo back are already redacted.

            Examples:
              hookline events                          # the latest 20 events
              hookline events --failed --since 2h      # events with a dead script in the last 2 hours
              hookline events --call CA7f3e9b21c04d4a6e8b5f1d2c3a4b5c6d --json | jq .
              hookline events show 42
            """,
        subcommands: [List.self, Show.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List events, newest first.")

        @Option(help: "Only this event type.")
        var type: String?
        @Option(help: "Only this call.")
        var call: String?
        @Flag(help: "Only events where a script is dead (failed all its attempts).")
        var failed = false
        @Flag(help: "Only events still waiting for processing.")
        var pending = false
        @Option(help: "Only events received since: a duration (30m, 2h) or an ISO-8601 time.")
        var since: String?
        @Option(help: "At most this many.")
        var limit = 20
        @Flag(help: "One JSON object per line, for scripts and jq.")
        var json = false
        @OptionGroup var journalLocation: JournalLocation

        func run() async throws {
            let journal = try await journalLocation.open()
            var states: [EventState] = []
            if failed { states.append(.failed) }
            if pending { states.append(.pending) }
            let events = try await journal.events(matching: EventQuery(type: type, callID: call, states: states,
                                                                      since: try since.map(parseSince), limit: limit))
            await journal.close()
            if json {
                for event in events { print(eventJSON(event)) }
                return
            }
            if events.isEmpty {
                print("no events")
                return
            }
            print("ID        RECEIVED                  TYPE                 CALL                                STATE    WARNINGS")
            for event in events {
                print([pad(event.id.description, 9), pad(ISO8601.string(fromEpochMilliseconds: event.receivedAt), 25), pad(event.type, 20), pad(event.callID, 35),
                       pad(event.state.rawValue, 8), String(event.warnings.count)].joined(separator: " "))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "One event: its warnings, every run attempt, its body.")

        @Argument(help: "The event id (as `hookline events` and the delivery's response give it).")
        var id: String
        @Flag(help: "As one JSON object.")
        var json = false
        @OptionGroup var journalLocation: JournalLocation

        func run() async throws {
            guard let eventID = EventID(id) else { throw ValidationError("'\(id)' is not an event id") }
            let journal = try await journalLocation.open()
            let detail = try await journal.event(eventID)
            var timers: CallTimers?
            if let detail { timers = try await CallTimers.read(detail.summary, from: journal) }
            await journal.close()
            guard let detail else {
                print("no event \(id)")
                throw ExitCode.failure
            }
            if json {
                var out = eventJSON(detail.summary)
                out.removeLast()
                out += ",\"request_id\":\(JSONStrings.quoted(detail.requestID)),\"runs\":["
                out += detail.runs.map { run in
                    "{\"script\":\(JSONStrings.quoted(run.script)),\"version\":\(JSONStrings.quoted(run.scriptVersion)),"
                        + "\"attempt\":\(run.attempt),\"outcome\":\"\(run.outcome.rawValue)\",\"started_at\":\(JSONStrings.quoted(ISO8601.string(fromEpochMilliseconds: run.startedAt))),"
                        + "\"duration_us\":\(run.durationMicroseconds),\"error\":\(run.error.map(JSONStrings.quoted) ?? "null"),"
                        + "\"line\":\(run.errorLine.map(String.init) ?? "null"),\"effects\":\(run.effects.json)}"
                }.joined(separator: ",")
                out += "],\"timers\":\(timers?.json ?? "{}"),\"body\":\(String(decoding: detail.body, as: UTF8.self))}"
                print(out)
                return
            }
            let event = detail.summary
            print("event \(event.id): \(event.type), call \(event.callID)")
            print("  received  \(ISO8601.string(fromEpochMilliseconds: event.receivedAt)) on endpoint \(event.endpoint) (request \(detail.requestID))")
            print("  state     \(event.state.rawValue)\(event.finishedAt.map { " at \(ISO8601.string(fromEpochMilliseconds: $0))" } ?? "")\(event.generation > 0 ? ", replayed \(event.generation) time(s)" : "")")
            print("  size      \(event.size) bytes")
            for warning in event.warnings { print("  warning   \(warning)") }
            if detail.runs.isEmpty { print("  runs      none yet") }
            for run in detail.runs {
                let outcome = run.outcome == .ok ? "ok" : run.outcome == .failed ? "failed (retried)" : "DEAD"
                print("  run       \(run.script) v\(run.scriptVersion), attempt \(run.attempt): \(outcome) in \(run.durationMicroseconds / 1000) ms")
                if let error = run.error { print("            \(error)") }
                for call in run.effects.lines { print("            \(call)") }
            }
            timers?.print()
            print("  body")
            print(String(decoding: detail.body, as: UTF8.self))
        }
    }
}

/// The timers of an event's call, for `events show`: those pending, and those that came due (as events of
/// the call, with their state).
struct CallTimers {
    var pending: [PendingTimer]
    var fired: [EventSummary]

    static func read(_ event: EventSummary, from journal: any Journal) async throws -> CallTimers {
        let pending = try await journal.timers(matching: TimerQuery(callID: event.callID, endpoint: event.endpoint))
        let fired = try await journal.events(matching: EventQuery(callID: event.callID, endpoint: event.endpoint, limit: 500))
            .filter { Timers.name(ofEventType: $0.type) != nil }
        return CallTimers(pending: pending, fired: fired.reversed())
    }

    func print() {
        for timer in pending {
            Swift.print("  timer     \(timer.name) pending, due \(ISO8601.string(fromEpochMilliseconds: timer.dueAt)) (set by event \(timer.setBy))")
        }
        for event in fired {
            Swift.print("  timer     \(event.type.dropFirst(Timers.typePrefix.count)) came due: event \(event.id), \(event.state.rawValue)")
        }
    }

    var json: String {
        "{\"pending\":[\(pending.map(timerJSON).joined(separator: ","))],\"fired\":[\(fired.map(eventJSON).joined(separator: ","))]}"
    }
}

/// A single node's journal in its data folder, which must exist.
func openJournal(_ data: String) throws -> SQLiteJournal {
    guard FileManager.default.fileExists(atPath: (data as NSString).appendingPathComponent("journal.sqlite")) else {
        throw ValidationError("no journal in \(data) (where `hookline serve` keeps it; see --data, or --database for a cluster)")
    }
    return try SQLiteJournal(directory: data)
}

/// Where the journal verbs find the journal: the data folder's SQLite file, or the nodes' PostgreSQL.
struct JournalLocation: ParsableArguments {
    @Option(help: "Data folder of a single node's journal.")
    var data = "./data"
    @Option(help: "PostgreSQL URL of a cluster's journal (HOOKLINE_DATABASE); the password from --database-password-file or HOOKLINE_DATABASE_PASSWORD.")
    var database: String?
    @Option(help: "File whose first line is the database password.")
    var databasePasswordFile: String?
    @Option(help: "Certificate authorities (PEM) that verify the database's certificate (HOOKLINE_DATABASE_CA), as serve takes them.")
    var databaseCA: String?

    func open() async throws -> any Journal {
        let environment = ProcessInfo.processInfo.environment
        var settings = Settings()
        settings.data = data
        settings.database = database ?? environment["HOOKLINE_DATABASE"].flatMap { $0.isEmpty ? nil : $0 }
        settings.databasePasswordFile = databasePasswordFile ?? environment["HOOKLINE_DATABASE_PASSWORD_FILE"]
        settings.databaseCA = databaseCA ?? environment["HOOKLINE_DATABASE_CA"].flatMap { $0.isEmpty ? nil : $0 }
        if settings.database == nil { return try openJournal(data) }
        let quiet = Logger(label: "hookline") { _ in SwiftLogNoOpLogHandler() }
        return try await Hookline.openJournal(settings, logger: quiet, environment: environment)
    }
}

func eventJSON(_ event: EventSummary) -> String {
    "{\"id\":\"\(event.id)\",\"received_at\":\(JSONStrings.quoted(ISO8601.string(fromEpochMilliseconds: event.receivedAt))),\"endpoint\":\(JSONStrings.quoted(event.endpoint)),"
        + "\"type\":\(JSONStrings.quoted(event.type)),\"call_id\":\(JSONStrings.quoted(event.callID)),\"state\":\"\(event.state.rawValue)\","
        + "\"generation\":\(event.generation),\"size\":\(event.size),\"warnings\":[\(event.warnings.map(JSONStrings.quoted).joined(separator: ","))]}"
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

/// "30m", "2h", "7d" ago, or an ISO-8601 time -> epoch milliseconds.
func parseSince(_ text: String) throws -> Int64 {
    try parseMoment(text, option: "--since", fromNow: -1)
}

/// A moment an option names: a duration (30m, 2h, 7d) before now (`fromNow` -1) or after it (1), or an ISO-8601
/// time -> epoch milliseconds.
func parseMoment(_ text: String, option: String, fromNow direction: Double) throws -> Int64 {
    let now = Date().timeIntervalSince1970
    let units: [(Character, Double)] = [("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
    if let unit = text.last, let factor = units.first(where: { $0.0 == unit })?.1, let value = Double(text.dropLast()) {
        return Int64((now + direction * value * factor) * 1000)
    }
    if let milliseconds = ISO8601.epochMilliseconds(from: text) { return milliseconds }
    throw ValidationError("\(option) takes a duration \(direction < 0 ? "ago" : "from now") such as 30m, 2h, 7d, or an ISO-8601 time (got \(text))")
}
