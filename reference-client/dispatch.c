/*
 * dispatch.c - the dispatcher thread: runs the handlers for what the server sends (route
 * calls, adapter reads, events, presence, change and status notifications), one at a time
 * in arrival order, off the I/O thread so a handler may make blocking calls. The queue is
 * bounded by max_dispatch items and max_dispatch_bytes of attachments: past the bound a
 * call or read is answered LIMIT_REACHED at once and a notification is dropped and counted.
 * Batching: the receive path queues without signalling and calls plx_dispatch_flush once
 * per read (one wake-up per read, not per message); the dispatcher takes the whole queue per
 * wake-up, and the batch counts against the bounds until it has run. A client with handlers
 * has its idle dispatcher read the socket itself (the reader role of link.h), so what it
 * reads runs with no wake-up at all; it gives the role up while handlers run.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void append(plx_client *c, plx_item *it) {
    it->next = NULL;
    if (c->dq_tail)
        c->dq_tail->next = it;
    else
        c->dq = it;
    c->dq_tail = it;
    c->dq_len++;
    c->dq_bytes += it->bytes;
}

void plx_dispatch_flush(plx_client *c) {
    if (c->dq) pthread_cond_signal(&c->disp_cv);
}

static void item_free(plx_item *it) {
    plx_msg_clear(&it->m);
    free(it->text);
    free(it);
}

/* Refuses a call or read at once (mu held). */
static void refuse(plx_client *c, const plx_msg *m) {
    cJSON *r = cJSON_CreateObject();

    if (!r) return;
    cJSON_AddStringToObject(r, "t", "reply");
    cJSON_AddNumberToObject(r, "id", (double)plx_wire_uint(m->json, "id", NULL));
    cJSON_AddItemToObject(
        r, "error", plx_error_json(PLX_E_LIMIT_REACHED, "client dispatcher queue full", NULL));
    plx_send_locked(c, c->gen, r, NULL, 0, 1, 0);
    cJSON_Delete(r);
}

void plx_dispatch_push(plx_client *c, plx_item_kind kind, plx_msg *m) {
    size_t bytes = 0;
    plx_item *it;

    for (size_t i = 0; i < m->natt; i++)
        bytes += m->att[i].len;
    if (c->dq_len >= c->opt.max_dispatch || c->dq_bytes + bytes > c->opt.max_dispatch_bytes ||
        !(it = calloc(1, sizeof(*it))) || plx_msg_own(m)) {
        if (kind == PLX_ITEM_CALL || kind == PLX_ITEM_READ)
            refuse(c, m);
        else
            c->stats.dropped++;
        return;
    }
    it->kind = kind;
    it->gen = c->gen;
    it->m = *m;
    it->bytes = bytes;
    memset(m, 0, sizeof(*m));
    append(c, it);
}

void plx_dispatch_status(plx_client *c, plx_status_kind kind, int code, const char *text) {
    plx_item *it = calloc(1, sizeof(*it));

    if (!it) return;
    it->kind = PLX_ITEM_STATUS;
    it->skind = kind;
    it->code = code;
    it->text = strdup(text ? text : "");
    append(c, it);
}

void plx_dispatch_clear(plx_client *c) {
    plx_item *it;

    while ((it = c->dq)) {
        c->dq = it->next;
        item_free(it);
    }
    c->dq_tail = NULL;
    c->dq_len = c->dq_bytes = 0;
}

/* Decodes the argv of a read: an array of `bytes`. Returns the count or -1. */
static long decode_argv(const cJSON *arr, const plx_msg *m, plx_bytes **out) {
    size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
    const cJSON *e;

    *out = calloc(n ? n : 1, sizeof(**out));
    if (!*out) return -1;
    cJSON_ArrayForEach(e, arr) {
        if (plx_wire_bytes(e, m->att, m->natt, &(*out)[i++])) return -1;
    }
    return (long)n;
}

