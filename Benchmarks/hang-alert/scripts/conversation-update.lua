-- $BENCH/RULES.md (the peer harness): the newest message of each update, appended to the call's transcript.
local last = event.messages[#event.messages]
file.append("transcripts/" .. event.call.id .. ".txt", last.role .. ": " .. last.text .. "\n")
