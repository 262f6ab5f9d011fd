// ScriptTools: Scripts outside the server: recorded or mocked effects, the script test harness, shadow runs, run
// traces.
//
// Access: everything here is `package`. Its users are the product's other modules, its tests and the `hookline`
// command, which are one package; the packages beside it (Benchmarks/, FuzzTargets/) do not use this module.
