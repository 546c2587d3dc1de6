/*
 * c_driver.c - plexus-conform-driver-c: the client-mode driver of libplexus-client
 * (conformance/DRIVERS.md). Reads one JSON command per line on stdin, runs each on its own
 * thread against one plx_client, answers each with one line on stdout, and reports what the
 * client receives (events, presence, changes, calls, reads, errors, disconnection) as
 * unsolicited lines. `--broken FAULT` puts a fault-injecting proxy between the client and the
 * runner (c_driver_proxy.c) to show that the suite catches a misbehaving client.
 *
 * Bounds: a command line is at most 64 MiB; at most 64 commands run at once (more are
 * answered BUSY); every client call has a timeout (the command's timeout_ms, else the
 * client's default).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <plexus/client.h>
#include <plexus/codec.h>

#include "c_driver.h"

#define LINE_MAX_BYTES (64u << 20)
#define MAX_INFLIGHT   64
#define EXIT_WAIT_MS   1000 /* at end of input, wait this long for running commands */

struct driver;

/* What a served route or an adapted key answers (a list owned by the driver); the handler's
 * user data. */
typedef struct responder {
    struct driver *d;
    cJSON *reply;   /* serve: the result (owned), or NULL */
    cJSON *error;   /* serve: the error object (owned), or NULL */
    int echo;       /* serve: answer with the call's args and attachments */
    cJSON *atts;    /* serve: attachments of the reply (hex strings, owned) */
    uint8_t *value; /* adapt: the bulk string every read gets */
    size_t vlen;
    struct responder *next;
} responder;

typedef struct driver {
    pthread_mutex_t out_mu; /* one line at a time on stdout */
    pthread_rwlock_t cl;    /* readers use the client; connect/close/exit write */
    plx_client *client;
    pthread_mutex_t mu; /* inflight, responders */
    pthread_cond_t idle;
    int inflight;
    responder *responders;
    const char *fault; /* --broken FAULT, or NULL */
    cd_proxy *proxy;
} driver;

typedef struct job {
    driver *d;
    cJSON *cmd;
} job;

/* ------------------------------------------------------------------ output */

