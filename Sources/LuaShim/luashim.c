/*
 * The C side of Hookline's Lua runtime; see include/luashim.h for the contract of each function.
 */
#define _GNU_SOURCE
#include "luashim.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ================================================================ state bookkeeping */

typedef struct lshim_state {
    /* memory: the cap is enforced only while `relaxed` is 0, i.e. while Lua code runs */
    size_t used;
    size_t limit;
    int relaxed;
    int refused;
    /* deadline: `lock` guards active/os_thread/deadline_ns against the watchdog thread */
    pthread_mutex_t lock;
    int active;                /* a resume is in progress */
    pthread_t os_thread;       /* the thread running it */
    int64_t deadline_ns;       /* its deadline; 0 = none */
    atomic_int expired;        /* the watchdog saw the deadline pass during this resume */
    int deadline_line;
    char deadline_source[LUA_IDSIZE];
    struct lshim_state *prev, *next;  /* watchdog list */
} lshim_state;

/* The innermost Lua thread executing on this OS thread: what the watchdog's signal interrupts. */
static _Thread_local lua_State *running_here = NULL;

static lshim_state *state_of(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (lshim_state *)ud;
}

void lshim_name_thread(const char *name) {
    pthread_setname_np(pthread_self(), name);
}

int64_t lshim_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ================================================================ allocator */

static void *accounting_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    lshim_state *S = (lshim_state *)ud;
    size_t old = ptr ? osize : 0;  /* when ptr is NULL, osize is a type tag, not a size */
    if (nsize == 0) {
        free(ptr);
        S->used -= old;
        return NULL;
    }
    if (nsize > old && !S->relaxed && S->used - old + nsize > S->limit) {
        S->refused = 1;
        return NULL;  /* Lua collects garbage and retries, then raises a memory error */
    }
    void *p = realloc(ptr, nsize);
    if (p == NULL) return NULL;
    S->used = S->used - old + nsize;
    return p;
}

size_t lshim_memory_used(lua_State *L) { return state_of(L)->used; }
size_t lshim_memory_limit(lua_State *L) { return state_of(L)->limit; }
int lshim_memory_refused(lua_State *L) { return state_of(L)->refused; }

/* ================================================================ watchdog */

static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static lshim_state *watch_head = NULL;
static pthread_once_t watch_once = PTHREAD_ONCE_INIT;
static char deadline_sentinel_storage;
static char hostmark_storage;

void *lshim_deadline_sentinel(void) { return &deadline_sentinel_storage; }
void *lshim_hostmark(void) { return &hostmark_storage; }

/* Remembers the first script line the deadline stopped (later stops of the same resume unwind outer
 * frames, the runtime's own prelude among them). */
static void record_where(lshim_state *S, lua_State *L, lua_Debug *ar) {
    if (S->deadline_line != 0) return;
    S->deadline_line = -1;
    S->deadline_source[0] = '\0';
    if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0) {
        S->deadline_line = ar->currentline;
        strncpy(S->deadline_source, ar->short_src, sizeof S->deadline_source - 1);
        S->deadline_source[sizeof S->deadline_source - 1] = '\0';
    }
}

static void deadline_hook(lua_State *L, lua_Debug *ar);

static void raise_deadline(lua_State *L) {
    lua_pushlightuserdata(L, &deadline_sentinel_storage);
    lua_error(L);
}

/* Stops the running thread at its deadline. Where it can, it yields out of the run (nothing in the script,
 * no pcall and no message handler, gets control again; the runtime abandons the coroutine); where Lua
 * cannot yield (inside a C call), it raises the sentinel, and keeps raising at every instruction. */
static void stop_at_deadline(lshim_state *S, lua_State *L, lua_Debug *ar) {
    record_where(S, L, ar);
    lua_sethook(L, deadline_hook, LUA_MASKCOUNT, 1);
    if (lua_isyieldable(L)) {
        lua_yield(L, 0);
        return;
    }
    raise_deadline(L);
}

/* Armed by the watchdog (through its signal) on the running thread once the deadline has passed. */
static void deadline_hook(lua_State *L, lua_Debug *ar) {
    lshim_state *S = state_of(L);
    if (!atomic_load(&S->expired)) {  /* armed for a run that has since ended */
        lua_sethook(L, NULL, 0, 0);
        return;
    }
    stop_at_deadline(S, L, ar);
}

