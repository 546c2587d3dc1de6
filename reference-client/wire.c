/*
 * wire.c - small helpers between JSON fields and bytes: `bytes` fields (a string or
 * {"$bin": i}), the string-or-attachment choice for outgoing bytes (STO-7), uint fields.
 */
#include <math.h>
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

cJSON *plx_wire_bytes_json(plx_bytes b, plx_bytes *att, size_t *natt) {
    cJSON *v, *ref;
    char *s;

    if (b.len < PLX_SHORT_STRING && !memchr(b.data ? (const void *)b.data : "", 0, b.len) &&
        plx_utf8_valid(b.data, b.len)) {
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
