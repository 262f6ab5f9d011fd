// EventDispatch: Dispatch: journaled events through the scripts of their type, in order per call and script, on a
// pool of Lua states, with retries, dead letters, timers, crash recovery and hot reload.
//
// Access: everything here is `package`. Its users are the product's other modules, its tests and the `hookline`
// command, which are one package; the packages beside it (Benchmarks/, FuzzTargets/) do not use this module.
