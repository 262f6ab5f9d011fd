// Journal: Where accepted events, script runs, timers and the scripts' store are kept: the seam protocols
// (`EventLog`, `WorkQueue`, `ScriptStore`, `JournalQueries`, together `Journal`), their records, and SQLite.
//
// Access: `package` by default: the product's modules, tests and the `hookline` command are one package.
// Public API: `SQLiteJournal` and the seam protocols with their requirements; so the records those requirements take
// and return (`NewEvent`, `StoredEvent`, `CallClaim`, `RunRecord`, `PendingTimer`, `EventSummary`, ...) are public
// too: they are the seam's vocabulary.
// Why: the benchmarks drive the journal through `any Journal`, and the HTTP fuzz target appends to a real SQLite
// journal (Benchmarks/HostAPIBenchmark, Benchmarks/PostgresJournalBenchmark, FuzzTargets/http); those are packages
// of their own and see only `public`. A public type's members stay `package` unless such a package uses them.
// `tools/access-pass.py` redoes this after a merge.
