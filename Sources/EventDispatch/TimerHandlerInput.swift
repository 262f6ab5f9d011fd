import JSON
import LuaRuntime

/// What a timer's handler (`timers/<name>.lua`) gets instead of an event: built here for the server and for
/// shadow runs (`hookline shadow`), so both show handlers the same `timer` and `ctx`.
///
/// ```swift
/// let timer = document.root["message"]!["timer"]!
/// engine.run(handler, event: .value(TimerHandlerInput.timer(timer, now: startedAt)),
///            ctx: .table(TimerHandlerInput.context(ctx, timer)), context: context)
/// ```
package enum TimerHandlerInput {
    /// A timer handler's `timer`: the fired event's `timer` object (`name`, `data`, `set_at`, `due_at`,
    /// `set_by`) and `late_ms`, how long after its due time this attempt started.
    package static func timer(_ timer: JSONValue, now: Int64) -> LuaValue {
        guard case .table(var table) = LuaValue(json: timer) else { return LuaValue(json: timer) }
        if case .integer(let dueAt) = table["due_at"] { table["late_ms"] = .integer(max(0, now - dueAt)) }
        return .table(table)
    }

    /// A timer handler's `ctx`: the usual fields (its `event_id` is the fired timer's own entry in the journal)
    /// and `set_by`, the id of the event whose run set the timer.
    package static func context(_ ctx: RunContext, _ timer: JSONValue) -> LuaTable {
        var table = ctx.table
        if let setBy = timer["set_by"]?.integer { table["set_by"] = .string(String(setBy)) }
        return table
    }
}
