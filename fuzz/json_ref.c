/*
 * json_ref.c - a strict recursive-descent JSON validator written independently of the codec
 * (see json_ref.h). Member names are unescaped to compare them; everything else is only
 * checked.
 */
#include "json_ref.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

typedef struct lexer {
    const uint8_t *t;
    size_t len, i;
} lexer;

/* A growable byte string: an unescaped member name. */
typedef struct name {
    uint8_t *p;
    size_t len, cap;
} name;

static int value(lexer *x, int depth);

static void put(name *n, uint8_t c) {
    if (!n) return;
    if (n->len == n->cap) {
        n->cap = n->cap ? n->cap * 2 : 16;
        n->p = realloc(n->p, n->cap);
        FUZZ_CHECK(n->p != NULL);
    }
    n->p[n->len++] = c;
}

static void put_utf8(name *n, unsigned long u) {
    if (u < 0x80) {
        put(n, (uint8_t)u);
    } else if (u < 0x800) {
        put(n, (uint8_t)(0xC0 | (u >> 6)));
        put(n, (uint8_t)(0x80 | (u & 0x3F)));
    } else if (u < 0x10000) {
        put(n, (uint8_t)(0xE0 | (u >> 12)));
        put(n, (uint8_t)(0x80 | ((u >> 6) & 0x3F)));
        put(n, (uint8_t)(0x80 | (u & 0x3F)));
    } else {
        put(n, (uint8_t)(0xF0 | (u >> 18)));
        put(n, (uint8_t)(0x80 | ((u >> 12) & 0x3F)));
        put(n, (uint8_t)(0x80 | ((u >> 6) & 0x3F)));
        put(n, (uint8_t)(0x80 | (u & 0x3F)));
    }
}

static void skip_ws(lexer *x) {
    while (x->i < x->len &&
           (x->t[x->i] == ' ' || x->t[x->i] == '\t' || x->t[x->i] == '\n' || x->t[x->i] == '\r'))
        x->i++;
}

static int peek(const lexer *x) {
    return x->i < x->len ? x->t[x->i] : -1;
}

static int digit(int c) {
    return c >= '0' && c <= '9';
}

static int literal(lexer *x, const char *word) {
    for (; *word; word++, x->i++)
        if (peek(x) != (uint8_t)*word) return 0;
    return 1;
}

static int digits(lexer *x) {
    if (!digit(peek(x))) return 0;
    while (digit(peek(x)))
        x->i++;
    return 1;
}

/* 1 if the number text p[0..n) is within the range of a double (BODY-5: 1e999 is BAD_JSON). */
static int finite_number(const uint8_t *p, size_t n) {
    char *s = malloc(n + 1);
    if (!s) plx_fuzz_fail(__FILE__, __LINE__, "out of memory");
    memcpy(s, p, n);
    s[n] = 0;
    double d = strtod(s, NULL);
    free(s);
    return isfinite(d);
}

static int number(lexer *x) {
    size_t start = x->i;
    if (peek(x) == '-') x->i++;
    if (peek(x) == '0')
        x->i++;
    else if (!digits(x))
        return 0;
    if (peek(x) == '.') {
        x->i++;
        if (!digits(x)) return 0;
    }
    if (peek(x) == 'e' || peek(x) == 'E') {
        x->i++;
        if (peek(x) == '+' || peek(x) == '-') x->i++;
        if (!digits(x)) return 0;
    }
    return finite_number(x->t + start, x->i - start);
}

