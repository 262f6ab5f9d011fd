// HostAPI: The host functions scripts call (http, file, alert, store, log, env, time, timer, crypto, base64), each
// doing its side effects through one `Effects` implementation.
//
// Access: `package` by default: the product's modules, tests and the `hookline` command are one package.
// Public API: `LiveEffects` and what it is made of (`LiveSettings`, `HTTPClients`, `FileJail`, `Alerter`,
// `AlertChannels`, `AlertFolding`), `HostLibrary`, `ScriptContext`, `TimerLimits`, and `Effects` with the values it
// takes.
// Why: the host API benchmark runs scripts' host calls against the live effects (Benchmarks/HostAPIBenchmark); those
// are packages of their own and see only `public`. A public type's members stay `package` unless such a package uses
// them. `tools/access-pass.py` redoes this after a merge.
