/*
 * reply.c - building reply trees (store.h's plx_store_reply) and the handlers' reply shortcuts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char plx_err_not_int[] = "ERR value is not an integer or out of range";
const char plx_err_not_float[] = "ERR value is not a valid float";
const char plx_err_too_big[] = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

void plx_store_reply_free(plx_store_reply *r) {
    if (!r) return;
    /* elem[i] may be NULL only inside plx_store_reply_check, which frees the broken array. */
    for (size_t i = 0; i < r->nelem; i++)
        plx_store_reply_free(r->elem[i]);
    free(r->elem);
    free(r->str);
    free(r);
}

static plx_store_reply *reply_new(plx_store_reply_type t) {
    plx_store_reply *r = calloc(1, sizeof(*r));
    if (r) r->type = t;
    return r;
}

/* A reply of type t carrying a copy of len bytes (NUL-terminated). */
static plx_store_reply *reply_text(plx_store_reply_type t, const void *data, size_t len) {
    plx_store_reply *r = reply_new(t);
    if (!r) return NULL;
    r->str = malloc(len + 1);
    if (!r->str) {
        free(r);
        return NULL;
    }
    if (len) memcpy(r->str, data, len);
    r->str[len] = 0;
    r->len = len;
    return r;
}

plx_store_reply *plx_store_reply_nil(void) {
    return reply_new(PLX_STORE_REPLY_NIL);
}

plx_store_reply *plx_store_reply_status(const char *text) {
    return reply_text(PLX_STORE_REPLY_STATUS, text, strlen(text));
}

plx_store_reply *plx_store_reply_int(long long v) {
    plx_store_reply *r = reply_new(PLX_STORE_REPLY_INT);
    if (r) r->integer = v;
    return r;
}

plx_store_reply *plx_store_reply_bulk(const void *data, size_t len) {
    return reply_text(PLX_STORE_REPLY_BULK, data, len);
}

plx_store_reply *plx_store_reply_bulk_cstr(const char *text) {
    return reply_text(PLX_STORE_REPLY_BULK, text, strlen(text));
}

plx_store_reply *plx_store_reply_double(double d) {
    char buf[64];
    size_t n = plx_d2str(buf, sizeof(buf), d);
    return plx_store_reply_bulk(buf, n);
}

plx_store_reply *plx_store_reply_array(size_t n) {
    plx_store_reply *r = reply_new(PLX_STORE_REPLY_ARRAY);
    if (!r) return NULL;
    if (n) {
        r->elem = calloc(n, sizeof(*r->elem));
        if (!r->elem) {
            free(r);
            return NULL;
        }
    }
    return r;
}

/* A failed push marks the array through its (otherwise unused) integer field; plx_store_reply_check
 * then discards the array, so the caller never sees a partial reply. */
#define ARRAY_BROKEN (-1)

int plx_store_reply_push(plx_store_reply *a, plx_store_reply *e) {
    if (!a || !e) {
        plx_store_reply_free(e);
        if (a) a->integer = ARRAY_BROKEN;
        return -1;
    }
    a->elem[a->nelem++] = e;
    return 0;
}

plx_store_reply *plx_store_reply_error(int code, const char *text) {
    plx_store_reply *r = reply_text(PLX_STORE_REPLY_ERROR, text, strlen(text));
    if (r) r->code = code;
    return r;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if it is not one. */
static size_t utf8_seq(const unsigned char *p, size_t n) {
    unsigned c = p[0];
    size_t len;
    unsigned min, cp;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, min = 0x80, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, min = 0x800, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

/* Copies text into out (cap bytes), replacing each byte that is not part of a valid UTF-8
 * sequence by U+FFFD (EF BF BD). Returns out. */
static char *utf8_sanitize(const char *text, char *out, size_t cap) {
    const unsigned char *p = (const unsigned char *)text;
    size_t n = strlen(text), o = 0;
    for (size_t i = 0; i < n && o + 4 < cap;) {
        size_t k = utf8_seq(p + i, n - i);
        if (k) {
            memcpy(out + o, p + i, k);
            o += k;
            i += k;
        } else {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    out[o] = 0;
    return out;
}

plx_store_reply *plx_store_reply_errorf(int code, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    /* Redis replaces newlines in error texts with spaces (a RESP error is one line). */
    for (char *p = buf; *p; p++)
        if (*p == '\r' || *p == '\n') *p = ' ';
    char clean[3 * sizeof(buf)];
    return plx_store_reply_error(code, utf8_sanitize(buf, clean, sizeof(clean)));
}

plx_store_reply *plx_store_reply_check(plx_store_reply *r) {
    if (!r || r->type != PLX_STORE_REPLY_ARRAY) return r;
    for (size_t i = 0; i < r->nelem; i++)
        if (r->elem[i]->type == PLX_STORE_REPLY_ARRAY && !plx_store_reply_check(r->elem[i])) {
            r->elem[i] = NULL;
            r->integer = ARRAY_BROKEN;
        }
    if (r->integer == ARRAY_BROKEN) {
        plx_store_reply_free(r);
        return NULL;
    }
    return r;
}

void plx_add_reply(plx_ctx *c, plx_store_reply *r) {
    plx_store_reply_free(c->reply);
    c->reply = r;
}

void plx_add_ok(plx_ctx *c) {
    plx_add_reply(c, plx_store_reply_status("OK"));
}

void plx_add_int(plx_ctx *c, long long v) {
    plx_add_reply(c, plx_store_reply_int(v));
}

void plx_add_nil(plx_ctx *c) {
    plx_add_reply(c, plx_store_reply_nil());
}

void plx_add_bulk(plx_ctx *c, const void *data, size_t len) {
    plx_add_reply(c, plx_store_reply_bulk(data, len));
}

void plx_add_err(plx_ctx *c, const char *text) {
    plx_add_reply(c, plx_store_reply_error(PLX_E_COMMAND_ERROR, text));
}

void plx_add_syntax_err(plx_ctx *c) {
    plx_add_err(c, "ERR syntax error");
}

void plx_add_wrongtype(plx_ctx *c) {
    plx_add_reply(c, plx_store_reply_error(PLX_E_WRONGTYPE,
                                           "WRONGTYPE Operation against a key holding the wrong "
                                           "kind of value"));
}

void plx_add_arity_err(plx_ctx *c) {
    plx_add_reply(c, plx_store_reply_errorf(PLX_E_WRONG_ARITY,
                                            "ERR wrong number of arguments for '%s' command",
                                            c->cmd->name));
}
