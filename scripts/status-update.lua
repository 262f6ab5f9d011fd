-- Log every call status change, and raise an info alert when a call is forwarded to a person
-- (key "forwarded:<call id>", so a repeated event does not alert twice).
-- Statuses outside the documented set are logged as warnings, never rejected (events.md (f)#1-2).
-- Settings: alert channels (--alert-slack, --alert-webhook, --alert-pagerduty) for the forward alert.
local calls = require("calls")

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
