/*
 * string.find, string.match, string.gmatch and string.gsub as the Lua 5.4 reference manual describes them
 * (§6.4), on Hookline's matcher (pattern_program.h): they stop at the run's deadline however hard the
 * pattern, and otherwise give exactly what Lua's own give (tested against liblua5.4 by PatternOracleTests).
 */
#include <lauxlib.h>
#include <stdalign.h>
#include <string.h>

#include "lshim_pattern.h"
#include "pattern_program.h"

/* Room on the C stack for the programs of everyday patterns; longer ones go into a userdata. */
#define INLINE_ROOM 2048

typedef struct {
    pattern_program program;
    pattern_frame *frames;
    alignas(max_align_t) uint8_t room[INLINE_ROOM];
} compiled;

/* Compiles `p` into `c`, placed in its own room or, when that is too small, in a new userdata left on the
 * stack for the rest of the call. */
static void compile(lua_State *L, compiled *c, const uint8_t *p, size_t lp, int anchor) {
    pattern_size size;
    pattern_measure(p, lp, anchor, &size);
    size_t bytes = pattern_room_bytes(&size);
    void *room = bytes <= INLINE_ROOM ? c->room : lua_newuserdatauv(L, bytes, 0);
    pattern_place(&c->program, &c->frames, room, &size);
    pattern_compile(&c->program, p, lp, anchor);
}

/* A matcher over `s` for `program`, keeping its memo at stack slot `memo` (pushed by the caller), with the
 * memo policy in upvalue `policy`. */
static void start(pattern_matcher *m, lua_State *L, const uint8_t *s, size_t ls, const pattern_program *program,
                  pattern_frame *frames, int memo, int policy) {
    memset(m, 0, offsetof(pattern_matcher, captures));
    m->L = L;
    m->subject = s;
    m->length = ls;
    m->program = program;
    m->frames = frames;
    m->memo_index = memo;
    m->memo_policy = (int)lua_tointeger(L, lua_upvalueindex(policy));
    m->memo = memo != 0 ? lua_touserdata(L, memo) : NULL;
    pattern_matcher_start(m);
}

/* The 0-based index where a search starts, for `init` counted from 1, or from the end when negative. */
static size_t start_index(lua_Integer init, size_t length) {
    if (init > 0) return (size_t)init - 1;
    if (init == 0 || init < -(lua_Integer)length) return 0;
    return length - (size_t)(-init);
}

