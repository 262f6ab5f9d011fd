-- ../shared/bench/RULES.md: one line per hang.
file.append("hangs.log", event.call.id .. " " .. event.timestamp .. "\n")
