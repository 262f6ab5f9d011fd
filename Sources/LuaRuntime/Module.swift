// LuaRuntime: Lua 5.4 states for untrusted scripts: host functions (sync or async), limits on time and memory,
// events as lazy tables, the prelude.
//
// Access: public as a whole. A library meant for others, with no Hookline concept in its API: the benchmarks
// (LuaRuntimeBenchmark) and the fuzz targets (lua-json) use it as such.