static int has_specials(const uint8_t *p, size_t lp) {
    for (size_t i = 0; i < lp; i++) {
        if (memchr("^$*+?.([%-", p[i], 10) != NULL) return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- captures */

/* Pushes capture `i` of the match s[start..end) (the whole match when the pattern has no captures). */
static void push_capture(pattern_matcher *m, int i, size_t start, size_t end) {
    lua_State *L = m->L;
    const pattern_program *program = m->program;
    if (i >= program->captures) {
        if (i != 0) luaL_error(L, "invalid capture index %%%d", i + 1);
        pattern_charge(m, end - start);
        lua_pushlstring(L, (const char *)m->subject + start, end - start);
        return;
    }
    const pattern_capture *capture = &m->captures[i];
    switch (program->kinds[i]) {
        case CAPTURE_POSITION:
            lua_pushinteger(L, (lua_Integer)capture->start + 1);
            break;
        case CAPTURE_UNFINISHED:
            luaL_error(L, "unfinished capture");
            break;
        default:
            pattern_charge(m, capture->length);
            lua_pushlstring(L, (const char *)m->subject + capture->start, capture->length);
            break;
    }
}

/* Pushes every capture (or, if `whole` and there are none, the whole match); returns how many. */
static int push_captures(pattern_matcher *m, size_t start, size_t end, int whole) {
    int count = m->program->captures == 0 && whole ? 1 : m->program->captures;
    luaL_checkstack(m->L, count, "too many captures");
    for (int i = 0; i < count; i++) push_capture(m, i, start, end);
    return count;
}

/* ---------------------------------------------------------------- find and match */

static int find_or_match(lua_State *L, int find) {
    size_t ls, lp;
    const uint8_t *s = (const uint8_t *)luaL_checklstring(L, 1, &ls);
    const uint8_t *p = (const uint8_t *)luaL_checklstring(L, 2, &lp);
    size_t from = start_index(luaL_optinteger(L, 3, 1), ls);
    if (from > ls) {
        luaL_pushfail(L);
        return 1;
    }
    pattern_matcher m;
    if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) {
        start(&m, L, s, ls, NULL, NULL, 0, 1);
        ptrdiff_t at = pattern_search_plain(&m, p, lp, from);
        if (at < 0) {
            luaL_pushfail(L);
            return 1;
        }
        lua_pushinteger(L, (lua_Integer)at + 1);
        lua_pushinteger(L, (lua_Integer)(at + lp));
        return 2;
    }
    compiled c;
    compile(L, &c, p, lp, 1);
    lua_pushnil(L);
    start(&m, L, s, ls, &c.program, c.frames, lua_gettop(L), 1);
    size_t first;
    ptrdiff_t end = pattern_search(&m, from, &first);
    if (end < 0) {
        luaL_pushfail(L);
        return 1;
    }
    if (!find) return push_captures(&m, first, (size_t)end, 1);
    lua_pushinteger(L, (lua_Integer)first + 1);
    lua_pushinteger(L, end);
    return 2 + push_captures(&m, first, (size_t)end, 0);
}

static int find(lua_State *L) { return find_or_match(L, 1); }
static int match(lua_State *L) { return find_or_match(L, 0); }

/* ---------------------------------------------------------------- gmatch */

/* The iterator's state (its third upvalue), the program's room after it; the memo is its user value. */
typedef struct {
    size_t position;  /* where the next search starts; past the end once there is none */
    ptrdiff_t last;   /* where the previous match ended, -1 before the first */
    long refills;     /* budgets spent by earlier calls, which decide when the memo pays */
    pattern_program program;
    pattern_frame *frames;
} gmatch_state;

static int gmatch_next(lua_State *L) {
    size_t ls;
    const uint8_t *s = (const uint8_t *)lua_tolstring(L, lua_upvalueindex(1), &ls);
    gmatch_state *g = lua_touserdata(L, lua_upvalueindex(3));
    lua_getiuservalue(L, lua_upvalueindex(3), 1);
    int memo = lua_gettop(L);
    pattern_matcher m;
    start(&m, L, s, ls, &g->program, g->frames, memo, 4);
    m.refills = g->refills;
    int had_memo = m.memo != NULL;
    size_t first = 0;
    ptrdiff_t end = -1;
    while (g->position <= ls) {
        end = pattern_search(&m, g->position, &first);
        if (end < 0) {
            g->position = ls + 1;
            break;
        }
        if (end != g->last) break;
        g->position = first + 1;  /* empty, right where the previous match ended: that is no match */
        end = -1;
    }
    g->refills = m.refills;
    if (!had_memo && m.memo != NULL) {
        lua_pushvalue(L, memo);
        lua_setiuservalue(L, lua_upvalueindex(3), 1);
    }
    if (end < 0) return 0;
    g->position = (size_t)end;
    g->last = end;
    return push_captures(&m, first, (size_t)end, 1);
}

static int gmatch(lua_State *L) {
    size_t ls, lp;
    luaL_checklstring(L, 1, &ls);
    const uint8_t *p = (const uint8_t *)luaL_checklstring(L, 2, &lp);
    size_t from = start_index(luaL_optinteger(L, 3, 1), ls);
    lua_settop(L, 2);
    pattern_size size;
    pattern_measure(p, lp, 0, &size);  /* no anchor: '^' is a byte here, as the manual says */
    gmatch_state *g = lua_newuserdatauv(L, sizeof *g + pattern_room_bytes(&size), 1);
    pattern_place(&g->program, &g->frames, g + 1, &size);
    pattern_compile(&g->program, p, lp, 0);
    g->position = from <= ls ? from : ls + 1;
    g->last = -1;
    g->refills = 0;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushcclosure(L, gmatch_next, 4);  /* subject, pattern, state, memo policy */
    return 1;
}

/* ---------------------------------------------------------------- gsub */

/* Adds the replacement string (argument 3) for the match s[start..end): `%0`-`%9` are captures, `%%` a '%'. */
static void add_text(pattern_matcher *m, luaL_Buffer *b, size_t start, size_t end) {
    lua_State *L = m->L;
    size_t length;
    const char *text = lua_tolstring(L, 3, &length);
    const char *stop = text + length;
    pattern_charge(m, length);
    while (text < stop) {
        const char *percent = memchr(text, '%', (size_t)(stop - text));
        if (percent == NULL) {
            luaL_addlstring(b, text, (size_t)(stop - text));
            return;
        }
        luaL_addlstring(b, text, (size_t)(percent - text));
        char c = percent + 1 < stop ? percent[1] : '\0';
        if (percent + 1 < stop && c == '%') {
            luaL_addchar(b, '%');
        } else if (percent + 1 < stop && c >= '0' && c <= '9') {
            if (c == '0') {
                pattern_charge(m, end - start);
                luaL_addlstring(b, (const char *)m->subject + start, end - start);
            } else {
                push_capture(m, c - '1', start, end);
                luaL_addvalue(b);
            }
        } else {
            luaL_error(L, "invalid use of '%c' in replacement string", '%');
        }
        text = percent + 2;
    }
}

/* Adds the replacement for the match s[start..end) as argument 3 (of type `kind`) says. */
static void add_replacement(pattern_matcher *m, luaL_Buffer *b, size_t start, size_t end, int kind) {
    lua_State *L = m->L;
    if (kind == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int count = push_captures(m, start, end, 1);
        lua_call(L, count, 1);
    } else if (kind == LUA_TTABLE) {
        push_capture(m, 0, start, end);
        lua_gettable(L, 3);
    } else {
        add_text(m, b, start, end);
        return;
    }
    if (!lua_toboolean(L, -1)) {  /* false or nil: the match stays as it was */
        lua_pop(L, 1);
        luaL_addlstring(b, (const char *)m->subject + start, end - start);
    } else if (!lua_isstring(L, -1)) {
        luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    } else {
        size_t length;
        lua_tolstring(L, -1, &length);
        pattern_charge(m, length);
        luaL_addvalue(b);
    }
}

static int gsub(lua_State *L) {
    size_t ls, lp;
    const uint8_t *s = (const uint8_t *)luaL_checklstring(L, 1, &ls);
    const uint8_t *p = (const uint8_t *)luaL_checklstring(L, 2, &lp);
    int kind = lua_type(L, 3);
    lua_Integer limit = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
    luaL_argexpected(L, kind == LUA_TNUMBER || kind == LUA_TSTRING || kind == LUA_TFUNCTION || kind == LUA_TTABLE,
                     3, "string/function/table");
    compiled c;
    compile(L, &c, p, lp, 1);
    lua_pushnil(L);
    pattern_matcher m;
    start(&m, L, s, ls, &c.program, c.frames, lua_gettop(L), 1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    size_t position = 0;
    ptrdiff_t last = -1;
    lua_Integer count = 0;
    while (count < limit) {
        size_t first;
        ptrdiff_t end = pattern_search(&m, position, &first);
        if (end < 0) break;
        if (end == last) {  /* empty, right where the previous match ended: that is no match */
            if (position >= ls) break;
            luaL_addchar(&b, (char)s[position++]);
        } else {
            pattern_charge(&m, first - position);
            luaL_addlstring(&b, (const char *)s + position, first - position);
            count++;
            add_replacement(&m, &b, first, (size_t)end, kind);
            position = (size_t)end;
            last = end;
        }
        if (c.program.anchored) break;
    }
    pattern_charge(&m, ls - position);
    luaL_addlstring(&b, (const char *)s + position, ls - position);
    luaL_pushresult(&b);
    lua_pushinteger(L, count);
    return 2;
}

/* ---------------------------------------------------------------- registration */

void lshim_pattern_register(lua_State *L, int idx, lshim_memo_policy memo) {
    static const luaL_Reg FUNCTIONS[] = {
        {"find", find}, {"match", match}, {"gmatch", gmatch}, {"gsub", gsub}, {NULL, NULL}};
    idx = lua_absindex(L, idx);
    for (const luaL_Reg *f = FUNCTIONS; f->name != NULL; f++) {
        lua_pushinteger(L, memo);
        lua_pushcclosure(L, f->func, 1);
        lua_setfield(L, idx, f->name);
    }
}
