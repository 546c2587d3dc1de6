/*
 * jsonout.c - plexus-cli's machine-readable output: replies, results with attachments and
 * errors as JSON values, one per line. Binary data that is not UTF-8 is {"$base64": "..."}.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

cJSON *json_base64(const uint8_t *data, size_t len) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = 4 * ((len + 2) / 3), o = 0;
    char *out = malloc(n + 1);
    cJSON *s;

    if (!out) return NULL;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < len) v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < len) v |= data[i + 2];
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? tab[v & 63] : '=';
    }
    out[o] = '\0';
    s = cJSON_CreateString(out);
    free(out);
    return s;
}

cJSON *json_bytes(const void *data, size_t len) {
    cJSON *o, *b;
    char *s;

    if (plx_utf8_valid(data, len) && !memchr(data, 0, len)) {
        if (!(s = malloc(len + 1))) return NULL;
        memcpy(s, data, len);
        s[len] = '\0';
        o = cJSON_CreateString(s);
        free(s);
        return o;
    }
    if (!(o = cJSON_CreateObject())) return NULL;
    if (!(b = json_base64(data, len)) || !cJSON_AddItemToObject(o, "$base64", b)) {
        cJSON_Delete(b);
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *error_object(int code, const char *name, const char *message, const cJSON *detail) {
    cJSON *e = cJSON_CreateObject();

    if (!e) return NULL;
    cJSON_AddNumberToObject(e, "code", code < 0 ? -code : code);
    cJSON_AddStringToObject(e, "name", name);
    cJSON_AddStringToObject(e, "message", message ? message : "");
    if (detail) cJSON_AddItemToObject(e, "detail", cJSON_Duplicate(detail, 1));
    return e;
}

static cJSON *wrap_error(cJSON *e) {
    cJSON *o = cJSON_CreateObject();

    if (!o || !e || !cJSON_AddItemToObject(o, "error", e)) {
        cJSON_Delete(e);
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *json_error(const plx_error_info *e) {
    return wrap_error(error_object(e->code, e->name, e->message, e->detail));
}

cJSON *json_reply(const plx_reply *r) {
    cJSON *o, *s;

    switch (r->type) {
    case PLX_REPLY_NIL:
        return cJSON_CreateNull();
    case PLX_REPLY_INTEGER: {
        char num[32]; /* exact: cJSON would print 15 significant digits */
        snprintf(num, sizeof(num), "%lld", r->integer);
        return cJSON_CreateRaw(num);
    }
    case PLX_REPLY_STRING:
        return json_bytes(r->str, r->len);
    case PLX_REPLY_STATUS:
        if (!(o = cJSON_CreateObject())) return NULL;
        if (!(s = json_bytes(r->str, r->len)) || !cJSON_AddItemToObject(o, "$status", s)) {
            cJSON_Delete(s);
            cJSON_Delete(o);
            return NULL;
        }
        return o;
    case PLX_REPLY_ERROR:
        return wrap_error(error_object(r->code, r->name, r->str, r->detail));
    case PLX_REPLY_ARRAY:
        if (!(o = cJSON_CreateArray())) return NULL;
        for (size_t i = 0; i < r->elements; i++) {
            if (!(s = json_reply(&r->element[i])) || !cJSON_AddItemToArray(o, s)) {
                cJSON_Delete(s);
                cJSON_Delete(o);
                return NULL;
            }
        }
        return o;
    }
    return NULL;
}

/* A number written exactly: cJSON prints with 15 significant digits, which rounds integers
 * above 10^15; an integer beyond 2^53 comes with the digits it was received with (the
 * client's reader keeps them: STO-8). */
static cJSON *json_number(const cJSON *n) {
    char num[40];
    double d = n->valuedouble;

    if (n->valuestring) return cJSON_CreateRaw(n->valuestring);
    if (d == floor(d) && fabs(d) < 9.2e18)
        snprintf(num, sizeof(num), "%.0f", d);
    else
        snprintf(num, sizeof(num), "%.17g", d);
    return cJSON_CreateRaw(num);
}

/* The attachment index of {"$bin": i} (an object whose only member is $bin), or -1. */
static long bin_index(const cJSON *v, size_t natt) {
    const cJSON *b;

    if (!cJSON_IsObject(v) || !(b = v->child) || b->next || !b->string ||
        strcmp(b->string, "$bin") != 0 || !cJSON_IsNumber(b))
        return -1;
    if (b->valuedouble < 0 || b->valuedouble >= (double)natt ||
        b->valuedouble != (double)(long)b->valuedouble)
        return -1;
    return (long)b->valuedouble;
}

cJSON *json_resolve(const cJSON *v, const plx_bytes *att, size_t natt) {
    long i;
    cJSON *o, *c;

    if (!v) return NULL;
    if ((i = bin_index(v, natt)) >= 0) return json_bytes(att[i].data, att[i].len);
    if (cJSON_IsNumber(v)) return json_number(v);
    if (!cJSON_IsArray(v) && !cJSON_IsObject(v)) return cJSON_Duplicate(v, 0);
    if (!(o = cJSON_IsArray(v) ? cJSON_CreateArray() : cJSON_CreateObject())) return NULL;
    for (const cJSON *e = v->child; e; e = e->next) {
        if (!(c = json_resolve(e, att, natt))) {
            cJSON_Delete(o);
            return NULL;
        }
        if (cJSON_IsArray(v))
            cJSON_AddItemToArray(o, c);
        else
            cJSON_AddItemToObject(o, e->string, c);
    }
    return o;
}

int json_print_line(FILE *f, cJSON *v) {
    char *s = v ? cJSON_PrintUnformatted(v) : NULL;

    cJSON_Delete(v);
    if (!s) return -1;
    fputs(s, f);
    fputc('\n', f);
    fflush(f);
    free(s);
    return 0;
}

void out_result(const plx_result *res, int rc, int json, int tty) {
    char *d;

    if (rc == 0) {
        json_print_line(stdout, json_resolve(res->value, res->att, res->natt));
        return;
    }
    if (json) {
        json_print_line(stdout, json_error(&res->error));
        return;
    }
    d = res->error.detail ? cJSON_PrintUnformatted(res->error.detail) : NULL;
    printf("%s%s %s%s%s\n", tty ? "(error) " : "", res->error.name,
           res->error.message ? res->error.message : "", d ? " " : "", d ? d : "");
    free(d);
    fflush(stdout);
}