/* Called from the pattern matcher every 1024 steps: C-level matching cannot be hooked, so it asks. */
void lshim_pattern_budget(lua_State *L) {
    lshim_state *S = state_of(L);
    if (atomic_load(&S->expired)) {
        lua_Debug ar;
        if (!lua_getstack(L, 1, &ar)) lua_getstack(L, 0, &ar);
        stop_at_deadline(S, L, &ar);  /* a yield from here abandons the matcher's C frames, as an error would */
    }
}

int lshim_deadline_expired(lua_State *L) { return atomic_load(&state_of(L)->expired); }

/* The watchdog never touches a Lua state from its own thread: it signals the thread running the late
 * resume, and the handler arms the hook there, which Lua supports ("settraps ... can be called during a
 * signal", ldebug.c). */
#define WATCH_SIGNAL SIGURG  /* ignored by default; unused by the Swift runtime and SwiftNIO */

static void watch_signal_handler(int sig) {
    (void)sig;
    lua_State *thread = running_here;
    if (thread != NULL && atomic_load(&state_of(thread)->expired))
        lua_sethook(thread, deadline_hook, LUA_MASKCOUNT, 1);
}

static void *watchdog_main(void *unused) {
    (void)unused;
    const struct timespec tick = {0, 5 * 1000000L};  /* deadlines are honoured within about 5 ms */
    for (;;) {
        nanosleep(&tick, NULL);
        int64_t now = lshim_now_ns();
        pthread_mutex_lock(&watch_lock);
        for (lshim_state *S = watch_head; S != NULL; S = S->next) {
            pthread_mutex_lock(&S->lock);
            if (S->active && S->deadline_ns != 0 && now >= S->deadline_ns) {
                atomic_store(&S->expired, 1);
                pthread_kill(S->os_thread, WATCH_SIGNAL);  /* alive: it cannot leave the resume while we hold the lock */
            }
            pthread_mutex_unlock(&S->lock);
        }
        pthread_mutex_unlock(&watch_lock);
    }
    return NULL;
}

static void start_watchdog(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = watch_signal_handler;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(WATCH_SIGNAL, &action, NULL);
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_create(&thread, &attr, watchdog_main, NULL);
    pthread_attr_destroy(&attr);
}

/* Makes `thread` the one the watchdog interrupts on this OS thread; returns the previous one. */
static lua_State *set_running(lshim_state *S, lua_State *thread) {
    lua_State *previous = running_here;
    running_here = thread;
    if (thread != NULL && atomic_load(&S->expired)) lua_sethook(thread, deadline_hook, LUA_MASKCOUNT, 1);
    return previous;
}

/* Executor threads (libdispatch workers) start with signals blocked; unblock ours once per thread. */
static void accept_watch_signal(void) {
    static _Thread_local int accepted = 0;
    if (accepted) return;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, WATCH_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    accepted = 1;
}

int lshim_resume(lua_State *co, lua_State *from, int nargs, int *nresults, int64_t deadline_ns) {
    lshim_state *S = state_of(co);
    accept_watch_signal();
    lua_sethook(co, NULL, 0, 0);  /* a hook left from an earlier expiry must not fire now */
    atomic_store(&S->expired, 0);
    lua_State *outer = set_running(S, co);
    pthread_mutex_lock(&S->lock);
    S->active = 1;
    S->os_thread = pthread_self();
    S->deadline_ns = deadline_ns;
    pthread_mutex_unlock(&S->lock);
    S->refused = 0;
    S->deadline_line = 0;
    S->relaxed = 0;
    int status = lua_resume(co, from, nargs, nresults);
    S->relaxed = 1;
    pthread_mutex_lock(&S->lock);
    S->active = 0;
    S->deadline_ns = 0;
    pthread_mutex_unlock(&S->lock);
    set_running(S, outer);
    return status;
}

/* ================================================================ states */