static void emit(driver *d, cJSON *line) {
    char *text = line ? cJSON_PrintUnformatted(line) : NULL;

    if (text) {
        pthread_mutex_lock(&d->out_mu);
        fputs(text, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        pthread_mutex_unlock(&d->out_mu);
    }
    free(text);
    cJSON_Delete(line);
}

static cJSON *answer_ok(const cJSON *id) {
    cJSON *a = cJSON_CreateObject();

    cJSON_AddItemToObject(a, "id", cJSON_Duplicate(id, 1));
    cJSON_AddBoolToObject(a, "ok", 1);
    return a;
}

/* An error object: registry codes positive; the client's local codes become code 0 with the
 * DRIVERS.md names (CONNECT, DISCONNECTED, CLOSED, BAD_REPLY). */
static cJSON *error_obj(int code, const char *name, const char *message, const cJSON *detail) {
    cJSON *e = cJSON_CreateObject();
    int local = (code <= PLX_E_DISCONNECTED && code >= PLX_E_BAD_REPLY) || code == PLX_E_NOMEM ||
                code == PLX_E_INVAL;

    if (code == PLX_E_BAD_URL) code = PLX_E_CONNECT;
    cJSON_AddNumberToObject(e, "code", local ? 0 : -code);
    cJSON_AddStringToObject(e, "name",
                            name && *name && !local ? name : plx_client_error_name(code));
    cJSON_AddStringToObject(e, "message", message ? message : plx_client_strerror(code));
    if (detail) cJSON_AddItemToObject(e, "detail", cJSON_Duplicate(detail, 1));
    return e;
}

static cJSON *answer_err(const cJSON *id, cJSON *err) {
    cJSON *a = cJSON_CreateObject();

    cJSON_AddItemToObject(a, "id", cJSON_Duplicate(id, 1));
    cJSON_AddItemToObject(a, "error", err);
    return a;
}

static cJSON *answer_code(const cJSON *id, int code, const char *name, const char *message) {
    cJSON *e = cJSON_CreateObject();

    cJSON_AddNumberToObject(e, "code", code);
    cJSON_AddStringToObject(e, "name", name);
    cJSON_AddStringToObject(e, "message", message);
    return answer_err(id, e);
}

/* ------------------------------------------------------------------ bytes */

static cJSON *hex_item(const uint8_t *b, size_t n) {
    static const char digits[] = "0123456789abcdef";
    char *s = malloc(2 * n + 1);
    cJSON *o = cJSON_CreateObject();

    for (size_t i = 0; s && i < n; i++) {
        s[2 * i] = digits[b[i] >> 4];
        s[2 * i + 1] = digits[b[i] & 15];
    }
    if (s) s[2 * n] = 0;
    cJSON_AddStringToObject(o, "hex", s ? s : "");
    free(s);
    return o;
}

static cJSON *hex_string(const uint8_t *b, size_t n) {
    cJSON *o = hex_item(b, n), *s = cJSON_DetachItemFromObject(o, "hex");

    cJSON_Delete(o);
    return s;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes hex text (spaces allowed) into an owned buffer. 0, or -1 on bad hex. */
static int unhex(const char *s, uint8_t **out, size_t *len) {
    size_t n = 0;
    uint8_t *b = malloc(strlen(s) / 2 + 1);
    int hi = -1;

    if (!b) return -1;
    for (; *s; s++) {
        int v = hexval(*s);

        if (*s == ' ') continue;
        if (v < 0) break;
        if (hi < 0) {
            hi = v;
        } else {
            b[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (*s || hi >= 0) {
        free(b);
        return -1;
    }
    *out = b;
    *len = n;
    return 0;
}

/* A byte string given as a JSON string (its UTF-8) or {"hex": "..."}; owned copy. */
static int bytes_of(const cJSON *v, uint8_t **out, size_t *len) {
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(v, "hex");

    if (cJSON_IsString(v)) {
        *len = strlen(v->valuestring);
        *out = malloc(*len + 1);
        if (!*out) return -1;
        memcpy(*out, v->valuestring, *len + 1);
        return 0;
    }
    return cJSON_IsString(h) ? unhex(h->valuestring, out, len) : -1;
}

/* An array of byte strings (argv, attachments as hex strings or bytes) as plx_bytes; every
 * element's data is owned and freed with free_list. */
typedef struct blist {
    plx_bytes *v;
    size_t n;
} blist;

static void free_list(blist *l) {
    for (size_t i = 0; i < l->n; i++)
        free((void *)l->v[i].data);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int list_of(const cJSON *arr, int hex_strings, blist *l) {
    const cJSON *e;

    l->n = 0;
    l->v = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(plx_bytes));
    if (!l->v || (arr && !cJSON_IsArray(arr))) return -1;
    cJSON_ArrayForEach(e, arr) {
        uint8_t *b;
        size_t n;
        int rc =
            hex_strings && cJSON_IsString(e) ? unhex(e->valuestring, &b, &n) : bytes_of(e, &b, &n);

        if (rc) return -1;
        l->v[l->n].data = b;
        l->v[l->n++].len = n;
    }
    return 0;
}

static cJSON *hex_array(const plx_bytes *att, size_t n) {
    cJSON *a = cJSON_CreateArray();

    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, hex_string(att[i].data, att[i].len));
    return a;
}

/* ------------------------------------------------------------------ replies */

/* A storage reply in the DRIVERS.md form: null, integer, {"hex"}, {"status"}, array. */
static cJSON *reply_json(const plx_reply *r) {
    char num[32];
    cJSON *a;

    switch (r->type) {
    case PLX_REPLY_INTEGER:
        snprintf(num, sizeof(num), "%lld", r->integer);
        return cJSON_CreateRaw(num);
    case PLX_REPLY_STRING:
        return hex_item((const uint8_t *)r->str, r->len);
    case PLX_REPLY_STATUS:
        a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "status", r->str ? r->str : "");
        return a;
    case PLX_REPLY_ARRAY:
        a = cJSON_CreateArray();
        for (size_t i = 0; i < r->elements; i++) {
            const plx_reply *e = &r->element[i];
            cJSON *one = cJSON_CreateObject();

            if (e->type == PLX_REPLY_ERROR)
                cJSON_AddItemToObject(one, "error", error_obj(e->code, e->name, e->str, e->detail));
            else
                cJSON_AddItemToObject(one, "result", reply_json(e));
            cJSON_AddItemToArray(a, one);
        }
        return a;
    case PLX_REPLY_ERROR:
        return error_obj(r->code, r->name, r->str, r->detail);
    default:
        return cJSON_CreateNull();
    }
}

/* The elements of an array reply unwrapped (cmd replies nest plain values, not entries). */
static cJSON *plain_json(const plx_reply *r) {
    cJSON *a;

    if (r->type != PLX_REPLY_ARRAY) return reply_json(r);
    a = cJSON_CreateArray();
    for (size_t i = 0; i < r->elements; i++)
        cJSON_AddItemToArray(a, plain_json(&r->element[i]));
    return a;
}

static cJSON *result_answer(const cJSON *id, int rc, plx_result *res) {
    cJSON *a;

    if (rc) {
        a = answer_err(
            id, error_obj(res->error.code, res->error.name, res->error.message, res->error.detail));
    } else {
        a = answer_ok(id);
        cJSON_AddItemToObject(a, "result",
                              res->value ? cJSON_Duplicate(res->value, 1) : cJSON_CreateNull());
        cJSON_AddItemToObject(a, "attachments", hex_array(res->att, res->natt));
    }
    plx_result_free(res);
    return a;
}

/* ------------------------------------------------------------------ handlers */

static void on_event(plx_client *c, const plx_event *ev, void *ud) {
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "event", "event");
    cJSON_AddStringToObject(o, "from", ev->from);
    cJSON_AddStringToObject(o, "to", ev->to);
    cJSON_AddStringToObject(o, "name", ev->event);
    if (ev->data) cJSON_AddItemToObject(o, "data", cJSON_Duplicate(ev->data, 1));
    if (ev->has_seq) cJSON_AddNumberToObject(o, "seq", (double)ev->seq);
    cJSON_AddItemToObject(o, "attachments", hex_array(ev->att, ev->natt));
    emit(ud, o);
}

static void on_presence(plx_client *c, const plx_presence *p, void *ud) {
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "event", "presence");
    cJSON_AddStringToObject(o, "kind", p->kind);
    cJSON_AddStringToObject(o, "name", p->name);
    if (p->old) cJSON_AddStringToObject(o, "old", p->old);
    if (p->groups || !strcmp(p->kind, "join") || !strcmp(p->kind, "regroup")) {
        cJSON *g = cJSON_AddArrayToObject(o, "groups");

        for (size_t i = 0; i < p->ngroups; i++)
            cJSON_AddItemToArray(g, cJSON_CreateString(p->groups[i]));
    }
    emit(ud, o);
}

static void on_change(plx_client *c, const plx_change *ch, void *ud) {
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "event", "change");
    cJSON_AddItemToObject(o, "key", hex_item(ch->key.data, ch->key.len));
    cJSON_AddStringToObject(o, "op", ch->op);
    if (ch->by) cJSON_AddStringToObject(o, "by", ch->by);
    cJSON_AddItemToObject(o, "pattern", hex_item(ch->pattern.data, ch->pattern.len));
    emit(ud, o);
}

