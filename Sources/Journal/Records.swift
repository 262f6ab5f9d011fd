/// The records the journal keeps and hands out: events, their run attempts and completions.

/// An event's place in the journal: ids grow with each event stored (with gaps in PostgreSQL); within one call
/// they follow the order in which the events were stored, which is the order their runs keep.
public struct EventID: Hashable, Comparable, Sendable, CustomStringConvertible {
    package let rawValue: Int64
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public init?(_ text: String) {
        guard let value = Int64(text), value > 0 else { return nil }
        rawValue = value
    }
    public var description: String { String(rawValue) }
    public static func < (a: EventID, b: EventID) -> Bool { a.rawValue < b.rawValue }
}


public enum EventState: String, Sendable, CaseIterable {
    /// Waiting for (or in) processing.
    case pending
    /// Every script ran successfully.
    case done
    /// Processed, but at least one script is dead (failed all its attempts).
    case failed
    /// Kept but not processed: the endpoint does not subscribe to its type.
    case skipped
}


public struct NewEvent: Sendable {
    public var receivedAt: Int64
    public var endpoint: String
    public var type: String
    public var callID: String
    public var dedupKey: String
    public var requestID: String
    public var body: [UInt8]
    public var warnings: [String]
    public var state: EventState

    public init(receivedAt: Int64, endpoint: String, type: String, callID: String, dedupKey: String, requestID: String,
                body: [UInt8], warnings: [String], state: EventState = .pending) {
        self.receivedAt = receivedAt
        self.endpoint = endpoint
        self.type = type
        self.callID = callID
        self.dedupKey = dedupKey
        self.requestID = requestID
        self.body = body
        self.warnings = warnings
        self.state = state
    }
}

public struct PendingEvent: Sendable {
    public var id: EventID
    package var receivedAt: Int64
    package var endpoint: String
    package var type: String
    package var callID: String
    package var warnings: [String]
    package var generation: Int

    package init(id: EventID, receivedAt: Int64, endpoint: String, type: String, callID: String, warnings: [String],
                generation: Int) {
        self.id = id
        self.receivedAt = receivedAt
        self.endpoint = endpoint
        self.type = type
        self.callID = callID
        self.warnings = warnings
        self.generation = generation
    }
}

public enum RunOutcome: String, Sendable {
    /// The script finished.
    case ok
    /// The attempt failed and will be retried.
    case failed
    /// The last attempt failed: no more retries.
    case dead
}

public struct RunRecord: Sendable {
    public var eventID: EventID
    public var generation: Int
    public var script: String
    public var scriptVersion: String
    public var attempt: Int
    public var startedAt: Int64
    public var durationMicroseconds: Int64
    public var outcome: RunOutcome
    package var errorKind: String?
    public var error: String?
    package var errorLine: Int?
    /// Every host call the run made, with its arguments and outcome (see `EffectRecord`).
    public var effects: EffectRecord
    /// The run's `timer.set` and `timer.cancel`, in the order made: applied with the record when the run
    /// succeeded, dropped otherwise (a failed attempt leaves nothing behind).
    package var timerOperations: [TimerOperation]

    public init(eventID: EventID, generation: Int, script: String, scriptVersion: String, attempt: Int, startedAt: Int64,
                durationMicroseconds: Int64, outcome: RunOutcome, errorKind: String? = nil, error: String? = nil,
                errorLine: Int? = nil, effects: EffectRecord = EffectRecord(), timerOperations: [TimerOperation] = []) {
        self.eventID = eventID
        self.generation = generation
        self.script = script
        self.scriptVersion = scriptVersion
        self.attempt = attempt
        self.startedAt = startedAt
        self.durationMicroseconds = durationMicroseconds
        self.outcome = outcome
        self.errorKind = errorKind
        self.error = error
        self.errorLine = errorLine
        self.effects = effects
        self.timerOperations = timerOperations
    }

    /// One readable line per host call, e.g. `#1 http.post{method = "POST", url = "https://crm.example/calls", ...} -> {status = 201, ...}`.
    package var hostCalls: [String] { effects.lines }
}

public struct EventCompletion: Sendable {
    public var eventID: EventID
    public var generation: Int
    public var state: EventState
    public var finishedAt: Int64

    public init(eventID: EventID, generation: Int, state: EventState, finishedAt: Int64) {
        self.eventID = eventID
        self.generation = generation
        self.state = state
        self.finishedAt = finishedAt
    }
}

package struct RunProgress: Sendable, Equatable {
    /// Scripts that need no further run (their last attempt succeeded or was the last one allowed).
    package var finished: Set<String>
    /// Attempts already made by scripts that failed and may be retried.
    package var attempts: [String: Int]
    /// What the latest failed attempt of each such script did: its retry returns these results for the calls
    /// that match them instead of performing them again.
    package var effects: [String: EffectRecord]

    package init(finished: Set<String> = [], attempts: [String: Int] = [:], effects: [String: EffectRecord] = [:]) {
        self.finished = finished
        self.attempts = attempts
        self.effects = effects
    }

    /// Counts one recorded attempt of the event's current generation (in the order they were recorded).
    package mutating func count(script: String, outcome: RunOutcome?, attempt: Int, effects record: EffectRecord? = nil) {
        if outcome == .failed {
            if attempt >= attempts[script] ?? 0 { effects[script] = record }
            attempts[script] = max(attempts[script] ?? 0, attempt)
        } else {
            finished.insert(script)
            effects[script] = nil
        }
    }
}

/// Why the journal could not do what was asked. `unavailable`: nothing was stored (the database or disk
/// cannot be reached or written); `fenced`: the write belonged to a claim that another node has taken over,
/// and was refused so that it cannot overwrite the newer holder's work.
public struct JournalError: Error, Sendable, CustomStringConvertible {
    package enum Kind: Sendable { case unavailable, corrupt, fenced }
    package let kind: Kind
    package let message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// A write refused because `claim` is no longer its node's.
    package static func fenced(_ claim: CallClaim) -> JournalError {
        JournalError(.fenced, """
            the call \(claim.call) was taken over by another node (its lease on this node ended), so this run may no \
            longer change its state
            """)
    }
}
