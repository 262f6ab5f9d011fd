-- Prototype: one spreadsheet row per finished call, posted to a Google-Sheets-style webhook such as an
-- Apps Script web app (see ../README.md). The row is flat: call id, summary, success evaluation,
-- outcome, then every key of the structured data; values are strings or numbers, nested values JSON.
-- Settings: --allow-env SHEETS_WEBHOOK_URL. Without it the script does nothing (logs a warning).
local calls = require("calls")

local call_id = calls.call_id(event, ctx)
local url = env("SHEETS_WEBHOOK_URL")
if not url or url == "" then
  log.warn("sheets: SHEETS_WEBHOOK_URL is not set; allow it with --allow-env SHEETS_WEBHOOK_URL", { call_id = call_id })
  return
end

-- A cell value: numbers and strings as they are, booleans as "true"/"false", null as "", tables as JSON.
local function cell(v)
  if v == nil or v == json.null then return "" end
  if type(v) == "number" or type(v) == "string" then return v end
  if type(v) == "table" then return json.encode(v) end
  return tostring(v)
end

local call = calls.call(event)
local analysis = calls.table(event.analysis) or {}
local row = {
  call_id = call_id,
  ended_at = cell(calls.text(call.endAt)),
  summary = cell(analysis.summary),
  success_evaluation = cell(analysis.successEvaluation),
  outcome = cell(analysis.outcome),
}
local columns = 5
for name, value in pairs(calls.table(analysis.structuredData) or {}) do
  columns = columns + 1
  local column = tostring(name)
  if row[column] ~= nil then column = "data." .. column end  -- never overwrite the fixed columns
  row[column] = cell(value)
end

-- Apps Script answers a POST with a redirect to the result page: follow it.
local ok, res = pcall(http.post, url, row, { timeout = 4, follow_redirects = true })
if not ok then error("sheets: request failed, will retry: " .. tostring(res), 0) end
if res.status >= 500 then error("sheets: the webhook answered " .. res.status .. ", will retry", 0) end
if res.status >= 300 then
  log.error("sheets: the webhook refused the row with " .. res.status,
    { call_id = call_id, response = calls.truncate(calls.one_line(res.body or ""), 300) })
  return
end
log.info("sheets: row added", { call_id = call_id, columns = columns })
