-- Transcripts while the call runs: Markdown per call (transcripts/<call id>.md) and one JSON line per
-- new message (analytics/messages.jsonl), both safe against repeated and out-of-order updates.
-- See lib/transcript.lua. Settings: none (--out to move the output folder).
local calls = require("calls")
local transcript = require("transcript")

local call_id = calls.call_id(event, ctx)
local exported = transcript.update(event, call_id)
log.info("transcript updated", { call_id = call_id, messages = #calls.messages(event), new_messages = exported })
