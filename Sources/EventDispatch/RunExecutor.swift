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

    /// Bodies in the journal passed intake's strict parse (64 levels at most, no duplicate keys): reading
    /// one back needs neither check again.
    static let storedBodies = JSONParser.Options(rejectDuplicateKeys: false)

    /// Runs `script` for `event` (its parsed body in `document`; nil when the body could not be read).
    func run(script: String, attempt: Int, event: PendingEvent, document: JSONDocument?, claim: CallClaim, pool: EnginePool,
             engine index: Int) async -> (result: Result<RunReport, ScriptError>, record: RunRecord) {
        let startedAt = epochMilliseconds()
        let clock = ContinuousClock.now
        let context = ScriptContext(eventID: event.id.description, endpoint: event.endpoint, type: event.type,
                                    callID: event.callID, script: script, attempt: attempt, effects: effects,
                                    fence: Fence(node: node, claim: claim))
        let result: Result<RunReport, ScriptError>
        if let compiled = pool.script(script, on: index), let message = document?.root["message"] {
            let ctx = RunContext(event, attempt: attempt, script: script)
            result = await pool.engines[index].run(compiled, event: .json(message), ctx: .table(ctx.table), context: context)
        } else if document == nil {
            result = .failure(ScriptError(kind: .runtime, script: script, message: """
                the event's body could not be read from the journal: its body file is missing or short (a power cut \
                before the body reached the disk leaves this; such an event was never acknowledged)
                """))
        } else {
            result = .success(RunReport(duration: .zero, hostCalls: 0))  // the script was removed since the event arrived
        }
        let duration = ContinuousClock.now - clock
        telemetry.runDuration(script: script, duration)
        var record = RunRecord(eventID: event.id, generation: event.generation, script: script,
                               scriptVersion: pool.set.scripts.first { $0.path == script }?.version ?? "removed",
                               attempt: attempt, startedAt: startedAt, durationMicroseconds: duration.wholeMicroseconds,
                               outcome: .ok, hostCalls: context.hostCalls)
        if case .failure(let error) = result {
            record.errorKind = error.kind.rawValue
            record.error = error.description
            record.errorLine = error.line
        }
        return (result, record)
    }
}

