/*
 * storage.c - storage requests: cmd (one command), pipelines (built by copying commands
 * in), watch / unwatch and adapt / unadapt, whose registrations a reconnection restores.
 * Arguments are binary-safe: short UTF-8 text travels as JSON strings, everything else as
 * attachments (STO-1, STO-7).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct plx_pipeline {
    size_t *argc;    /* per command */
    plx_bytes *args; /* all arguments, commands one after the other */
    size_t ncmds, nargs;
    size_t cmd_cap, arg_cap;
};

int plx_storage_request(plx_client *c, cJSON *json, const plx_bytes *att, size_t natt,
                        int timeout_ms, plx_reply **out) {
    plx_msg m;
    int rc;

    if (!json) {
        *out = plx_reply_error(PLX_E_NOMEM, NULL, NULL);
        return PLX_E_NOMEM;
    }
    rc = plx_roundtrip(c, json, att, natt, timeout_ms, 0, &m);
    cJSON_Delete(json);
    if (rc) {
        *out = plx_reply_error(rc, NULL, NULL);
        return rc;
    }
    rc = plx_reply_take(&m, out);
    plx_msg_clear(&m);
    return rc;
}

/* {"t": t} or NULL. */
static cJSON *new_request(const char *t) {
    cJSON *r = cJSON_CreateObject();

    if (r && !cJSON_AddStringToObject(r, "t", t)) {
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}

int plx_client_cmd(plx_client *c, size_t argc, const plx_bytes *argv, int timeout_ms,
                   plx_reply **out) {
    plx_bytes *att;
    size_t natt = 0;
    cJSON *req, *arr;
    int rc;

    *out = NULL;
    if (!c || argc == 0 || !argv || argc > PLX_MAX_ATTACHMENTS) {
        *out = plx_reply_error(PLX_E_INVAL, NULL, NULL);
        return PLX_E_INVAL;
    }
    att = malloc(argc * sizeof(*att));
    req = new_request("cmd");
    arr = att && req ? plx_wire_argv_json(argc, argv, att, &natt) : NULL;
    if (!arr || !cJSON_AddItemToObject(req, "argv", arr)) {
        cJSON_Delete(arr);
        cJSON_Delete(req);
        req = NULL;
    }
    rc = plx_storage_request(c, req, att, natt, timeout_ms, out);
    free(att);
    return rc;
}

/* Collects a NULL-terminated list of C strings. Returns the count or -1 on no memory. */
static long collect(const char *arg0, va_list ap, plx_bytes **out) {
    size_t n = 0, cap = 8;
    plx_bytes *v = malloc(cap * sizeof(*v));
    const char *s = arg0;

    while (v && s) {
        if (n == cap) {
            plx_bytes *nv = realloc(v, 2 * cap * sizeof(*v));
            if (!nv) {
                free(v);
                return -1;
            }
            v = nv;
            cap *= 2;
        }
        v[n++] = plx_str(s);
        s = va_arg(ap, const char *);
    }
    *out = v;
    return v ? (long)n : -1;
}

int plx_client_cmdv(plx_client *c, int timeout_ms, plx_reply **out, const char *arg0, ...) {
    plx_bytes *argv;
    va_list ap;
    long n;
    int rc;

    va_start(ap, arg0);
    n = collect(arg0, ap, &argv);
    va_end(ap);
    if (n < 0) {
        *out = plx_reply_error(PLX_E_NOMEM, NULL, NULL);
        return PLX_E_NOMEM;
    }
    rc = plx_client_cmd(c, (size_t)n, argv, timeout_ms, out);
    free(argv);
    return rc;
}

/* ---------------------------------------------------------------- pipelines */

plx_pipeline *plx_pipeline_new(void) {
    return calloc(1, sizeof(plx_pipeline));
}

void plx_pipeline_free(plx_pipeline *p) {
    if (!p) return;
    for (size_t i = 0; i < p->nargs; i++)
        free((void *)p->args[i].data);
    free(p->args);
    free(p->argc);
    free(p);
}

size_t plx_pipeline_count(const plx_pipeline *p) {
    return p ? p->ncmds : 0;
}

int plx_pipeline_add(plx_pipeline *p, size_t argc, const plx_bytes *argv) {
    if (!p || argc == 0 || !argv) return PLX_E_INVAL;
    if (p->ncmds == p->cmd_cap) {
        size_t nc = p->cmd_cap ? 2 * p->cmd_cap : 16;
        size_t *na = realloc(p->argc, nc * sizeof(*na));
        if (!na) return PLX_E_NOMEM;
        p->argc = na;
        p->cmd_cap = nc;
    }
    if (p->nargs + argc > p->arg_cap) {
        size_t nc = p->arg_cap ? 2 * p->arg_cap : 64;
        while (nc < p->nargs + argc)
            nc *= 2;
        plx_bytes *na = realloc(p->args, nc * sizeof(*na));
        if (!na) return PLX_E_NOMEM;
        p->args = na;
        p->arg_cap = nc;
    }
    for (size_t i = 0; i < argc; i++) {
        uint8_t *copy = malloc(argv[i].len ? argv[i].len : 1);
        if (!copy) {
            for (size_t j = 0; j < i; j++)
                free((void *)p->args[p->nargs + j].data);
            return PLX_E_NOMEM;
        }
        if (argv[i].len) memcpy(copy, argv[i].data, argv[i].len);
        p->args[p->nargs + i].data = copy;
        p->args[p->nargs + i].len = argv[i].len;
    }
    p->nargs += argc;
    p->argc[p->ncmds++] = argc;
    return 0;
}

int plx_pipeline_addv(plx_pipeline *p, const char *arg0, ...) {
    plx_bytes *argv;
    va_list ap;
    long n;
    int rc;

    va_start(ap, arg0);
    n = collect(arg0, ap, &argv);
    va_end(ap);
    if (n < 0) return PLX_E_NOMEM;
    rc = plx_pipeline_add(p, (size_t)n, argv);
    free(argv);
    return rc;
}

/* Converts the pipeline result [{"result": v} | {"error": e}, ...] into an ARRAY reply. */
static int pipeline_result(plx_msg *m, plx_reply **out) {
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(m->json, "result"), *e, *v;
    plx_error_info ei;
    plx_reply *arr, *one;
    size_t i = 0;
    int rc;

    if (!cJSON_IsArray(res)) return plx_reply_take(m, out);
    arr = plx_reply_array((size_t)cJSON_GetArraySize(res));
    if (!arr) return PLX_E_NOMEM;
    cJSON_ArrayForEach(e, res) {
        if ((v = cJSON_GetObjectItemCaseSensitive(e, "error"))) {
            memset(&ei, 0, sizeof(ei));
            plx_error_from_json(&ei, v);
            one = plx_reply_error(ei.code, ei.message, ei.detail);
            if (one) snprintf(one->name, sizeof(one->name), "%s", ei.name);
            plx_error_clear(&ei);
        } else {
            one = calloc(1, sizeof(*one));
            rc = one ? plx_reply_from_json(cJSON_GetObjectItemCaseSensitive(e, "result"), m->att,
                                           m->natt, one)
                     : PLX_E_NOMEM;
            if (rc) {
                plx_reply_free(one);
                one = plx_reply_error(rc, NULL, NULL);
            }
        }
        if (!one) {
            plx_reply_free(arr);
            return PLX_E_NOMEM;
        }
        plx_reply_set(arr, i++, one);
    }
    *out = arr;
    return 0;
}

int plx_client_pipeline(plx_client *c, const plx_pipeline *p, int atomic, int timeout_ms,
                        plx_reply **out) {
    plx_bytes *att = NULL;
    size_t natt = 0, at = 0;
    cJSON *req, *cmds, *one;
    plx_msg m;
    int rc;

    *out = NULL;
    if (!c || !p || p->ncmds == 0 || p->nargs > PLX_MAX_ATTACHMENTS * 64) {
        *out = plx_reply_error(PLX_E_INVAL, NULL, NULL);
        return PLX_E_INVAL;
    }
    att = malloc(p->nargs * sizeof(*att));
    req = new_request("pipeline");
    cmds = req && att ? cJSON_AddArrayToObject(req, "cmds") : NULL;
    for (size_t i = 0; cmds && i < p->ncmds; i++) {
        one = plx_wire_argv_json(p->argc[i], p->args + at, att, &natt);
        at += p->argc[i];
        if (!one || !cJSON_AddItemToArray(cmds, one)) {
            cJSON_Delete(one);
            cmds = NULL;
        }
    }
    if (!cmds || natt > PLX_MAX_ATTACHMENTS || (atomic && !cJSON_AddTrueToObject(req, "atomic"))) {
        rc = natt > PLX_MAX_ATTACHMENTS ? PLX_E_TOO_MANY_ATTACHMENTS : PLX_E_NOMEM;
        cJSON_Delete(req);
        free(att);
        *out = plx_reply_error(rc, "pipeline: too many binary arguments (1024 at most)", NULL);
        return rc;
    }
    rc = plx_roundtrip(c, req, att, natt, timeout_ms, 0, &m);
    cJSON_Delete(req);
    free(att);
    if (rc) {
        *out = plx_reply_error(rc, NULL, NULL);
        return rc;
    }
    rc = pipeline_result(&m, out);
    plx_msg_clear(&m);
    if (!*out) *out = plx_reply_error(rc ? rc : PLX_E_NOMEM, NULL, NULL);
    return rc;
}

/* ---------------------------------------------------------------- watch, adapt */

int plx_simple_request(plx_client *c, cJSON *json, const plx_bytes *att, size_t natt,
                       int timeout_ms) {
    plx_result r;
    int rc = plx_request_result(c, json, att, natt, timeout_ms, 0, &r);

    plx_result_free(&r);
    return rc;
}

/* A request carrying one `bytes` member. */
static int bytes_request(plx_client *c, const char *t, const char *field, plx_bytes b,
                         int timeout_ms) {
    plx_bytes att[1];
    size_t natt = 0;
    cJSON *req = new_request(t), *v = req ? plx_wire_bytes_json(b, att, &natt) : NULL;

    if (!v || !cJSON_AddItemToObject(req, field, v)) {
        cJSON_Delete(v);
        cJSON_Delete(req);
        req = NULL;
    }
    return plx_simple_request(c, req, att, natt, timeout_ms);
}

int plx_client_watch(plx_client *c, plx_bytes pattern, int timeout_ms) {
    int rc = bytes_request(c, "watch", "pattern", pattern, timeout_ms);

    if (rc) return rc;
    pthread_mutex_lock(&c->mu);
    rc = plx_registry_watch_add(&c->reg, pattern);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int plx_client_unwatch(plx_client *c, plx_bytes pattern, int timeout_ms) {
    int rc;

    pthread_mutex_lock(&c->mu);
    plx_registry_watch_del(&c->reg, pattern);
    pthread_mutex_unlock(&c->mu);
    rc = bytes_request(c, "unwatch", "pattern", pattern, timeout_ms);
    return rc;
}

int plx_client_adapt(plx_client *c, plx_bytes key, plx_read_fn fn, void *ud, int timeout_ms) {
    int rc;

    if (!fn) return PLX_E_INVAL;
    /* The handler must be known before the server forwards the first read. */
    pthread_mutex_lock(&c->mu);
    rc = plx_registry_adapter_set(&c->reg, key, fn, ud);
    pthread_mutex_unlock(&c->mu);
    if (rc) return rc;
    rc = bytes_request(c, "adapt", "key", key, timeout_ms);
    if (rc) {
        pthread_mutex_lock(&c->mu);
        plx_registry_adapter_del(&c->reg, key);
        pthread_mutex_unlock(&c->mu);
    }
    return rc;
}

int plx_client_unadapt(plx_client *c, plx_bytes key, int timeout_ms) {
    int rc = bytes_request(c, "unadapt", "key", key, timeout_ms);

    pthread_mutex_lock(&c->mu);
    plx_registry_adapter_del(&c->reg, key);
    pthread_mutex_unlock(&c->mu);
    return rc;
}
