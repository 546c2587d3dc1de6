/*
 * reply.c - storage replies in Redis types: decoding a result in the mapping of SPEC.md
 * section 11.2 (null, integer, string or {"$bin": i}, {"$status": s}, arrays) into a
 * plx_reply tree, encoding a tree back (adapter answers), constructors and free.
 * Integers are exact over the signed 64-bit range (STO-8): within +-2^53 a double holds them;
 *  beyond, the reader kept the literal's digits (plx_reader_exact_integers) and they
 * are read as they are. Anything else (a fraction, an exponent form, a value outside the
 * 64-bit range) is reported as an error, never rounded.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define EXACT_LIMIT 9007199254740992.0 /* 2^53 */

static void reply_clear(plx_reply *r) {
    for (size_t i = 0; i < r->elements; i++)
        reply_clear(&r->element[i]);
    free(r->element);
    free(r->str);
    cJSON_Delete(r->detail);
    memset(r, 0, sizeof(*r));
}

void plx_reply_free(plx_reply *r) {
    if (!r) return;
    reply_clear(r);
    free(r);
}

static int set_str(plx_reply *r, const void *data, size_t len) {
    r->str = malloc(len + 1);
    if (!r->str) return PLX_E_NOMEM;
    if (len) memcpy(r->str, data, len);
    r->str[len] = 0;
    r->len = len;
    return 0;
}

static void set_error_name(plx_reply *r, int code) {
    snprintf(r->name, sizeof(r->name), "%s", plx_client_error_name(code));
}

/* Fills r as an ERROR. */
static int fill_error(plx_reply *r, int code, const char *message) {
    r->type = PLX_REPLY_ERROR;
    r->code = code;
    set_error_name(r, code);
    if (!message) message = plx_client_strerror(code);
    return set_str(r, message, strlen(message));
}

/* The status text of {"$status": s} (only member), or NULL. */
static const char *status_of(const cJSON *v) {
    const cJSON *n = v->child;

    if (!n || n->next || !n->string || strcmp(n->string, "$status") || !cJSON_IsString(n))
        return NULL;
    return n->valuestring;
}

/* 1 with *out set when s is an integer literal (-?[0-9]+) in the signed 64-bit range. */
static int exact_digits(const char *s, long long *out) {
    char *end;

    if (!s || !*s || (*s != '-' && (*s < '0' || *s > '9'))) return 0;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno == 0 && end != s && *end == 0;
}

int plx_reply_from_json(const cJSON *v, const plx_bytes *att, size_t natt, plx_reply *r) {
    const char *status;
    plx_bytes b;
    size_t i = 0, n;
    const cJSON *e;
    int rc;

    memset(r, 0, sizeof(*r));
    if (!v || cJSON_IsNull(v)) {
        r->type = PLX_REPLY_NIL;
        return 0;
    }
    if (cJSON_IsNumber(v)) {
        if (v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) < EXACT_LIMIT) {
            r->type = PLX_REPLY_INTEGER;
            r->integer = (long long)v->valuedouble;
            return 0;
        }
        if (!exact_digits(v->valuestring, &r->integer))
            return fill_error(r, PLX_E_BAD_REPLY,
                              "integer reply not exact (outside the signed 64-bit range)");
        r->type = PLX_REPLY_INTEGER;
        return 0;
    }
    if (cJSON_IsString(v) || plx_wire_is_bin(v, &i)) {
        if (plx_wire_bytes(v, att, natt, &b))
            return fill_error(r, PLX_E_BAD_REPLY, "attachment reference out of range");
        r->type = PLX_REPLY_STRING;
        return set_str(r, b.data, b.len);
    }
    if (cJSON_IsObject(v) && (status = status_of(v))) {
        r->type = PLX_REPLY_STATUS;
        return set_str(r, status, strlen(status));
    }
    if (cJSON_IsArray(v)) {
        n = (size_t)cJSON_GetArraySize(v);
        r->type = PLX_REPLY_ARRAY;
        r->element = calloc(n ? n : 1, sizeof(*r->element));
        if (!r->element) return PLX_E_NOMEM;
        i = 0;
        cJSON_ArrayForEach(e, v) {
            rc = plx_reply_from_json(e, att, natt, &r->element[i++]);
            r->elements = i;
            if (rc) return rc;
        }
        return 0;
    }
    return fill_error(r, PLX_E_BAD_REPLY, "value outside the storage reply mapping");
}

plx_reply *plx_reply_error(int code, const char *message, const cJSON *detail) {
    plx_reply *r = calloc(1, sizeof(*r));

    if (!r) return NULL;
    if (fill_error(r, code, message)) {
        free(r);
        return NULL;
    }
    if (detail) r->detail = cJSON_Duplicate(detail, 1);
    return r;
}

