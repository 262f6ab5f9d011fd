-- How late this timer's run started after its due time (Benchmarks/timers.py reads the file).
file.append("late.txt", timer.late_ms .. "\n")