static void on_status(plx_client *c, const plx_status *st, void *ud) {
    cJSON *o = cJSON_CreateObject();
    cJSON *e = error_obj(st->code ? st->code : PLX_E_DISCONNECTED, NULL, st->message, NULL);

    if (st->kind == PLX_STATUS_UP) {
        cJSON_AddStringToObject(o, "event", "connected");
        cJSON_Delete(e);
        emit(ud, o);
        return;
    }
    cJSON_AddStringToObject(o, "event", st->kind == PLX_STATUS_DOWN ? "disconnected" : "error");
    cJSON_AddItemToObject(o, "code", cJSON_DetachItemFromObject(e, "code"));
    cJSON_AddItemToObject(o, "name", cJSON_DetachItemFromObject(e, "name"));
    cJSON_AddItemToObject(o, "message", cJSON_DetachItemFromObject(e, "message"));
    cJSON_Delete(e);
    emit(ud, o);
}

static int route_fn(plx_client *c, const plx_request *req, plx_answer *a, void *ud) {
    responder *s = ud;
    cJSON *o = cJSON_CreateObject(), *v;
    const cJSON *x;

    cJSON_AddStringToObject(o, "event", "call");
    cJSON_AddStringToObject(o, "route", req->route);
    if (req->from) cJSON_AddStringToObject(o, "from", req->from);
    if (req->args) cJSON_AddItemToObject(o, "args", cJSON_Duplicate(req->args, 1));
    cJSON_AddItemToObject(o, "attachments", hex_array(req->att, req->natt));
    emit(s->d, o);
    if (s->error) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(s->error, "code");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(s->error, "message");
        const cJSON *det = cJSON_GetObjectItemCaseSensitive(s->error, "detail");

        return plx_answer_error(a, cJSON_IsNumber(code) ? -(int)code->valuedouble : PLX_E_INTERNAL,
                                cJSON_IsString(msg) ? msg->valuestring : NULL,
                                det ? cJSON_Duplicate(det, 1) : NULL);
    }
    if (s->echo) {
        for (size_t i = 0; i < req->natt; i++)
            cJSON_Delete(plx_answer_bin(a, req->att[i].data, req->att[i].len));
        return plx_answer_result(a, req->args ? cJSON_Duplicate(req->args, 1) : cJSON_CreateNull());
    }
    cJSON_ArrayForEach(x, s->atts) {
        uint8_t *b;
        size_t n;

        if (!unhex(x->valuestring, &b, &n)) {
            cJSON_Delete(plx_answer_bin(a, b, n));
            free(b);
        }
    }
    v = s->reply ? cJSON_Duplicate(s->reply, 1) : cJSON_CreateNull();
    return plx_answer_result(a, v);
}

