-- Benchmarks/timers.py's timer load: each status-update sets one timer for its call, DELAY seconds out
-- (the call id carries nothing else; the harness's own payloads run the RULES.md scripts beside these).
timer.set("bench", 2)
