-- Push each finished call to a CRM's REST API (POST JSON, bearer token).
-- Settings: --allow-env CRM_API_KEY (required) and optionally CRM_URL (default
-- https://crm.example.com/api/calls): --allow-env CRM_API_KEY,CRM_URL. With --http-allow set, add the
-- CRM's host to it.
-- Failures: a transport error, a 5xx, 408 or 429 raises, so Hookline runs the script again with backoff
-- (--retries, --retry-backoff). Any other 4xx is logged and dropped: the same request would fail again.
-- 409 means the CRM already has this call (an earlier attempt got through): success.
local calls = require("calls")

local call_id = calls.call_id(event, ctx)
local key = env("CRM_API_KEY")
if not key or key == "" then
  log.error("crm-push: CRM_API_KEY is not set; allow it with --allow-env CRM_API_KEY", { call_id = call_id })
  return
end
local url = env("CRM_URL") or "https://crm.example.com/api/calls"

local call = calls.call(event)
local cost = calls.table(call.cost) or {}
local analysis = calls.table(event.analysis) or {}
local metadata = calls.table(call.metadata) or {}
local customer = calls.table(event.customer) or {}
local name, assistant_id = calls.assistant(event)

-- nil fields are simply left out of the JSON.
local payload = {
  call_id = call_id,
  external_ref = calls.text(metadata.crmPatientRef),  -- set by the caller when the call was started
  customer_number = calls.text(customer.number) or calls.text(call.userNumber),
  direction = calls.text(call.direction),
  assistant = name,
  assistant_id = assistant_id,
  started_at = calls.text(call.startAt),
  ended_at = calls.text(call.endAt),
  duration_seconds = calls.number(cost.callDuration)
    or (calls.number(call.assistantCallDuration) and call.assistantCallDuration / 1000),
  cost = calls.number(cost.totalCost),
  summary = calls.text(analysis.summary),
  success_evaluation = calls.text(analysis.successEvaluation),
  outcome = calls.text(analysis.outcome),
  data = calls.table(analysis.structuredData),
}

local ok, res = pcall(http.post, url, payload, {
  headers = { Authorization = "Bearer " .. key, ["Idempotency-Key"] = call_id },
  timeout = 4,  -- the whole run has 5 s
})
if not ok then
  error("crm-push: request failed, will retry (attempt " .. ctx.attempt .. "): " .. tostring(res), 0)
end

local status = res.status
local fields = { call_id = call_id, status = status, attempt = ctx.attempt }
if (status >= 200 and status < 300) or status == 409 then
  log.info(status == 409 and "crm-push: the CRM already has this call" or "crm-push: call pushed to the CRM", fields)
elseif status >= 500 or status == 408 or status == 429 then
  error("crm-push: the CRM answered " .. status .. ", will retry (attempt " .. ctx.attempt .. ")", 0)
else
  fields.response = calls.truncate(calls.one_line(res.body or ""), 300)
  log.error("crm-push: the CRM refused the call with " .. status .. "; not retrying", fields)
end
