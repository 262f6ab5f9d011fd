// Intake: Intake: strict parsing, identification, warnings, redaction, and journaling of each delivery.
//
// Access: `package` by default: the product's modules, tests and the `hookline` command are one package.
// Public API: `Intake` (its checks), `AcceptedEvent`, `EventInspection`, `EventTypes`, `IntakeRejection`.
// Why: intake's checks are what the intake benchmark measures and the intake fuzz target attacks
// (Benchmarks/IntakeBenchmark, Benchmarks/FrontDoorBenchmark, FuzzTargets/intake, FuzzTargets/http); those are
// packages of their own and see only `public`. A public type's members stay `package` unless such a package uses
// them. `tools/access-pass.py` redoes this after a merge.