static int read_fn(plx_client *c, const plx_request *req, plx_answer *a, void *ud) {
    responder *s = ud;
    cJSON *o = cJSON_CreateObject(), *argv = cJSON_CreateArray();
    plx_reply *r;
    int rc;

    cJSON_AddStringToObject(o, "event", "read");
    cJSON_AddItemToObject(o, "key", hex_item(req->key.data, req->key.len));
    for (size_t i = 0; i < req->argc; i++)
        cJSON_AddItemToArray(argv, hex_item(req->argv[i].data, req->argv[i].len));
    cJSON_AddItemToObject(o, "argv", argv);
    emit(s->d, o);
    r = plx_reply_string(s->value, s->vlen);
    rc = r ? plx_answer_reply(a, r) : PLX_E_NOMEM;
    plx_reply_free(r);
    return rc;
}

/* Keeps r for the driver's lifetime (handlers may run until the client is closed). */
static responder *keep(driver *d, responder *r) {
    r->d = d;
    pthread_mutex_lock(&d->mu);
    r->next = d->responders;
    d->responders = r;
    pthread_mutex_unlock(&d->mu);
    return r;
}

/* ------------------------------------------------------------------ commands */

static const char *str(const cJSON *cmd, const char *name) {
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cmd, name));
}

static int num(const cJSON *cmd, const char *name, int dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cmd, name);

    return cJSON_IsNumber(v) ? (int)v->valuedouble : dflt;
}

