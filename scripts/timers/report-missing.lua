-- The call ended (status-update.lua set this timer) and its end-of-call-report has not come since
-- (end-of-call-report.lua would have cancelled it): the report, its summary and cost are missing.
local call_id = ctx.call_id
local waited = math.floor((timer.due_at - timer.set_at) / 60000)

alert{
  title = "No end-of-call report for call " .. call_id,
  text = "The call ended (" .. tostring((timer.data or {}).status) .. ") " .. waited
    .. " minutes ago and its end-of-call-report never arrived. Check the assistant's server URL settings.",
  severity = "warning",
  key = "report-missing:" .. call_id,
  fields = { call_id = call_id },
}
