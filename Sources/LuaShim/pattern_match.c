/*
 * Running a compiled pattern (see pattern_program.h) over a subject.
 *
 * A match attempt walks the program from a start position. An item that can match in several ways (`*`,
 * `+`, `-`, `?`) pushes a frame and goes on with its first alternative; when the rest fails, the newest frame
 * moves to its next alternative (one byte fewer for `*` and `+`, one more for `-`, none for `?`), and a frame
 * with none left is dropped. The alternatives come in the order the manual prescribes (longest first for `*`
 * and `+`, shortest first for `-`), so the first match found is Lua's.
 *
 * Work is bounded in two ways:
 * - Every step, and every byte of a scan (a `%b`, a back-reference, a literal, a run of repeated bytes), is
 *   taken from a budget; each time the budget is spent the host is asked (lshim_pattern_budget), which
 *   raises or yields when the run's deadline has passed. A search can therefore never hold a state longer
 *   than its limit.
 * - Once a search proves costly, it remembers which (item, position) pairs failed — what the rest of a
 *   pattern does from a position does not depend on how it got there, unless the pattern has
 *   back-references or could reach the nesting limit — and never tries them again. A repeated item that
 *   failed at a position has failed for the whole run of bytes it could have started in, so
 *   `(.-)(.-)(.-)x` on a long subject takes linear work instead of Lua's quartic.
 *
 * Nesting: Lua refuses ("pattern too complex") to go more than PATTERN_MAX_DEPTH levels deep, where every
 * capture bracket and every repeated item that matched at least one byte (for `?`: while it holds its byte)
 * opens a level for the rest of the pattern. The depth is tracked the same way, so the same patterns fail.
 */
#include "pattern_program.h"

#include <lauxlib.h>
#include <string.h>

#include "lshim_pattern.h"

/* Steps between two questions to the host. */
#define BUDGET_STEP 1024
/* A search starts remembering failures after this many steps per byte of subject (plus one budget). */
#define MEMO_STEPS_PER_BYTE 16
/* The memo is one bit per repeated item and position; larger subjects go without. */
#define MEMO_MAX_BYTES (4u << 20)

static void refill(pattern_matcher *m);

static inline void step(pattern_matcher *m) {
    if (--m->budget <= 0) refill(m);
}

void pattern_charge(pattern_matcher *m, size_t work) {
    while (work > 0) {
        size_t part = work < BUDGET_STEP ? work : BUDGET_STEP;
        m->budget -= (int)part;
        if (m->budget <= 0) refill(m);
        work -= part;
    }
}

/* pattern_charge, inline for the small amounts of the matcher's own scans */
static inline void charge(pattern_matcher *m, size_t work) {
    if (work >= BUDGET_STEP) {
        pattern_charge(m, work);
    } else if ((m->budget -= (int)work) <= 0) {
        refill(m);
    }
}

/* ---------------------------------------------------------------- the memo */

static int new_memo(lua_State *L) {
    lua_newuserdatauv(L, (size_t)lua_tointeger(L, 1), 0);
    return 1;
}

/* Allocates the memo in protected mode: when memory is short, the search goes on without it. */
static void allocate_memo(pattern_matcher *m) {
    const pattern_program *program = m->program;
    m->memo_after = -1;
    size_t bits = (size_t)program->slots * (m->length + 1);
    if (!program->memoizable || m->memo_index == 0 || program->slots == 0 || m->length >= MEMO_MAX_BYTES * 8
        || bits / 8 >= MEMO_MAX_BYTES) {
        return;
    }
    size_t bytes = bits / 8 + 1;
    lua_pushcfunction(m->L, new_memo);
    lua_pushinteger(m->L, (lua_Integer)bytes);
    if (lua_pcall(m->L, 1, 1, 0) != LUA_OK) {
        lua_pop(m->L, 1);
        return;
    }
    m->memo = lua_touserdata(m->L, -1);
    memset(m->memo, 0, bytes);
    lua_replace(m->L, m->memo_index);
    charge(m, bytes / 64);
}

