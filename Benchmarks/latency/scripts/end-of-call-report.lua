file.write("summaries/" .. event.call.id .. ".txt", event.analysis.summary .. "\n")
file.append("latency.txt", (time.now() - ctx.received_at) .. "\n")