/* Reads the 4 hex digits after "\u"; -1 if malformed. */
static long hex4(lexer *x) {
    long v = 0;
    for (int k = 0; k < 4; k++, x->i++) {
        int c = peek(x);
        if (digit(c))
            v = v * 16 + (c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v * 16 + (c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v = v * 16 + (c - 'A' + 10);
        else
            return -1;
    }
    return v;
}

/* Scans a string at x->i (its opening quote); unescapes it into out when out is not NULL. */
static int string(lexer *x, name *out) {
    static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";
    x->i++;
    for (;;) {
        int c = peek(x);
        if (c < 0x20) return 0; /* end of text, or a raw control character (U+0000 too) */
        x->i++;
        if (c == '"') return 1;
        if (c != '\\') {
            put(out, (uint8_t)c);
            continue;
        }
        c = peek(x);
        x->i++;
        const char *e = c > 0 ? strchr(esc_in, c) : NULL;
        if (e && *e) {
            put(out, (uint8_t)esc_out[e - esc_in]);
            continue;
        }
        if (c != 'u') return 0;
        long u = hex4(x);
        if (u <= 0 || (u >= 0xDC00 && u <= 0xDFFF)) return 0; /* \u0000, lone low surrogate */
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (peek(x) != '\\') return 0;
            x->i++;
            if (peek(x) != 'u') return 0;
            x->i++;
            long lo = hex4(x);
            if (lo < 0xDC00 || lo > 0xDFFF) return 0;
            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        }
        put_utf8(out, (unsigned long)u);
    }
}

/* The members of an object or the elements of an array; x->i is at the opening bracket. */
static int members(lexer *x, int depth, int object) {
    int close = object ? '}' : ']';
    x->i++;
    if (depth > JSON_REF_MAX_DEPTH) return 0;
    skip_ws(x);
    if (peek(x) == close) {
        x->i++;
        return 1;
    }
    name *names = NULL;
    size_t nnames = 0;
    int ok = 0;
    for (;;) {
        skip_ws(x);
        if (object) {
            name n = {NULL, 0, 0};
            int good = peek(x) == '"' && string(x, &n);
            for (size_t k = 0; good && k < nnames; k++)
                if (names[k].len == n.len && (n.len == 0 || memcmp(names[k].p, n.p, n.len) == 0))
                    good = 0; /* a duplicate member */
            names = realloc(names, (nnames + 1) * sizeof(*names));
            FUZZ_CHECK(names != NULL);
            names[nnames++] = n;
            if (!good) break;
            skip_ws(x);
            if (peek(x) != ':') break;
            x->i++;
        }
        if (!value(x, depth)) break;
        skip_ws(x);
        int c = peek(x);
        x->i++;
        if (c == close) {
            ok = 1;
            break;
        }
        if (c != ',') break;
    }
    for (size_t k = 0; k < nnames; k++)
        free(names[k].p);
    free(names);
    return ok;
}

static int value(lexer *x, int depth) {
    skip_ws(x);
    int c = peek(x);
    switch (c) {
    case '{':
        return members(x, depth + 1, 1);
    case '[':
        return members(x, depth + 1, 0);
    case '"':
        return string(x, NULL);
    case 't':
        return literal(x, "true");
    case 'f':
        return literal(x, "false");
    case 'n':
        return literal(x, "null");
    default:
        return (c == '-' || digit(c)) && number(x);
    }
}

json_ref_result json_ref_check(const uint8_t *text, size_t len) {
    lexer x = {text, len, 0};
    skip_ws(&x);
    int object = peek(&x) == '{';
    if (!value(&x, 0)) return JSON_REF_INVALID;
    skip_ws(&x);
    if (x.i != len) return JSON_REF_INVALID;
    return object ? JSON_REF_OBJECT : JSON_REF_OTHER;
}

int json_ref_equal(const cJSON *a, const cJSON *b) {
    if ((a->type & 0xFF) != (b->type & 0xFF)) return 0;
    if ((a->string == NULL) != (b->string == NULL)) return 0;
    if (a->string && strcmp(a->string, b->string) != 0) return 0;
    if (cJSON_IsNumber(a)) return a->valuedouble == b->valuedouble;
    if (cJSON_IsString(a)) return strcmp(a->valuestring, b->valuestring) == 0;
    const cJSON *x = a->child, *y = b->child;
    for (; x && y; x = x->next, y = y->next)
        if (!json_ref_equal(x, y)) return 0;
    return x == NULL && y == NULL;
}

int json_ref_msg_equal(const plx_msg *a, const plx_msg *b) {
    if (!json_ref_equal(a->json, b->json) || a->natt != b->natt) return 0;
    for (size_t i = 0; i < a->natt; i++)
        if (a->att[i].len != b->att[i].len ||
            (a->att[i].len && memcmp(a->att[i].data, b->att[i].data, a->att[i].len) != 0))
            return 0;
    return 1;
}