static inline size_t memo_bit(const pattern_matcher *m, int slot, size_t position) {
    return (size_t)slot * (m->length + 1) + position;
}

static inline int memo_failed(const pattern_matcher *m, int slot, size_t position) {
    size_t bit = memo_bit(m, slot, position);
    return (m->memo[bit >> 3] >> (bit & 7)) & 1;
}

/* Records that the item failed from every position of [from, to]. Such ranges always reach the end of a
 * run, so the first position already known ends the work. */
static void memo_fail(pattern_matcher *m, int slot, size_t from, size_t to) {
    for (size_t position = from; position <= to; position++) {
        if (memo_failed(m, slot, position)) return;
        size_t bit = memo_bit(m, slot, position);
        m->memo[bit >> 3] |= (uint8_t)(1u << (bit & 7));
    }
    charge(m, (to - from) / 8);
}

/* ---------------------------------------------------------------- budget */

static void refill(pattern_matcher *m) {
    m->budget = BUDGET_STEP;
    m->refills++;
    lshim_pattern_budget(m->L);
    if (m->memo == NULL && m->memo_after >= 0 && m->refills >= m->memo_after) allocate_memo(m);
}

void pattern_matcher_start(pattern_matcher *m) {
    m->budget = BUDGET_STEP;
    m->memo_after = -1;
    if (m->program == NULL || m->memo != NULL || m->memo_policy == LSHIM_MEMO_NEVER) return;
    if (m->memo_policy == LSHIM_MEMO_AT_ONCE) allocate_memo(m);
    else m->memo_after = 1 + (long)(MEMO_STEPS_PER_BYTE * (m->length + 1) / BUDGET_STEP);
}

/* ---------------------------------------------------------------- items */

static inline int single(const pattern_instr *in, uint8_t c) {
    switch (in->op) {
        case OP_CHAR: return c == in->a;
        case OP_ANY: return 1;
        default: return (in->bytes[c >> 3] >> (c & 7)) & 1;
    }
}

/* Whether the subject holds `bytes` at `position`, compared a budget's worth at a time. */
static int equal_at(pattern_matcher *m, size_t position, const uint8_t *bytes, size_t length) {
    if (m->length - position < length) return 0;
    const uint8_t *here = m->subject + position;
    while (length > 0) {
        size_t part = length < BUDGET_STEP ? length : BUDGET_STEP;
        if (memcmp(here, bytes, part) != 0) return 0;
        charge(m, part);
        here += part;
        bytes += part;
        length -= part;
    }
    return 1;
}

/* The end of the run of bytes matching `in` from `position`. */
static size_t run_end(pattern_matcher *m, const pattern_instr *in, size_t position) {
    if (in->op == OP_ANY) return m->length;
    while (position < m->length && single(in, m->subject[position])) {
        step(m);
        position++;
    }
    return position;
}

/* `%bxy` at `position`: the end of the balanced span, or -1. */
static ptrdiff_t balance(pattern_matcher *m, size_t position, uint8_t open, uint8_t close) {
    if (position >= m->length || m->subject[position] != open) return -1;
    size_t depth = 1;
    for (size_t k = position + 1; k < m->length; k++) {
        step(m);
        uint8_t c = m->subject[k];
        if (c == close) {
            if (--depth == 0) return (ptrdiff_t)(k + 1);
        } else if (c == open) {
            depth++;
        }
    }
    return -1;
}

static int frontier(const pattern_matcher *m, const pattern_instr *in, size_t position) {
    uint8_t before = position > 0 ? m->subject[position - 1] : 0;
    uint8_t after = position < m->length ? m->subject[position] : 0;
    const uint8_t *set = in->bytes;
    return !((set[before >> 3] >> (before & 7)) & 1) && ((set[after >> 3] >> (after & 7)) & 1);
}

