/*
 * jsonout.c - the codec's JSON printer: cJSON trees as unformatted text, the bytes
 * cJSON_PrintUnformatted gives (test vectors depend on them) except that every number reads
 * back exactly: numbers take cJSON's route (%1.15g, else %1.17g) but the %1.15g form must
 * read back to exactly the same double, where cJSON accepts an epsilon (which writes
 * 9007199254740001 as 9.00719925474e+15). Integers below 10^15 skip sprintf. No intermediate
 * string: the text goes straight into the caller's buffer.
 */
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

static int put_number(out *o, double d) {
    char b[40];
    int n;

    if (d * 0 != 0) return put(o, "null", 4); /* NaN and infinities */
    if (fabs(d) < 1e15 && d == (double)(long long)d && !(d == 0 && signbit(d))) {
        /* the common case, without sprintf */
        unsigned long long v = d < 0 ? (unsigned long long)-(long long)d : (unsigned long long)d;
        char *e = b + sizeof(b), *p = e;
        do {
            *--p = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        if (d < 0) *--p = '-';
        return put(o, p, (size_t)(e - p));
    }
    /* cJSON's route, but the short form must read back to exactly the same double */
    double test = 0;
    n = snprintf(b, sizeof(b), "%1.15g", d);
    if (sscanf(b, "%lg", &test) != 1 || test != d) n = snprintf(b, sizeof(b), "%1.17g", d);
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

char *plx_json_text(const plx_allocator *a, const cJSON *item) {
    uint8_t *buf = NULL;
    size_t cap = 0, end = 0;
    int rc = plx_json_print(a, item, &buf, &cap, 0, &end);
    if (rc == PLX_OK && end < cap) {
        buf[end] = 0;
        return (char *)buf;
    }
    if (rc == PLX_OK) { /* no room for the NUL */
        uint8_t *nb = plx_realloc(a, buf, end + 1);
        if (!nb) {
            plx_free(a, buf);
            return NULL;
        }
        nb[end] = 0;
        return (char *)nb;
    }
    plx_free(a, buf);
    if (rc != PLX_E_INVAL) return NULL;
    char *js = cJSON_PrintUnformatted(item); /* deeper than PLX_JSONOUT_DEPTH */
    if (!js) return NULL;
    size_t n = strlen(js);
    char *copy = plx_alloc(a, n + 1);
    if (copy) memcpy(copy, js, n + 1);
    cJSON_free(js);
    return copy;
}
