-- Keep a clean Markdown transcript per call in transcripts/<call id>.md (under the output folder).
-- Every update carries the whole history so far, so the file is rebuilt from the longest update seen:
-- a late or repeated shorter update is ignored. The message count per call is kept in the store
-- ("transcript:<call id>", for a day). An update whose last message is the assistant's cancels the
-- "hang-unresolved" timer that hang.lua sets. Runs for the same call and script never overlap, so the
-- read-compare-write below is safe. Settings: none (--out to move the output folder).
local calls = require("calls")

local call_id = calls.call_id(event, ctx)
local messages = calls.messages(event)
local key = "transcript:" .. call_id

-- The assistant spoke after the user: a hang it recovered from needs no second alert (hang.lua's timer).
local last = calls.table(messages[#messages])
if last and last.role == "assistant" then
  timer.cancel("hang-unresolved")
  timer.cancel("hang-still-silent")
end

local seen = store.get(key)
if calls.number(seen) and #messages < seen then
  return  -- arrived out of order: the file already holds a longer history
end

local lines = { "# Call " .. call_id, "" }
local name = calls.assistant(event)
if name then lines[#lines + 1] = "Assistant: " .. calls.one_line(name) .. "\n" end
for _, line in ipairs(calls.transcript_lines(messages)) do lines[#lines + 1] = line end

file.write("transcripts/" .. call_id .. ".md", table.concat(lines, "\n"))
store.set(key, #messages, { ttl = 24 * 3600 })
