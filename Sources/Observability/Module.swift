// Observability: Every metric Hookline exposes at `/metrics` (`Telemetry`).
//
// Access: `package` by default: the product's modules, tests and the `hookline` command are one package.
// Public API: `Telemetry` (its initialiser).
// Why: the pieces these measure and fuzz take one (Benchmarks/HostAPIBenchmark, FuzzTargets/http); those are
// packages of their own and see only `public`. A public type's members stay `package` unless such a package uses
// them. `tools/access-pass.py` redoes this after a merge.
