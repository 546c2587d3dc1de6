/*
 * storage_dispatch.c - cmd and pipeline: argv from JSON (strings or $bin attachments) to the
 * store, store replies to JSON: nil -> null, integer -> number (exact digits beyond 2^53),
 * bulk -> string (valid UTF-8, no NUL, < 1024 bytes) or {"$bin": i}, status ->
 * {"$status": "OK"}, array -> array, error -> reply.error {code, name, message = Redis's text}
 * (inside an array: {"error": {...}}).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define EXECABORT_TEXT "EXECABORT Transaction discarded because of previous errors."

int hub_argv_spans(const cJSON *v, const plx_bytes *in, size_t nin, plx_bytes **argv,
                   size_t *argc) {
    *argv = NULL;
    *argc = 0;
    int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0;
    if (n <= 0) return PLX_E_BAD_FIELD_TYPE;
    plx_bytes *a = malloc((size_t)n * sizeof(*a));
    if (!a) return PLX_E_NOMEM;
    size_t i = 0;
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        if (hub_att_json_bytes(e, in, nin, &a[i]) != 0) {
            free(a);
            return PLX_E_BAD_FIELD_TYPE;
        }
    }
    *argv = a;
    *argc = i;
    return 0;
}

static cJSON *error_json(const plx_reply *r) {
    int code = plx_error_name(r->code) ? r->code : PLX_E_COMMAND_ERROR;
    return hub_error_obj(code, r->str ? r->str : NULL, NULL);
}

static cJSON *integer_json(long long v) {
    if (v >= -9007199254740991LL && v <= 9007199254740991LL) return cJSON_CreateNumber((double)v);
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", v);
    return cJSON_CreateRaw(buf);
}

cJSON *hub_reply_json(const plx_reply *r, hub_att *att, int *err) {
    cJSON *o = NULL;
    *err = 0;
    switch (r->type) {
    case PLX_REPLY_NIL:
        o = cJSON_CreateNull();
        break;
    case PLX_REPLY_INT:
        o = integer_json(r->integer);
        break;
    case PLX_REPLY_STATUS:
        o = cJSON_CreateObject();
        if (o && !cJSON_AddStringToObject(o, "$status", r->str ? r->str : "")) {
            cJSON_Delete(o);
            o = NULL;
        }
        break;
    case PLX_REPLY_BULK:
        return hub_att_bytes_json((plx_bytes){(const uint8_t *)r->str, r->len}, att, err);
    case PLX_REPLY_ERROR:
        o = cJSON_CreateObject();
        if (o) cJSON_AddItemToObject(o, "error", error_json(r));
        break;
    case PLX_REPLY_ARRAY:
        o = cJSON_CreateArray();
        for (size_t i = 0; o && i < r->nelem; i++) {
            cJSON *e = r->elem[i] ? hub_reply_json(r->elem[i], att, err) : cJSON_CreateNull();
            if (!e) {
                cJSON_Delete(o);
                return NULL;
            }
            cJSON_AddItemToArray(o, e);
        }
        break;
    }
    if (!o && !*err) *err = PLX_E_NOMEM;
    return o;
}

/* Runs one command as c (for change.by). NULL on no memory. */
static plx_reply *exec_as(plx_hub *h, hub_conn *c, const plx_bytes *argv, size_t argc,
                          uint64_t now) {
    h->executing = c;
    plx_reply *r = plx_store_exec(h->store, argv, argc, now);
    h->executing = NULL;
    return r;
}

/* An error reply built from the store's check or a code. */
static void reply_store_error(plx_hub *h, hub_conn *c, uint64_t rid, int code,
                              const plx_reply *err) {
    hub_reply_error(h, c, rid, code, err && err->str ? err->str : NULL, NULL);
}

/* Answers a store reply: an error at top level is reply.error, the rest a result. */
static void answer(plx_hub *h, hub_conn *c, uint64_t rid, const plx_reply *r) {
    if (!r) {
        hub_reply_error(h, c, rid, PLX_E_INTERNAL, "out of memory", NULL);
        return;
    }
    if (r->type == PLX_REPLY_ERROR) {
        int code = plx_error_name(r->code) ? r->code : PLX_E_COMMAND_ERROR;
        reply_store_error(h, c, rid, code, r);
        return;
    }
    hub_att att = {0};
    int err;
    cJSON *v = hub_reply_json(r, &att, &err);
    if (v)
        hub_reply(h, c, rid, v, &att);
    else if (err == PLX_E_LIMIT_REACHED)
        hub_reply_error(h, c, rid, err, "reply needs more than 1024 attachments", NULL);
    else
        hub_reply_error(h, c, rid, PLX_E_INTERNAL, "out of memory", NULL);
    hub_att_clear(&att);
}

void hub_on_cmd(plx_hub *h, hub_conn *c, const plx_msg *m, uint64_t now) {
    uint64_t rid = 0;
    hub_get_uint(m->json, "id", &rid);
    if (!h->store) {
        hub_reply_error(h, c, rid, PLX_E_STORAGE_UNAVAILABLE, NULL, NULL);
        return;
    }
    plx_bytes *argv;
    size_t argc;
    int rc = hub_argv_spans(cJSON_GetObjectItemCaseSensitive(m->json, "argv"), m->att, m->natt,
                            &argv, &argc);
    if (rc) {
        hub_reply_error(h, c, rid, rc == PLX_E_NOMEM ? PLX_E_INTERNAL : rc, "argv", NULL);
        return;
    }
    plx_reply *err = NULL;
    int flags = plx_store_check(argv, argc, &err);
    if (flags < 0) {
        reply_store_error(h, c, rid, flags, err);
    } else if (!hub_adapter_route(h, c, rid, flags, m, argv, argc, now)) {
        plx_reply *r = exec_as(h, c, argv, argc, now);
        answer(h, c, rid, r);
        plx_reply_free(r);
    }
    plx_reply_free(err);
    free(argv);
}

