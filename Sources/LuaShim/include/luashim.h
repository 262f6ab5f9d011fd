/*
 * The C side of Hookline's Lua runtime.
 *
 * Everything that may raise a Lua error (longjmp) or yield lives here, so that no Swift frame is ever
 * jumped over: the host-function trampoline, the deadline hook and watchdog, the accounting allocator,
 * the sandbox builders, and inline wrappers for the Lua API macros that Swift cannot import.
 */
#ifndef HOOKLINE_LUASHIM_H
#define HOOKLINE_LUASHIM_H

#include <stddef.h>
#include <stdint.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include "lshim_pattern.h"

/* ---------------------------------------------------------------- state, limits and watchdog */

/* Why a run stopped, when the runtime stopped it. */
enum { LSHIM_STOP_NONE = 0, LSHIM_STOP_DEADLINE = 1 };

/* A new state with the accounting allocator. `memory_limit` is in bytes; it is enforced only while Lua
 * code runs (inside lshim_resume), so that host-side pushes never fail. NULL when out of memory. */
lua_State *lshim_newstate(size_t memory_limit);
/* Closes the state, unregisters it from the watchdog and frees the bookkeeping. */
void lshim_close(lua_State *L);

/* Bytes currently allocated by the state, and its limit. */
size_t lshim_memory_used(lua_State *L);
size_t lshim_memory_limit(lua_State *L);
/* Whether the allocator refused a request since the last lshim_resume started. */
int lshim_memory_refused(lua_State *L);

/* Names the calling thread (at most 15 characters), so that tools like top -H show what it is. */
void lshim_name_thread(const char *name);

/* Monotonic clock in nanoseconds (the clock deadlines use). */
int64_t lshim_now_ns(void);

/* Resumes `co` with the memory limit enforced and `deadline_ns` watched: past it, the watchdog arms a
 * hook that stops whatever Lua code the state is running (by yielding out of the run, or raising the
 * deadline sentinel where Lua cannot yield). */
int lshim_resume(lua_State *co, lua_State *from, int nargs, int *nresults, int64_t deadline_ns);

/* Whether the deadline of the last resume passed (then a yield without host work means "stopped"). */
int lshim_deadline_expired(lua_State *L);
/* The light userdata raised when the deadline passes where Lua cannot yield (compare with lua_touserdata). */
void *lshim_deadline_sentinel(void);
/* The marker a host call yields with; the runtime resumes with (true, results...) or (false, message). */
void *lshim_hostmark(void);

/* Where the innermost Lua function of `co` is (for error reports): its line (or -1) and short source. */
int lshim_where(lua_State *co, char *source, size_t source_size);
/* Where the deadline hook stopped the last run: line (or -1) and short source. */
int lshim_deadline_where(lua_State *L, char *source, size_t source_size);

/* Pushes onto L a message for the error object on top of `co`, calling a __tostring metamethod under the
 * limits (a broken or endless __tostring gives a fixed message). Never raises. */
void lshim_push_error_message(lua_State *L, lua_State *co, int64_t deadline_ns);
/* Pushes onto L a traceback of `co` (level 0 = innermost). Never raises. */
void lshim_push_traceback(lua_State *L, lua_State *co);

/* Full garbage collection (lua_gc is variadic). Returns the bytes in use afterwards. */
size_t lshim_gc_collect(lua_State *L);
/* Switches the collector to generational (1) or incremental (0) mode. */
void lshim_gc_mode(lua_State *L, int generational);

/* ---------------------------------------------------------------- host functions */

/* Swift's single dispatcher: runs the host function boxed in `box` on the arguments in L's stack.
 * Returns n >= 0 (n results on top), LSHIM_RAISE (message on top, raised by the trampoline), or
 * LSHIM_YIELD (the call's async work was handed to the runtime; the trampoline yields the host mark). */