static ptrdiff_t malformed(pattern_matcher *m, const pattern_instr *in) {
    switch (in->a) {
        case ERROR_ENDS_WITH_PERCENT: return luaL_error(m->L, "malformed pattern (ends with '%%')");
        case ERROR_MISSING_BRACKET: return luaL_error(m->L, "malformed pattern (missing ']')");
        case ERROR_BALANCE_ARGUMENTS: return luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
        case ERROR_FRONTIER_BRACKET: return luaL_error(m->L, "missing '[' after '%%f' in pattern");
        case ERROR_CAPTURE_INDEX: return luaL_error(m->L, "invalid capture index %%%d", in->b);
        case ERROR_TOO_MANY_CAPTURES: return luaL_error(m->L, "too many captures");
        default: return luaL_error(m->L, "invalid pattern capture");
    }
}

/* Opens a nesting level for the rest of the pattern after `in`, `levels` being those opened by frames. */
static inline void nest(pattern_matcher *m, const pattern_instr *in, int levels) {
    if (in->depth + levels + 1 > PATTERN_MAX_DEPTH) luaL_error(m->L, "pattern too complex");
}

/* ---------------------------------------------------------------- one attempt */

/* Moves the frame on top to its next alternative: returns 1 with f->position set, or 0 when it has none. */
static int next_alternative(pattern_matcher *m, const pattern_instr *in, pattern_frame *f, int *levels) {
    switch (in->repeat) {
        case REPEAT_STAR:
        case REPEAT_PLUS:
            if (f->position > f->start + (in->repeat == REPEAT_PLUS)) {
                f->position--;
                return 1;
            }
            (*levels)--;
            if (m->memo != NULL) memo_fail(m, in->slot, f->start, f->end);
            return 0;
        case REPEAT_MINUS:
            if (f->position < m->length && single(in, m->subject[f->position])) {
                f->position++;
                return 1;
            }
            (*levels)--;
            if (m->memo != NULL) memo_fail(m, in->slot, f->start, f->position);
            return 0;
        default:  /* REPEAT_OPTIONAL */
            if (f->taking) {
                f->taking = 0;
                (*levels)--;
                f->position = f->start;
                return 1;
            }
            if (m->memo != NULL) memo_fail(m, in->slot, f->start, f->start);
            return 0;
    }
}