static cJSON *do_connect(driver *d, const cJSON *id, const cJSON *cmd) {
    const char *url = str(cmd, "url");
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(cmd, "groups"), *g;
    const char *gv[256];
    char local[600], errbuf[512], name[256];
    plx_client_options o;
    plx_client *c = NULL;
    int rc;

    if (!url) return answer_code(id, 0, "BAD_COMMAND", "connect needs url");
    pthread_rwlock_rdlock(&d->cl);
    rc = d->client != NULL;
    pthread_rwlock_unlock(&d->cl);
    if (rc) return answer_code(id, 0, "BAD_COMMAND", "already connected");
    plx_client_options_init(&o);
    o.name = str(cmd, "name");
    o.secret = str(cmd, "secret");
    o.override_key = str(cmd, "override");
    o.presence = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cmd, "presence"));
    o.max_frame = (uint32_t)num(cmd, "max_frame", 0);
    o.max_message = (uint32_t)num(cmd, "max_message", 0);
    o.gzip_threshold = (uint32_t)num(cmd, "gzip_threshold", 0);
    o.no_gzip = cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(cmd, "gzip"));
    o.timeout_ms = num(cmd, "timeout_ms", 0);
    o.no_reconnect = !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cmd, "reconnect"));
    o.ngroups = 0;
    cJSON_ArrayForEach(g, groups) if (cJSON_IsString(g) && o.ngroups < 256) gv[o.ngroups++] =
        g->valuestring;
    o.groups = gv;
    if (d->fault) {
        d->proxy = cd_proxy_start(url, d->fault, local, sizeof(local));
        if (!d->proxy) return answer_code(id, 0, "CONNECT", "cannot start the --broken proxy");
        url = local;
    }
    rc = plx_client_connect(url, &o, &c, errbuf, sizeof(errbuf));
    if (rc) return answer_err(id, error_obj(rc, plx_client_error_name(rc), errbuf, NULL));
    plx_client_on_event(c, on_event, d);
    plx_client_on_presence(c, on_presence, d);
    plx_client_on_change(c, on_change, d);
    plx_client_on_status(c, on_status, d);
    pthread_rwlock_wrlock(&d->cl);
    d->client = c;
    pthread_rwlock_unlock(&d->cl);
    plx_client_name(c, name, sizeof(name));
    {
        cJSON *a = answer_ok(id);

        cJSON_AddStringToObject(a, "name", name);
        return a;
    }
}

static cJSON *do_close(driver *d, const cJSON *id) {
    plx_client *c;

    pthread_rwlock_wrlock(&d->cl);
    c = d->client;
    d->client = NULL;
    pthread_rwlock_unlock(&d->cl);
    if (!c) return answer_code(id, 0, "DISCONNECTED", "not connected");
    plx_client_close(c);
    return answer_ok(id);
}

static cJSON *do_call(plx_client *c, const cJSON *id, const cJSON *cmd, int all) {
    const char *route = str(cmd, "route");
    blist att;
    plx_result res;
    int rc;

    if (!route || list_of(cJSON_GetObjectItemCaseSensitive(cmd, "attachments"), 1, &att)) {
        free_list(&att);
        return answer_code(id, 0, "BAD_COMMAND", "call needs route, attachments as hex strings");
    }
    if (all)
        rc = plx_client_call_all(c, route, str(cmd, "group"),
                                 cJSON_GetObjectItemCaseSensitive(cmd, "args"), att.v, att.n,
                                 num(cmd, "timeout_ms", 0), &res);
    else
        rc =
            plx_client_call(c, route, str(cmd, "to"), cJSON_GetObjectItemCaseSensitive(cmd, "args"),
                            att.v, att.n, num(cmd, "timeout_ms", 0), &res);
    free_list(&att);
    return result_answer(id, rc, &res);
}

