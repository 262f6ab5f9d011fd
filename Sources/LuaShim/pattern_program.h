/*
 * Lua patterns (reference manual §6.4.1) compiled into a straight-line program of instructions, and the
 * matcher that runs one against a subject. Internal to LuaShim: the Lua functions are in pattern_functions.c.
 *
 * A pattern is read once per call into instructions (pattern_compile.c). Matching (pattern_match.c) walks
 * them in order with an explicit stack of choice points, one per repeated item that is trying its
 * alternatives, so that no C recursion is involved and all state is in memory the caller provides (the C
 * stack or Lua userdata): the deadline check may raise or yield out of the matcher at any step.
 *
 *   pattern_size size;
 *   pattern_measure(p, lp, 1, &size);             // how much room the program needs
 *   pattern_program program;
 *   pattern_place(&program, &frames, room, &size); // room: pattern_room_bytes(&size) bytes
 *   pattern_compile(&program, p, lp, 1);
 */
#ifndef LSHIM_PATTERN_PROGRAM_H
#define LSHIM_PATTERN_PROGRAM_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

/* As many captures as Lua allows (LUA_MAXCAPTURES). */
#define PATTERN_MAX_CAPTURES 32
/* How deep real Lua's matcher nests before "pattern too complex": every capture bracket and every repeated
 * item that matched a character opens one level for the rest of the pattern (measured black-box). */
#define PATTERN_MAX_DEPTH 200

enum pattern_op {
    OP_MATCHED,     /* the end of the pattern: a match */
    OP_ERROR,       /* a malformed pattern, raised when matching gets here; `a`: enum pattern_error, `b`: index */
    OP_STRING,      /* literal bytes (`bytes`, `length`) */
    OP_CHAR,        /* one byte, `a` (repeated) */
    OP_ANY,         /* `.` */
    OP_SET,         /* a class or set: `bytes` is its 256-bit membership */
    OP_OPEN,        /* `(`: capture `a` starts */
    OP_POSITION,    /* `()`: capture `a` is the position */
    OP_CLOSE,       /* `)`: capture `a` ends */
    OP_BALANCE,     /* `%bxy`: `a` = x, `b` = y */
    OP_FRONTIER,    /* `%f[set]`: `bytes` is the set */
    OP_BACKREF,     /* `%1`-`%9`: capture `a` again */
    OP_END_ANCHOR,  /* `$` at the end */
};

enum pattern_repeat { REPEAT_ONE, REPEAT_STAR, REPEAT_PLUS, REPEAT_MINUS, REPEAT_OPTIONAL };

enum pattern_error {
    ERROR_ENDS_WITH_PERCENT,
    ERROR_MISSING_BRACKET,
    ERROR_BALANCE_ARGUMENTS,
    ERROR_FRONTIER_BRACKET,
    ERROR_CAPTURE_INDEX,
    ERROR_TOO_MANY_CAPTURES,
    ERROR_CLOSE_WITHOUT_OPEN,
};

/* How each capture stands at the end of the pattern. */
enum pattern_capture_kind { CAPTURE_UNFINISHED, CAPTURE_STRING, CAPTURE_POSITION };

typedef struct {
    uint8_t op;       /* enum pattern_op */
    uint8_t repeat;   /* enum pattern_repeat, for OP_CHAR, OP_ANY and OP_SET */
    uint8_t a, b;
    int16_t depth;    /* nesting before this instruction due to capture brackets, counting the outermost level */
    int16_t slot;     /* repeated items: the row of the memo (see pattern_match.c) */
    uint32_t length;  /* OP_STRING */
    const uint8_t *bytes;
} pattern_instr;

typedef struct {
    pattern_instr *code;
    uint8_t (*sets)[32];
    uint8_t *literals;
    int anchored;         /* a leading `^` (read as an anchor only where asked) */
    int captures;         /* captures the pattern opens */
    uint8_t kinds[PATTERN_MAX_CAPTURES];
    int slots;            /* repeated items */
    int memoizable;       /* failures depend on the position only: no back-reference, and the nesting
                           * limit cannot be reached (then no path fails for lack of depth) */
} pattern_program;

typedef struct {
    size_t instructions, sets, literals, slots;
} pattern_size;

/* A repeated item that still has alternatives to try. */
typedef struct {
    int32_t pc;
    int32_t taking;       /* REPEAT_OPTIONAL: still on the alternative that takes the byte */
    size_t start;         /* where the item began */
    size_t position;      /* where the rest of the pattern is being tried */
    size_t end;           /* REPEAT_STAR and REPEAT_PLUS: end of the run of matching bytes */
} pattern_frame;

/* Measures the program for pattern `p` (`anchor`: whether a leading `^` is an anchor). */
void pattern_measure(const uint8_t *p, size_t lp, int anchor, pattern_size *size);
/* Bytes of storage a program of `size` needs, its frames included. */
size_t pattern_room_bytes(const pattern_size *size);
/* Points `program` and `*frames` into `room` (pattern_room_bytes(size) bytes, suitably aligned). */
void pattern_place(pattern_program *program, pattern_frame **frames, void *room, const pattern_size *size);
/* Compiles `p` into a program placed for its measured size. */
void pattern_compile(pattern_program *program, const uint8_t *p, size_t lp, int anchor);

typedef struct {
    size_t start;
    size_t length;
} pattern_capture;

/* One search of a program over a subject, with its budget. Fill the fields marked "in", then call
 * pattern_matcher_start. */
typedef struct {
    lua_State *L;                    /* in */
    const uint8_t *subject;          /* in */
    size_t length;                   /* in */
    const pattern_program *program;  /* in */
    pattern_frame *frames;           /* in: the frames pattern_place set aside for the program */
    int memo_index;                  /* in: a stack slot of L where the memo may be kept (or 0: none) */
    int memo_policy;                 /* in: lshim_memo_policy */
    uint8_t *memo;                   /* in/out: the memo kept at memo_index (NULL until there is one) */
    long refills;                    /* in/out: budgets spent so far (carried over by gmatch) */
    /* the search's own */
    int budget;
    long memo_after;
    pattern_capture captures[PATTERN_MAX_CAPTURES];
} pattern_matcher;

void pattern_matcher_start(pattern_matcher *m);
/* Finds the first match starting at `from` or later (only at `from` for an anchored program): returns its
 * end and sets `*start`, or returns -1. Raises Lua errors for malformed patterns and at the deadline. */
ptrdiff_t pattern_search(pattern_matcher *m, size_t from, size_t *start);
/* Finds `needle` in the subject from `from` on, as plain bytes: returns its start or -1. */
ptrdiff_t pattern_search_plain(pattern_matcher *m, const uint8_t *needle, size_t length, size_t from);
/* Accounts for `work` bytes of copying done on behalf of the search (replacements). */
void pattern_charge(pattern_matcher *m, size_t work);

#endif