lua_State *lshim_newstate(size_t memory_limit) {
    pthread_once(&watch_once, start_watchdog);
    lshim_state *S = calloc(1, sizeof *S);
    if (S == NULL) return NULL;
    S->limit = memory_limit;
    S->relaxed = 1;
    pthread_mutex_init(&S->lock, NULL);
    atomic_init(&S->expired, 0);
    lua_State *L = lua_newstate(accounting_alloc, S);
    if (L == NULL) {
        pthread_mutex_destroy(&S->lock);
        free(S);
        return NULL;
    }
    lua_setwarnf(L, NULL, NULL);  /* warnings go nowhere; scripts log through host functions */
    pthread_mutex_lock(&watch_lock);
    S->next = watch_head;
    if (watch_head) watch_head->prev = S;
    watch_head = S;
    pthread_mutex_unlock(&watch_lock);
    return L;
}

void lshim_close(lua_State *L) {
    lshim_state *S = state_of(L);
    pthread_mutex_lock(&watch_lock);
    if (S->prev) S->prev->next = S->next; else watch_head = S->next;
    if (S->next) S->next->prev = S->prev;
    pthread_mutex_unlock(&watch_lock);
    S->relaxed = 1;
    lua_close(L);
    pthread_mutex_destroy(&S->lock);
    free(S);
}

size_t lshim_gc_collect(lua_State *L) {
    lua_gc(L, LUA_GCCOLLECT);
    return state_of(L)->used;
}

void lshim_gc_mode(lua_State *L, int generational) {
    if (generational) lua_gc(L, LUA_GCGEN, 0, 0);
    else lua_gc(L, LUA_GCINC, 0, 0, 0);
}

/* ================================================================ error reports */

static void copy_source(char *dst, size_t size, const char *src) {
    if (size == 0) return;
    strncpy(dst, src, size - 1);
    dst[size - 1] = '\0';
}

int lshim_where(lua_State *co, char *source, size_t source_size) {
    lua_Debug ar;
    for (int level = 0; lua_getstack(co, level, &ar); level++) {
        if (lua_getinfo(co, "Sl", &ar) && ar.currentline > 0) {
            copy_source(source, source_size, ar.short_src);
            return ar.currentline;
        }
    }
    copy_source(source, source_size, "");
    return -1;
}

int lshim_deadline_where(lua_State *L, char *source, size_t source_size) {
    lshim_state *S = state_of(L);
    copy_source(source, source_size, S->deadline_source);
    return S->deadline_line;
}

static int tostring_value(lua_State *L) {
    luaL_tolstring(L, 1, NULL);
    return 1;
}

void lshim_push_error_message(lua_State *L, lua_State *co, int64_t deadline_ns) {
    int type = lua_type(co, -1);
    if (type == LUA_TSTRING || type == LUA_TNUMBER) {
        size_t len;
        lua_pushvalue(co, -1);
        const char *s = lua_tolstring(co, -1, &len);  /* converts the copy, not the original */
        lua_pushlstring(L, s, len);
        lua_pop(co, 1);
        return;
    }
    if (luaL_getmetafield(co, -1, "__tostring") == LUA_TNIL) {
        lua_pushfstring(L, "(error object is a %s value)", luaL_typename(co, -1));
        return;
    }
    lua_pop(co, 1);
    /* A __tostring is script code: run it in its own thread, under the memory cap and a deadline. */
    lua_State *t = lua_newthread(L);
    lua_pushcfunction(t, tostring_value);
    lua_pushvalue(co, -1);
    lua_xmove(co, t, 1);
    int nres = 0;
    int status = lshim_resume(t, L, 1, &nres, deadline_ns);
    if (status == LUA_OK && nres >= 1 && lua_type(t, -1) == LUA_TSTRING) {
        lua_xmove(t, L, 1);
    } else {
        lua_pushfstring(L, "(error object is a %s value whose __tostring failed)", luaL_typename(co, -1));
    }
    lua_remove(L, -2);  /* the thread */
}

void lshim_push_traceback(lua_State *L, lua_State *co) {
    luaL_traceback(L, co, NULL, 0);
}

/* ================================================================ host functions */

static lshim_dispatch_fn host_dispatch = NULL;
static lshim_release_fn host_release = NULL;
static const char *const HOSTBOX = "hookline.hostbox";

void lshim_set_host_callbacks(lshim_dispatch_fn dispatch, lshim_release_fn release) {
    host_dispatch = dispatch;
    host_release = release;
}

