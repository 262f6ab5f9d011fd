-- Log every call status change, and raise an info alert when a call is forwarded to a person
-- (key "forwarded:<call id>", so a repeated event does not alert twice).
-- Statuses outside the documented set are logged as warnings, never rejected (events.md (f)#1-2).
-- Timers: "long-call" while the call is ongoing, "report-missing" once it ended (see the constants below).
-- Settings: alert channels (--alert-slack, --alert-webhook, --alert-pagerduty) for the forward alert.
local calls = require("calls")

-- A call ongoing this long raises an info alert (timers/long-call.lua); change it here.
local LONG_CALL_SECONDS = 3600
-- An ended call whose end-of-call-report has not come this long after raises a warning
-- (timers/report-missing.lua; end-of-call-report.lua cancels it).
local REPORT_WAIT_SECONDS = 600

local KNOWN = { initiated = true, queued = true, ongoing = true, finished = true, forwarded = true, failed = true }

local call_id = calls.call_id(event, ctx)
local call = calls.call(event)
local status = calls.text(call.status) or "unknown"
local reason = calls.text(call.phoneCallStatusReason)
local fields = { call_id = call_id, status = status, reason = reason, assistant = calls.assistant_label(event) }

if KNOWN[status] then
  log.info("call " .. call_id .. " status " .. status, fields)
else
  log.warn("call " .. call_id .. " has an unknown status: " .. calls.one_line(status), fields)
end

if status == "forwarded" then
  alert{
    title = "Call " .. call_id .. " was forwarded",
    text = reason or "The assistant transferred the call.",
    severity = "info",
    key = "forwarded:" .. call_id,
    fields = fields,
  }
end

if status == "ongoing" then
  timer.set("long-call", LONG_CALL_SECONDS, { started_at = event.timestamp })
elseif status == "finished" or status == "failed" or status == "forwarded" then
  timer.cancel("long-call")
  -- end-of-call-report.lua marks the call logged: a report that came before this status needs no waiting for
  if status ~= "failed" and not store.get("call-logged:" .. call_id) then
    timer.set("report-missing", REPORT_WAIT_SECONDS, { status = status })
  end
end