typedef int (*lshim_dispatch_fn)(lua_State *L, void *box);
/* Releases a box when Lua collects the function holding it (lua_close finalises all of them). */
typedef void (*lshim_release_fn)(void *box);
enum { LSHIM_RAISE = -1, LSHIM_YIELD = -2 };

void lshim_set_host_callbacks(lshim_dispatch_fn dispatch, lshim_release_fn release);
/* Pushes a Lua function that calls `box` (already retained; released by __gc). `name` is how errors
 * name it; `yields` marks functions that suspend the caller, refused where Lua cannot yield. */
void lshim_push_host_function(lua_State *L, void *box, const char *name, int yields);

/* ---------------------------------------------------------------- sandbox */

/* Builds the sandbox globals from an allowlist and pushes them, then a table of private helpers for the
 * runtime's prelude (raw_resume, load_module, call_module, freeze, hostmark, yield, create, isyieldable).
 * The globals are only reachable through the protected metatable of the run environments. */
void lshim_open_sandbox(lua_State *L);
/* Replaces every table in the globals at `idx` by a read-only proxy (`rawset` refuses them too), so that
 * no run can change what the next one sees. */
void lshim_seal_sandbox(lua_State *L, int idx);
/* Pushes a new run environment: an empty table whose lookups fall back to the sandbox globals, with
 * `_G` naming the environment itself. Requires lshim_open_sandbox. */
void lshim_push_environment(lua_State *L);
/* Replaces the table at `idx` by a read-only proxy of it (left at the same index). */
void lshim_freeze(lua_State *L, int idx);
/* Compiles a text chunk (binary chunks are refused). Returns LUA_OK and the function, or an error code
 * and the message. Does not raise. */
int lshim_load_text(lua_State *L, const char *source, size_t length, const char *chunkname);

/* ---------------------------------------------------------------- JSON documents (lazyjson.c) */

/* Pushes the value at tape index `index` of a parsed JSON document (`tape`: `entry_count` entries laid out
 * as JSON.TapeEntry, 16 bytes each). Objects and arrays are built on first touch, from a copy of the
 * document the tables keep alive. Call where the allocator is relaxed (host side). */
void lshim_push_json(lua_State *L, const uint8_t *bytes, size_t byte_count, const void *tape, size_t entry_count,
                     size_t index);
/* Builds a table pushed by lshim_push_json that was not touched yet; returns 1 if it did, 0 for every
 * other value. Whoever reads a table raw (lua_next, lua_rawget, lua_rawlen, its metatable) calls it first. */
int lshim_lazy_fill(lua_State *L, int idx);
/* Pushes the metatable that marks tables as JSON arrays (one per state, created on first use). */
void lshim_push_array_marker(lua_State *L);

/* ---------------------------------------------------------------- macro and index wrappers */

static inline int lshim_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline int lshim_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline void lshim_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void lshim_newtable(lua_State *L) { lua_newtable(L); }
static inline const char *lshim_tolstring(lua_State *L, int i, size_t *len) { return lua_tolstring(L, i, len); }
static inline lua_Number lshim_tonumber(lua_State *L, int i) { return lua_tonumber(L, i); }
static inline lua_Integer lshim_tointeger(lua_State *L, int i) { return lua_tointeger(L, i); }
static inline int lshim_isinteger(lua_State *L, int i) { return lua_isinteger(L, i); }
static inline void lshim_insert(lua_State *L, int i) { lua_insert(L, i); }
static inline void lshim_remove(lua_State *L, int i) { lua_remove(L, i); }
static inline void lshim_replace(lua_State *L, int i) { lua_replace(L, i); }
static inline int lshim_pushglobaltable(lua_State *L) { return lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS); }
static inline int lshim_ref(lua_State *L) { return luaL_ref(L, LUA_REGISTRYINDEX); }
static inline void lshim_unref(lua_State *L, int ref) { luaL_unref(L, LUA_REGISTRYINDEX, ref); }
static inline int lshim_getref(lua_State *L, int ref) { return lua_rawgeti(L, LUA_REGISTRYINDEX, ref); }

#endif
