import Journal
import Synchronization

/// What a host function knows about the run that called it: the event, the script, and the effects
/// implementation (live, dry-run or test mocks) through which every side effect goes.
public final class ScriptContext: Sendable {
    public let eventID: String
    public let endpoint: String
    public let type: String
    public let callID: String
    public let script: String
    public let attempt: Int
    public let effects: any Effects
    /// The run's claim on its call, which its store writes carry (nil outside the server).
    package let fence: Fence?
    /// The run's host calls with their outcomes; on a retry, what the earlier attempt did.
    package let effectLog: EffectLog
    private let timerState = Mutex<TimerView?>(nil)

    public init(eventID: String, endpoint: String, type: String, callID: String, script: String, attempt: Int,
                effects: any Effects, fence: Fence? = nil, earlierEffects: EffectRecord? = nil) {
        self.eventID = eventID
        self.endpoint = endpoint
        self.type = type
        self.callID = callID
        self.script = script
        self.attempt = attempt
        self.effects = effects
        self.fence = fence
        effectLog = EffectLog(earlier: earlierEffects)
    }

    /// Notes something the run's record should show that is no host call ("timer x not run: ...").
    package func note(_ line: String) {
        effectLog.note("note", [EffectField("text", .text(line))])
    }

    /// The host calls made so far, one readable line each.
    package var hostCalls: [String] { effectLog.record.lines }

    /// The call this run belongs to.
    public var call: CallKey { CallKey(endpoint: endpoint, callID: callID) }

    /// The call's timers as this run sees them: the journal's pending ones (read at the first timer call of
    /// the run), changed by the run's own operations so far.
    package func timers() async throws -> [String: PendingTimer] {
        if let view = timerState.withLock({ $0 }) { return view.pending }
        let pending = try await effects.pendingTimers(of: call, asOf: EventID(eventID) ?? EventID(0))
        return timerState.withLock { state in
            if state == nil { state = TimerView(pending: Dictionary(pending.map { ($0.name, $0) }) { $1 }) }
            return state!.pending
        }
    }

    /// Adds an operation to the run's timer operations (applied with its record if the run succeeds).
    public func apply(_ operation: TimerOperation, setAt: Int64) {
        timerState.withLock { state in
            var view = state ?? TimerView(pending: [:])
            switch operation.kind {
            case .set(let dueAt, _, let data):
                view.pending[operation.name] = PendingTimer(call: call, name: operation.name, dueAt: dueAt, setAt: setAt,
                                                            data: data, setBy: EventID(eventID) ?? EventID(0))
            case .cancel:
                view.pending[operation.name] = nil
            }
            view.operations.append(operation)
            state = view
        }
    }

    /// The run's timer operations, in the order made.
    package var timerOperations: [TimerOperation] { timerState.withLock { $0?.operations ?? [] } }
}

private struct TimerView {
    var pending: [String: PendingTimer]
    var operations: [TimerOperation] = []
}
