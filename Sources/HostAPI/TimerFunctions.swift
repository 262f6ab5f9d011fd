import Basics
import JSON
import Journal
import LuaRuntime

/// How far scripts may go with timers (`--timers-per-call`, `--timer-max-delay`).
public struct TimerLimits: Sendable {
    /// Pending timers one call may have.
    package var perCall: Int
    /// The longest delay `timer.set` takes.
    package var maxDelay: Duration
    /// The largest `data` a timer carries, as JSON.
    package var maxDataBytes: Int

    public init(perCall: Int = 100, maxDelay: Duration = .seconds(7 * 24 * 3600), maxDataBytes: Int = 16 << 10) {
        self.perCall = perCall
        self.maxDelay = maxDelay
        self.maxDataBytes = maxDataBytes
    }
}

/// `timer.set(name, seconds [, data])`, `timer.cancel(name)`, `timer.get(name)`: timers of the run's call (see
/// `Timers` in the journal). Operations are kept with the run and take effect with its record, only if the
/// run succeeds; `timer.get` and `timer.cancel` answer from the journal's pending timers as the run found them,
/// with its own operations applied.
///
/// ```lua
/// -- hang.lua
/// timer.set("hang-unresolved", 30, { assistant = event.assistant and event.assistant.name })
/// -- conversation-update.lua
/// if timer.cancel("hang-unresolved") then log.info("the assistant answered after a hang") end
/// -- timers/hang-unresolved.lua runs 30 s after the hang unless cancelled, with `timer.data`
/// ```
extension HostLibrary {
    static func timers(_ limits: TimerLimits, _ counted: Counted) -> [HostFunction<ScriptContext>] {
        @Sendable func name(_ call: HostCall<ScriptContext>) throws -> String {
            let name = try call.string(1, "name")
            guard Timers.isValidName(name) else {
                throw HostError("""
                    \(call.function): name must be 1 to 64 letters, digits, '-' or '_', starting with a letter or digit \
                    (it names the handler, timers/<name>.lua); got \(JSONStrings.quoted(String(name.prefix(80))))
                    """)
            }
            return name
        }
        let maxSeconds = limits.maxDelay.wholeMilliseconds / 1000
        return [
            .async("timer.set") { call in
                let name = try name(call)
                let seconds = try call.number(2, "seconds")
                guard seconds > 0, seconds <= Double(maxSeconds) else {
                    throw HostError("""
                        timer.set: seconds must be more than 0 and at most \(maxSeconds) (--timer-max-delay); got \(formatted(seconds))
                        """)
                }
                let data = try call.isNil(3) ? nil : String(decoding: call.json(3, "data"), as: UTF8.self)
                if let data, data.utf8.count > limits.maxDataBytes {
                    throw HostError("timer.set: data is \(data.utf8.count) bytes as JSON; a timer carries at most \(limits.maxDataBytes)")
                }
                let context = call.context
                return {
                    let pending = try await counted("timer") { try await context.timers() }
                    if pending[name] == nil && pending.count >= limits.perCall {
                        throw HostError("""
                            timer.set: call \(context.callID) already has \(pending.count) pending timers, the most \
                            --timers-per-call allows (\(limits.perCall)); cancel some with timer.cancel, or raise the limit
                            """)
                    }
                    let now = context.effects.now()
                    let dueAt = now + Int64((seconds * 1000).rounded())
                    context.apply(TimerOperation(name: name, kind: .set(dueAt: dueAt, setAt: now, data: data)), setAt: now)
                    var arguments = [EffectField("name", .text(name)), EffectField("seconds", .number(seconds))]
                    if let data { arguments.append(EffectField("data", EffectValues.json(data).value)) }
                    context.effectLog.note("timer.set", arguments, result: .integer(dueAt))
                    return [.integer(dueAt)]
                }
            },
            .async("timer.cancel") { call in
                let name = try name(call)
                let context = call.context
                return {
                    let wasPending = try await counted("timer") { try await context.timers() }[name] != nil
                    // recorded even when none is seen: a set made for an earlier event may still be on its way
                    context.apply(TimerOperation(name: name, kind: .cancel), setAt: context.effects.now())
                    context.effectLog.note("timer.cancel", [EffectField("name", .text(name))], result: .bool(wasPending))
                    return [.boolean(wasPending)]
                }
            },
            .async("timer.get") { call in
                let name = try name(call)
                let context = call.context
                return {
                    guard let timer = try await counted("timer") { try await context.timers() }[name] else { return [.nil] }
                    var table = LuaTable()
                    table["due_at"] = .integer(timer.dueAt)
                    table["set_at"] = .integer(timer.setAt)
                    if let data = timer.data, let document = try? JSONParser.parse(Array(data.utf8), options: .init(maxDepth: 128)) {
                        table["data"] = LuaValue(json: document.root)
                    }
                    return [.table(table)]
                }
            },
        ]
    }
}
