/*
 * peer.c - the hub's side of the cluster (reference-server/cluster/): proxies of other
 * instances' clients (open, change, close), messages from them (replies), calls and reads
 * relayed from other instances to local clients, events pushed to local clients, and the
 * observer that reports local clients' changes. See hub.h, "cluster hooks".
 *
 * A proxy is an ordinary READY hub_conn with remote set: it sits in the name, group, route
 * and adapter tables like a local client, never gets pings or presence, is not counted in
 * nconns (max_connections is about sockets), and whatever the hub sends it goes to
 * peer.send (reply.c).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void hub_client_view(const hub_conn *c, plx_hub_client *out) {
    out->id = c->id;
    out->remote = c->remote;
    out->name = c->name;
    out->groups = c->groups.v;
    out->ngroups = c->groups.n;
    out->routes = c->routes.v;
    out->nroutes = c->routes.n;
    out->adapted = c->adapted.v;
    out->nadapted = c->adapted.n;
}

void hub_observe(plx_hub *h, const hub_conn *c, plx_hub_change what, plx_bytes arg) {
    if (!h->peer.changed || c->remote) return;
    plx_hub_client view;
    hub_client_view(c, &view);
    h->peer.changed(h->peer.ud, &view, what, arg);
}

void hub_observe_str(plx_hub *h, const hub_conn *c, plx_hub_change what, const char *arg) {
    if (!h->peer.changed || c->remote) return;
    hub_observe(h, c, what, (plx_bytes){(const uint8_t *)arg, strlen(arg)});
}

int plx_hub_set_peer(plx_hub *h, const plx_hub_peer *peer) {
    if (!peer) { /* proxies cannot live without a peer */
        for (hub_conn *c = h->head; c; c = c->next)
            if (c->remote && c->state != HUB_CLOSING) {
                c->state = HUB_CLOSING;
                c->closed_by_io = 1;
                h->reap_needed = 1;
            }
        hub_reap(h);
        free((void *)h->peer.auto_prefix);
        memset(&h->peer, 0, sizeof(h->peer));
        return 0;
    }
    if (!peer->send || !peer->changed) return PLX_E_INVAL;
    char *prefix = NULL;
    if (peer->auto_prefix) {
        size_t n = strlen(peer->auto_prefix) + 1;
        if (n > 64 || !hub_name_valid(peer->auto_prefix, n - 1, 0)) return PLX_E_INVAL;
        if (!(prefix = malloc(n))) return PLX_E_NOMEM;
        memcpy(prefix, peer->auto_prefix, n);
    }
    free((void *)h->peer.auto_prefix);
    h->peer = *peer;
    h->peer.auto_prefix = prefix;
    return 0;
}

/* A READY proxy by id, or NULL. */
static hub_conn *proxy_get(const plx_hub *h, plx_conn_id p) {
    hub_conn *c = hub_conn_get(h, p);
    return c && c->remote && c->state == HUB_READY ? c : NULL;
}

/* A READY local client by id, or NULL. */
static hub_conn *local_get(const plx_hub *h, plx_conn_id id) {
    hub_conn *c = hub_conn_get(h, id);
    return c && !c->remote && c->state == HUB_READY ? c : NULL;
}

/* A C string copy of a name argument when it is a valid name (colon_ok as hub_name_valid),
 * in buf (HUB_NAME_MAX + 1 bytes). 0 or PLX_E_BAD_NAME. */
static int name_arg(plx_bytes arg, int colon_ok, char *buf) {
    if (!hub_name_valid((const char *)arg.data, arg.len, colon_ok) || memchr(arg.data, 0, arg.len))
        return PLX_E_BAD_NAME;
    memcpy(buf, arg.data, arg.len);
    buf[arg.len] = 0;
    return 0;
}

