-- $BENCH/RULES.md (the peer harness): the call's summary, replacing any earlier one.
file.write("summaries/" .. event.call.id .. ".txt", event.analysis.summary .. "\n")
