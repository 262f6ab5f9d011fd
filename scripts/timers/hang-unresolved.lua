-- The assistant hung (hang.lua set this timer) and no assistant message came in the 30 s since
-- (conversation-update.lua would have cancelled it): a critical alert, its own key so that it is not
-- folded into the first hang alert. `timer.data` is what hang.lua passed to timer.set.
local data = timer.data or {}
local call_id = ctx.call_id

alert{
  title = "Assistant still silent on call " .. call_id,
  text = "Assistant still silent 30 s after a hang (" .. (data.assistant or "unknown assistant") .. "). "
    .. "Unanswered: " .. (data.question or "(no user message yet)"),
  severity = "critical",
  key = "hang-unresolved:" .. call_id,
  fields = { call_id = call_id, late_ms = tostring(timer.late_ms), hang_event = ctx.set_by },
}

-- Ask again in a minute; conversation-update.lua cancels this one too when the assistant speaks.
timer.set("hang-still-silent", 60, data)
