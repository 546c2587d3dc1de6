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

#define EXECABORT_TEXT      "EXECABORT Transaction discarded because of previous errors."
#define ATOMIC_ADAPTED_TEXT "ERR adapted key in an atomic pipeline"

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

static cJSON *error_json(const plx_store_reply *r) {
    int code = plx_error_name(r->code) ? r->code : PLX_E_COMMAND_ERROR;
    return hub_error_obj(code, r->str ? r->str : NULL, NULL);
}

/* An exact JSON integer (STO-6). cJSON prints doubles with 15 significant digits when that
 * reads back "close enough", which rounds integers of 16 or more digits, so those are written
 * as raw decimal text. */
static cJSON *integer_json(long long v) {
    if (v >= -999999999999999LL && v <= 999999999999999LL) return cJSON_CreateNumber((double)v);
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", v);
    return cJSON_CreateRaw(buf);
}

cJSON *hub_reply_json(const plx_store_reply *r, hub_att *att, int *err) {
    cJSON *o = NULL;
    *err = 0;
    switch (r->type) {
    case PLX_STORE_REPLY_NIL:
        o = cJSON_CreateNull();
        break;
    case PLX_STORE_REPLY_INT:
        o = integer_json(r->integer);
        break;
    case PLX_STORE_REPLY_STATUS:
        o = cJSON_CreateObject();
        if (o && !cJSON_AddStringToObject(o, "$status", r->str ? r->str : "")) {
            cJSON_Delete(o);
            o = NULL;
        }
        break;
    case PLX_STORE_REPLY_BULK:
        return hub_att_bytes_json((plx_bytes){(const uint8_t *)r->str, r->len}, att, err);
    case PLX_STORE_REPLY_ERROR:
        o = cJSON_CreateObject();
        if (o) cJSON_AddItemToObject(o, "error", error_json(r));
        break;
    case PLX_STORE_REPLY_ARRAY:
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
static plx_store_reply *exec_as(plx_hub *h, hub_conn *c, const plx_bytes *argv, size_t argc,
                                uint64_t now) {
    h->executing = c;
    plx_store_reply *r = plx_store_exec(h->store, argv, argc, now);
    h->executing = NULL;
    return r;
}

/* An error reply built from the store's check or a code. */
static void reply_store_error(plx_hub *h, hub_conn *c, uint64_t rid, int code,
                              const plx_store_reply *err) {
    hub_reply_error(h, c, rid, code, err && err->str ? err->str : NULL, NULL);
}

void hub_store_answer(plx_hub *h, hub_conn *c, uint64_t rid, const plx_store_reply *r) {
    if (!r) {
        hub_reply_error(h, c, rid, PLX_E_INTERNAL, "out of memory", NULL);
        return;
    }
    if (r->type == PLX_STORE_REPLY_ERROR) {
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

/* Hands one checked command to the backend as a batch of its own. */
static void backend_cmd(plx_hub *h, hub_conn *c, uint64_t rid, const plx_bytes *argv, size_t argc) {
    const plx_bytes *const av[1] = {argv};
    const size_t ac[1] = {argc};
    int rc = hub_backend_submit(h, c, rid, NULL, NULL, av, ac, 1, 0);
    if (rc == PLX_E_NOMEM)
        hub_reply_error(h, c, rid, PLX_E_INTERNAL, "out of memory", NULL);
    else if (rc)
        hub_reply_error(h, c, rid, PLX_E_STORAGE_UNAVAILABLE, NULL, NULL);
}

void hub_on_cmd(plx_hub *h, hub_conn *c, const plx_msg *m, uint64_t now) {
    uint64_t rid = 0;
    hub_get_uint(m->json, "id", &rid);
    if (!h->store && !HUB_BACKEND(h)) {
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
    plx_store_reply *err = NULL, *syntax;
    int flags = plx_store_check(argv, argc, &err);
    if (flags < 0) {
        reply_store_error(h, c, rid, flags, err);
    } else if (hub_adapter_route(h, c, rid, flags, m, argv, argc, now)) {
        /* forwarded to the key's owner, or refused */
    } else if (h->store) {
        plx_store_reply *r = exec_as(h, c, argv, argc, now);
        hub_store_answer(h, c, rid, r);
        plx_store_reply_free(r);
    } else if ((syntax = hub_backend_syntax(h, argv, argc, now))) {
        hub_store_answer(h, c, rid, syntax);
        plx_store_reply_free(syntax);
    } else {
        backend_cmd(h, c, rid, argv, argc);
    }
    plx_store_reply_free(err);
    free(argv);
}

typedef struct pipe_cmd {
    const cJSON *json; /* the argv as sent (forwarded in a read) */
    plx_bytes *argv;
    size_t argc;
    int flags;            /* from plx_store_check, or the check's error code */
    plx_store_reply *err; /* the check's error reply */
    int cls;              /* HUB_ADP_* of the command */
    hub_conn *owner;
    size_t ki;
    plx_store_reply *local; /* with a backend: the syntax error it gets without running (STO-4) */
} pipe_cmd;

static void pipe_free(pipe_cmd *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(p[i].argv);
        plx_store_reply_free(p[i].err);
        plx_store_reply_free(p[i].local);
    }
    free(p);
}

/* The error a command is refused with before it runs (check or adapter), 0 if none; *msg is
 * the text (NULL: the registry's). In an atomic pipeline every adapted key is refused. */
static int pipe_refusal(const pipe_cmd *p, int atomic, const char **msg) {
    *msg = NULL;
    if (p->flags < 0) {
        *msg = p->err && p->err->str ? p->err->str : NULL;
        return p->flags;
    }
    if (p->cls == HUB_ADP_READ_ONLY) return PLX_E_READ_ONLY;
    if (p->cls == HUB_ADP_NONE || (p->cls == HUB_ADP_FORWARD && !atomic)) return 0;
    *msg = atomic ? ATOMIC_ADAPTED_TEXT : HUB_MULTI_KEY_TEXT;
    return PLX_E_COMMAND_ERROR;
}

cJSON *hub_store_entry(const plx_store_reply *r, hub_att *att) {
    cJSON *o;
    if (r->type == PLX_STORE_REPLY_ERROR) {
        o = cJSON_CreateObject();
        if (o) cJSON_AddItemToObject(o, "error", error_json(r));
        return o;
    }
    int err;
    cJSON *v = hub_reply_json(r, att, &err);
    if (!v) return hub_entry_error(err == PLX_E_LIMIT_REACHED ? err : PLX_E_INTERNAL, NULL);
    if ((o = cJSON_CreateObject()))
        cJSON_AddItemToObject(o, "result", v);
    else
        cJSON_Delete(v);
    return o;
}

/* Runs one command locally: {"result": v} or {"error": e}, attachments into att. */
static cJSON *pipe_run(plx_hub *h, hub_conn *c, const pipe_cmd *p, hub_att *att, uint64_t now) {
    plx_store_reply *r = exec_as(h, c, p->argv, p->argc, now);
    if (!r) return NULL;
    cJSON *o = hub_store_entry(r, att);
    plx_store_reply_free(r);
    return o;
}

/* Hands the pipeline's runnable commands (neither refused nor forwarded) to the backend as
 * one batch. 0 when submitted or when there is none. When the backend cannot take it: a
 * pipeline that is nothing but that batch is answered STORAGE_UNAVAILABLE as a whole (and a
 * freed: returns 1), else each of those commands gets a STORAGE_UNAVAILABLE entry (STO-20). */
static int pipe_submit(plx_hub *h, hub_conn *c, hub_agg *a, const pipe_cmd *p, size_t n,
                       int atomic) {
    const plx_bytes **av = malloc(n * sizeof(*av));
    size_t *ac = malloc(n * sizeof(*ac)), *slots = malloc(n * sizeof(*slots)), nb = 0;
    int rc = av && ac && slots ? 0 : PLX_E_NOMEM;
    for (size_t i = 0; !rc && i < n; i++) {
        const char *msg;
        if (pipe_refusal(&p[i], atomic, &msg) || p[i].cls == HUB_ADP_FORWARD || p[i].local)
            continue;
        av[nb] = p[i].argv;
        ac[nb] = p[i].argc;
        slots[nb++] = i;
    }
    if (!rc && nb) rc = hub_backend_submit(h, c, a->rid, a, slots, av, ac, nb, atomic);
    int code = rc == PLX_E_NOMEM ? PLX_E_INTERNAL : PLX_E_STORAGE_UNAVAILABLE;
    if (rc && (nb == n || !slots)) {
        uint64_t rid = a->rid;
        hub_map_delu(&c->pending, rid);
        hub_agg_free(a);
        hub_reply_error(h, c, rid, code, code == PLX_E_INTERNAL ? "out of memory" : NULL, NULL);
    }
    for (size_t j = 0; rc && slots && nb < n && j < nb; j++)
        hub_agg_fill(a, slots[j], hub_entry_error(code, NULL));
    free(av);
    free(ac);
    free(slots);
    return rc && (nb == n || !slots);
}

/* Forwards command i to its key's owner as a part of a (PIPE-3). */
static void pipe_forward(plx_hub *h, hub_conn *c, hub_agg *a, size_t i, const pipe_cmd *p,
                         const plx_msg *m, uint64_t now) {
    uint32_t timeout = h->cfg.call_timeout_ms;
    hub_call *k = hub_call_start(h, HUB_PART, c, a->rid, p->owner, now + timeout);
    if (!k) {
        hub_agg_fill(a, i, NULL);
        return;
    }
    a->remaining++;
    k->agg = a;
    k->slot = i;
    if (hub_read_send(h, k, p->owner, p->json, p->ki, m->att, m->natt, timeout) != 0)
        hub_call_fail(h, k, PLX_E_LIMIT_REACHED);
}

/* EXEC_ABORTED for the first command of an atomic pipeline refused before running (PIPE-4).
 * 1 when answered so. */
static int atomic_abort(plx_hub *h, hub_conn *c, uint64_t rid, const pipe_cmd *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const char *msg;
        int code = pipe_refusal(&p[i], 1, &msg);
        if (!code) continue;
        cJSON *detail = cJSON_CreateObject();
        if (detail) {
            cJSON_AddNumberToObject(detail, "index", (double)i);
            cJSON_AddItemToObject(detail, "error", hub_error_obj(code, msg, NULL));
        }
        hub_reply_error(h, c, rid, PLX_E_EXEC_ABORTED, EXECABORT_TEXT, detail);
        return 1;
    }
    return 0;
}

void hub_on_pipeline(plx_hub *h, hub_conn *c, const plx_msg *m, uint64_t now) {
    uint64_t rid = 0;
    hub_get_uint(m->json, "id", &rid);
    if (!h->store && !HUB_BACKEND(h)) {
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
        p[i].json = e;
        p[i].flags = plx_store_check(p[i].argv, p[i].argc, &p[i].err);
        if (p[i].flags > 0)
            p[i].cls =
                hub_adapter_class(h, p[i].flags, p[i].argv, p[i].argc, &p[i].owner, &p[i].ki);
        if (p[i].flags > 0 && p[i].cls == HUB_ADP_NONE && !h->store)
            p[i].local = hub_backend_syntax(h, p[i].argv, p[i].argc, now);
    }
    int atomic = hub_get_bool(m->json, "atomic");
    hub_agg *a = NULL;
    if (atomic && atomic_abort(h, c, rid, p, (size_t)n)) {
        pipe_free(p, (size_t)n);
        return;
    }
    if (!(a = hub_agg_new(c, rid, 1, (size_t)n))) {
        pipe_free(p, (size_t)n);
        hub_reply_error(h, c, rid, PLX_E_INTERNAL, "out of memory", NULL);
        return;
    }
    a->remaining = 1; /* held while the commands run */
    if (!h->store && pipe_submit(h, c, a, p, (size_t)n, atomic)) {
        pipe_free(p, (size_t)n);
        return;
    }
    for (i = 0; i < (size_t)n; i++) {
        const char *msg;
        int code = pipe_refusal(&p[i], 0, &msg);
        if (code)
            hub_agg_fill(a, i, hub_entry_error(code, msg));
        else if (p[i].cls == HUB_ADP_FORWARD)
            pipe_forward(h, c, a, i, &p[i], m, now);
        else if (h->store)
            hub_agg_fill(a, i, pipe_run(h, c, &p[i], &a->slots[i].att, now));
        else if (p[i].local) /* a run-time error inside EXEC too: no abort */
            hub_agg_fill(a, i, hub_store_entry(p[i].local, &a->slots[i].att));
        /* else: in the backend's batch, filled by plx_hub_store_done */
    }
    pipe_free(p, (size_t)n);
    /* PIPE-6: a pipeline waiting for owners keeps its changes until its reply. */
    if (a->remaining > 1) hub_notes_move(&a->notes, &h->notes);
    hub_agg_release(h, a);
}