static cJSON *do_send(plx_client *c, const cJSON *id, const cJSON *cmd) {
    const char *to = str(cmd, "to"), *event = str(cmd, "event");
    int want = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cmd, "delivered")), rc;
    uint64_t delivered = 0;
    cJSON *a;
    blist att;

    if (!to || !event || list_of(cJSON_GetObjectItemCaseSensitive(cmd, "attachments"), 1, &att)) {
        free_list(&att);
        return answer_code(id, 0, "BAD_COMMAND", "send needs to, event");
    }
    rc = plx_client_send(c, to, event, cJSON_GetObjectItemCaseSensitive(cmd, "data"), att.v, att.n,
                         cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cmd, "echo")),
                         num(cmd, "timeout_ms", 0), want ? &delivered : NULL);
    free_list(&att);
    if (rc < 0) return answer_err(id, error_obj(rc, NULL, NULL, NULL));
    a = answer_ok(id);
    if (want) cJSON_AddNumberToObject(a, "delivered", (double)delivered);
    return a;
}

static cJSON *do_serve(driver *d, plx_client *c, const cJSON *id, const cJSON *cmd) {
    const char *route = str(cmd, "route");
    responder *r = calloc(1, sizeof(*r));
    int rc;

    if (!route || !r) {
        free(r);
        return answer_code(id, 0, "BAD_COMMAND", "serve needs route");
    }
    r->reply = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(cmd, "reply"), 1);
    r->error = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(cmd, "error"), 1);
    r->atts = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(cmd, "attachments"), 1);
    r->echo = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cmd, "echo"));
    rc = plx_client_serve(c, route, route_fn, keep(d, r), num(cmd, "timeout_ms", 0));
    return rc < 0 ? answer_err(id, error_obj(rc, NULL, NULL, NULL)) : answer_ok(id);
}

static cJSON *do_adapt(driver *d, plx_client *c, const cJSON *id, const cJSON *cmd) {
    responder *r = calloc(1, sizeof(*r));
    uint8_t *key = NULL;
    size_t klen = 0;
    int rc;

    if (!r || bytes_of(cJSON_GetObjectItemCaseSensitive(cmd, "key"), &key, &klen) ||
        bytes_of(cJSON_GetObjectItemCaseSensitive(cmd, "value"), &r->value, &r->vlen)) {
        free(key);
        if (r) free(r->value);
        free(r);
        return answer_code(id, 0, "BAD_COMMAND", "adapt needs key and value (bytes)");
    }
    rc =
        plx_client_adapt(c, (plx_bytes){key, klen}, read_fn, keep(d, r), num(cmd, "timeout_ms", 0));
    free(key);
    return rc < 0 ? answer_err(id, error_obj(rc, NULL, NULL, NULL)) : answer_ok(id);
}

static cJSON *storage_answer(const cJSON *id, int rc, plx_reply *r, int pipeline) {
    cJSON *a;

    if (!r) return answer_code(id, 0, "BAD_REPLY", "no reply (out of memory)");
    if (rc < 0) {
        a = answer_err(id, r->type == PLX_REPLY_ERROR ? reply_json(r)
                                                      : error_obj(rc, NULL, NULL, NULL));
    } else {
        a = answer_ok(id);
        cJSON_AddItemToObject(a, "result", pipeline ? reply_json(r) : plain_json(r));
    }
    plx_reply_free(r);
    return a;
}

static cJSON *do_cmd(plx_client *c, const cJSON *id, const cJSON *cmd) {
    blist argv;
    plx_reply *r = NULL;
    int rc;

    if (list_of(cJSON_GetObjectItemCaseSensitive(cmd, "argv"), 0, &argv) || !argv.n) {
        free_list(&argv);
        return answer_code(id, 0, "BAD_COMMAND", "cmd needs argv (strings or {\"hex\"})");
    }
    rc = plx_client_cmd(c, argv.n, argv.v, num(cmd, "timeout_ms", 0), &r);
    free_list(&argv);
    return storage_answer(id, rc, r, 0);
}

