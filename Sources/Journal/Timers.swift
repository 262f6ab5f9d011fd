import Basics
import JSON

/// Timers: work a script schedules for its call, to run later unless cancelled (`timer.set`, `timer.cancel`).
///
/// A timer belongs to a call (endpoint and call id) and a name. A run's operations on timers are written with
/// its record, only when the run succeeded, and apply in the order of the events whose runs made them: an
/// operation made for an event older than the one that last changed the timer is dropped. When a timer comes
/// due, the journal turns it into an event of its call (type `timer:<name>`) in one commit, exactly once; that
/// event then runs like any other, in the call's order, with retries and dead letters. An event appended to a
/// call after one of its timers came due is stored after the timer's event (the append fires it first).
///
/// ```swift
/// var run = RunRecord(eventID: hang.id, ...)
/// run.timerOperations = [TimerOperation(name: "hang-unresolved", kind: .set(dueAt: now + 30_000, setAt: now, data: nil))]
/// _ = try await journal.record([CallRecords(claim: claim, runs: [run])], for: node)   // pending from now on
/// let fired = try await journal.fireDueTimers(now: epochMilliseconds(), claimant: node, limit: 100)
/// // fired[0].event.type == "timer:hang-unresolved", stored as an event of hang's call
/// ```
package enum Timers {
    /// Event types of fired timers start with this; deliveries from outside may not use it.
    package static let typePrefix = "timer:"

    /// The event type of a fired timer named `name`.
    package static func eventType(_ name: String) -> String { typePrefix + name }

    /// The timer's name when `type` is a fired timer's event type.
    package static func name(ofEventType type: String) -> String? {
        type.hasPrefix(typePrefix) ? String(type.dropFirst(typePrefix.count)) : nil
    }

    /// Names are file names too (`timers/<name>.lua`): 1 to 64 letters, digits, '-' or '_', a letter or digit first.
    package static func isValidName(_ name: String) -> Bool {
        IdentifierAlphabet.isIdentifier(name.utf8, maxLength: 64, alphanumericFirst: true)
    }

    /// The body of a fired timer's event: `{"message": {"type": "timer:<name>", "call": {"id": ...}, "timer": {...}}}`,
    /// shaped like a delivery so that every tool that shows events shows it.
    package static func eventBody(_ timer: PendingTimer) -> [UInt8] {
        var out: [UInt8] = []
        out += Array(#"{"message":{"type":"#.utf8)
        JSONStrings.appendQuoted(eventType(timer.name), to: &out)
        out += Array(#","call":{"id":"#.utf8)
        JSONStrings.appendQuoted(timer.call.callID, to: &out)
        out += Array(#"},"timer":{"name":"#.utf8)
        JSONStrings.appendQuoted(timer.name, to: &out)
        out += Array(#","set_at":\#(timer.setAt),"due_at":\#(timer.dueAt),"set_by":\#(timer.setBy.rawValue),"data":"#.utf8)
        out += Array((timer.data ?? "null").utf8)
        out += Array("}}}".utf8)
        return out
    }

    /// The deduplication key of a fired timer's event: one event per timer, due time and setting event.
    package static func dedupKey(_ timer: PendingTimer) -> String {
        "timer|\(timer.name)|\(timer.dueAt)|\(timer.setBy.rawValue)"
    }

    /// The event a due timer becomes, received at `now`.
    package static func event(_ timer: PendingTimer, now: Int64) -> NewEvent {
        NewEvent(receivedAt: now, endpoint: timer.call.endpoint, type: eventType(timer.name), callID: timer.call.callID,
                 dedupKey: dedupKey(timer), requestID: "timer", body: eventBody(timer), warnings: [])
    }
}

/// One change to one of the call's timers, made by a run and applied with its record.
public struct TimerOperation: Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        /// Sets (or replaces) the timer; `data` is JSON text.
        case set(dueAt: Int64, setAt: Int64, data: String?)
        case cancel
    }

    package var name: String
    package var kind: Kind

    package init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }
}

/// A timer waiting for its due time.
public struct PendingTimer: Sendable, Equatable {
    package var call: CallKey
    package var name: String
    /// Epoch milliseconds.
    package var dueAt: Int64
    package var setAt: Int64
    /// JSON text, as given to `timer.set`.
    package var data: String?
    /// The event whose run set it.
    package var setBy: EventID

    package init(call: CallKey, name: String, dueAt: Int64, setAt: Int64, data: String?, setBy: EventID) {
        self.call = call
        self.name = name
        self.dueAt = dueAt
        self.setAt = setAt
        self.data = data
        self.setBy = setBy
    }
}

/// A timer turned into an event of its call, as an append stores one.
public struct FiredTimer: Sendable {
    package var timer: PendingTimer
    package var event: PendingEvent
    package var body: [UInt8]
    package var stored: StoredEvent

    package init(timer: PendingTimer, event: PendingEvent, body: [UInt8], stored: StoredEvent) {
        self.timer = timer
        self.event = event
        self.body = body
        self.stored = stored
    }
}

/// Which pending timers to list (`hookline timers`).
public struct TimerQuery: Sendable {
    package var callID: String?
    package var endpoint: String?
    /// Only timers due before this (epoch ms).
    package var dueBefore: Int64?
    package var limit: Int

    package init(callID: String? = nil, endpoint: String? = nil, dueBefore: Int64? = nil, limit: Int = 100) {
        self.callID = callID
        self.endpoint = endpoint
        self.dueBefore = dueBefore
        self.limit = limit
    }
}
