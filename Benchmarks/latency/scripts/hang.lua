-- RULES.md's hang rule, plus the time from receipt to this write (for Benchmarks/latency.py).
file.append("hangs.log", event.call.id .. " " .. event.timestamp .. "\n")
file.append("latency.txt", (time.now() - ctx.received_at) .. "\n")