static int hostbox_gc(lua_State *L) {
    void **slot = (void **)lua_touserdata(L, 1);
    if (slot != NULL && *slot != NULL) {
        host_release(*slot);
        *slot = NULL;
    }
    return 0;
}

/* Prefixes the message on top with "chunk:line: " of the Lua code that made the call, and raises it. */
static int raise_with_position(lua_State *L) {
    if (lua_type(L, -1) == LUA_TSTRING) {
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

/* Continuation of a yielding host call: the runtime resumed it with (true, results...) or
 * (false, message), above the call's own arguments (ctx is their count). */
static int host_continue(lua_State *L, int status, lua_KContext ctx) {
    (void)status;
    int base = (int)ctx;
    if (lua_toboolean(L, base + 1)) return lua_gettop(L) - base - 1;
    lua_settop(L, base + 2);
    return raise_with_position(L);
}

static int host_trampoline(lua_State *L) {
    void **slot = (void **)lua_touserdata(L, lua_upvalueindex(1));
    int yields = lua_toboolean(L, lua_upvalueindex(3));
    if (yields && !lua_isyieldable(L)) {
        const char *name = lua_tostring(L, lua_upvalueindex(2));
        lua_pushfstring(L,
            "%s cannot be called here: host calls wait for I/O, which is not possible inside a sort "
            "comparator, a gsub callback, a metamethod or an iterator called from C; "
            "call it from the script body or a plain function", name);
        return raise_with_position(L);
    }
    lshim_state *S = state_of(L);
    int base = lua_gettop(L);
    S->relaxed++;  /* Swift code runs now: no allocation may fail (and longjmp) under its frames */
    int result = host_dispatch(L, *slot);
    S->relaxed--;
    if (result >= 0) return result;
    if (result == LSHIM_YIELD) {
        lua_settop(L, base);
        lua_pushlightuserdata(L, &hostmark_storage);
        return lua_yieldk(L, 1, (lua_KContext)base, host_continue);
    }
    return raise_with_position(L);
}

void lshim_push_host_function(lua_State *L, void *box, const char *name, int yields) {
    void **slot = (void **)lua_newuserdatauv(L, sizeof(void *), 0);
    *slot = box;
    if (luaL_newmetatable(L, HOSTBOX)) {
        lua_pushcfunction(L, hostbox_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
    }
    lua_setmetatable(L, -2);
    lua_pushstring(L, name);
    lua_pushboolean(L, yields);
    lua_pushcclosure(L, host_trampoline, 3);
}

/* ================================================================ sandbox */

static const char *const FROZEN = "hookline.frozen";       /* weak set of read-only proxies */
static const char *const ENVMETA = "hookline.envmeta";     /* metatable of run environments */

static int frozen_newindex(lua_State *L) {
    return luaL_error(L, "attempt to modify a read-only table (library tables are shared by all events; "
                         "keep your own values in local variables)");
}

static int frozen_next(lua_State *L) {  /* upvalue 1: the real table */
    lua_settop(L, 2);
    if (lua_next(L, lua_upvalueindex(1))) return 2;
    lua_pushnil(L);
    return 1;
}

static int frozen_pairs(lua_State *L) {  /* upvalue 1: the real table; never hands it out */
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushcclosure(L, frozen_next, 1);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

static int frozen_len(lua_State *L) {
    lua_pushinteger(L, (lua_Integer)luaL_len(L, lua_upvalueindex(1)));
    return 1;
}

void lshim_freeze(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    lua_newtable(L);                       /* proxy */
    lua_createtable(L, 0, 5);              /* its metatable */
    lua_pushvalue(L, idx);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, frozen_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushvalue(L, idx);
    lua_pushcclosure(L, frozen_pairs, 1);
    lua_setfield(L, -2, "__pairs");
    lua_pushvalue(L, idx);
    lua_pushcclosure(L, frozen_len, 1);
    lua_setfield(L, -2, "__len");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    if (luaL_getsubtable(L, LUA_REGISTRYINDEX, FROZEN) == 0) {
        lua_createtable(L, 0, 1);
        lua_pushliteral(L, "k");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
    }
    lua_pushvalue(L, -2);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    lua_replace(L, idx);
}

static int is_frozen(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, FROZEN);
    lua_pushvalue(L, idx);
    int frozen = lua_rawget(L, -2) != LUA_TNIL;
    lua_pop(L, 2);
    return frozen;
}

static int sandbox_rawset(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    if (is_frozen(L, 1)) return frozen_newindex(L);
    lshim_lazy_fill(L, 1);
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 1;
}

/* The message handler xpcall installs around the script's own (its upvalue). The deadline sentinel passes
 * through untouched: the run is over, and a script's handler that looped on it could not be stopped, since
 * Lua runs message handlers for errors raised by a hook with hooks off. */
static int xpcall_handler(lua_State *L) {
    if (lua_touserdata(L, 1) == &deadline_sentinel_storage) return 1;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    return 1;
}

/* Where xpcall ends, directly or as the continuation after its function yielded: the stack holds the
 * handler, then the function's results or the error object; the handler's slot becomes the status. */
static int xpcall_finish(lua_State *L, int status, lua_KContext unused) {
    (void)unused;
    lua_pushboolean(L, status == LUA_OK || status == LUA_YIELD);
    lua_replace(L, 1);
    return lua_gettop(L);
}

/* xpcall(f, msgh, ...) (manual §6.1): f(...) in protected mode with msgh as the message handler; true and
 * f's results, or false and the error object as msgh returned it. f may yield: host calls suspend runs. */
static int sandbox_xpcall(lua_State *L) {
    luaL_checktype(L, 2, LUA_TFUNCTION);
    int arguments = lua_gettop(L) - 2;
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, xpcall_handler, 1);
    lua_copy(L, 1, 2);
    lua_replace(L, 1);  /* handler, f, arguments... */
    return xpcall_finish(L, lua_pcallk(L, arguments, LUA_MULTRET, 1, 0, xpcall_finish), 0);
}

/* setmetatable(table, metatable) (manual §6.1), refusing finalizers: a __gc would run during some later
 * allocation, outside any run's deadline, where an endless loop would stop the whole state. The check is
 * raw, as the collector's is when it decides what to finalize. */
static int sandbox_setmetatable(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    int type = lua_type(L, 2);
    luaL_argexpected(L, type == LUA_TNIL || type == LUA_TTABLE, 2, "nil or table");
    if (type == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL) return luaL_error(L, "setmetatable: __gc metamethods are not available to scripts");
    }
    lshim_lazy_fill(L, 1);  /* a JSON table not built yet keeps its contents behind its metatable */
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL) return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* next, rawget, rawlen and getmetatable of the base library, on a JSON table built first if untouched */
static int fill_then_call(lua_State *L) {  /* upvalue 1: the base function */
    lshim_lazy_fill(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

static int sandbox_collectgarbage(lua_State *L) {
    const char *option = luaL_optstring(L, 1, "collect");
    if (strcmp(option, "count") != 0)
        return luaL_error(L, "collectgarbage: only \"count\" is available to scripts (memory is managed by Hookline)");
    size_t used = state_of(L)->used;
    lua_pushnumber(L, (lua_Number)used / 1024.0);
    return 1;
}

int lshim_load_text(lua_State *L, const char *source, size_t length, const char *chunkname) {
    return luaL_loadbufferx(L, source, length, chunkname, "t");
}

/* Finds the _ENV of the Lua function at `level` (a local in a run's main chunk, an upvalue in nested
 * functions) and pushes it; returns 0 when there is none. */
static int push_caller_env(lua_State *L, int level) {
    lua_Debug ar;
    if (!lua_getstack(L, level, &ar)) return 0;
    const char *name;
    int found = 0;
    for (int i = 1; (name = lua_getlocal(L, &ar, i)) != NULL; i++) {
        if (strcmp(name, "_ENV") == 0) {
            if (found) lua_remove(L, -2);
            found = 1;
        } else {
            lua_pop(L, 1);
        }
    }
    if (found) return 1;
    if (!lua_getinfo(L, "f", &ar)) return 0;
    for (int i = 1; (name = lua_getupvalue(L, -1, i)) != NULL; i++) {
        if (strcmp(name, "_ENV") == 0) {
            lua_remove(L, -2);
            return 1;
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return 0;
}

/* load(chunk [, chunkname [, mode [, env]]]): text chunks only, in the caller's environment by default. */
static int sandbox_load(lua_State *L) {
    if (lua_type(L, 1) != LUA_TSTRING)
        return luaL_error(L, "load: only text chunks (strings) can be loaded in scripts");
    size_t len;
    const char *chunk = lua_tolstring(L, 1, &len);
    const char *chunkname = luaL_optstring(L, 2, "=(load)");
    int has_env = !lua_isnone(L, 4);
    if (luaL_loadbufferx(L, chunk, len, chunkname, "t") != LUA_OK) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;  /* nil, message */
    }
    if (has_env) {
        lua_pushvalue(L, 4);
    } else if (!push_caller_env(L, 1)) {
        lshim_push_environment(L);
    }
    if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
    return 1;
}

/* Runs a module's main chunk where it cannot yield: modules define functions; I/O belongs in calls. */
static int sandbox_call_module(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_settop(L, 2);
    lua_call(L, 1, 1);
    return 1;
}

/* Compiles a module text in a fresh environment: (source, chunkname) -> function | nil, message. */
static int sandbox_load_module(lua_State *L) {
    size_t len;
    const char *source = luaL_checklstring(L, 1, &len);
    const char *chunkname = luaL_checkstring(L, 2);
    if (luaL_loadbufferx(L, source, len, chunkname, "t") != LUA_OK) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    lshim_push_environment(L);
    if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
    return 1;
}

static int sandbox_freeze(lua_State *L) {
    if (lua_type(L, 1) == LUA_TTABLE && !is_frozen(L, 1)) lshim_freeze(L, 1);
    lua_settop(L, 1);
    return 1;
}

/* coroutine.resume without the host-call pass-through (the prelude adds it), tracking which thread
 * runs so that the watchdog interrupts the innermost one. */
static int sandbox_raw_resume(lua_State *L) {
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co != NULL, 1, "coroutine");
    int narg = lua_gettop(L) - 1;
    if (lua_status(co) == LUA_OK && lua_gettop(co) == 0) {
        lua_pushboolean(L, 0);
        lua_pushliteral(L, "cannot resume dead coroutine");
        return 2;
    }
    if (!lua_checkstack(co, narg)) {
        lua_pushboolean(L, 0);
        lua_pushliteral(L, "too many arguments to resume");
        return 2;
    }
    lua_xmove(L, co, narg);
    lshim_state *S = state_of(L);
    lua_State *outer = set_running(S, co);
    int nres = 0;
    int status = lua_resume(co, L, narg, &nres);
    set_running(S, outer);
    if (status == LUA_OK || status == LUA_YIELD) {
        if (!lua_checkstack(L, nres + 1)) {
            lua_pop(co, nres);
            lua_pushboolean(L, 0);
            lua_pushliteral(L, "too many results to resume");
            return 2;
        }
        lua_pushboolean(L, 1);
        lua_xmove(co, L, nres);
        return nres + 1;
    }
    lua_xmove(co, L, 1);
    /* limits are not the script's to catch: a stopped inner coroutine stops the run */
    if (lua_touserdata(L, -1) == &deadline_sentinel_storage || status == LUA_ERRMEM) return lua_error(L);
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
}

static void copy_fields(lua_State *L, int from, int to, const char *const *names) {
    from = lua_absindex(L, from);
    to = lua_absindex(L, to);
    for (; *names != NULL; names++) {
        lua_getfield(L, from, *names);
        lua_setfield(L, to, *names);
    }
}

/* Opens library `open` without touching the globals, and leaves its table on the stack. */
static void open_library(lua_State *L, const char *name, lua_CFunction open) {
    luaL_requiref(L, name, open, 0);
}

static const char *const BASE_ALLOWED[] = {
    "assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget", "rawlen",
    "select", "tonumber", "tostring", "type", "_VERSION", NULL};
static const char *const STRING_ALLOWED[] = {
    "byte", "char", "format", "len", "lower", "pack", "packsize", "rep", "reverse", "sub", "unpack", "upper",
    NULL};
static const char *const TABLE_ALLOWED[] = {"concat", "insert", "move", "pack", "remove", "sort", "unpack", NULL};
static const char *const MATH_ALLOWED[] = {
    "abs", "ceil", "cos", "deg", "exp", "floor", "fmod", "huge", "log", "max", "maxinteger", "min",
    "mininteger", "modf", "pi", "rad", "random", "randomseed", "sin", "sqrt", "tan", "tointeger", "type",
    "ult", "acos", "asin", "atan", NULL};
static const char *const UTF8_ALLOWED[] = {"char", "charpattern", "codes", "codepoint", "len", "offset", NULL};
static const char *const COROUTINE_ALLOWED[] = {
    "close", "create", "isyieldable", "running", "status", "yield", NULL};
static const char *const OS_ALLOWED[] = {"clock", "date", "difftime", "time", NULL};

/* Stack on return: G (the sandbox globals), internals (a table of private helpers for the prelude). */
void lshim_open_sandbox(lua_State *L) {
    /* The state's own global table receives the base library and is never shown to scripts. */
    open_library(L, "_G", luaopen_base);
    int real = lua_gettop(L);

    lua_newtable(L);
    int G = lua_gettop(L);
    copy_fields(L, real, G, BASE_ALLOWED);
    static const luaL_Reg REPLACED[] = {
        {"rawset", sandbox_rawset}, {"load", sandbox_load}, {"setmetatable", sandbox_setmetatable},
        {"xpcall", sandbox_xpcall}, {"collectgarbage", sandbox_collectgarbage}, {NULL, NULL}};
    luaL_setfuncs(L, REPLACED, 0);
    static const char *const RAW_READERS[] = {"next", "rawget", "rawlen", "getmetatable", NULL};
    for (const char *const *name = RAW_READERS; *name != NULL; name++) {
        lua_getfield(L, real, *name);
        lua_pushcclosure(L, fill_then_call, 1);
        lua_setfield(L, G, *name);
    }

    /* string: the methods of every string value come from this table too */
    open_library(L, "string", luaopen_string);
    int stringlib = lua_gettop(L);
    lua_newtable(L);
    copy_fields(L, stringlib, -1, STRING_ALLOWED);
    lshim_pattern_register(L, -1, LSHIM_MEMO_WHEN_COSTLY);  /* find, match, gmatch, gsub that stop at the deadline */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);        /* the shared string metatable */
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);
    lua_setfield(L, G, "string");
    lua_pop(L, 1);

    struct { const char *name; lua_CFunction open; const char *const *allowed; } libs[] = {
        {"table", luaopen_table, TABLE_ALLOWED},
        {"math", luaopen_math, MATH_ALLOWED},
        {"utf8", luaopen_utf8, UTF8_ALLOWED},
        {"coroutine", luaopen_coroutine, COROUTINE_ALLOWED},
        {"os", luaopen_os, OS_ALLOWED},
    };
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        open_library(L, libs[i].name, libs[i].open);
        lua_newtable(L);
        copy_fields(L, -2, -1, libs[i].allowed);
        lua_setfield(L, G, libs[i].name);
        lua_pop(L, 1);
    }

    /* the metatable of run environments: lookups fall back to G; it cannot be read or replaced */
    luaL_newmetatable(L, ENVMETA);
    lua_pushvalue(L, G);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);

    /* private helpers handed to the prelude, never stored where scripts can reach them */
    static const luaL_Reg PRIVATE[] = {
        {"raw_resume", sandbox_raw_resume}, {"load_module", sandbox_load_module},
        {"call_module", sandbox_call_module}, {"freeze", sandbox_freeze}, {NULL, NULL}};
    luaL_newlib(L, PRIVATE);
    lua_pushlightuserdata(L, &hostmark_storage);
    lua_setfield(L, -2, "hostmark");
    lua_getfield(L, G, "coroutine");
    lua_getfield(L, -1, "yield");
    lua_setfield(L, -3, "yield");
    lua_getfield(L, -1, "create");
    lua_setfield(L, -3, "create");
    lua_getfield(L, -1, "isyieldable");
    lua_setfield(L, -3, "isyieldable");
    lua_pop(L, 1);

    lua_remove(L, real);
}

void lshim_seal_sandbox(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -1) == LUA_TTABLE && !is_frozen(L, -1)) {
            lshim_freeze(L, -1);
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, idx);  /* replacing an existing key's value keeps lua_next valid */
        } else {
            lua_pop(L, 1);
        }
    }
}

void lshim_push_environment(lua_State *L) {
    lua_createtable(L, 0, 4);
    luaL_setmetatable(L, ENVMETA);
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "_G");
}