static cJSON *do_pipeline(plx_client *c, const cJSON *id, const cJSON *cmd) {
    plx_pipeline *p = plx_pipeline_new();
    const cJSON *one;
    plx_reply *r = NULL;
    int rc;

    cJSON_ArrayForEach(one, cJSON_GetObjectItemCaseSensitive(cmd, "cmds")) {
        blist argv;

        if (list_of(one, 0, &argv) || plx_pipeline_add(p, argv.n, argv.v)) {
            free_list(&argv);
            plx_pipeline_free(p);
            return answer_code(id, 0, "BAD_COMMAND", "pipeline needs cmds (argv arrays)");
        }
        free_list(&argv);
    }
    rc = plx_client_pipeline(c, p, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cmd, "atomic")),
                             num(cmd, "timeout_ms", 0), &r);
    plx_pipeline_free(p);
    return storage_answer(id, rc, r, 1);
}

static cJSON *do_simple(plx_client *c, const cJSON *id, const char *what, const cJSON *cmd) {
    int t = num(cmd, "timeout_ms", 0), rc;
    const char *arg = str(cmd, !strcmp(what, "rename") ? "name" : "group");

    if (!strcmp(what, "watch")) {
        uint8_t *b;
        size_t n;

        if (bytes_of(cJSON_GetObjectItemCaseSensitive(cmd, "pattern"), &b, &n))
            return answer_code(id, 0, "BAD_COMMAND", "watch needs pattern (bytes)");
        rc = plx_client_watch(c, (plx_bytes){b, n}, t);
        free(b);
    } else if (!arg) {
        return answer_code(id, 0, "BAD_COMMAND", "join and leave need group, rename needs name");
    } else if (!strcmp(what, "join")) {
        rc = plx_client_join(c, arg, t);
    } else if (!strcmp(what, "leave")) {
        rc = plx_client_leave(c, arg, t);
    } else {
        rc = plx_client_rename(c, arg, t);
    }
    return rc < 0 ? answer_err(id, error_obj(rc, NULL, NULL, NULL)) : answer_ok(id);
}

/* Runs one command that needs the client (held with the read lock). */
static cJSON *with_client(driver *d, const cJSON *id, const char *name, const cJSON *cmd) {
    plx_client *c;
    cJSON *a;

    pthread_rwlock_rdlock(&d->cl);
    c = d->client;
    if (!c)
        a = answer_code(id, 0, "DISCONNECTED", "not connected (no connect command succeeded)");
    else if (!strcmp(name, "call") || !strcmp(name, "call_all"))
        a = do_call(c, id, cmd, !strcmp(name, "call_all"));
    else if (!strcmp(name, "send"))
        a = do_send(c, id, cmd);
    else if (!strcmp(name, "serve"))
        a = do_serve(d, c, id, cmd);
    else if (!strcmp(name, "adapt"))
        a = do_adapt(d, c, id, cmd);
    else if (!strcmp(name, "cmd"))
        a = do_cmd(c, id, cmd);
    else if (!strcmp(name, "pipeline"))
        a = do_pipeline(c, id, cmd);
    else
        a = do_simple(c, id, name, cmd);
    pthread_rwlock_unlock(&d->cl);
    return a;
}

static void *run_job(void *arg) {
    job *j = arg;
    driver *d = j->d;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j->cmd, "id");
    const char *name = str(j->cmd, "cmd");
    static const char *const client_cmds[] = {"call",  "call_all", "send",     "serve",
                                              "adapt", "cmd",      "pipeline", "watch",
                                              "join",  "leave",    "rename",   NULL};
    cJSON *a = NULL;

    if (!name) {
        a = answer_code(id, 0, "BAD_COMMAND", "a command needs \"cmd\"");
    } else if (!strcmp(name, "connect")) {
        a = do_connect(d, id, j->cmd);
    } else if (!strcmp(name, "close")) {
        a = do_close(d, id);
    } else {
        for (size_t i = 0; client_cmds[i]; i++)
            if (!strcmp(name, client_cmds[i])) a = with_client(d, id, name, j->cmd);
        if (!a) a = answer_code(id, 0, "UNSUPPORTED", "unknown command");
    }
    emit(d, a);
    cJSON_Delete(j->cmd);
    free(j);
    pthread_mutex_lock(&d->mu);
    d->inflight--;
    pthread_cond_broadcast(&d->idle);
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

