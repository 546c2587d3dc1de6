/*
 * calls.c - pending calls: a call by route (round robin) or to a named client, forwarded
 * with a server-chosen id; the serving side's reply, CALL_TIMEOUT at the deadline,
 * PEER_GONE the moment the serving client leaves, UNKNOWN_CALL for a late reply.
 * Bound: max_pending requests in flight per caller.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int hub_id_free(plx_hub *h, hub_conn *c, uint64_t rid) {
    if (!hub_map_getu(&c->pending, rid)) return 1;
    /* An error message, not a reply: a reply with rid would answer the pending request. */
    hub_error_msg(h, c, PLX_E_DUPLICATE_ID, NULL, (int64_t)rid);
    return 0;
}

int hub_pending_room(plx_hub *h, hub_conn *c, uint64_t rid) {
    if (c->pending.count < h->cfg.max_pending) return 1;
    hub_reply_error(h, c, rid, PLX_E_LIMIT_REACHED, "too many pending requests", NULL);
    return 0;
}

hub_call *hub_call_start(plx_hub *h, hub_call_kind kind, hub_conn *caller, uint64_t rid,
                         hub_conn *server, uint64_t deadline_ms) {
    hub_call *k = calloc(1, sizeof(*k));
    if (!k) return NULL;
    k->kind = kind;
    k->sid = ++h->next_sid;
    k->caller = caller ? caller->id : 0;
    k->rid = rid;
    k->server = server->id;
    k->deadline_ms = deadline_ms;
    if (hub_map_putu(&h->calls, k->sid, k) != 0) {
        free(k);
        return NULL;
    }
    if (caller && kind != HUB_PART && hub_map_putu(&caller->pending, rid, k) != 0) {
        hub_map_delu(&h->calls, k->sid);
        free(k);
        return NULL;
    }
    return k;
}

void hub_call_end(plx_hub *h, hub_call *k) {
    hub_map_delu(&h->calls, k->sid);
    hub_conn *caller = k->caller ? hub_conn_get(h, k->caller) : NULL;
    if (caller && k->kind != HUB_PART && hub_map_getu(&caller->pending, k->rid) == k)
        hub_map_delu(&caller->pending, k->rid);
    free(k->slots);
    free((void *)k->pattern.data);
    free(k);
}

int hub_timeout_zero(const cJSON *m) {
    uint64_t t = 1;
    return hub_get_uint(m, "timeout_ms", &t) && t == 0;
}

uint32_t hub_call_timeout(const plx_hub *h, const cJSON *m) {
    uint64_t t = 0;
    if (!hub_get_uint(m, "timeout_ms", &t) || t == 0) t = h->cfg.call_timeout_ms;
    return t > h->cfg.max_call_timeout_ms ? h->cfg.max_call_timeout_ms : (uint32_t)t;
}

int hub_call_forward(plx_hub *h, hub_call *k, hub_conn *server, const char *route, const plx_msg *m,
                     const char *from, uint32_t timeout_ms) {
    int err = PLX_E_NOMEM;
    cJSON *f = hub_msg_new("call");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(m->json, "args");
    cJSON *a = args ? cJSON_Duplicate(args, 1) : NULL;
    if (f && (!args || a)) {
        cJSON_AddNumberToObject(f, "id", (double)k->sid);
        cJSON_AddStringToObject(f, "route", route);
        if (a) cJSON_AddItemToObject(f, "args", a);
        a = NULL;
        if (from) cJSON_AddStringToObject(f, "from", from);
        cJSON_AddNumberToObject(f, "timeout_ms", timeout_ms);
        /* RPC-7, BODY-10: the caller's attachment list goes along unchanged. */
        err = hub_send(h, server, f, m->att, m->natt);
    }
    cJSON_Delete(a);
    cJSON_Delete(f);
    if (err == 0 || server->state == HUB_CLOSING) return 0;
    hub_call_fail(h, k, PLX_E_LIMIT_REACHED);
    return PLX_E_LIMIT_REACHED;
}

void hub_on_call(plx_hub *h, hub_conn *c, const plx_msg *m, uint64_t now) {
    uint64_t rid = 0;
    hub_get_uint(m->json, "id", &rid);
    const char *route = hub_get_str(m->json, "route");
    if (!route) {
        hub_reply_error(h, c, rid, PLX_E_MISSING_FIELD, "route", NULL);
        return;
    }
    if (hub_timeout_zero(m->json)) { /* RPC-4 step 1, before anything else */
        hub_reply_error(h, c, rid, PLX_E_BAD_VALUE, "timeout_ms must not be 0", NULL);
        return;
    }
    if (strncmp(route, "plexus.", 7) == 0) {
        hub_builtin_call(h, c, rid, route, cJSON_GetObjectItemCaseSensitive(m->json, "args"), now);
        return;
    }
    const char *to = hub_get_str(m->json, "to");
    hub_conn *server;
    if (to) {
        server = hub_name_lookup(h, to);
        if (!server) {
            hub_reply_error(h, c, rid, PLX_E_UNKNOWN_CLIENT, NULL, NULL);
            return;
        }
        if (!hub_route_served(h, server, route)) server = NULL;
    } else {
        server = hub_route_pick(hub_route_get(h, route));
    }
    if (!server) {
        hub_reply_error(h, c, rid, PLX_E_UNKNOWN_ROUTE, NULL, NULL);
        return;
    }
    uint32_t timeout = hub_call_timeout(h, m->json);
    hub_call *k = hub_call_start(h, HUB_CALL, c, rid, server, now + timeout);
    if (!k) {
        hub_reply_error(h, c, rid, PLX_E_INTERNAL, "out of memory", NULL);
        return;
    }
    hub_call_forward(h, k, server, route, m, c->name, timeout);
}

