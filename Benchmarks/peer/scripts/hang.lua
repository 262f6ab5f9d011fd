-- $BENCH/RULES.md (the peer harness): one line per hang.
file.append("hangs.log", event.call.id .. " " .. event.timestamp .. "\n")
