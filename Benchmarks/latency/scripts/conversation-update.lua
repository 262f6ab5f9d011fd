local last = event.messages[#event.messages]
file.append("transcripts/" .. event.call.id .. ".txt", last.role .. ": " .. last.text .. "\n")
file.append("latency.txt", (time.now() - ctx.received_at) .. "\n")
