/*
 * JSON documents as Lua tables built on first touch.
 *
 * A script usually reads a few fields of a large event (the last message, the call id), so building every
 * table of a 60 KB end-of-call report up front is most of the cost of a run. Instead the document (its
 * bytes and the parser's tape) is copied once into a userdata, and each object or array starts as an empty
 * *stub*: a table carrying the document and its tape index under private keys, with a metatable whose
 * metamethods fill it. Filling sets every member at once (nested containers become stubs in turn), drops
 * the private keys and replaces the metatable (none for objects, the JSON array marker for arrays), so a
 * table touched once is an ordinary table from then on: writes, deletions and iteration behave as usual.
 *
 * Everything that could see a stub's raw contents fills it first: the metamethods (__index, __newindex,
 * __len, __pairs), the sandbox's next, rawget, rawlen, rawset, getmetatable and setmetatable, and the
 * host side's readers (lshim_lazy_fill).
 */
#include "luashim.h"

#include <string.h>

/* One tape entry, laid out as JSON.TapeEntry: header = kind | escapes << 8 | size << 16. */
typedef struct {
    uint64_t header;
    uint64_t payload;
} tape_entry;

enum { K_OBJECT, K_ARRAY, K_STRING, K_INTEGER, K_DOUBLE, K_TRUE, K_FALSE, K_NULL };

typedef struct {
    size_t entries;
    size_t bytes;
    /* followed by the tape entries, then the document's bytes */
} lazy_doc;

static char DOC_KEY, INDEX_KEY, LAZY_META, ARRAY_META;

static const tape_entry *doc_tape(const lazy_doc *doc) { return (const tape_entry *)(doc + 1); }
static const uint8_t *doc_bytes(const lazy_doc *doc) { return (const uint8_t *)(doc_tape(doc) + doc->entries); }

static int entry_kind(tape_entry e) { return (int)(e.header & 0xFF); }
static int entry_escaped(tape_entry e) { return (int)((e.header >> 8) & 1); }
static size_t entry_size(tape_entry e) { return (size_t)(e.header >> 16); }

/* The tape index just past entry i and its descendants. */
static size_t entry_next(const tape_entry *tape, size_t i) {
    int kind = entry_kind(tape[i]);
    return kind == K_OBJECT || kind == K_ARRAY ? (size_t)tape[i].payload : i + 1;
}

void lshim_push_array_marker(lua_State *L) {
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ARRAY_META) != LUA_TNIL) return;
    lua_pop(L, 1);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "json.array");
    lua_setfield(L, -2, "__metatable");
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &ARRAY_META);
}

/* ---------------------------------------------------------------- strings */

static unsigned hex4(const uint8_t *p) {
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        uint8_t c = p[k];
        v = v << 4 | (c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : 0);
    }
    return v;
}

