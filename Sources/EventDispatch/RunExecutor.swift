import Basics
import Foundation
import HostAPI
import JSON
import Journal
import LuaRuntime
import Observability

/// Runs one script for one event on one Lua state of a pool, and writes down what happened as a run record.
struct RunExecutor: Sendable {
    let effects: any Effects
    let node: NodeIdentity
    let telemetry: Telemetry
    /// What dates a run's start (and so a fired timer's `late_ms`).
    let clock: any WallClock

    /// Bodies in the journal passed intake's strict parse (64 levels at most, no duplicate keys): reading
    /// one back needs neither check again.
    static let storedBodies = JSONParser.Options(rejectDuplicateKeys: false)

    /// Runs `script` for `event` (its parsed body in `document`; nil when the body could not be read); the host
    /// calls that match `earlierEffects` (what the attempt before this one did) return its results. A fired
    /// timer's handler runs only if the timer still stands at the timer's place in the call's order: an event
    /// before it whose run cancelled or replaced the timer (`supersededTimer`, known in memory, or seen in the
    /// journal) made it moot, even when that run was committed after the timer came due.
    func run(script: String, attempt: Int, event: PendingEvent, document: JSONDocument?, claim: CallClaim, pool: EnginePool,
             engine index: Int, supersededTimer: Bool = false, earlierEffects: EffectRecord? = nil) async -> (result: Result<RunReport, ScriptError>, record: RunRecord) {
        let startedAt = clock.now()
        let clock = ContinuousClock.now
        let context = ScriptContext(eventID: event.id.description, endpoint: event.endpoint, type: event.type,
                                    callID: event.callID, script: script, attempt: attempt, effects: effects,
                                    fence: Fence(node: node, claim: claim), earlierEffects: earlierEffects)
        let result = await outcome(script: script, attempt: attempt, event: event, document: document, pool: pool,
                                   engine: index, context: context, startedAt: startedAt, supersededTimer: supersededTimer)
        let duration = ContinuousClock.now - clock
        telemetry.runDuration(script: script, duration)
        var record = RunRecord(eventID: event.id, generation: event.generation, script: script,
                               scriptVersion: pool.set.scripts.first { $0.path == script }?.version ?? "removed",
                               attempt: attempt, startedAt: startedAt, durationMicroseconds: duration.wholeMicroseconds,
                               outcome: .ok, effects: context.effectLog.record)
        switch result {
        case .success:
            record.timerOperations = context.timerOperations
            for operation in record.timerOperations {
                telemetry.timerOperation(operation.kind == .cancel ? "cancel" : "set")
            }
        case .failure(let error):
            record.errorKind = error.kind.rawValue
            record.error = error.description
            record.errorLine = error.line
        }
        return (result, record)
    }

    private func outcome(script: String, attempt: Int, event: PendingEvent, document: JSONDocument?, pool: EnginePool,
                         engine index: Int, context: ScriptContext, startedAt: Int64,
                         supersededTimer: Bool) async -> Result<RunReport, ScriptError> {
        guard let compiled = pool.script(script, on: index), let message = document?.root["message"] else {
            guard document == nil else { return .success(RunReport(duration: .zero, hostCalls: 0)) }  // the script was removed since
            return .failure(ScriptError(kind: .runtime, script: script, message: """
                the event's body could not be read from the journal: its body file is missing or short (a power cut \
                before the body reached the disk leaves this; such an event was never acknowledged)
                """))
        }
        let ctx = RunContext(event, attempt: attempt, script: script)
        guard let name = Timers.name(ofEventType: event.type), let timer = message["timer"] else {
            return await pool.engines[index].run(compiled, event: .json(message), ctx: .table(ctx.table), context: context)
        }
        let setBy = EventID(timer["set_by"]?.integer ?? 0)
        if !supersededTimer {
            do {
                let before = EventID(event.id.rawValue - 1)
                let standing = try await effects.pendingTimers(of: context.call, asOf: before)
                if standing.contains(where: { $0.name == name && $0.setBy == setBy }) {
                    if attempt == 1, pool.set.scripts(for: event.type).first?.path == script, let dueAt = timer["due_at"]?.integer {
                        telemetry.timerFired(late: .milliseconds(max(0, startedAt - dueAt)))
                    }
                    return await pool.engines[index].run(compiled, event: .value(TimerHandlerInput.timer(timer, now: startedAt)),
                                                         ctx: .table(TimerHandlerInput.context(ctx, timer)), context: context)
                }
            } catch {
                return .failure(ScriptError(kind: .runtime, script: script, message: """
                    cannot tell whether timer \(name) still stands: \(error); the run is retried
                    """))
            }
        }
        context.note("timer \(name) not run: an event before it in the call's order cancelled or replaced it")
        return .success(RunReport(duration: .zero, hostCalls: 0))
    }
}