int plx_reply_take(plx_msg *m, plx_reply **out) {
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(m->json, "error");
    plx_error_info e;
    plx_reply *r;
    int rc;

    *out = NULL;
    if (err) {
        memset(&e, 0, sizeof(e));
        plx_error_from_json(&e, err);
        *out = plx_reply_error(e.code, e.message, e.detail);
        if (*out) snprintf((*out)->name, sizeof((*out)->name), "%s", e.name);
        rc = e.code;
        plx_error_clear(&e);
        return rc;
    }
    r = calloc(1, sizeof(*r));
    if (!r) return PLX_E_NOMEM;
    rc = plx_reply_from_json(cJSON_GetObjectItemCaseSensitive(m->json, "result"), m->att, m->natt,
                             r);
    if (rc) {
        plx_reply_free(r);
        *out = plx_reply_error(rc, NULL, NULL);
        return rc;
    }
    *out = r;
    return r->type == PLX_REPLY_ERROR ? r->code : 0;
}

plx_reply *plx_reply_nil(void) {
    return calloc(1, sizeof(plx_reply));
}

plx_reply *plx_reply_integer(long long v) {
    plx_reply *r = calloc(1, sizeof(*r));

    if (r) {
        r->type = PLX_REPLY_INTEGER;
        r->integer = v;
    }
    return r;
}

static plx_reply *text_reply(plx_reply_type type, const void *data, size_t len) {
    plx_reply *r = calloc(1, sizeof(*r));

    if (!r) return NULL;
    r->type = type;
    if (set_str(r, data, len)) {
        free(r);
        return NULL;
    }
    return r;
}

plx_reply *plx_reply_string(const void *data, size_t len) {
    return text_reply(PLX_REPLY_STRING, data ? data : "", data ? len : 0);
}

plx_reply *plx_reply_status(const char *text) {
    return text_reply(PLX_REPLY_STATUS, text ? text : "", text ? strlen(text) : 0);
}

plx_reply *plx_reply_array(size_t n) {
    plx_reply *r = calloc(1, sizeof(*r));

    if (!r) return NULL;
    r->type = PLX_REPLY_ARRAY;
    r->element = calloc(n ? n : 1, sizeof(*r->element));
    if (!r->element) {
        free(r);
        return NULL;
    }
    r->elements = n;
    return r;
}

int plx_reply_set(plx_reply *arr, size_t i, plx_reply *v) {
    if (!arr || !v || arr->type != PLX_REPLY_ARRAY || i >= arr->elements) {
        plx_reply_free(v);
        return PLX_E_INVAL;
    }
    reply_clear(&arr->element[i]);
    arr->element[i] = *v;
    free(v);
    return 0;
}

cJSON *plx_reply_to_json(const plx_reply *r, plx_answer *a) {
    cJSON *v, *e;
    plx_bytes b;
    plx_bytes tmp[1];
    char digits[24];
    size_t n = 0;

    switch (r->type) {
    case PLX_REPLY_NIL:
        return cJSON_CreateNull();
    case PLX_REPLY_INTEGER:
        if (r->integer > -(long long)EXACT_LIMIT && r->integer < (long long)EXACT_LIMIT)
            return cJSON_CreateNumber((double)r->integer);
        snprintf(digits, sizeof(digits), "%lld", r->integer); /* exact, not a double (STO-6) */
        return cJSON_CreateRaw(digits);
    case PLX_REPLY_STRING:
        b.data = (const uint8_t *)r->str;
        b.len = r->len;
        v = plx_wire_bytes_json(b, tmp, &n);
        if (v && n) { /* it must travel as an attachment: copy it into the answer */
            cJSON_Delete(v);
            v = plx_answer_bin(a, r->str, r->len);
        }
        return v;
    case PLX_REPLY_STATUS:
        v = cJSON_CreateObject();
        if (v && !cJSON_AddStringToObject(v, "$status", r->str ? r->str : "")) {
            cJSON_Delete(v);
            return NULL;
        }
        return v;
    case PLX_REPLY_ARRAY:
        v = cJSON_CreateArray();
        for (size_t i = 0; v && i < r->elements; i++) {
            e = plx_reply_to_json(&r->element[i], a);
            if (!e || !cJSON_AddItemToArray(v, e)) {
                cJSON_Delete(e);
                cJSON_Delete(v);
                return NULL;
            }
        }
        return v;
    case PLX_REPLY_ERROR:
        break;
    }
    return NULL;
}

int plx_answer_reply(plx_answer *a, const plx_reply *r) {
    cJSON *v;

    if (!a || !r) return PLX_E_INVAL;
    if (r->type == PLX_REPLY_ERROR) {
        plx_answer_error(a, r->code ? r->code : PLX_E_COMMAND_ERROR, r->str,
                         r->detail ? cJSON_Duplicate(r->detail, 1) : NULL);
        return 0;
    }
    v = plx_reply_to_json(r, a);
    if (!v) return PLX_E_NOMEM;
    return plx_answer_result(a, v);
}
