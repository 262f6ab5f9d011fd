-- Alert when the assistant hangs (no reply 5 s or more after the user spoke), and again when it is still
-- silent 30 s later (the timer "hang-unresolved", see below).
-- One critical alert per call: later hangs of the same call fold into it (key "hang:<call id>",
-- for --alert-window, default 10 minutes). Alerts go to the log and to every channel that is set:
-- --alert-slack, --alert-webhook, --alert-pagerduty.
local calls = require("calls")

local call_id = calls.call_id(event, ctx)
local name, assistant_id = calls.assistant(event)
local last = calls.last_user_message(event)
-- The unanswered question is the most useful thing to see in the alert; cap it, user speech can be long.
local question = last and calls.truncate(calls.one_line(last.text), 300) or "(no user message yet)"

alert{
  title = "Assistant hang on call " .. call_id,
  text = calls.assistant_label(event) .. " did not answer: " .. question,
  severity = "critical",
  key = "hang:" .. call_id,
  fields = {
    call_id = call_id,
    assistant = name,
    assistant_id = assistant_id,
    last_user_message = question,
    messages = tostring(#calls.messages(event)),
  },
}

-- If the assistant is still silent 30 s from now (no conversation update with an assistant message since:
-- conversation-update.lua cancels this), timers/hang-unresolved.lua raises a second, louder alert.
-- Another hang of the same call sets it again, 30 s from the later hang.
timer.set("hang-unresolved", 30, { question = question, assistant = calls.assistant_label(event) })