int plx_hub_proxy_open(plx_hub *h, const char *name, const plx_bytes *groups, size_t ngroups,
                       plx_conn_id *out, uint64_t now_ms) {
    char g[HUB_NAME_MAX + 1];
    *out = 0;
    if (!name || !hub_name_valid(name, strlen(name), 0)) return PLX_E_BAD_NAME;
    if (ngroups > h->cfg.max_groups) return PLX_E_LIMIT_REACHED;
    for (size_t i = 0; i < ngroups; i++)
        if (name_arg(groups[i], 0, g) != 0) return PLX_E_BAD_NAME;
    hub_conn *holder = hub_name_lookup(h, name);
    if (holder) {
        *out = holder->id;
        return PLX_E_NAME_TAKEN;
    }
    hub_conn *c = hub_conn_new(h, now_ms, 1);
    if (!c) return PLX_E_NOMEM;
    int rc = hub_name_set(h, c, name);
    for (size_t i = 0; rc == 0 && i < ngroups; i++) {
        name_arg(groups[i], 0, g);
        if (hub_group_add(h, c, g) < 0) rc = PLX_E_NOMEM;
    }
    if (rc != 0) { /* dropped quietly: nobody has seen it yet */
        c->state = HUB_CLOSING;
        c->closed_by_io = 1;
        h->reap_needed = 1;
        hub_groups_release(h, c);
        hub_name_release(h, c);
        hub_reap(h);
        return PLX_E_NOMEM;
    }
    hub_presence(h, c, "join", NULL);
    hub_reap(h);
    *out = c->id;
    return 0;
}

/* RENAME of c to arg, with presence rename. */
static int update_rename(plx_hub *h, hub_conn *c, plx_bytes arg, plx_conn_id *holder) {
    char name[HUB_NAME_MAX + 1];
    if (name_arg(arg, 0, name) != 0) return PLX_E_BAD_NAME;
    hub_conn *other = hub_name_lookup(h, name);
    if (other == c) return 0;
    if (other) {
        if (holder) *holder = other->id;
        return PLX_E_NAME_TAKEN;
    }
    char *old = c->name;
    c->name = NULL; /* keep the old text for the presence event */
    if (old) hub_map_del(&h->names, old, strlen(old));
    if (hub_name_set(h, c, name) != 0) {
        c->name = old;
        if (old) hub_map_put(&h->names, old, strlen(old), c);
        return PLX_E_NOMEM;
    }
    hub_presence(h, c, "rename", old);
    free(old);
    return 0;
}

/* The change itself; 0 or an error (see plx_hub_update). */
static int update(plx_hub *h, hub_conn *c, plx_hub_change what, plx_bytes arg,
                  plx_conn_id *holder) {
    char s[HUB_NAME_MAX + 1];
    int rc;
    switch (what) {
    case PLX_HUB_RENAME:
        return update_rename(h, c, arg, holder);
    case PLX_HUB_JOIN:
    case PLX_HUB_LEAVE:
        if (name_arg(arg, 0, s) != 0) return PLX_E_BAD_NAME;
        rc = what == PLX_HUB_JOIN ? hub_group_add(h, c, s) : !hub_group_remove(h, c, s);
        if (rc == 0) hub_presence(h, c, "regroup", NULL);
        return rc < 0 ? rc : 0;
    case PLX_HUB_REGISTER:
        if (name_arg(arg, 1, s) != 0) return PLX_E_BAD_NAME;
        if (hub_route_served(h, c, s)) return 0;
        if (c->routes.n >= h->cfg.max_routes) return PLX_E_LIMIT_REACHED;
        return hub_route_add(h, c, s);
    case PLX_HUB_UNREGISTER:
        if (name_arg(arg, 1, s) != 0) return PLX_E_BAD_NAME;
        hub_route_remove(h, c, s);
        return 0;
    case PLX_HUB_ADAPT: {
        hub_conn *owner = hub_adapter_owner(h, arg);
        if (owner && owner != c) {
            if (holder) *holder = owner->id;
            return PLX_E_KEY_OWNED;
        }
        rc = hub_adapt_add(h, c, arg);
        return rc < 0 ? rc : 0;
    }
    case PLX_HUB_UNADAPT:
        hub_adapt_remove(h, c, arg);
        return 0;
    default:
        return PLX_E_INVAL;
    }
}

int plx_hub_update(plx_hub *h, plx_conn_id id, plx_hub_change what, plx_bytes arg,
                   plx_conn_id *holder, uint64_t now_ms) {
    (void)now_ms;
    hub_conn *c = what == PLX_HUB_UNADAPT ? hub_conn_get(h, id) : proxy_get(h, id);
    if (!c || c->state != HUB_READY || (!arg.data && arg.len)) return PLX_E_INVAL;
    int rc = update(h, c, what, arg, holder);
    hub_notes_flush(h, &h->notes);
    hub_reap(h);
    return rc;
}

