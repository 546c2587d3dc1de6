/*
 * util.c - number parsing and formatting with Redis 7.0's exact rules, argument helpers.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int plx_str2ll(const uint8_t *p, size_t len, long long *v) {
    if (len == 0 || len >= 21) return 0;
    if (len == 1 && p[0] == '0') {
        *v = 0;
        return 1;
    }
    size_t i = 0;
    int neg = 0;
    if (p[0] == '-') {
        neg = 1;
        if (++i == len) return 0;
    }
    if (p[i] < '1' || p[i] > '9') return 0;
    unsigned long long u = 0;
    for (; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') return 0;
        unsigned d = p[i] - '0';
        if (u > (ULLONG_MAX - d) / 10) return 0;
        u = u * 10 + d;
    }
    if (neg) {
        if (u > (unsigned long long)LLONG_MAX + 1) return 0;
        *v = u == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)u;
    } else {
        if (u > (unsigned long long)LLONG_MAX) return 0;
        *v = (long long)u;
    }
    return 1;
}

int plx_str2d(const uint8_t *p, size_t len, double *v) {
    char small[128];
    char *buf = len < sizeof(small) ? small : malloc(len + 1);
    if (!buf || len == 0) {
        if (buf && buf != small) free(buf);
        return 0;
    }
    memcpy(buf, p, len);
    buf[len] = 0;
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    int ok = !(isspace((unsigned char)buf[0]) || (size_t)(end - buf) != len ||
               (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL || d == 0)) || isnan(d));
    if (buf != small) free(buf);
    if (ok) *v = d;
    return ok;
}

size_t plx_ll2str(char *buf, long long v) {
    return (size_t)snprintf(buf, 21, "%lld", v);
}

size_t plx_d2str(char *buf, size_t cap, double v) {
    int n;
    if (isinf(v))
        n = snprintf(buf, cap, "%s", v > 0 ? "inf" : "-inf");
    else
        n = snprintf(buf, cap, "%.17g", v);
    return n < 0 ? 0 : (size_t)n;
}

int plx_arg_is(const plx_bytes *a, const char *lower) {
    size_t n = strlen(lower);
    if (a->len != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (tolower(a->data[i]) != lower[i]) return 0;
    return 1;
}

int plx_arg_ll(plx_ctx *c, size_t i, long long *v) {
    if (plx_str2ll(c->argv[i].data, c->argv[i].len, v)) return 1;
    plx_add_err(c, plx_err_not_int);
    return 0;
}

int plx_arg_count(plx_ctx *c, size_t i, long long *v) {
    /* Redis passes its range message to the integer parse too, so both failures say it. */
    if (plx_str2ll(c->argv[i].data, c->argv[i].len, v) && *v >= 0) return 1;
    plx_add_err(c, "ERR value is out of range, must be positive");
    return 0;
}

int plx_incr_text(plx_ctx *c, long long *v, long long incr, char buf[32], size_t *len) {
    if ((incr < 0 && *v < 0 && incr < LLONG_MIN - *v) ||
        (incr > 0 && *v > 0 && incr > LLONG_MAX - *v)) {
        plx_add_err(c, "ERR increment or decrement would overflow");
        return 0;
    }
    *v += incr;
    *len = plx_ll2str(buf, *v);
    return 1;
}
