// JSON: Strict JSON: one parser (a flat tape) for intake's validation and for decoding onto the Lua stack.
//
// Access: public as a whole. A library meant for others, with no Hookline concept in its API: the fuzz targets
// (FuzzTargets/json, lua-json) and the benchmarks use it as such.
