import ArgumentParser
import Basics
import Foundation
import JSON
import Journal

struct TimersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timers",
        abstract: "List the timers scripts set that have not come due (the earliest first).",
        discussion: """
            A script sets a timer for its call with timer.set(name, seconds [, data]); when it comes due, \
            scripts/timers/<name>.lua runs for the call, unless a later event's run cancelled it (timer.cancel). \
            Timers that came due become events of their call: `hookline events --type timer:<name>` lists those, \
            and `hookline events show ID` shows a call's timers beside its runs.

            Examples:
              hookline timers
              hookline timers --call CA5d2c7e90a1f34b6d8e0b9c4a3f2e1d07
              hookline timers --due-before 10m --json
            """
    )

    @Option(help: "Only timers of this call.")
    var call: String?
    @Option(help: "Only timers of this endpoint.")
    var endpoint: String?
    @Option(help: "Only timers due before this: a duration from now (10m, 2h) or an ISO-8601 time.")
    var dueBefore: String?
    @Option(help: "At most this many.")
    var limit = 100
    @Flag(help: "One JSON object per line, for scripts and jq.")
    var json = false
    @OptionGroup var journalLocation: JournalLocation

    func run() async throws {
        let before = try dueBefore.map { try parseMoment($0, option: "--due-before", fromNow: 1) }
        let journal = try await journalLocation.open()
        let timers = try await journal.timers(matching: TimerQuery(callID: call, endpoint: endpoint, dueBefore: before, limit: limit))
        await journal.close()
        if json {
            for timer in timers { print(timerJSON(timer)) }
            return
        }
        guard !timers.isEmpty else {
            print("no pending timers")
            return
        }
        let now = epochMilliseconds()
        print("DUE                       IN        NAME                 CALL                                SET BY EVENT")
        for timer in timers {
            print([pad(ISO8601.string(fromEpochMilliseconds: timer.dueAt), 25), pad(relative(timer.dueAt - now), 9),
                   pad(timer.name, 20), pad(timer.call.callID, 35), timer.setBy.description].joined(separator: " "))
        }
    }
}

/// How far away a due time is: "12s", "-3s" (overdue: it fires on the next tick), "5m", "2h", "3d".
func relative(_ milliseconds: Int64) -> String {
    let seconds = milliseconds / 1000
    switch abs(seconds) {
    case ..<120: return "\(seconds)s"
    case ..<7200: return "\(seconds / 60)m"
    case ..<172_800: return "\(seconds / 3600)h"
    default: return "\(seconds / 86400)d"
    }
}

func timerJSON(_ timer: PendingTimer) -> String {
    "{\"name\":\(JSONStrings.quoted(timer.name)),\"endpoint\":\(JSONStrings.quoted(timer.call.endpoint)),"
        + "\"call_id\":\(JSONStrings.quoted(timer.call.callID)),\"due_at\":\(JSONStrings.quoted(ISO8601.string(fromEpochMilliseconds: timer.dueAt))),"
        + "\"set_at\":\(JSONStrings.quoted(ISO8601.string(fromEpochMilliseconds: timer.setAt))),\"set_by\":\"\(timer.setBy)\","
        + "\"data\":\(timer.data ?? "null")}"
}
