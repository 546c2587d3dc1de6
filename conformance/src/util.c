/*
 * util.c - byte buffer, hex, clock and file helpers of plexus-conform (see util.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

static int buf_reserve(cf_buf *b, size_t extra) {
    size_t need, cap;
    uint8_t *p;

    if (extra > SIZE_MAX - b->len - 1) return -1;
    need = b->len + extra + 1; /* room for a NUL so text users can terminate in place */
    if (need <= b->cap) return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = realloc(b->data, cap);
    if (!p) return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int cf_buf_add(cf_buf *b, const void *data, size_t len) {
    if (buf_reserve(b, len)) return -1;
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = 0;
    return 0;
}

int cf_buf_str(cf_buf *b, const char *s) {
    return cf_buf_add(b, s, strlen(s));
}

int cf_buf_printf(cf_buf *b, const char *fmt, ...) {
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n)) return -1;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void cf_buf_consume(cf_buf *b, size_t n) {
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

char *cf_buf_take_str(cf_buf *b) {
    char *s;

    if (buf_reserve(b, 0)) return NULL;
    b->data[b->len] = 0;
    s = (char *)b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

void cf_buf_free(cf_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int cf_hex_decode(const char *hex, cf_buf *out) {
    int hi = -1;

    for (; *hex; hex++) {
        int d;
        uint8_t byte;

        if (*hex == ' ' || *hex == '\t' || *hex == '\n' || *hex == '\r') continue;
        d = hex_digit(*hex);
        if (d < 0) return -1;
        if (hi < 0) {
            hi = d;
            continue;
        }
        byte = (uint8_t)(hi << 4 | d);
        if (cf_buf_add(out, &byte, 1)) return -1;
        hi = -1;
    }
    return hi < 0 ? 0 : -1;
}

int cf_hex_encode(const uint8_t *data, size_t len, cf_buf *out) {
    static const char digits[] = "0123456789abcdef";
    size_t i;

    if (buf_reserve(out, len * 2)) return -1;
    for (i = 0; i < len; i++) {
        out->data[out->len++] = (uint8_t)digits[data[i] >> 4];
        out->data[out->len++] = (uint8_t)digits[data[i] & 15];
    }
    out->data[out->len] = 0;
    return 0;
}

char *cf_hex_str(const uint8_t *data, size_t len) {
    cf_buf b = {0};

    if (cf_hex_encode(data, len, &b)) {
        cf_buf_free(&b);
        return NULL;
    }
    return cf_buf_take_str(&b);
}

size_t cf_utf8_seq(const unsigned char *s, size_t len) {
    unsigned c, need, i;
    uint32_t cp;

    if (!len) return 0;
    c = s[0];
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf)
        need = 1, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        need = 2, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        need = 3, cp = c & 0x07;
    else
        return 0;
    if (len < need + 1) return 0;
    for (i = 1; i <= need; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return need + 1;
}

size_t cf_utf8_cut(const char *s, size_t len) {
    const unsigned char *u = (const unsigned char *)s;
    size_t start = len, back = 0;

    /* find the lead byte of the last character (at most 3 continuation bytes back) */
    while (start > 0 && back < 4 && (u[start - 1] & 0xc0) == 0x80) {
        start--;
        back++;
    }
    if (start == 0 || u[start - 1] < 0x80) return len; /* ends on ASCII or only continuations */
    start--;                                           /* u[start] is a lead byte */
    {
        unsigned c = u[start];
        size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;

        return len - start < want ? start : len;
    }
}

char *cf_utf8_sanitize(const char *s, size_t len) {
    const unsigned char *u = (const unsigned char *)s;
    cf_buf b = {0};
    size_t i = 0;

    while (i < len) {
        size_t n = u[i] ? cf_utf8_seq(u + i, len - i) : 0;

        if (n) {
            if (cf_buf_add(&b, u + i, n)) goto nomem;
            i += n;
        } else {
            if (cf_buf_add(&b, "\xef\xbf\xbd", 3)) goto nomem;
            i++;
        }
    }
    if (cf_buf_add(&b, "", 0)) goto nomem;
    return (char *)b.data;
nomem:
    cf_buf_free(&b);
    return NULL;
}

uint64_t cf_now_ms(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void cf_sleep_ms(uint64_t ms) {
    struct timespec ts;

    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) && errno == EINTR) {
    }
}

char *cf_read_file(const char *path, size_t max, size_t *len) {
    FILE *f = fopen(path, "rb");
    cf_buf b = {0};
    char chunk[65536];
    size_t n;

    if (!f) return NULL;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + n > max) {
            fclose(f);
            cf_buf_free(&b);
            errno = EFBIG;
            return NULL;
        }
        if (cf_buf_add(&b, chunk, n)) {
            fclose(f);
            cf_buf_free(&b);
            errno = ENOMEM;
            return NULL;
        }
    }
    if (ferror(f)) {
        fclose(f);
        cf_buf_free(&b);
        errno = EIO;
        return NULL;
    }
    fclose(f);
    if (len) *len = b.len;
    return cf_buf_take_str(&b);
}
