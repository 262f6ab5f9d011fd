// Basics: The small rules every module shares, each in one place: the identifier alphabet, epoch milliseconds and
// the wall clock (`WallClock`), `Duration` conversions, hex, ISO-8601.
//
// Access: `package` by default: the product's modules, tests and the `hookline` command are one package.
// Public API: `WallClock` and `SystemClock`.
// Why: public initialisers that the benchmarks and fuzz targets call take a clock with this default (the default
// argument `clock: any WallClock = SystemClock()` of public initialisers in Intake and HostAPI); those are packages
// of their own and see only `public`. A public type's members stay `package` unless such a package uses them.
// `tools/access-pass.py` redoes this after a merge.
