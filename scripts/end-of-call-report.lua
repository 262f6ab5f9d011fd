-- Append one JSON line per finished call to calls.jsonl (under the output folder): duration, cost,
-- the post-call analysis (summary, success evaluation, outcome, structured data) and message count.
-- Every key is always written (null when unknown) so the file loads as a table with stable columns.
-- A repeated report for the same call is skipped (store key "call-logged:<call id>", 7 days).
-- Settings: none (--out to move the output folder).
local calls = require("calls")

local call_id = calls.call_id(event, ctx)
-- The report came: status-update.lua's "report-missing" timer has nothing to say, and the call is over.
timer.cancel("report-missing")
timer.cancel("long-call")
local logged_key = "call-logged:" .. call_id
if store.get(logged_key) then
  log.info("end-of-call report already recorded", { call_id = call_id })
  return
end

local call = calls.call(event)
local cost = calls.table(call.cost) or {}
-- Read message.analysis: call.analysis still has empty summary fields in real reports (events.md (f)#9).
local analysis = calls.table(event.analysis) or {}
local name, assistant_id = calls.assistant(event)

-- Without endAt, the report's own timestamp is the best guess at when the call ended.
local ended_at_fallback = math.type(event.timestamp) == "integer" and time.iso(event.timestamp) or nil

local function value(v)
  if v == nil then return json.null end
  return v
end

local record = {
  call_id = call_id,
  assistant = value(name),
  assistant_id = value(assistant_id),
  started_at = value(calls.text(call.startAt)),
  ended_at = value(calls.text(call.endAt) or ended_at_fallback),
  ended_by = value(calls.text(call.callEndTriggerBy)),
  duration_ms = value(calls.number(call.assistantCallDuration)),
  duration_s = value(calls.number(cost.callDuration)),
  cost = value(calls.number(cost.totalCost)),
  summary = value(calls.text(analysis.summary)),
  success_evaluation = value(calls.text(analysis.successEvaluation)),
  outcome = value(calls.text(analysis.outcome)),
  structured_data = value(calls.table(analysis.structuredData)),
  message_count = #calls.messages(event),
}

file.append("calls.jsonl", json.encode(record) .. "\n")
store.set(logged_key, true, { ttl = 7 * 24 * 3600 })
