-- Alert on provider errors during a call (event.error): LLM and STT failures, and any other type.
-- Severity: critical when the provider call cannot be retried (the caller is likely stuck), warning
-- when it can; unknown error types are always a warning. One alert per call and error code
-- (key "error:<call id>:<code>") within --alert-window. Channels: --alert-slack, --alert-webhook,
-- --alert-pagerduty.
local calls = require("calls")

local call_id = calls.call_id(event, ctx)
local err = calls.table(event.error) or {}
local kind = calls.text(err.type) or "unknown_error"
local code = calls.text(err.code) or "unknown"
local provider = calls.text(err.provider) or "unknown provider"

local KINDS = { llm_error = "LLM error", stt_error = "STT error" }
local retryable = err.retryable  -- a boolean per the contract; anything else counts as "unknown"
local severity = "warning"
if KINDS[kind] and retryable ~= true then severity = "critical" end

local message = calls.truncate(calls.one_line(calls.text(err.message) or "(no message)"), 300)

alert{
  title = string.format("%s on call %s: %s (%s)", KINDS[kind] or kind, call_id, code, provider),
  text = message,
  severity = severity,
  key = "error:" .. call_id .. ":" .. code,
  fields = {
    call_id = call_id,
    type = kind,
    provider = provider,
    code = code,
    message = message,
    retryable = type(retryable) == "boolean" and tostring(retryable) or "unknown",
    assistant = calls.assistant_label(event),
  },
}