/* Matches the program at `start`: returns the end of the match, or -1. */
static ptrdiff_t attempt(pattern_matcher *m, size_t start) {
    const pattern_instr *code = m->program->code;
    pattern_frame *frames = m->frames;
    int top = 0;     /* frames in use */
    int levels = 0;  /* nesting levels held by frames */
    int pc = 0;
    size_t position = start;
    for (;;) {
        const pattern_instr *in = &code[pc];
        step(m);
        switch (in->op) {
            case OP_MATCHED:
                return (ptrdiff_t)position;
            case OP_ERROR:
                return malformed(m, in);
            case OP_OPEN:
            case OP_POSITION:
                nest(m, in, levels);
                m->captures[in->a].start = position;
                pc++;
                continue;
            case OP_CLOSE:
                nest(m, in, levels);
                m->captures[in->a].length = position - m->captures[in->a].start;
                pc++;
                continue;
            case OP_END_ANCHOR:
                if (position != m->length) goto fail;
                pc++;
                continue;
            case OP_STRING:
                if (!equal_at(m, position, in->bytes, in->length)) goto fail;
                position += in->length;
                pc++;
                continue;
            case OP_BALANCE: {
                ptrdiff_t end = balance(m, position, in->a, in->b);
                if (end < 0) goto fail;
                position = (size_t)end;
                pc++;
                continue;
            }
            case OP_FRONTIER:
                if (!frontier(m, in, position)) goto fail;
                pc++;
                continue;
            case OP_BACKREF: {
                const pattern_capture *capture = &m->captures[in->a];
                if (m->program->kinds[in->a] == CAPTURE_POSITION) goto fail;  /* a position is no text */
                if (!equal_at(m, position, m->subject + capture->start, capture->length)) goto fail;
                position += capture->length;
                pc++;
                continue;
            }
            default:
                break;
        }
        /* a single-character item */
        int hit = position < m->length && single(in, m->subject[position]);
        if (in->repeat == REPEAT_ONE) {
            if (!hit) goto fail;
            position++;
            pc++;
            continue;
        }
        if (m->memo != NULL && memo_failed(m, in->slot, position)) goto fail;
        if (!hit) {
            if (in->repeat == REPEAT_PLUS) goto fail;
            pc++;  /* no byte to take: the item matches empty, without a frame or a level */
            continue;
        }
        nest(m, in, levels);
        pattern_frame *f = &frames[top++];
        levels++;
        f->pc = pc;
        f->start = position;
        f->taking = 0;
        switch (in->repeat) {
            case REPEAT_STAR:
            case REPEAT_PLUS:
                f->end = run_end(m, in, position + 1);
                f->position = f->end;
                break;
            case REPEAT_MINUS:
                f->position = position;
                break;
            default:
                f->taking = 1;
                f->position = position + 1;
                break;
        }
        position = f->position;
        pc++;
        continue;
    fail:
        for (;;) {
            if (top == 0) return -1;
            pattern_frame *f = &frames[top - 1];
            const pattern_instr *item = &code[f->pc];
            step(m);
            if (next_alternative(m, item, f, &levels)) {
                position = f->position;
                pc = f->pc + 1;
                /* without a memo to fill, an optional item on its last alternative needs no frame */
                if (item->repeat == REPEAT_OPTIONAL && !f->taking && m->memo == NULL) top--;
                break;
            }
            top--;
        }
    }
}

/* ---------------------------------------------------------------- searches */

/* The first position from `from` where the program's first item can match, or -1: positions where it
 * cannot are failed attempts, skipped without being made. */
static ptrdiff_t candidate(pattern_matcher *m, size_t from) {
    const pattern_instr *first = &m->program->code[0];
    if (first->op == OP_STRING) {
        if (from >= m->length) return -1;
        const uint8_t *found = memchr(m->subject + from, first->bytes[0], m->length - from);
        if (found == NULL) return -1;
        charge(m, (size_t)(found - (m->subject + from)) / 16);
        return found - m->subject;
    }
    int leading = (first->op == OP_CHAR || first->op == OP_SET)
                  && (first->repeat == REPEAT_ONE || first->repeat == REPEAT_PLUS);
    if (!leading) return (ptrdiff_t)from;
    while (from < m->length && !single(first, m->subject[from])) {
        step(m);
        from++;
    }
    return from < m->length ? (ptrdiff_t)from : -1;
}

ptrdiff_t pattern_search(pattern_matcher *m, size_t from, size_t *start) {
    if (m->program->anchored) {
        *start = from;
        return attempt(m, from);
    }
    while (from <= m->length) {
        ptrdiff_t at = candidate(m, from);
        if (at < 0) return -1;
        ptrdiff_t end = attempt(m, (size_t)at);
        if (end >= 0) {
            *start = (size_t)at;
            return end;
        }
        from = (size_t)at + 1;
    }
    return -1;
}

ptrdiff_t pattern_search_plain(pattern_matcher *m, const uint8_t *needle, size_t length, size_t from) {
    if (length == 0) return (ptrdiff_t)from;
    while (from < m->length && m->length - from >= length) {
        const uint8_t *found = memchr(m->subject + from, needle[0], m->length - from - length + 1);
        if (found == NULL) return -1;
        size_t at = (size_t)(found - m->subject);
        charge(m, (at - from) / 16 + 1);
        if (equal_at(m, at, needle, length)) return (ptrdiff_t)at;
        from = at + 1;
    }
    return -1;
}
