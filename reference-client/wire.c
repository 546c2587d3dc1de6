/*
 * wire.c - small helpers between JSON fields and bytes: `bytes` fields (a string or
 * {"$bin": i}), the string-or-attachment choice for outgoing bytes (STO-7), uint fields.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define PLX_MAX_SAFE_UINT 9007199254740991.0 /* 2^53 - 1 */
#define PLX_SHORT_STRING  1024u              /* STO-7: strings shorter than this stay JSON */

int plx_wire_is_bin(const cJSON *v, size_t *i) {
    const cJSON *n;

    if (!cJSON_IsObject(v) || !(n = v->child) || n->next || !n->string ||
        strcmp(n->string, "$bin") != 0 || !cJSON_IsNumber(n))
        return 0;
    if (n->valuedouble < 0 || n->valuedouble != floor(n->valuedouble) ||
        n->valuedouble > PLX_MAX_SAFE_UINT)
        return 0;
    *i = (size_t)n->valuedouble;
    return 1;
}

int plx_wire_bytes(const cJSON *v, const plx_bytes *att, size_t natt, plx_bytes *out) {
    size_t i;

    if (cJSON_IsString(v) && v->valuestring) {
        out->data = (const uint8_t *)v->valuestring;
        out->len = strlen(v->valuestring);
        return 0;
    }
    if (plx_wire_is_bin(v, &i) && i < natt) {
        *out = att[i];
        return 0;
    }
    return PLX_E_BAD_REPLY;
}

/* 1 when b travels as a JSON string (STO-7): shorter than PLX_SHORT_STRING, valid UTF-8,
 * no NUL. */
static int short_string(plx_bytes b) {
    return b.len < PLX_SHORT_STRING && !memchr(b.data ? (const void *)b.data : "", 0, b.len) &&
           plx_utf8_valid(b.data, b.len);
}

/* Writes b (a short_string) as a JSON string at out, which has room for 2 + 6 * b.len bytes:
 * '"' and '\\' escaped, bytes below 0x20 as \u00xx. Returns the bytes written. */
static size_t put_json_string(char *out, plx_bytes b) {
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;

    out[n++] = '"';
    for (size_t i = 0; i < b.len; i++) {
        uint8_t ch = b.data[i];
        if (ch == '"' || ch == '\\') {
            out[n++] = '\\';
            out[n++] = (char)ch;
        } else if (ch < 0x20) {
            memcpy(out + n, "\\u00", 4);
            out[n + 4] = hex[ch >> 4];
            out[n + 5] = hex[ch & 15];
            n += 6;
        } else {
            out[n++] = (char)ch;
        }
    }
    out[n++] = '"';
    return n;
}

cJSON *plx_wire_argv_json(size_t argc, const plx_bytes *argv, plx_bytes *att, size_t *natt) {
    size_t cap = 3, n = 0;
    char *text;
    cJSON *raw;

    for (size_t i = 0; i < argc; i++) { /* a bound: an escaped string, or {"$bin": k} */
        size_t escaped = 2 + 6 * argv[i].len;
        cap += 1 + (argv[i].len < PLX_SHORT_STRING && escaped > 32 ? escaped : 32);
    }
    text = cJSON_malloc(cap);
    raw = text ? cJSON_CreateNull() : NULL;
    if (!raw) {
        cJSON_free(text);
        return NULL;
    }
    text[n++] = '[';
    for (size_t i = 0; i < argc; i++) {
        if (i) text[n++] = ',';
        if (short_string(argv[i])) {
            n += put_json_string(text + n, argv[i]);
        } else {
            n += (size_t)snprintf(text + n, cap - n, "{\"$bin\":%zu}", *natt);
            att[(*natt)++] = argv[i];
        }
    }
    text[n++] = ']';
    text[n] = 0;
    raw->type = cJSON_Raw; /* printed as it is; freed by cJSON_Delete (cJSON_malloc'd) */
    raw->valuestring = text;
    return raw;
}

cJSON *plx_wire_bytes_json(plx_bytes b, plx_bytes *att, size_t *natt) {
    cJSON *v, *ref;
    char *s;

    if (short_string(b)) {
        s = malloc(b.len + 1);
        if (!s) return NULL;
        if (b.len) memcpy(s, b.data, b.len);
        s[b.len] = 0;
        v = cJSON_CreateString(s);
        free(s);
        return v;
    }
    v = cJSON_CreateObject();
    ref = v ? cJSON_AddNumberToObject(v, "$bin", (double)*natt) : NULL;
    if (!ref) {
        cJSON_Delete(v);
        return NULL;
    }
    att[(*natt)++] = b;
    return v;
}

uint64_t plx_wire_uint(const cJSON *obj, const char *name, int *has) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (has) *has = 0;
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > PLX_MAX_SAFE_UINT ||
        v->valuedouble != floor(v->valuedouble))
        return 0;
    if (has) *has = 1;
    return (uint64_t)v->valuedouble;
}

const char *plx_wire_str(const cJSON *obj, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}
