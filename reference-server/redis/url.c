/*
 * url.c - plx_rstore_parse_url: redis://HOST[:PORT][/DB] into host, port and DB index.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rstore.h"

#define URL_SCHEME   "redis://"
#define HOST_MAX     253
#define DEFAULT_PORT 6379
#define DB_MAX       15

static int url_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int url_fail(char *err, size_t errlen, const char *fmt, ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return PLX_E_INVAL;
}

static int host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
}

/* A decimal number of 1..5 digits in s[0..len) no greater than max; -1 otherwise. */
static long small_number(const char *s, size_t len, long max) {
    if (len == 0 || len > 5) return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v <= max ? v : -1;
}

int plx_rstore_parse_url(const char *url, char *host, size_t hostlen, int *port, int *db, char *err,
                         size_t errlen) {
    if (!url || !host || !port || !db) return url_fail(err, errlen, "no URL");
    if (strncmp(url, URL_SCHEME, strlen(URL_SCHEME)) != 0)
        return url_fail(err, errlen, "the URL must start with redis://");
    const char *h = url + strlen(URL_SCHEME);
    size_t hlen = strcspn(h, ":/");
    if (hlen == 0) return url_fail(err, errlen, "no host in the URL");
    for (size_t i = 0; i < hlen; i++)
        if (!host_char(h[i]))
            return url_fail(err, errlen,
                            "bad character '%c' in the host (user, password, "
                            "query and IPv6 literals are not supported)",
                            h[i]);
    if (hlen > HOST_MAX || hlen >= hostlen)
        return url_fail(err, errlen, "host longer than %zu bytes",
                        hostlen - 1 < HOST_MAX ? hostlen - 1 : (size_t)HOST_MAX);

    const char *p = h + hlen;
    long portv = DEFAULT_PORT, dbv = 0;
    if (*p == ':') {
        size_t plen = strcspn(p + 1, "/");
        portv = small_number(p + 1, plen, 65535);
        if (portv < 1) return url_fail(err, errlen, "port must be a number 1..65535");
        p += 1 + plen;
    }
    if (*p == '/') {
        size_t dlen = strlen(p + 1);
        dbv = small_number(p + 1, dlen, DB_MAX);
        if (dbv < 0) return url_fail(err, errlen, "DB must be a number 0..%d", DB_MAX);
        p += 1 + dlen;
    }
    if (*p) return url_fail(err, errlen, "unexpected text after the URL");
    memcpy(host, h, hlen);
    host[hlen] = 0;
    *port = (int)portv;
    *db = (int)dbv;
    return 0;
}
