/*
 * hub.c - the hub's lifecycle and dispatch: configuration defaults, one message routed to
 * its handler by type, timers, shutdown.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#ifndef PLX_VERSION_STRING
#define PLX_VERSION_STRING "1.0.0"
#endif

static char *dup_or_null(const char *s) {
    if (!s || !*s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

#define DEFAULT(field, value)                                                                      \
    if (!cfg->field) cfg->field = (value)

static void apply_defaults(plx_hub_config *cfg) {
    DEFAULT(max_connections, 1024);
    DEFAULT(max_frame, PLX_DEFAULT_MAX_FRAME);
    DEFAULT(max_message, PLX_DEFAULT_MAX_MESSAGE);
    DEFAULT(gzip_threshold, PLX_DEFAULT_GZIP_THRESHOLD);
    DEFAULT(hello_timeout_ms, 10000);
    DEFAULT(ping_interval_ms, 20000);
    DEFAULT(missed_pongs, 2);
    DEFAULT(call_timeout_ms, 30000);
    DEFAULT(max_call_timeout_ms, 300000);
    DEFAULT(max_routes, 256);
    DEFAULT(max_groups, 256);
    DEFAULT(max_watches, 256);
    DEFAULT(max_pending, 1024);
    DEFAULT(max_adapters, 256);
    if (cfg->call_timeout_ms > cfg->max_call_timeout_ms)
        cfg->call_timeout_ms = cfg->max_call_timeout_ms;
}

plx_hub *plx_hub_new(const plx_hub_config *cfg, const plx_hub_io *io, plx_store *store) {
    if (!io || !io->send || !io->close) return NULL;
    plx_hub *h = calloc(1, sizeof(*h));
    if (!h) return NULL;
    if (cfg) h->cfg = *cfg;
    apply_defaults(&h->cfg);
    h->cfg.secret = dup_or_null(h->cfg.secret);
    h->cfg.override_key = dup_or_null(h->cfg.override_key);
    h->cfg.server_name =
        dup_or_null(h->cfg.server_name ? h->cfg.server_name : "plexus-server/" PLX_VERSION_STRING);
    if ((cfg && cfg->secret && *cfg->secret && !h->cfg.secret) ||
        (cfg && cfg->override_key && *cfg->override_key && !h->cfg.override_key) ||
        !h->cfg.server_name) {
        plx_hub_free(h);
        return NULL;
    }
    h->io = *io;
    h->store = store;
    hub_map_init(&h->conns);
    hub_map_init(&h->names);
    hub_map_init(&h->groups);
    hub_map_init(&h->routes);
    hub_map_init(&h->calls);
    hub_map_init(&h->adapters);
    return h;
}

plx_hub *plx_hub_new_own_store(const plx_hub_config *cfg, const plx_hub_io *io,
                               const plx_store_limits *limits) {
    plx_hub *h = plx_hub_new(cfg, io, NULL);
    if (!h) return NULL;
    h->store = plx_store_new(limits, plx_hub_store_notify, h);
    if (!h->store) {
        plx_hub_free(h);
        return NULL;
    }
    h->owns_store = 1;
    return h;
}

void plx_hub_free(plx_hub *h) {
    if (!h) return;
    if (h->owns_store) plx_store_free(h->store);
    plx_store_free(h->scratch);
    hub_map_iter it = {0};
    hub_map_node *n;
    /* Aggregates are referenced from their caller's pending map. */
    for (hub_conn *c = h->head; c; c = c->next) {
        hub_map_iter pi = {0};
        while ((n = hub_map_next(&c->pending, &pi)))
            if (((hub_agg *)n->val)->kind == 0) hub_agg_free(n->val);
    }
    it = (hub_map_iter){0};
    while ((n = hub_map_next(&h->calls, &it))) {
        free(((hub_call *)n->val)->slots);
        free((void *)((hub_call *)n->val)->pattern.data);
        free(n->val);
    }
    hub_conn *c = h->head;
    while (c) {
        hub_conn *next = c->next;
        hub_conn_free(c);
        c = next;
    }
    it = (hub_map_iter){0};
    while ((n = hub_map_next(&h->groups, &it)))
        hub_group_free(n->val);
    it = (hub_map_iter){0};
    while ((n = hub_map_next(&h->routes, &it))) {
        hub_route *r = n->val;
        free(r->servers);
        free(r->name);
        free(r);
    }
    hub_notes_free(&h->notes);
    hub_map_clear(&h->conns);
    hub_map_clear(&h->names);
    hub_map_clear(&h->groups);
    hub_map_clear(&h->routes);
    hub_map_clear(&h->calls);
    hub_map_clear(&h->adapters);
    free((void *)h->cfg.secret);
    free((void *)h->cfg.override_key);
    free((void *)h->cfg.server_name);
    free((void *)h->backend.name);
    free((void *)h->peer.auto_prefix);
    free(h);
}

/* Requests: types whose id must be a uint and unique among the sender's pending ones. */
static int is_request(const char *t) {
    static const char *const req[] = {"register", "unregister", "call",   "call_all", "send",
                                      "join",     "leave",      "rename", "cmd",      "pipeline",
                                      "watch",    "unwatch",    "adapt",  "unadapt"};
    for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++)
        if (strcmp(t, req[i]) == 0) return 1;
    return 0;
}