typedef struct pipe_cmd {
    plx_bytes *argv;
    size_t argc;
    int flags;      /* from plx_store_check, or the check's error code */
    plx_reply *err; /* the check's error reply */
} pipe_cmd;

static void pipe_free(pipe_cmd *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(p[i].argv);
        plx_reply_free(p[i].err);
    }
    free(p);
}

/* {"error": {code, name, message}} for a pipeline entry. */
static cJSON *entry_error(int code, const char *message) {
    cJSON *o = cJSON_CreateObject();
    cJSON *e = hub_error_obj(code, message, NULL);
    if (!o || !e) {
        cJSON_Delete(o);
        cJSON_Delete(e);
        return NULL;
    }
    cJSON_AddItemToObject(o, "error", e);
    return o;
}

/* One entry: {"result": v} or {"error": e}. */
static cJSON *pipe_entry(plx_hub *h, hub_conn *c, const pipe_cmd *p, hub_att *att, uint64_t now) {
    if (p->flags < 0) return entry_error(p->flags, p->err && p->err->str ? p->err->str : NULL);
    const char *msg = NULL;
    int blocked = hub_adapter_blocked(h, p->flags, p->argv, p->argc, &msg);
    if (blocked) return entry_error(blocked, msg);
    plx_reply *r = exec_as(h, c, p->argv, p->argc, now);
    if (!r) return entry_error(PLX_E_INTERNAL, "out of memory");
    cJSON *o;
    if (r->type == PLX_REPLY_ERROR) {
        o = cJSON_CreateObject();
        if (o) cJSON_AddItemToObject(o, "error", error_json(r));
    } else {
        int err;
        cJSON *v = hub_reply_json(r, att, &err);
        if (!v)
            o = entry_error(err == PLX_E_LIMIT_REACHED ? err : PLX_E_INTERNAL, NULL);
        else if ((o = cJSON_CreateObject()))
            cJSON_AddItemToObject(o, "result", v);
        else
            cJSON_Delete(v);
    }
    plx_reply_free(r);
    return o;
}

void hub_on_pipeline(plx_hub *h, hub_conn *c, const plx_msg *m, uint64_t now) {
    uint64_t rid = 0;
    hub_get_uint(m->json, "id", &rid);
    if (!h->store) {
        hub_reply_error(h, c, rid, PLX_E_STORAGE_UNAVAILABLE, NULL, NULL);
        return;
    }
    const cJSON *cmds = cJSON_GetObjectItemCaseSensitive(m->json, "cmds");
    int n = cJSON_IsArray(cmds) ? cJSON_GetArraySize(cmds) : 0;
    if (n <= 0) {
        hub_reply_error(h, c, rid, PLX_E_BAD_FIELD_TYPE, "cmds", NULL);
        return;
    }
    pipe_cmd *p = calloc((size_t)n, sizeof(*p));
    if (!p) {
        hub_reply_error(h, c, rid, PLX_E_INTERNAL, "out of memory", NULL);
        return;
    }
    size_t i = 0;
    for (const cJSON *e = cmds->child; e; e = e->next, i++) {
        int rc = hub_argv_spans(e, m->att, m->natt, &p[i].argv, &p[i].argc);
        if (rc) {
            pipe_free(p, (size_t)n);
            hub_reply_error(h, c, rid, rc == PLX_E_NOMEM ? PLX_E_INTERNAL : rc, "cmds", NULL);
            return;
        }
        p[i].flags = plx_store_check(p[i].argv, p[i].argc, &p[i].err);
    }
    int atomic = hub_get_bool(m->json, "atomic");
    for (i = 0; atomic && i < (size_t)n; i++) {
        if (p[i].flags >= 0) continue;
        cJSON *detail = cJSON_CreateObject();
        if (detail) {
            cJSON_AddNumberToObject(detail, "index", (double)i);
            cJSON_AddItemToObject(
                detail, "error",
                hub_error_obj(p[i].flags, p[i].err && p[i].err->str ? p[i].err->str : NULL, NULL));
        }
        hub_reply_error(h, c, rid, PLX_E_EXEC_ABORTED, EXECABORT_TEXT, detail);
        pipe_free(p, (size_t)n);
        return;
    }
    cJSON *arr = cJSON_CreateArray();
    hub_att att = {.owned = 1}; /* each entry's store reply is freed before the answer */
    for (i = 0; arr && i < (size_t)n; i++) {
        cJSON *entry = pipe_entry(h, c, &p[i], &att, now);
        if (!entry) {
            cJSON_Delete(arr);
            arr = NULL;
            break;
        }
        cJSON_AddItemToArray(arr, entry);
    }
    if (arr)
        hub_reply(h, c, rid, arr, &att);
    else
        hub_reply_error(h, c, rid, PLX_E_INTERNAL, "out of memory", NULL);
    hub_att_clear(&att);
    pipe_free(p, (size_t)n);
}