static void add_utf8(luaL_Buffer *b, unsigned cp) {
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = 0xFFFD;  /* a lone surrogate has no UTF-8 form */
    if (cp < 0x80) {
        luaL_addchar(b, (char)cp);
    } else if (cp < 0x800) {
        luaL_addchar(b, (char)(0xC0 | cp >> 6));
        luaL_addchar(b, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        luaL_addchar(b, (char)(0xE0 | cp >> 12));
        luaL_addchar(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        luaL_addchar(b, (char)(0x80 | (cp & 0x3F)));
    } else {
        luaL_addchar(b, (char)(0xF0 | cp >> 18));
        luaL_addchar(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
        luaL_addchar(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        luaL_addchar(b, (char)(0x80 | (cp & 0x3F)));
    }
}

/* Decodes the raw contents of a validated JSON string, as JSONStrings.unescape does. */
static void push_unescaped(lua_State *L, const uint8_t *raw, size_t n) {
    luaL_Buffer b;
    luaL_buffinitsize(L, &b, n);
    size_t i = 0;
    while (i < n) {
        uint8_t c = raw[i];
        if (c != '\\' || i + 1 >= n) {
            luaL_addchar(&b, (char)c);
            i++;
            continue;
        }
        uint8_t e = raw[i + 1];
        i += 2;
        switch (e) {
        case 'b': luaL_addchar(&b, '\b'); break;
        case 'f': luaL_addchar(&b, '\f'); break;
        case 'n': luaL_addchar(&b, '\n'); break;
        case 'r': luaL_addchar(&b, '\r'); break;
        case 't': luaL_addchar(&b, '\t'); break;
        case 'u': {
            unsigned cp = hex4(raw + i);
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= n && raw[i] == '\\' && raw[i + 1] == 'u') {
                unsigned low = hex4(raw + i + 2);
                if (low >= 0xDC00 && low <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    i += 6;
                }
            }
            add_utf8(&b, cp);
            break;
        }
        default: luaL_addchar(&b, (char)e);  /* " \ / */
        }
    }
    luaL_pushresult(&b);
}

static void push_string(lua_State *L, const tape_entry *tape, const uint8_t *bytes, size_t i) {
    const uint8_t *raw = bytes + tape[i].payload;
    if (entry_escaped(tape[i])) push_unescaped(L, raw, entry_size(tape[i]));
    else lua_pushlstring(L, (const char *)raw, entry_size(tape[i]));
}

/* ---------------------------------------------------------------- values and stubs */

/* Pushes the value at tape index i; containers become stubs on the document at stack index `doc` (or,
 * when empty, finished tables at once). */
static void push_value(lua_State *L, const tape_entry *tape, const uint8_t *bytes, size_t i, int doc) {
    tape_entry e = tape[i];
    switch (entry_kind(e)) {
    case K_OBJECT:
    case K_ARRAY:
        if (entry_size(e) == 0) {
            lua_createtable(L, 0, 0);
            if (entry_kind(e) == K_ARRAY) {
                lshim_push_array_marker(L);
                lua_setmetatable(L, -2);
            }
            return;
        }
        /* An array is filled whole as soon as it is indexed or measured, so it is sized at once (filling it
         * then never grows it). An object stub stays small: most are never touched (the other messages). */
        lua_createtable(L, entry_kind(e) == K_ARRAY ? (int)entry_size(e) : 0, 2);
        lua_pushvalue(L, doc);
        lua_rawsetp(L, -2, &DOC_KEY);
        lua_pushinteger(L, (lua_Integer)i);
        lua_rawsetp(L, -2, &INDEX_KEY);
        lua_rawgetp(L, LUA_REGISTRYINDEX, &LAZY_META);
        lua_setmetatable(L, -2);
        return;
    case K_STRING: push_string(L, tape, bytes, i); return;
    case K_INTEGER: lua_pushinteger(L, (lua_Integer)(int64_t)e.payload); return;
    case K_DOUBLE: {
        double d;
        memcpy(&d, &e.payload, sizeof d);
        lua_pushnumber(L, d);
        return;
    }
    case K_TRUE: lua_pushboolean(L, 1); return;
    case K_FALSE: lua_pushboolean(L, 0); return;
    default: lua_pushlightuserdata(L, NULL); return;  /* json.null */
    }
}

static int is_stub(lua_State *L, int idx) {
    if (!lua_getmetatable(L, idx)) return 0;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &LAZY_META);
    int stub = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return stub;
}

int lshim_lazy_fill(lua_State *L, int idx) {
    if (lua_type(L, idx) != LUA_TTABLE || !is_stub(L, idx)) return 0;
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 6, NULL);
    lua_rawgetp(L, idx, &DOC_KEY);
    int doc = lua_gettop(L);
    const lazy_doc *d = lua_touserdata(L, doc);
    lua_rawgetp(L, idx, &INDEX_KEY);
    size_t i = (size_t)lua_tointeger(L, -1);
    lua_pop(L, 1);

    /* The members go in first and the stub marks come off last: if an allocation fails on the way (the
     * script's memory limit), the table is still a stub, and the next touch fills it again. */
    const tape_entry *tape = doc_tape(d);
    const uint8_t *bytes = doc_bytes(d);
    size_t end = (size_t)tape[i].payload;
    int object = entry_kind(tape[i]) == K_OBJECT;
    if (object) {
        for (size_t child = i + 1; child < end; child = entry_next(tape, child + 1)) {
            push_string(L, tape, bytes, child);
            push_value(L, tape, bytes, child + 1, doc);
            lua_rawset(L, idx);
        }
    } else {
        lua_Integer position = 1;
        for (size_t child = i + 1; child < end; child = entry_next(tape, child), position++) {
            push_value(L, tape, bytes, child, doc);
            lua_rawseti(L, idx, position);
        }
    }
    lua_pushnil(L);
    lua_rawsetp(L, idx, &DOC_KEY);
    lua_pushnil(L);
    lua_rawsetp(L, idx, &INDEX_KEY);
    if (object) lua_pushnil(L);
    else lshim_push_array_marker(L);
    lua_setmetatable(L, idx);
    lua_pop(L, 1);  /* doc */
    return 1;
}

/* ---------------------------------------------------------------- metamethods of stubs */

static int stub_index(lua_State *L) {
    lshim_lazy_fill(L, 1);
    lua_settop(L, 2);
    lua_rawget(L, 1);
    return 1;
}

static int stub_newindex(lua_State *L) {
    lshim_lazy_fill(L, 1);
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 0;
}

static int stub_len(lua_State *L) {
    lshim_lazy_fill(L, 1);
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, 1));
    return 1;
}

static int raw_next(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    if (lua_next(L, 1)) return 2;
    lua_pushnil(L);
    return 1;
}

static int stub_pairs(lua_State *L) {
    lshim_lazy_fill(L, 1);
    lua_pushcfunction(L, raw_next);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

static void push_stub_metatable(lua_State *L) {
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &LAZY_META) != LUA_TNIL) return;
    lua_pop(L, 1);
    static const luaL_Reg METHODS[] = {
        {"__index", stub_index}, {"__newindex", stub_newindex}, {"__len", stub_len}, {"__pairs", stub_pairs},
        {NULL, NULL}};
    luaL_newlib(L, METHODS);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &LAZY_META);
}

/* ---------------------------------------------------------------- pushing a document */

void lshim_push_json(lua_State *L, const uint8_t *bytes, size_t byte_count, const void *tape, size_t entry_count,
                     size_t index) {
    const tape_entry *entries = tape;
    int kind = entry_kind(entries[index]);
    if ((kind != K_OBJECT && kind != K_ARRAY) || entry_size(entries[index]) == 0) {
        push_value(L, entries, bytes, index, 0);  /* scalars and empty containers need no document */
        return;
    }
    push_stub_metatable(L);
    lua_pop(L, 1);
    lazy_doc *doc = lua_newuserdatauv(L, sizeof(lazy_doc) + entry_count * sizeof(tape_entry) + byte_count, 0);
    doc->entries = entry_count;
    doc->bytes = byte_count;
    memcpy((void *)doc_tape(doc), entries, entry_count * sizeof(tape_entry));
    memcpy((void *)doc_bytes(doc), bytes, byte_count);
    push_value(L, doc_tape(doc), doc_bytes(doc), index, lua_gettop(L));
    lua_remove(L, -2);  /* the document stays reachable from the stub */
}