static void dispatch_ready(plx_hub *h, hub_conn *c, const char *t, const plx_msg *m, uint64_t now) {
    const cJSON *j = m->json;
    if (strcmp(t, "ping") == 0) {
        hub_on_ping(h, c, j);
        return;
    }
    if (strcmp(t, "pong") == 0) {
        hub_on_pong(h, c, j);
        return;
    }
    if (strcmp(t, "bye") == 0) {
        hub_fail(h, c, 0, NULL);
        return;
    }
    if (strcmp(t, "error") == 0) return; /* the client's complaint: nothing to answer */
    if (strcmp(t, "hello") == 0) {
        hub_error_msg(h, c, PLX_E_ALREADY_READY, NULL, -1);
        return;
    }
    if (strcmp(t, "reply") == 0) {
        hub_on_reply(h, c, m);
        return;
    }

    uint64_t rid = 0;
    int has_id = hub_get_uint(j, "id", &rid);
    if (!is_request(t)) {
        int code = plx_msg_type_index(t) < 0 ? PLX_E_UNKNOWN_TYPE : PLX_E_WRONG_DIRECTION;
        hub_req_error(h, c, has_id, rid, code, NULL);
        return;
    }
    if (!has_id && strcmp(t, "send") != 0) {
        hub_error_msg(h, c, PLX_E_MISSING_FIELD, "id", -1);
        return;
    }
    if (has_id && !hub_id_free(h, c, rid)) return;
    if (has_id && !hub_pending_room(h, c, rid)) return; /* LIM-3: any request, at once */

    if (strcmp(t, "register") == 0) {
        hub_on_register(h, c, j);
        return;
    }
    if (strcmp(t, "unregister") == 0) {
        hub_on_unregister(h, c, j);
        return;
    }
    if (strcmp(t, "call") == 0) {
        hub_on_call(h, c, m, now);
        return;
    }
    if (strcmp(t, "call_all") == 0) {
        hub_on_call_all(h, c, m, now);
        return;
    }
    if (strcmp(t, "send") == 0) {
        hub_on_send(h, c, m);
        return;
    }
    if (strcmp(t, "join") == 0) {
        hub_on_join(h, c, j);
        return;
    }
    if (strcmp(t, "leave") == 0) {
        hub_on_leave(h, c, j);
        return;
    }
    if (strcmp(t, "rename") == 0) {
        hub_on_rename(h, c, j);
        return;
    }
    if (strcmp(t, "cmd") == 0) {
        hub_on_cmd(h, c, m, now);
        return;
    }
    if (strcmp(t, "pipeline") == 0) {
        hub_on_pipeline(h, c, m, now);
        return;
    }
    if (strcmp(t, "watch") == 0) {
        hub_on_watch(h, c, m);
        return;
    }
    if (strcmp(t, "unwatch") == 0) {
        hub_on_unwatch(h, c, m);
        return;
    }
    if (strcmp(t, "adapt") == 0) {
        hub_on_adapt(h, c, m);
        return;
    }
    if (strcmp(t, "unadapt") == 0) {
        hub_on_unadapt(h, c, m);
        return;
    }
}

void plx_hub_message(plx_hub *h, plx_conn_id id, const plx_msg *m, uint64_t now_ms) {
    hub_conn *c = hub_conn_get(h, id);
    if (!c || c->state == HUB_CLOSING || !m || !cJSON_IsObject(m->json)) return;
    const char *t = hub_get_str(m->json, "t");
    if (c->state == HUB_CONNECTED) {
        if (t && strcmp(t, "hello") == 0)
            hub_on_hello(h, c, m, now_ms);
        else
            hub_fail(h, c, PLX_E_NOT_READY, NULL);
    } else if (!t) {
        uint64_t rid = 0;
        int has_id = hub_get_uint(m->json, "id", &rid);
        hub_req_error(h, c, has_id, rid, PLX_E_MISSING_TYPE, NULL);
    } else {
        /* WAT-5: the changes this message causes go out after its reply. */
        h->deferring = 1;
        dispatch_ready(h, c, t, m, now_ms);
        h->deferring = 0;
    }
    hub_notes_flush(h, &h->notes);
    hub_reap(h);
}

void plx_hub_codec_error(plx_hub *h, plx_conn_id id, int code, const char *detail, int64_t rid,
                         uint64_t now_ms) {
    (void)now_ms;
    hub_conn *c = hub_conn_get(h, id);
    if (!c || c->state == HUB_CLOSING) return;
    if (code > 0) code = -code;
    if (plx_error_fatal(code) || !plx_error_name(code))
        hub_fail(h, c, plx_error_name(code) ? code : PLX_E_INTERNAL, detail);
    else
        hub_req_error(h, c, rid >= 0, (uint64_t)rid, code, detail);
    hub_reap(h);
}

static uint64_t min_u64(uint64_t a, uint64_t b) {
    return a < b ? a : b;
}

uint64_t plx_hub_tick(plx_hub *h, uint64_t now_ms) {
    uint64_t next = UINT64_MAX;
    if (!h->started) {
        h->started = 1;
        h->started_ms = now_ms;
    }
    for (hub_conn *c = h->head; c; c = c->next)
        if (c->state != HUB_CLOSING) next = min_u64(next, hub_session_tick(h, c, now_ms));
    next = min_u64(next, hub_calls_tick(h, now_ms));
    if (h->store) {
        h->executing = NULL;
        size_t n = plx_store_expire(h->store, now_ms, HUB_EXPIRE_BATCH);
        next = min_u64(next, now_ms + (n >= HUB_EXPIRE_BATCH ? 1 : HUB_EXPIRE_EVERY));
    }
    hub_reap(h);
    return next;
}

void plx_hub_shutdown(plx_hub *h, uint64_t now_ms) {
    (void)now_ms;
    h->shutting_down = 1;
    for (hub_conn *c = h->head; c; c = c->next)
        if (!c->remote) hub_fail(h, c, PLX_E_SHUTTING_DOWN, NULL);
    hub_reap(h);
}
