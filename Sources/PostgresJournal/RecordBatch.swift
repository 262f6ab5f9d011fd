import JSON
import Journal

/// A batch of `CallRecords` as the JSON that hookline_record (in `Schema`) reads: one array element per call,
/// with its runs and completions. One parameter carries a batch of any shape, and JSON has the nulls
/// (no error, no line) that PostgreSQL's binary arrays in postgres-nio lack.
enum RecordBatch {
    static func json(_ batch: [CallRecords]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256 * batch.count)
        out.append(UInt8(ascii: "["))
        for (index, records) in batch.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += Array(#"{"endpoint":"#.utf8)
            JSONStrings.appendQuoted(records.claim.call.endpoint, to: &out)
            out += Array(#","call":"#.utf8)
            JSONStrings.appendQuoted(records.claim.call.callID, to: &out)
            out += Array(#","token":\#(records.claim.token),"release":\#(records.releaseAt.map(String.init) ?? "null"),"runs":["#.utf8)
            for (index, run) in records.runs.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                append(run, to: &out)
            }
            out += Array(#"],"completions":["#.utf8)
            for (index, completion) in records.completions.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out += Array(#"{"event":\#(completion.eventID.rawValue),"generation":\#(completion.generation),"state":"\#(completion.state.rawValue)","finished":\#(completion.finishedAt)}"#.utf8)
            }
            out += Array(#"],"timers":["#.utf8)
            var first = true
            for run in records.runs where run.outcome == .ok {
                for operation in run.timerOperations {
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    append(operation, of: run.eventID, to: &out)
                }
            }
            out += Array("]}".utf8)
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    /// One run as an object (`event` is the id it was recorded under).
    static func append(_ run: RunRecord, to out: inout [UInt8]) {
        out += Array(#"{"event":\#(run.eventID.rawValue),"generation":\#(run.generation),"script":"#.utf8)
        JSONStrings.appendQuoted(storable(run.script), to: &out)
        out += Array(#","version":"#.utf8)
        JSONStrings.appendQuoted(storable(run.scriptVersion), to: &out)
        out += Array(#","attempt":\#(run.attempt),"started":\#(run.startedAt),"duration":\#(run.durationMicroseconds),"outcome":"\#(run.outcome.rawValue)","kind":"#.utf8)
        appendOptional(run.errorKind, to: &out)
        out += Array(#","error":"#.utf8)
        appendOptional(run.error, to: &out)
        out += Array(#","line":\#(run.errorLine.map(String.init) ?? "null"),"effects":"#.utf8)
        appendOptional(run.effects.isEmpty ? nil : run.effects.json, to: &out)
        out += Array("}".utf8)
    }

    /// One timer operation (applied by hookline_apply_timers); `data` is JSON text, carried as a string.
    static func append(_ operation: TimerOperation, of event: EventID, to out: inout [UInt8]) {
        out += Array(#"{"event":\#(event.rawValue),"name":"#.utf8)
        JSONStrings.appendQuoted(operation.name, to: &out)
        switch operation.kind {
        case .set(let dueAt, let setAt, let data):
            out += Array(#","op":"set","due":\#(dueAt),"set_at":\#(setAt),"data":"#.utf8)
            appendOptional(data, to: &out)
        case .cancel:
            out += Array(#","op":"cancel""#.utf8)
        }
        out.append(UInt8(ascii: "}"))
    }

    private static func appendOptional(_ text: String?, to out: inout [UInt8]) {
        if let text {
            JSONStrings.appendQuoted(storable(text), to: &out)
        } else {
            out += Array("null".utf8)
        }
    }
}
