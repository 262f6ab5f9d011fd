import Hummingbird
import JSON
import Journal

/// Everything of one call on one timeline (each event with the runs it caused, its pending timers), the transcript as a
/// conversation from the latest conversation update (or the end-of-call report), and the report's summary,
/// cost and recording.
struct CallPage: Sendable {
    static let eventLimit = 1000
    let sources: ConsoleSources

    struct Entry {
        let event: EventRow
        let detail: String
        let runs: [RunView]
        let hasRuns: Bool
    }

    struct Message {
        let role: String
        let roleClass: String
        let text: String
        let time: ConsoleTime?
    }

    struct Report {
        let summary: String
        let outcome: String
        let cost: String
        let recording: String
        let hasRecording: Bool
    }

    struct Timer {
        let name: String
        let due: ConsoleTime
        let setBy: String
        let setByID: Int64
        let data: String
    }

    struct View {
        let title: String
        let nav = Navigation(events: true)
        let csrf: String
        let callID: String
        let timers: [Timer]
        let hasTimers: Bool
        let entries: [Entry]
        let transcript: [Message]
        let hasTranscript: Bool
        let report: Report?
        let truncated: Bool
    }

    func render(_ callID: String, session: ConsoleSession, renderer: PageRenderer) async throws -> Response {
        let summaries = try await sources.journal.events(matching: EventQuery(callID: callID, limit: Self.eventLimit)).reversed()
        guard !summaries.isEmpty else {
            return ConsoleRejection.response(.notFound, code: "no_such_call", message: "no event of call \(callID) in the journal")
        }
        let scripts = ScriptLookup(sets: sources.scriptSets())
        var entries: [Entry] = []
        var transcript: [Message] = []
        var report: Report?
        for summary in summaries {
            guard let detail = try await sources.journal.event(summary.id) else { continue }
            let message = (try? JSONParser.parse(detail.body))?.root["message"]
            entries.append(Entry(event: EventRow(summary), detail: message.map { Self.detail(of: $0, type: summary.type) } ?? "",
                                 runs: detail.runs.map { RunView($0, scripts: scripts) }, hasRuns: !detail.runs.isEmpty))
            if let message, let messages = message["messages"], messages.count > 0 || summary.type == "end-of-call-report" {
                transcript = messages.elements.compactMap(Self.message)
            }
            if summary.type == "end-of-call-report", let message { report = Self.report(message) }
        }
        let timers = try await sources.journal.timers(matching: TimerQuery(callID: callID, limit: 100)).map { timer in
            Timer(name: timer.name, due: ConsoleTime(timer.dueAt), setBy: ConsolePaths.event(timer.setBy.rawValue),
                  setByID: timer.setBy.rawValue, data: timer.data ?? "")
        }
        return renderer.page("call", View(title: "Call \(callID)", csrf: session.csrf, callID: callID, timers: timers,
                                          hasTimers: !timers.isEmpty, entries: entries,
                                          transcript: transcript, hasTranscript: !transcript.isEmpty, report: report,
                                          truncated: summaries.count == Self.eventLimit))
    }

    /// A line on what the event says: a status change, the error, why it hung.
    static func detail(of message: JSONValue, type: String) -> String {
        switch type {
        case "status-update":
            return ["status", "phoneCallStatus", "phoneCallStatusReason"].compactMap { message["call", $0]?.string }
                .filter { !$0.isEmpty }.joined(separator: " · ")
        case "error", "hang":
            return ["error", "reason", "message", "description"].compactMap { message[$0]?.string ?? message["error", $0]?.string }
                .first ?? ""
        case "conversation-update":
            return "\(message["messages"]?.count ?? 0) messages"
        default:
            return ""
        }
    }

    static func message(_ value: JSONValue) -> Message? {
        guard let text = value["text"]?.string ?? value["message"]?.string ?? value["content"]?.string else { return nil }
        let role = value["role"]?.string ?? "unknown"
        let roleClass = ["assistant", "bot", "user", "system", "tool"].contains(role) ? role : "system"
        return Message(role: role, roleClass: "message-" + roleClass, text: text, time: value["timestamp"]?.integer.map(ConsoleTime.init))
    }

    static func report(_ message: JSONValue) -> Report {
        let cost = message["call", "cost", "totalCost"]?.number.map { String(format: "%.4f", $0) } ?? "not reported"
        let bucket = message["call", "recording", "s3Bucket"]?.string ?? ""
        let path = message["call", "recording", "path"]?.string ?? ""
        let recording = bucket.isEmpty || path.isEmpty ? "" : "s3://\(bucket)/\(path)"
        return Report(summary: message["analysis", "summary"]?.string ?? "", outcome: message["analysis", "outcome"]?.string ?? "",
                      cost: cost, recording: recording, hasRecording: !recording.isEmpty)
    }
}

import Foundation