/* Starts a thread for one command line. */
static void dispatch(driver *d, const char *line, size_t len) {
    cJSON *cmd = cJSON_ParseWithLength(line, len);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(cmd, "id");
    pthread_t t;
    job *j;

    if (!cJSON_IsObject(cmd) || !id) {
        cJSON *nid = cJSON_CreateNull();

        emit(d, answer_code(id ? id : nid, 0, "BAD_COMMAND", "a JSON object with an id expected"));
        cJSON_Delete(nid);
        cJSON_Delete(cmd);
        return;
    }
    pthread_mutex_lock(&d->mu);
    if (d->inflight >= MAX_INFLIGHT) {
        pthread_mutex_unlock(&d->mu);
        emit(d, answer_code(id, 0, "BUSY", "too many commands running"));
        cJSON_Delete(cmd);
        return;
    }
    d->inflight++;
    pthread_mutex_unlock(&d->mu);
    j = malloc(sizeof(*j));
    if (j) {
        j->d = d;
        j->cmd = cmd;
    }
    if (!j || pthread_create(&t, NULL, run_job, j)) {
        emit(d, answer_code(id, 0, "BUSY", "cannot start a thread"));
        cJSON_Delete(cmd);
        free(j);
        pthread_mutex_lock(&d->mu);
        d->inflight--;
        pthread_mutex_unlock(&d->mu);
        return;
    }
    pthread_detach(t);
}

/* End of input: waits a little for running commands, then closes the client. Returns 0 when
 * everything was released, -1 when commands were still running. */
static int shutdown_driver(driver *d) {
    struct timespec until;
    int rc = 0;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += EXIT_WAIT_MS / 1000;
    pthread_mutex_lock(&d->mu);
    while (d->inflight > 0 && rc == 0)
        rc = pthread_cond_timedwait(&d->idle, &d->mu, &until);
    rc = d->inflight > 0 ? -1 : 0;
    pthread_mutex_unlock(&d->mu);
    if (rc) return -1;
    plx_client_close(d->client);
    d->client = NULL;
    cd_proxy_stop(d->proxy);
    while (d->responders) {
        responder *r = d->responders;

        d->responders = r->next;
        cJSON_Delete(r->reply);
        cJSON_Delete(r->error);
        cJSON_Delete(r->atts);
        free(r->value);
        free(r);
    }
    return 0;
}

static int usage(const char *msg) {
    fprintf(stderr,
            "%susage: plexus-conform-driver-c [--broken FAULT | --list-faults]\n"
            "The DRIVERS.md driver of libplexus-client: JSON commands on stdin, answers and\n"
            "events on stdout. --broken FAULT makes the client misbehave (for the suite's\n"
            "self-test).\n",
            msg);
    return 2;
}

int main(int argc, char **argv) {
    driver d;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    memset(&d, 0, sizeof(d));
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--list-faults")) {
            cd_fault_list();
            return 0;
        }
        if (!strcmp(argv[i], "--broken") && i + 1 < argc && cd_fault_known(argv[i + 1]))
            d.fault = argv[++i];
        else
            return usage("plexus-conform-driver-c: bad arguments\n");
    }
    pthread_mutex_init(&d.out_mu, NULL);
    pthread_mutex_init(&d.mu, NULL);
    pthread_cond_init(&d.idle, NULL);
    pthread_rwlock_init(&d.cl, NULL);
    while ((n = getline(&line, &cap, stdin)) > 0) {
        if ((size_t)n > LINE_MAX_BYTES) {
            fprintf(stderr, "plexus-conform-driver-c: line over 64 MiB ignored\n");
            continue;
        }
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (n) dispatch(&d, line, (size_t)n);
    }
    free(line);
    if (shutdown_driver(&d)) _exit(0); /* a command still runs: leave without releasing */
    return 0;
}
