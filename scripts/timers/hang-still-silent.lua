-- Still no assistant message a minute after the "hang-unresolved" alert: one last critical alert (no
-- further reminder).
alert{
  title = "Assistant still silent on call " .. ctx.call_id,
  text = "Still no answer 90 s after a hang. Unanswered: " .. ((timer.data or {}).question or "(no user message yet)"),
  severity = "critical",
  key = "hang-still-silent:" .. ctx.call_id,
  fields = { call_id = ctx.call_id, late_ms = tostring(timer.late_ms) },
}
