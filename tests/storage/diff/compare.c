/*
 * compare.c - reply comparison and printing (compare.h).
 */
#include "compare.h"

#include <stdlib.h>
#include <string.h>

static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c;
    return alen < blen ? -1 : alen > blen;
}

/* A total order on replies (for sorting the elements of unordered arrays). */
static int reply_cmp(const plx_store_reply *a, const plx_store_reply *b) {
    if (a->type != b->type) return a->type < b->type ? -1 : 1;
    switch (a->type) {
    case PLX_STORE_REPLY_NIL:
        return 0;
    case PLX_STORE_REPLY_INT:
        return a->integer < b->integer ? -1 : a->integer > b->integer;
    case PLX_STORE_REPLY_ARRAY:
        if (a->nelem != b->nelem) return a->nelem < b->nelem ? -1 : 1;
        for (size_t i = 0; i < a->nelem; i++) {
            int c = reply_cmp(a->elem[i], b->elem[i]);
            if (c) return c;
        }
        return 0;
    case PLX_STORE_REPLY_ERROR:
        if (a->code != b->code) return a->code < b->code ? -1 : 1;
        /* fall through */
    default:
        return bytes_cmp(a->str, a->len, b->str, b->len);
    }
}

static int cmp_ptr(const void *x, const void *y) {
    return reply_cmp(*(plx_store_reply *const *)x, *(plx_store_reply *const *)y);
}

/* Pairs (elements 2i, 2i+1) ordered by field, then value. */
static int cmp_pair(const void *x, const void *y) {
    plx_store_reply *const *a = x, *const *b = y;
    int c = reply_cmp(a[0], b[0]);
    return c ? c : reply_cmp(a[1], b[1]);
}

static plx_store_reply **sorted_copy(const plx_store_reply *r, int pairs) {
    plx_store_reply **v = malloc((r->nelem ? r->nelem : 1) * sizeof(*v));
    if (!v) return NULL;
    if (r->nelem) memcpy(v, r->elem, r->nelem * sizeof(*v));
    if (pairs)
        qsort(v, r->nelem / 2, 2 * sizeof(*v), cmp_pair);
    else
        qsort(v, r->nelem, sizeof(*v), cmp_ptr);
    return v;
}

int plx_store_reply_equal(const plx_store_reply *a, const plx_store_reply *b, plx_cmp_mode mode) {
    if (!a || !b) return a == b;
    if (mode == PLX_CMP_EXACT || a->type != PLX_STORE_REPLY_ARRAY ||
        b->type != PLX_STORE_REPLY_ARRAY || a->nelem != b->nelem ||
        (mode == PLX_CMP_PAIRS && a->nelem % 2))
        return reply_cmp(a, b) == 0;
    plx_store_reply **x = sorted_copy(a, mode == PLX_CMP_PAIRS);
    plx_store_reply **y = sorted_copy(b, mode == PLX_CMP_PAIRS);
    int eq = x && y;
    for (size_t i = 0; eq && i < a->nelem; i++)
        eq = reply_cmp(x[i], y[i]) == 0;
    free(x);
    free(y);
    return eq;
}

#define PRINT_MAX_BYTES 200 /* of one string */
#define PRINT_MAX_ELEMS 32  /* of one array */

static void print_bytes(FILE *f, const char *s, size_t len) {
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        if (i == PRINT_MAX_BYTES) {
            fprintf(f, "...(%zu bytes)", len);
            break;
        }
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

void plx_store_reply_print(FILE *f, const plx_store_reply *r) {
    if (!r) {
        fputs("(no reply)", f);
        return;
    }
    switch (r->type) {
    case PLX_STORE_REPLY_NIL:
        fputs("(nil)", f);
        break;
    case PLX_STORE_REPLY_INT:
        fprintf(f, "(integer) %lld", r->integer);
        break;
    case PLX_STORE_REPLY_STATUS:
        fprintf(f, "+%s", r->str);
        break;
    case PLX_STORE_REPLY_BULK:
        print_bytes(f, r->str, r->len);
        break;
    case PLX_STORE_REPLY_ERROR:
        fprintf(f, "(error %d) ", r->code);
        print_bytes(f, r->str, r->len);
        break;
    case PLX_STORE_REPLY_ARRAY:
        fputc('[', f);
        for (size_t i = 0; i < r->nelem; i++) {
            if (i) fputs(", ", f);
            if (i == PRINT_MAX_ELEMS) {
                fprintf(f, "...(%zu elements)", r->nelem);
                break;
            }
            plx_store_reply_print(f, r->elem[i]);
        }
        fputc(']', f);
        break;
    }
}