/* The caller's answer to a finished call or read: the serving side's result, or its error
 * (a call's as ROUTE_FAILED's detail, RPC-9; an adapter owner's unchanged, ADP-4), with the
 * serving reply's attachment list unchanged. */
static void answer_caller(plx_hub *h, hub_call *k, const plx_msg *m) {
    hub_conn *caller = k->caller ? hub_conn_get(h, k->caller) : NULL;
    uint64_t rid = k->rid;
    hub_call_kind k_kind = k->kind;
    hub_call_end(h, k);
    if (!caller) return; /* the caller left: the answer has nobody to go to */
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(m->json, "error");
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(m->json, "result");
    hub_att att = HUB_ATT_VIEW(m);
    if (error && k_kind == HUB_READ) {
        hub_reply_error_obj(h, caller, rid, cJSON_Duplicate(error, 1), &att);
        return;
    }
    if (error) {
        cJSON *detail = cJSON_Duplicate(error, 1);
        hub_reply_error_att(h, caller, rid, PLX_E_ROUTE_FAILED, NULL, detail, detail ? &att : NULL);
        return;
    }
    cJSON *r = result ? cJSON_Duplicate(result, 1) : cJSON_CreateNull();
    if (!r)
        hub_reply_error(h, caller, rid, PLX_E_INTERNAL, "out of memory", NULL);
    else
        hub_reply(h, caller, rid, r, &att);
}

void hub_on_reply(plx_hub *h, hub_conn *c, const plx_msg *m) {
    uint64_t sid = 0;
    if (!hub_get_uint(m->json, "id", &sid)) {
        hub_error_msg(h, c, PLX_E_MISSING_FIELD, "id", -1);
        return;
    }
    hub_call *k = hub_map_getu(&h->calls, sid);
    if (!k || k->server != c->id) {
        hub_error_msg(h, c, PLX_E_UNKNOWN_CALL, NULL, (int64_t)sid);
        return;
    }
    if (k->kind == HUB_PART) {
        hub_agg_part_done(h, k, m, 0);
        return;
    }
    if (k->kind == HUB_RELAY) { /* the origin instance answers its caller */
        uint64_t origin = k->origin, rid = k->rid;
        hub_call_end(h, k);
        if (h->peer.relayed) h->peer.relayed(h->peer.ud, origin, rid, c->id, m);
        return;
    }
    answer_caller(h, k, m);
}

void hub_call_fail(plx_hub *h, hub_call *k, int code) {
    if (k->kind == HUB_PART) {
        hub_agg_part_done(h, k, NULL, code);
        return;
    }
    if (k->kind == HUB_RELAY) { /* the origin has its own deadline and sees the client go */
        hub_call_end(h, k);
        return;
    }
    hub_conn *caller = k->caller ? hub_conn_get(h, k->caller) : NULL;
    uint64_t rid = k->rid;
    hub_call_end(h, k);
    if (caller) hub_reply_error(h, caller, rid, code, NULL, NULL);
}

/* Collects the sids of calls matching pred into a malloc'd array. */
static uint64_t *collect(plx_hub *h, int (*pred)(const hub_call *, uint64_t), uint64_t arg,
                         size_t *n) {
    uint64_t *v = malloc((h->calls.count ? h->calls.count : 1) * sizeof(*v));
    *n = 0;
    if (!v) return NULL;
    hub_map_iter it = {0};
    hub_map_node *node;
    while ((node = hub_map_next(&h->calls, &it)))
        if (pred(node->val, arg)) v[(*n)++] = ((hub_call *)node->val)->sid;
    return v;
}

static int expired(const hub_call *k, uint64_t now) {
    return k->deadline_ms <= now;
}

static int served_by(const hub_call *k, uint64_t id) {
    return k->server == id;
}

static void fail_all(plx_hub *h, const uint64_t *sids, size_t n, int code) {
    for (size_t i = 0; i < n; i++) {
        hub_call *k = hub_map_getu(&h->calls, sids[i]);
        if (k) hub_call_fail(h, k, code);
    }
}

uint64_t hub_calls_tick(plx_hub *h, uint64_t now) {
    size_t n;
    uint64_t *sids = collect(h, expired, now, &n);
    if (sids) fail_all(h, sids, n, PLX_E_CALL_TIMEOUT);
    free(sids);
    uint64_t next = UINT64_MAX;
    hub_map_iter it = {0};
    hub_map_node *node;
    while ((node = hub_map_next(&h->calls, &it))) {
        hub_call *k = node->val;
        if (k->deadline_ms < next) next = k->deadline_ms;
    }
    return next;
}

void hub_calls_release(plx_hub *h, hub_conn *c) {
    /* Requests c made: aggregates are dropped, calls and reads orphaned. */
    hub_map_iter it = {0};
    hub_map_node *node;
    while ((node = hub_map_next(&c->pending, &it))) {
        hub_call *k = node->val;
        if (k->kind == 0)
            hub_agg_orphan(h, node->val);
        else
            k->caller = 0;
    }
    hub_map_clear(&c->pending);
    /* Calls c serves: their callers learn at once. */
    size_t n;
    uint64_t *sids = collect(h, served_by, c->id, &n);
    if (sids) fail_all(h, sids, n, PLX_E_PEER_GONE);
    free(sids);
}
