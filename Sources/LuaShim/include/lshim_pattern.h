#ifndef LSHIM_PATTERN_H
#define LSHIM_PATTERN_H

#include <lua.h>

/* When the matcher starts remembering failed (item, position) pairs: once a search proves costly (what
 * scripts get), from a search's first step, or never. The results are the same all three ways (the oracle
 * tests check each); only the work differs. */
typedef enum { LSHIM_MEMO_WHEN_COSTLY, LSHIM_MEMO_AT_ONCE, LSHIM_MEMO_NEVER } lshim_memo_policy;

/* Sets find, match, gmatch and gsub (Hookline's own matcher, see pattern_program.h) as fields of the table
 * at index `idx`. */
void lshim_pattern_register(lua_State *L, int idx, lshim_memo_policy memo);
/* Implemented by the host: called every 1024 matcher steps; raises a Lua error when the run must stop. */
void lshim_pattern_budget(lua_State *L);

#endif /* LSHIM_PATTERN_H */
