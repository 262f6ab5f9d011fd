import Journal
import LuaRuntime

/// What a run knows beyond the payload, as the script's `ctx` table: built here for the server and for the
/// script workbench (`hookline run`, `hookline test`), so both show scripts the same fields.
///
/// ```swift
/// let ctx = RunContext(eventID: "42", endpoint: "default", type: "hang", callID: "CA1", receivedAt: now,
///                      attempt: 1, script: "hang.lua", warnings: [])
/// engine.run(script, event: .json(message), ctx: .table(ctx.table), context: context)
/// ```
package struct RunContext: Sendable {
    package var eventID: String
    package var endpoint: String
    package var type: String
    package var callID: String
    /// Epoch milliseconds.
    package var receivedAt: Int64
    /// 1 on the first run, 2 on the first retry...
    package var attempt: Int
    package var script: String
    package var warnings: [String]

    package init(eventID: String, endpoint: String, type: String, callID: String, receivedAt: Int64, attempt: Int,
                script: String, warnings: [String]) {
        self.eventID = eventID
        self.endpoint = endpoint
        self.type = type
        self.callID = callID
        self.receivedAt = receivedAt
        self.attempt = attempt
        self.script = script
        self.warnings = warnings
    }

    init(_ event: PendingEvent, attempt: Int, script: String) {
        self.init(eventID: event.id.description, endpoint: event.endpoint, type: event.type, callID: event.callID,
                  receivedAt: event.receivedAt, attempt: attempt, script: script, warnings: event.warnings)
    }

    package var table: LuaTable {
        LuaTable(fields: [
            "event_id": .string(eventID), "endpoint": .string(endpoint), "type": .string(type), "call_id": .string(callID),
            "received_at": .integer(receivedAt), "attempt": .integer(Int64(attempt)), "script": .string(script),
            "warnings": .table(LuaTable(array: warnings.map(LuaValue.string), isArray: true)),
        ])
    }
}
