-- The call has been ongoing since status-update.lua set this timer (LONG_CALL_SECONDS there) and has not
-- finished: an info alert, in case a caller or the assistant is stuck in a loop.
local call_id = ctx.call_id
local minutes = math.floor((timer.due_at - timer.set_at) / 60000)

alert{
  title = "Call " .. call_id .. " has been ongoing for " .. minutes .. " minutes",
  text = "Still ongoing: no finished status yet.",
  severity = "info",
  key = "long-call:" .. call_id,
  fields = { call_id = call_id },
}
