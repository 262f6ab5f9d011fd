// hookline: The command line: a thin shell over the modules.
//
// Access: everything here is `package`. Its users are the product's other modules, its tests and the `hookline`
// command, which are one package; the packages beside it (Benchmarks/, FuzzTargets/) do not use this module.
