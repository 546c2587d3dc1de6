/*
 * jsonout.c - the encoder's JSON printer: cJSON trees as unformatted text, the same bytes
 * cJSON_PrintUnformatted gives (test vectors depend on it), without its per-number
 * sprintf + sscanf for integers and without an intermediate string: the text goes straight
 * into the encoder's body buffer. Numbers that are not integers below 10^15 take cJSON's own
 * route (%1.15g, checked by reading it back, else %1.17g).
 */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "jsonout.h"

typedef struct out {
    const plx_allocator *a;
    uint8_t **buf;
    size_t *cap;
    size_t len;
} out;

/* Makes room for n more bytes. */
static int room(out *o, size_t n) {
    size_t need = o->len + n, ncap;
    uint8_t *nb;

    if (need <= *o->cap) return PLX_OK;
    ncap = *o->cap ? *o->cap : 256;
    while (ncap < need)
        ncap *= 2;
    nb = plx_realloc(o->a, *o->buf, ncap);
    if (!nb) return PLX_E_NOMEM;
    *o->buf = nb;
    *o->cap = ncap;
    return PLX_OK;
}

static int put(out *o, const void *s, size_t n) {
    if (room(o, n)) return PLX_E_NOMEM;
    memcpy(*o->buf + o->len, s, n);
    o->len += n;
    return PLX_OK;
}

/* cJSON's print_string_ptr: ", \ and \b \f \n \r \t escaped by name, other bytes below 32
 * as \u00xx (lower-case hex), everything else as is; NULL prints "". */
static int put_string(out *o, const char *s) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = 2;
    uint8_t *w;

    for (const unsigned char *q = p; *q; q++)
        n += *q == '"' || *q == '\\' || *q == '\b' || *q == '\f' || *q == '\n' || *q == '\r' ||
                     *q == '\t'
                 ? 2
             : *q < 32 ? 6
                       : 1;
    if (room(o, n)) return PLX_E_NOMEM;
    w = *o->buf + o->len;
    *w++ = '"';
    for (; *p; p++) {
        if (*p > 31 && *p != '"' && *p != '\\') {
            *w++ = *p;
            continue;
        }
        *w++ = '\\';
        switch (*p) {
        case '"':
        case '\\':
            *w++ = *p;
            break;
        case '\b':
            *w++ = 'b';
            break;
        case '\f':
            *w++ = 'f';
            break;
        case '\n':
            *w++ = 'n';
            break;
        case '\r':
            *w++ = 'r';
            break;
        case '\t':
            *w++ = 't';
            break;
        default:
            *w++ = 'u';
            *w++ = '0';
            *w++ = '0';
            *w++ = (uint8_t)hex[*p >> 4];
            *w++ = (uint8_t)hex[*p & 15];
            break;
        }
    }
    *w++ = '"';
    o->len += n;
    return PLX_OK;
}

/* cJSON's compare_double. */
static int same_double(double a, double b) {
    double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) <= m * DBL_EPSILON;
}

static int put_number(out *o, double d) {
    char b[32];
    int n;

    if (d * 0 != 0) return put(o, "null", 4); /* NaN and infinities */
    if (fabs(d) < 1e15 && d == (double)(long long)d && !(d == 0 && signbit(d))) {
        /* an integer %1.15g prints exactly, in plain digits */
        unsigned long long v = d < 0 ? (unsigned long long)-(long long)d : (unsigned long long)d;
        char *e = b + sizeof(b), *p = e;
        do {
            *--p = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        if (d < 0) *--p = '-';
        return put(o, p, (size_t)(e - p));
    }
    double test = 0;
    n = snprintf(b, sizeof(b), "%1.15g", d);
    if (sscanf(b, "%lg", &test) != 1 || !same_double(test, d))
        n = snprintf(b, sizeof(b), "%1.17g", d);
    if (n < 0 || (size_t)n >= sizeof(b)) return PLX_E_INVAL;
    const char *dp = localeconv()->decimal_point; /* cJSON writes '.' whatever the locale */
    for (int i = 0; i < n; i++)
        if (dp && b[i] == dp[0]) b[i] = '.';
    return put(o, b, (size_t)n);
}

static int put_item(out *o, const cJSON *it, int depth) {
    const cJSON *c;
    int rc;

    if (depth > PLX_JSONOUT_DEPTH) return PLX_E_INVAL;
    switch (it->type & 0xff) {
    case cJSON_NULL:
        return put(o, "null", 4);
    case cJSON_False:
        return put(o, "false", 5);
    case cJSON_True:
        return put(o, "true", 4);
    case cJSON_Number:
        return put_number(o, it->valuedouble);
    case cJSON_Raw:
        return it->valuestring ? put(o, it->valuestring, strlen(it->valuestring)) : PLX_E_INVAL;
    case cJSON_String:
        return put_string(o, it->valuestring);
    case cJSON_Array:
    case cJSON_Object: {
        int obj = (it->type & 0xff) == cJSON_Object;
        if ((rc = put(o, obj ? "{" : "[", 1))) return rc;
        for (c = it->child; c; c = c->next) {
            if (c != it->child && (rc = put(o, ",", 1))) return rc;
            if (obj && ((rc = put_string(o, c->string)) || (rc = put(o, ":", 1)))) return rc;
            if ((rc = put_item(o, c, depth + 1))) return rc;
        }
        return put(o, obj ? "}" : "]", 1);
    }
    default:
        return PLX_E_INVAL;
    }
}

int plx_json_print(const plx_allocator *a, const cJSON *item, uint8_t **buf, size_t *cap, size_t at,
                   size_t *end) {
    out o = {a, buf, cap, at};
    int rc;

    if (!item) return PLX_E_INVAL;
    rc = put_item(&o, item, 0);
    if (rc == PLX_OK) *end = o.len;
    return rc;
}
