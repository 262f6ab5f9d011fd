-- The final transcript: the report carries the whole conversation once more (messages possibly without
-- metrics, or none at all), plus the summary and outcome that end the Markdown file. Messages the
-- conversation updates missed are exported to analytics/messages.jsonl now. See lib/transcript.lua.
local calls = require("calls")
local transcript = require("transcript")

local call_id = calls.call_id(event, ctx)
local exported = transcript.update(event, call_id)
log.info("final transcript written", { call_id = call_id, messages = #calls.messages(event), new_messages = exported })
