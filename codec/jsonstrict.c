/*
 * jsonstrict.c - the strict JSON rules cJSON's lenient parser does not enforce (see
 * jsonstrict.h): a one-pass lexical check of the text, then a check of the parsed tree
 * (duplicate members, numbers beyond the double range). The parse itself is left to cJSON.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "jsonstrict.h"

#define PAIRWISE_MAX 8 /* objects with at most this many members are checked pairwise */

static int is_digit(uint8_t c) {
    return c >= '0' && c <= '9';
}

/* Scans a number at text[*i] ('-' or a digit) against the JSON grammar
 * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? and advances *i past it. 0 if malformed. */
static int lex_number(const uint8_t *t, size_t len, size_t *i) {
    size_t p = *i;
    if (t[p] == '-') p++;
    if (p >= len || !is_digit(t[p])) return 0;
    if (t[p] == '0')
        p++;
    else
        while (p < len && is_digit(t[p]))
            p++;
    if (p < len && t[p] == '.') {
        if (++p >= len || !is_digit(t[p])) return 0;
        while (p < len && is_digit(t[p]))
            p++;
    }
    if (p < len && (t[p] == 'e' || t[p] == 'E')) {
        if (++p < len && (t[p] == '+' || t[p] == '-')) p++;
        if (p >= len || !is_digit(t[p])) return 0;
        while (p < len && is_digit(t[p]))
            p++;
    }
    /* Whatever follows must end the number: "01", "1.2.3" and "1e5e5" are not numbers. */
    if (p < len &&
        (is_digit(t[p]) || t[p] == '.' || t[p] == 'e' || t[p] == 'E' || t[p] == '+' || t[p] == '-'))
        return 0;
    *i = p;
    return 1;
}

static int is_hex(uint8_t c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* 1 if t[p..p+3] are four hex digits not all '0': cJSON reads a malformed \u escape
 * ("\u0arg") as U+0000 and cuts the string there, so both are refused here. */
static int unicode_escape_ok(const uint8_t *t, size_t len, size_t p) {
    if (p + 4 > len) return 0;
    int nonzero = 0;
    for (size_t k = 0; k < 4; k++) {
        if (!is_hex(t[p + k])) return 0;
        nonzero |= t[p + k] != '0';
    }
    return nonzero;
}

/* Scans a string whose opening quote is at text[*i] and advances *i past its closing quote.
 * 0 on a raw control character, \u0000 or a \u not followed by four hex digits. An
 * unterminated string is left to the parser. */
static int lex_string(const uint8_t *t, size_t len, size_t *i) {
    size_t p = *i + 1;
    while (p < len && t[p] != '"') {
        if (t[p] < 0x20) return 0;
        if (t[p] == '\\' && p + 1 < len) {
            if (t[p + 1] == 'u' && !unicode_escape_ok(t, len, p + 2)) return 0;
            p++;
        }
        p++;
    }
    *i = p + 1;
    return 1;
}

int plx_json_lex_ok(const uint8_t *text, size_t len) {
    size_t i = 0, depth = 0;
    while (i < len) {
        uint8_t c = text[i];
        if (c == '"') {
            if (!lex_string(text, len, &i)) return 0;
        } else if (c == '-' || is_digit(c)) {
            if (!lex_number(text, len, &i)) return 0;
        } else if (c >= 0x80 || c == 0x7f || (c < 0x20 && c != '\t' && c != '\n' && c != '\r')) {
            return 0;
        } else {
            if ((c == '[' || c == '{') && ++depth > PLX_JSON_MAX_DEPTH) return 0;
            if ((c == ']' || c == '}') && depth > 0) depth--;
            i++;
        }
    }
    return 1;
}

static int by_name(const void *a, const void *b) {
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* 0 if the members of obj (n of them) have distinct names, else PLX_E_BAD_JSON. */
static int members_distinct(const plx_allocator *a, const cJSON *obj, size_t n) {
    if (n <= PAIRWISE_MAX) {
        for (const cJSON *x = obj->child; x; x = x->next) {
            for (const cJSON *y = x->next; y; y = y->next) {
                if (!strcmp(x->string, y->string)) return PLX_E_BAD_JSON;
            }
        }
        return 0;
    }
    const cJSON **v = plx_alloc(a, n * sizeof(*v));
    if (!v) return PLX_E_NOMEM;
    size_t k = 0;
    for (const cJSON *x = obj->child; x; x = x->next)
        v[k++] = x;
    qsort(v, n, sizeof(*v), by_name);
    int rc = 0;
    for (k = 1; k < n && !rc; k++) {
        if (!strcmp(v[k - 1]->string, v[k]->string)) rc = PLX_E_BAD_JSON;
    }
    plx_free(a, v);
    return rc;
}

int plx_json_tree_ok(const plx_allocator *a, const cJSON *item) {
    if (cJSON_IsNumber(item)) return isfinite(item->valuedouble) ? 0 : PLX_E_BAD_JSON;
    if (!cJSON_IsObject(item) && !cJSON_IsArray(item)) return 0;
    size_t n = 0;
    for (const cJSON *c = item->child; c; c = c->next) {
        int rc = plx_json_tree_ok(a, c);
        if (rc) return rc;
        n++;
    }
    return cJSON_IsObject(item) ? members_distinct(a, item, n) : 0;
}

/* 1 if v is 2^53 or more in magnitude (such a double is an integer). */
static int big(double v) {
    return v >= PLX_JSON_EXACT_LIMIT || v <= -PLX_JSON_EXACT_LIMIT;
}

/* 1 if some number under item is 2^53 or more in magnitude. */
static int has_big_integer(const cJSON *item) {
    if (cJSON_IsNumber(item)) return big(item->valuedouble);
    for (const cJSON *c = item->child; c; c = c->next)
        if (has_big_integer(c)) return 1;
    return 0;
}

/* Moves *i to the next number token of the text (strings skipped); 0 when there is none. */
static int next_number(const uint8_t *t, size_t len, size_t *i) {
    while (*i < len) {
        uint8_t c = t[*i];
        if (c == '-' || is_digit(c)) return 1;
        if (c == '"') {
            if (!lex_string(t, len, i)) return 0;
        } else {
            (*i)++;
        }
    }
    return 0;
}

/* Pairs the number nodes under item, in document order, with the number tokens of the text
 * from *i on, and keeps the text of the big integer literals. PLX_E_NOMEM or 0; -1 when the
 * text and the tree do not match (not the text the tree was parsed from). */
static int keep_digits(cJSON *item, const uint8_t *t, size_t len, size_t *i) {
    if (cJSON_IsNumber(item)) {
        size_t start;
        if (!next_number(t, len, i)) return -1;
        start = *i;
        if (!lex_number(t, len, i)) return -1;
        int integer = 1;
        for (size_t k = start; k < *i; k++)
            if (t[k] == '.' || t[k] == 'e' || t[k] == 'E') integer = 0;
        if (integer && big(item->valuedouble) && !item->valuestring) {
            char *d = cJSON_malloc(*i - start + 1);
            if (!d) return PLX_E_NOMEM;
            memcpy(d, t + start, *i - start);
            d[*i - start] = 0;
            item->valuestring = d;
        }
        return 0;
    }
    for (cJSON *c = item->child; c; c = c->next) {
        int rc = keep_digits(c, t, len, i);
        if (rc) return rc;
    }
    return 0;
}

int plx_json_keep_digits(cJSON *root, const uint8_t *text, size_t len) {
    size_t i = 0;

    if (!root || !has_big_integer(root)) return 0;
    return keep_digits(root, text, len, &i) == PLX_E_NOMEM ? PLX_E_NOMEM : 0;
}
