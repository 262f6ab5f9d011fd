/*
 * Reading a Lua pattern (reference manual §6.4.1) into a program (see pattern_program.h).
 *
 * The reader goes through the pattern once to measure it and once to write the program, item by item. A
 * malformed item becomes an OP_ERROR instruction that ends the program: Lua raises such errors only when
 * matching reaches the item, so `("abc"):find("x[")` is nil but `("xbc"):find("x[")` is an error, and so here.
 * Capture brackets are resolved here too, since which capture a `)` closes or a `%1` names depends only on
 * the items before it.
 */
#include "pattern_program.h"

#include <ctype.h>
#include <pthread.h>
#include <string.h>

/* ---------------------------------------------------------------- character classes */

static const char CLASS_LETTERS[] = "acdglpsuwxz";
/* [letter index][0 = class, 1 = complement]: membership of each byte, as the C library classifies it */
static uint8_t class_bits[sizeof CLASS_LETTERS - 1][2][32];
static pthread_once_t classes_once = PTHREAD_ONCE_INIT;

static int in_class(int letter, int c) {
    switch (letter) {
        case 'a': return isalpha(c);
        case 'c': return iscntrl(c);
        case 'd': return isdigit(c);
        case 'g': return isgraph(c);
        case 'l': return islower(c);
        case 'p': return ispunct(c);
        case 's': return isspace(c);
        case 'u': return isupper(c);
        case 'w': return isalnum(c);
        case 'x': return isxdigit(c);
        default: return c == 0;  /* 'z', still accepted by Lua 5.4 */
    }
}

static void build_classes(void) {
    for (size_t k = 0; CLASS_LETTERS[k] != '\0'; k++) {
        for (int c = 0; c < 256; c++) {
            int member = in_class(CLASS_LETTERS[k], c) != 0;
            class_bits[k][!member][c >> 3] |= (uint8_t)(1u << (c & 7));
        }
    }
}

/* The membership of `%letter`, or NULL when the letter names no class (then `%letter` is the letter). */
static const uint8_t *class_of(uint8_t letter) {
    int upper = letter >= 'A' && letter <= 'Z';
    const char *found = memchr(CLASS_LETTERS, upper ? letter + ('a' - 'A') : letter, sizeof CLASS_LETTERS - 1);
    if (found == NULL) return NULL;
    pthread_once(&classes_once, build_classes);
    return class_bits[found - CLASS_LETTERS][upper];
}

static void add_byte(uint8_t *set, uint8_t c) { set[c >> 3] |= (uint8_t)(1u << (c & 7)); }

static void add_bits(uint8_t *set, const uint8_t *bits) {
    for (int k = 0; k < 32; k++) set[k] |= bits[k];
}

/* ---------------------------------------------------------------- sets */

/* Where the set opening at p[at] ('[') ends, just after its ']'; 0 if it never closes. The first byte after
 * `[` or `[^` belongs to the set even if it is ']', and `%` takes the byte after it. */
static size_t set_end(const uint8_t *p, size_t lp, size_t at) {
    size_t j = at + 1;
    if (j < lp && p[j] == '^') j++;
    do {
        if (j >= lp) return 0;
        if (p[j++] == '%' && j < lp) j++;
    } while (j >= lp || p[j] != ']');
    return j + 1;
}

/* The membership of the set p[at..end) (`[` to `]`): bytes, ranges `x-y`, escapes and classes, maybe `^`. */
static void build_set(uint8_t *set, const uint8_t *p, size_t at, size_t end) {
    size_t k = at + 1, last = end - 1;  /* p[last] is the closing ']' */
    int complement = p[k] == '^';
    if (complement) k++;
    memset(set, 0, 32);
    while (k < last) {
        if (p[k] == '%') {
            const uint8_t *bits = class_of(p[k + 1]);
            if (bits != NULL) add_bits(set, bits);
            else add_byte(set, p[k + 1]);
            k += 2;
        } else if (k + 2 < last && p[k + 1] == '-') {
            for (int c = p[k]; c <= p[k + 2]; c++) add_byte(set, (uint8_t)c);
            k += 3;
        } else {
            add_byte(set, p[k++]);
        }
    }
    if (complement) {
        for (int c = 0; c < 32; c++) set[c] = (uint8_t)~set[c];
    }
}

/* ---------------------------------------------------------------- the reader */

/* Writes instructions, or only counts them when `program` is NULL. */
typedef struct {
    pattern_program *program;
    pattern_size size;
    int depth;  /* the current nesting due to capture brackets, counting the outermost level */
} writer;

