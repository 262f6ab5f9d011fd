-- ../shared/bench/RULES.md: the call's summary, replacing any earlier one.
file.write("summaries/" .. event.call.id .. ".txt", event.analysis.summary .. "\n")
