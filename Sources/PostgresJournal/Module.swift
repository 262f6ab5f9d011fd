// PostgresJournal: The journal for several nodes on one PostgreSQL database (postgres-nio), passing the same
// conformance suite as SQLite.
//
// Access: `package` by default: the product's modules, tests and the `hookline` command are one package.
// Public API: `PostgresJournal`, `PostgresConfiguration` and its parse error.
// Why: the journal benchmark opens both backends (Benchmarks/PostgresJournalBenchmark); those are packages of their
// own and see only `public`. A public type's members stay `package` unless such a package uses them.
// `tools/access-pass.py` redoes this after a merge.