static pattern_instr *emit(writer *w, uint8_t op) {
    pattern_instr *in = NULL;
    if (w->program != NULL) {
        in = &w->program->code[w->size.instructions];
        memset(in, 0, sizeof *in);
        in->op = op;
        in->depth = (int16_t)w->depth;
        in->slot = -1;
    }
    w->size.instructions++;
    return in;
}

static void emit_error(writer *w, enum pattern_error error, int index) {
    pattern_instr *in = emit(w, OP_ERROR);
    if (in != NULL) {
        in->a = (uint8_t)error;
        in->b = (uint8_t)index;
    }
}

static uint8_t *new_set(writer *w) {
    return w->program != NULL ? w->program->sets[w->size.sets++] : (w->size.sets++, NULL);
}

/* A literal byte: appended to the OP_STRING just written, or the start of a new one. */
static void emit_literal(writer *w, uint8_t c, int follows_literal) {
    if (!follows_literal) {
        pattern_instr *in = emit(w, OP_STRING);
        if (in != NULL) in->bytes = w->program->literals + w->size.literals;
    }
    if (w->program != NULL) {
        w->program->literals[w->size.literals] = c;
        w->program->code[w->size.instructions - 1].length++;
    }
    w->size.literals++;
}

/* A single-character item p[at..end): `.`, `%x`, `[set]` or a byte, with its repetition. Returns whether it
 * was a literal that a following literal may join. */
static int emit_single(writer *w, const uint8_t *p, size_t at, size_t end, enum pattern_repeat repeat,
                       int follows_literal) {
    uint8_t op = p[at] == '.' ? OP_ANY : p[at] == '[' ? OP_SET : OP_CHAR;
    uint8_t c = p[at];
    const uint8_t *bits = NULL;
    if (c == '%') {
        c = p[at + 1];
        bits = class_of(c);
        if (bits != NULL) op = OP_SET;
    }
    if (op == OP_CHAR && repeat == REPEAT_ONE) {
        emit_literal(w, c, follows_literal);
        return 1;
    }
    uint8_t *set = op == OP_SET && bits == NULL ? new_set(w) : NULL;
    pattern_instr *in = emit(w, op);
    if (repeat != REPEAT_ONE) w->size.slots++;
    if (in != NULL) {
        in->repeat = (uint8_t)repeat;
        in->a = c;
        if (repeat != REPEAT_ONE) in->slot = (int16_t)(w->size.slots - 1);
        if (set != NULL) build_set(set, p, at, end);
        in->bytes = set != NULL ? set : bits;
    }
    return 0;
}

static enum pattern_repeat repeat_of(uint8_t c) {
    switch (c) {
        case '*': return REPEAT_STAR;
        case '+': return REPEAT_PLUS;
        case '-': return REPEAT_MINUS;
        case '?': return REPEAT_OPTIONAL;
        default: return REPEAT_ONE;
    }
}

