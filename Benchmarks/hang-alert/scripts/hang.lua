-- RULES.md's hang line, plus the shipped rule's alert: one per call (the key folds repeats), sent to the
-- Slack-compatible receiver given with --alert-slack (Benchmarks/slack-receiver.py).
file.append("hangs.log", event.call.id .. " " .. event.timestamp .. "\n")
local last = event.messages[#event.messages]
alert{title = "Assistant hang", severity = "critical", key = "hang:" .. event.call.id,
      text = last and last.text or "", fields = {call = event.call.id, assistant = event.assistant and event.assistant.name}}