/* A route call or an adapter read: find the handler, run it, send its answer. */
static void run_request(plx_client *c, plx_item *it) {
    const cJSON *j = it->m.json;
    plx_request req;
    plx_answer a;
    plx_route_fn fn = NULL;
    plx_read_fn rfn = NULL;
    void *ud = NULL;
    plx_bytes *argv = NULL;
    long argc;
    int rc = PLX_E_UNKNOWN_ROUTE;

    memset(&req, 0, sizeof(req));
    memset(&a, 0, sizeof(a));
    req.att = it->m.att;
    req.natt = it->m.natt;
    req.timeout_ms = (uint32_t)plx_wire_uint(j, "timeout_ms", NULL);
    if (it->kind == PLX_ITEM_CALL) {
        req.route = plx_wire_str(j, "route");
        req.from = plx_wire_str(j, "from");
        req.args = cJSON_GetObjectItemCaseSensitive(j, "args");
        pthread_mutex_lock(&c->mu);
        const plx_route_entry *e = req.route ? plx_registry_route(&c->reg, req.route) : NULL;
        if (e) fn = e->fn, ud = e->ud;
        pthread_mutex_unlock(&c->mu);
        rc = fn ? fn(c, &req, &a, ud) : plx_answer_error(&a, PLX_E_UNKNOWN_ROUTE, NULL, NULL);
    } else {
        argc = decode_argv(cJSON_GetObjectItemCaseSensitive(j, "argv"), &it->m, &argv);
        if (argc < 0 || plx_wire_bytes(cJSON_GetObjectItemCaseSensitive(j, "key"), it->m.att,
                                       it->m.natt, &req.key)) {
            rc = plx_answer_error(&a, PLX_E_BAD_VALUE, "bad read message", NULL);
        } else {
            req.argv = argv;
            req.argc = (size_t)argc;
            pthread_mutex_lock(&c->mu);
            const plx_adapter_entry *e = plx_registry_adapter(&c->reg, req.key);
            if (e) rfn = e->fn, ud = e->ud;
            pthread_mutex_unlock(&c->mu);
            rc = rfn ? rfn(c, &req, &a, ud)
                     : plx_answer_error(&a, PLX_E_COMMAND_ERROR, "ERR no adapter for this key",
                                        NULL);
        }
    }
    plx_answer_send(c, it->gen, plx_wire_uint(j, "id", NULL), &a, rc);
    plx_answer_clear(&a);
    free(argv);
}

static void run_event(plx_client *c, plx_item *it, plx_event_fn fn, void *ud) {
    const cJSON *j = it->m.json;
    plx_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.from = plx_wire_str(j, "from");
    ev.to = plx_wire_str(j, "to");
    ev.event = plx_wire_str(j, "event");
    ev.data = cJSON_GetObjectItemCaseSensitive(j, "data");
    ev.att = it->m.att;
    ev.natt = it->m.natt;
    ev.seq = plx_wire_uint(j, "seq", &ev.has_seq);
    fn(c, &ev, ud);
}

static void run_presence(plx_client *c, plx_item *it, plx_presence_fn fn, void *ud) {
    const cJSON *j = it->m.json, *groups = cJSON_GetObjectItemCaseSensitive(j, "groups"), *g;
    plx_presence p;
    const char **names = NULL;
    size_t n = 0;

    memset(&p, 0, sizeof(p));
    p.kind = plx_wire_str(j, "kind");
    p.name = plx_wire_str(j, "name");
    p.old = plx_wire_str(j, "old");
    if (cJSON_IsArray(groups)) {
        names = calloc((size_t)cJSON_GetArraySize(groups) + 1, sizeof(*names));
        if (!names) return;
        cJSON_ArrayForEach(g, groups) names[n++] = g->valuestring;
    }
    p.groups = names;
    p.ngroups = n;
    fn(c, &p, ud);
    free(names);
}

static void run_change(plx_client *c, plx_item *it, plx_change_fn fn, void *ud) {
    const cJSON *j = it->m.json;
    plx_change ch;

    memset(&ch, 0, sizeof(ch));
    if (plx_wire_bytes(cJSON_GetObjectItemCaseSensitive(j, "key"), it->m.att, it->m.natt,
                       &ch.key) ||
        plx_wire_bytes(cJSON_GetObjectItemCaseSensitive(j, "pattern"), it->m.att, it->m.natt,
                       &ch.pattern))
        return;
    ch.op = plx_wire_str(j, "op");
    ch.by = plx_wire_str(j, "by");
    fn(c, &ch, ud);
}

