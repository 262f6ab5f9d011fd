#ifndef LSHIM_PATTERN_H
#define LSHIM_PATTERN_H

#include <lua.h>

/* Sets the guarded find, match, gmatch and gsub as fields of the table at index `idx`. */
void lshim_pattern_register(lua_State *L, int idx);
/* Implemented by the host: called every 1024 matcher steps; raises a Lua error when the run must stop. */
void lshim_pattern_budget(lua_State *L);

#endif /* LSHIM_PATTERN_H */
