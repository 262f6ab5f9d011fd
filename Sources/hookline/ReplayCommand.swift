import ArgumentParser
import Foundation
import Journal

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run journaled events again through the current scripts (after fixing a script, for instance).",
        discussion: """
            The events go back to pending, and a running `hookline serve` picks them up within a few seconds; \
            if none runs, the next one to start does. Every script of the event's type runs again, and \
            performs its effects again (posts, alerts, appends) unless --reuse-effects is given: then each host \
            call that matches what the event's last run did returns that run's recorded result instead.

            Examples:
              hookline replay 41 42
              hookline replay --failed
              hookline replay --since 1h --type end-of-call-report
              hookline replay 42 --reuse-effects    # rerun, but send nothing the last run already sent
            """
    )

    @Argument(help: "Event ids.")
    var ids: [String] = []
    @Flag(help: "Every event where a script is dead.")
    var failed = false
    @Option(help: "Events received since: a duration (30m, 2h) or an ISO-8601 time.")
    var since: String?
    @Option(help: "Only this event type.")
    var type: String?
    @Flag(help: "Host calls that match the last run's return its recorded results instead of being performed again.")
    var reuseEffects = false
    @OptionGroup var journalLocation: JournalLocation

    func validate() throws {
        if ids.isEmpty && !failed && since == nil && type == nil {
            throw ValidationError("say which events: ids, --failed, --since or --type")
        }
    }

    func run() async throws {
        let journal = try await journalLocation.open()
        var selected: [EventID] = []
        if !ids.isEmpty {
            selected = try ids.map { text in
                guard let id = EventID(text) else { throw ValidationError("'\(text)' is not an event id") }
                return id
            }
        }
        if failed || since != nil || type != nil {
            let matching = try await journal.events(matching: EventQuery(type: type, states: failed ? [.failed] : [.done, .failed],
                                                                        since: try since.map(parseSince),
                                                                        ids: selected, limit: 1_000_000))
            selected = matching.map(\.id)
        }
        let count = try await journal.requeue(selected, reuseEffects: reuseEffects)
        await journal.close()
        print("\(count) event\(count == 1 ? "" : "s") queued again; a running `hookline serve` runs them within a few seconds")
    }
}