/* Runs one item's handler. 0, or -1 when the client is closing (nothing was run). */
static int run(plx_client *c, plx_item *it) {
    plx_status st;
    void *fn, *ud;

    pthread_mutex_lock(&c->mu);
    if (c->closing) {
        pthread_mutex_unlock(&c->mu);
        return -1;
    }
    switch (it->kind) {
    case PLX_ITEM_EVENT:
        fn = (void *)c->on_event, ud = c->on_event_ud;
        break;
    case PLX_ITEM_PRESENCE:
        fn = (void *)c->on_presence, ud = c->on_presence_ud;
        break;
    case PLX_ITEM_CHANGE:
        fn = (void *)c->on_change, ud = c->on_change_ud;
        break;
    case PLX_ITEM_STATUS:
        fn = (void *)c->on_status, ud = c->on_status_ud;
        break;
    default:
        fn = NULL, ud = NULL;
        break;
    }
    pthread_mutex_unlock(&c->mu);
    switch (it->kind) {
    case PLX_ITEM_CALL:
    case PLX_ITEM_READ:
        run_request(c, it);
        break;
    case PLX_ITEM_EVENT:
        if (fn) run_event(c, it, (plx_event_fn)fn, ud);
        break;
    case PLX_ITEM_PRESENCE:
        if (fn) run_presence(c, it, (plx_presence_fn)fn, ud);
        break;
    case PLX_ITEM_CHANGE:
        if (fn) run_change(c, it, (plx_change_fn)fn, ud);
        break;
    case PLX_ITEM_STATUS:
        if (!fn) break;
        st.kind = it->skind;
        st.code = it->code;
        st.message = it->text;
        ((plx_status_fn)fn)(c, &st, ud);
        break;
    }
    return 0;
}

/* 1 when the idle dispatcher should read the socket itself (mu held): the client has
 * handlers for what the server sends unasked, so what it reads mostly runs here, without a
 * hand-off from the I/O thread. A client without them leaves the socket to its callers. */
static int reads_itself(const plx_client *c) {
    return c->on_event || c->on_presence || c->on_change || c->reg.nroutes || c->reg.nadapters;
}

/* Runs everything queued (mu held; dropped while handlers run). -1 when closing. */
static int run_batch(plx_client *c) {
    plx_item *batch = c->dq, *it;
    size_t len = c->dq_len, bytes = c->dq_bytes;
    int stop = 0;

    c->dq = c->dq_tail = NULL; /* dq_len, dq_bytes still count the batch */
    pthread_mutex_unlock(&c->mu);
    while ((it = batch)) {
        batch = it->next;
        if (!stop && run(c, it)) stop = 1; /* closing: the rest is freed unrun */
        item_free(it);
    }
    pthread_mutex_lock(&c->mu);
    c->dq_len -= len;
    c->dq_bytes -= bytes;
    return stop ? -1 : 0;
}

/* One read by the idle dispatcher, holding the reader role (mu held; dropped meanwhile). */
static void read_itself(plx_client *c) {
    int rc;

    c->io_busy = 1;
    pthread_mutex_unlock(&c->mu);
    rc = plx_io_read(c, PLX_SERVICE_SLICE_MS);
    pthread_mutex_lock(&c->mu);
    c->io_busy = 0;
    c->linger_until = plx_client_now_ms() + PLX_LINGER_MS;
    if (rc) {
        c->io_err = rc; /* the I/O thread ends the session and reconnects */
        plx_io_kick(c);
    } else if (c->dq && c->nwaiting) {
        plx_io_kick(c); /* handlers run now: the I/O thread reads for waiting callers */
    }
}

void *plx_dispatch_main(void *arg) {
    plx_client *c = arg;

    pthread_mutex_lock(&c->mu);
    while (!c->closing) {
        if (c->dq) {
            if (run_batch(c)) break;
            continue;
        }
        if (reads_itself(c) && c->state == PLX_ST_READY && !c->io_err) {
            if (!c->io_busy) {
                c->disp_wants = 0;
                read_itself(c);
                continue;
            }
            c->disp_wants = 1; /* the I/O thread hands the socket over after its round */
        }
        pthread_cond_wait(&c->disp_cv, &c->mu);
    }
    c->disp_wants = 0;
    pthread_cond_signal(&c->io_cv); /* closing: the I/O thread may wait for the role */
    pthread_mutex_unlock(&c->mu);
    return NULL;
}