void plx_hub_proxy_close(plx_hub *h, plx_conn_id p, uint64_t now_ms) {
    (void)now_ms;
    hub_conn *c = hub_conn_get(h, p);
    if (!c || !c->remote) return;
    c->closed_by_io = 1; /* the cluster asked: no peer.dropped */
    if (c->state != HUB_CLOSING) {
        c->state = HUB_CLOSING;
        c->close_code = 0;
    }
    h->reap_needed = 1;
    hub_reap(h);
}

int plx_hub_proxy_message(plx_hub *h, plx_conn_id p, const plx_msg *m, uint64_t now_ms) {
    (void)now_ms;
    hub_conn *c = proxy_get(h, p);
    const char *t = m ? hub_get_str(m->json, "t") : NULL;
    if (!c || !t || strcmp(t, "reply") != 0) return PLX_E_INVAL;
    hub_on_reply(h, c, m);
    hub_notes_flush(h, &h->notes);
    hub_reap(h);
    return 0;
}

int plx_hub_relay(plx_hub *h, plx_conn_id id, const plx_msg *m, uint64_t origin, uint64_t now_ms) {
    hub_conn *c = local_get(h, id);
    const char *t = m ? hub_get_str(m->json, "t") : NULL;
    uint64_t rid = 0;
    if (!c || !t || (strcmp(t, "call") != 0 && strcmp(t, "read") != 0) ||
        !hub_get_uint(m->json, "id", &rid))
        return PLX_E_INVAL;
    uint32_t timeout = hub_call_timeout(h, m->json);
    hub_call *k = hub_call_start(h, HUB_RELAY, NULL, rid, c, now_ms + timeout);
    cJSON *f = k ? cJSON_Duplicate(m->json, 1) : NULL;
    int rc = PLX_E_NOMEM;
    if (f) {
        cJSON_ReplaceItemInObjectCaseSensitive(f, "id", cJSON_CreateNumber((double)k->sid));
        k->origin = origin;
        rc = hub_send(h, c, f, m->att, m->natt);
        cJSON_Delete(f);
    }
    if (rc != 0 && k) hub_call_end(h, k);
    hub_reap(h);
    return rc == PLX_E_TOO_LARGE || rc == PLX_E_NOMEM || rc == 0 ? rc : PLX_E_INVAL;
}

int plx_hub_push(plx_hub *h, plx_conn_id id, const plx_msg *m, uint64_t now_ms) {
    (void)now_ms;
    hub_conn *c = local_get(h, id);
    if (!c || !m) return PLX_E_INVAL;
    int rc = hub_send(h, c, m->json, m->att, m->natt);
    hub_reap(h);
    return rc;
}

int plx_hub_proxy_fail(plx_hub *h, plx_conn_id p, uint64_t sid, int code, uint64_t now_ms) {
    (void)now_ms;
    hub_conn *c = proxy_get(h, p);
    hub_call *k = c ? hub_map_getu(&h->calls, sid) : NULL;
    if (!k || k->server != c->id) return PLX_E_INVAL;
    hub_call_fail(h, k, code);
    hub_reap(h);
    return 0;
}

void plx_hub_kick(plx_hub *h, plx_conn_id id, int code, uint64_t now_ms) {
    (void)now_ms;
    hub_conn *c = hub_conn_get(h, id);
    if (!c || c->remote) return;
    hub_fail(h, c, code, NULL);
    hub_reap(h);
}

int plx_hub_client_get(const plx_hub *h, plx_conn_id id, plx_hub_client *out) {
    hub_conn *c = hub_conn_get(h, id);
    if (!c || c->state != HUB_READY || !out) return PLX_E_INVAL;
    hub_client_view(c, out);
    return 0;
}

plx_conn_id plx_hub_name_holder(const plx_hub *h, const char *name) {
    hub_conn *c = hub_name_lookup(h, name);
    return c ? c->id : 0;
}

void plx_hub_each_local(const plx_hub *h, void (*fn)(void *ud, const plx_hub_client *c), void *ud) {
    for (hub_conn *c = h->head; c; c = c->next) {
        if (c->remote || c->state != HUB_READY) continue;
        plx_hub_client view;
        hub_client_view(c, &view);
        fn(ud, &view);
    }
}

size_t plx_hub_proxies(const plx_hub *h) {
    return h->nproxies;
}