/* Reads the whole pattern; the program is complete (OP_MATCHED or OP_ERROR last) when it returns. */
static void read_pattern(writer *w, const uint8_t *p, size_t lp, int anchor) {
    uint8_t kinds[PATTERN_MAX_CAPTURES];
    int captures = 0, backrefs = 0, brackets = 0;
    int literal = 0;  /* the last instruction is an OP_STRING a literal may join */
    size_t i = 0;
    int anchored = anchor && lp > 0 && p[0] == '^';
    if (anchored) i = 1;
    w->depth = 1;
    for (;;) {
        if (i == lp) {
            emit(w, OP_MATCHED);
            break;
        }
        uint8_t c = p[i];
        if (c == '(') {
            int position = i + 1 < lp && p[i + 1] == ')';
            if (captures == PATTERN_MAX_CAPTURES) {
                emit_error(w, ERROR_TOO_MANY_CAPTURES, 0);
                break;
            }
            pattern_instr *in = emit(w, position ? OP_POSITION : OP_OPEN);
            if (in != NULL) in->a = (uint8_t)captures;
            kinds[captures++] = position ? CAPTURE_POSITION : CAPTURE_UNFINISHED;
            w->depth++;
            brackets++;
            i += position ? 2 : 1;
            literal = 0;
            continue;
        }
        if (c == ')') {
            int open = captures - 1;
            while (open >= 0 && kinds[open] != CAPTURE_UNFINISHED) open--;
            if (open < 0) {
                emit_error(w, ERROR_CLOSE_WITHOUT_OPEN, 0);
                break;
            }
            pattern_instr *in = emit(w, OP_CLOSE);
            if (in != NULL) in->a = (uint8_t)open;
            kinds[open] = CAPTURE_STRING;
            w->depth++;
            brackets++;
            i++;
            literal = 0;
            continue;
        }
        if (c == '$' && i + 1 == lp) {
            emit(w, OP_END_ANCHOR);
            i++;
            literal = 0;
            continue;
        }
        if (c == '%' && i + 1 < lp) {
            uint8_t d = p[i + 1];
            if (d == 'b') {
                if (i + 3 >= lp) {
                    emit_error(w, ERROR_BALANCE_ARGUMENTS, 0);
                    break;
                }
                pattern_instr *in = emit(w, OP_BALANCE);
                if (in != NULL) {
                    in->a = p[i + 2];
                    in->b = p[i + 3];
                }
                i += 4;
                literal = 0;
                continue;
            }
            if (d == 'f') {
                i += 2;
                size_t end = i < lp && p[i] == '[' ? set_end(p, lp, i) : 0;
                if (end == 0) {
                    emit_error(w, i < lp && p[i] == '[' ? ERROR_MISSING_BRACKET : ERROR_FRONTIER_BRACKET, 0);
                    break;
                }
                uint8_t *set = new_set(w);
                pattern_instr *in = emit(w, OP_FRONTIER);
                if (in != NULL) {
                    build_set(set, p, i, end);
                    in->bytes = set;
                }
                i = end;
                literal = 0;
                continue;
            }
            if (d >= '0' && d <= '9') {
                int index = d - '1';
                if (index < 0 || index >= captures || kinds[index] == CAPTURE_UNFINISHED) {
                    emit_error(w, ERROR_CAPTURE_INDEX, index + 1);
                    break;
                }
                pattern_instr *in = emit(w, OP_BACKREF);
                if (in != NULL) in->a = (uint8_t)index;
                backrefs = 1;
                i += 2;
                literal = 0;
                continue;
            }
        }
        /* a single-character item, maybe repeated */
        size_t end;
        if (c == '%') {
            if (i + 1 >= lp) {
                emit_error(w, ERROR_ENDS_WITH_PERCENT, 0);
                break;
            }
            end = i + 2;
        } else if (c == '[') {
            end = set_end(p, lp, i);
            if (end == 0) {
                emit_error(w, ERROR_MISSING_BRACKET, 0);
                break;
            }
        } else {
            end = i + 1;
        }
        enum pattern_repeat repeat = end < lp ? repeat_of(p[end]) : REPEAT_ONE;
        literal = emit_single(w, p, i, end, repeat, literal);
        i = end + (repeat != REPEAT_ONE);
    }
    if (w->program != NULL) {
        pattern_program *program = w->program;
        program->anchored = anchored;
        program->captures = captures;
        memcpy(program->kinds, kinds, (size_t)captures);
        program->slots = (int)w->size.slots;
        program->memoizable = !backrefs && 1 + brackets + (int)w->size.slots <= PATTERN_MAX_DEPTH;
    }
}

void pattern_measure(const uint8_t *p, size_t lp, int anchor, pattern_size *size) {
    writer w = {0};
    read_pattern(&w, p, lp, anchor);
    *size = w.size;
}

void pattern_compile(pattern_program *program, const uint8_t *p, size_t lp, int anchor) {
    writer w = {0};
    w.program = program;
    read_pattern(&w, p, lp, anchor);
}

/* ---------------------------------------------------------------- storage */

static size_t frames_needed(const pattern_size *size) {
    /* one frame per repeated item at most; and frames that count towards the nesting stop at the limit */
    size_t frames = size->slots < PATTERN_MAX_DEPTH ? size->slots : PATTERN_MAX_DEPTH;
    return frames > 0 ? frames : 1;
}

size_t pattern_room_bytes(const pattern_size *size) {
    return size->instructions * sizeof(pattern_instr) + frames_needed(size) * sizeof(pattern_frame)
           + size->sets * 32 + size->literals;
}

void pattern_place(pattern_program *program, pattern_frame **frames, void *room, const pattern_size *size) {
    uint8_t *next = room;
    program->code = (pattern_instr *)next;
    next += size->instructions * sizeof(pattern_instr);
    *frames = (pattern_frame *)next;
    next += frames_needed(size) * sizeof(pattern_frame);
    program->sets = (uint8_t (*)[32])next;
    next += size->sets * 32;
    program->literals = next;
}
