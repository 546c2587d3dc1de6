/*
 * conn.c - the connection table: ids handed out once (a counter, never reused), marking a
 * connection for closing, and dropping it: everything it held is released (calls it served
 * fail with PEER_GONE at once, presence leave, watches, adapters) before io.close (or, for a
 * proxy of another instance's client, before peer.dropped).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

hub_conn *hub_conn_get(const plx_hub *h, plx_conn_id id) {
    return hub_map_getu(&h->conns, id);
}

hub_conn *hub_conn_new(plx_hub *h, uint64_t now, int remote) {
    hub_conn *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->id = ++h->next_conn;
    c->state = remote ? HUB_READY : HUB_CONNECTED;
    c->remote = remote;
    c->opened_ms = now;
    c->limits.max_frame = h->cfg.max_frame;
    c->limits.max_message = h->cfg.max_message;
    c->limits.gzip_threshold = h->cfg.gzip_threshold;
    c->limits.gzip = h->cfg.gzip;
    hub_map_init(&c->pending);
    if (hub_map_putu(&h->conns, c->id, c) != 0) {
        free(c);
        return NULL;
    }
    c->prev = h->tail;
    if (h->tail)
        h->tail->next = c;
    else
        h->head = c;
    h->tail = c;
    if (remote)
        h->nproxies++;
    else
        h->nconns++;
    return c;
}

/* Sends code then closes id, for a connection the hub does not keep. */
static void refuse(plx_hub *h, plx_conn_id id, int code) {
    hub_conn tmp;
    memset(&tmp, 0, sizeof(tmp));
    tmp.id = id;
    tmp.state = HUB_CONNECTED;
    tmp.limits.max_message = h->cfg.max_message;
    hub_error_msg(h, &tmp, code, NULL, -1);
    h->io.close(h->io.ud, id, plx_error_close_code(code), plx_error_name(code));
}

plx_conn_id plx_hub_open(plx_hub *h, uint64_t now_ms) {
    if (!h->started) {
        h->started = 1;
        h->started_ms = now_ms;
    }
    if (h->shutting_down || h->nconns >= h->cfg.max_connections) {
        plx_conn_id id = ++h->next_conn;
        refuse(h, id, h->shutting_down ? PLX_E_SHUTTING_DOWN : PLX_E_SERVER_FULL);
        return id;
    }
    hub_conn *c = hub_conn_new(h, now_ms, 0);
    return c ? c->id : 0;
}

void hub_fail(plx_hub *h, hub_conn *c, int code, const char *message) {
    if (!c || c->state == HUB_CLOSING) return;
    if (code != 0 && !c->remote) hub_error_msg(h, c, code, message, -1);
    if (c->state == HUB_CLOSING) return; /* the send failed: SLOW_READER wins */
    c->state = HUB_CLOSING;
    c->close_code = code;
    h->reap_needed = 1;
}

void hub_conn_free(hub_conn *c) {
    hub_strs_clear(&c->groups);
    hub_strs_clear(&c->routes);
    hub_strs_clear(&c->watches);
    hub_strs_clear(&c->adapted);
    hub_map_clear(&c->pending);
    free(c->name);
    free(c);
}

/* The close reason: the error name in lower case with spaces ("replaced"). */
static void close_reason(int code, char *buf, size_t size) {
    const char *name = code ? plx_error_name(code) : "bye";
    size_t i = 0;
    for (; name && name[i] && i + 1 < size; i++)
        buf[i] = name[i] == '_' ? ' ' : (char)tolower((unsigned char)name[i]);
    buf[i] = 0;
}

static void conn_drop(plx_hub *h, hub_conn *c) {
    hub_calls_release(h, c);
    hub_adapters_release(h, c);
    hub_routes_release(h, c);
    hub_groups_release(h, c);
    if (c->name) {
        hub_presence(h, c, "leave", NULL);
        hub_observe(h, c, PLX_HUB_GONE, (plx_bytes){0});
        hub_name_release(h, c);
    }
    hub_map_delu(&h->conns, c->id);
    if (c->prev)
        c->prev->next = c->next;
    else
        h->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        h->tail = c->prev;
    if (c->remote) { /* a proxy has no socket: the cluster hears of the hub's own drops */
        h->nproxies--;
        if (!c->closed_by_io && h->peer.dropped) h->peer.dropped(h->peer.ud, c->id, c->close_code);
    } else {
        h->nconns--;
        if (!c->closed_by_io) {
            char reason[64];
            close_reason(c->close_code, reason, sizeof(reason));
            int ws = c->close_code ? plx_error_close_code(c->close_code) : 1000;
            h->io.close(h->io.ud, c->id, ws ? ws : 1008, reason);
        }
    }
    hub_conn_free(c);
}

void hub_reap(plx_hub *h) {
    while (h->reap_needed) {
        h->reap_needed = 0;
        hub_conn *c = h->head;
        while (c) {
            hub_conn *next = c->next;
            if (c->state == HUB_CLOSING) {
                conn_drop(h, c);
                next = h->head; /* the drop may have marked earlier connections */
            }
            c = next;
        }
    }
}

void plx_hub_closed(plx_hub *h, plx_conn_id id, uint64_t now_ms) {
    (void)now_ms;
    hub_conn *c = hub_conn_get(h, id);
    if (!c) return;
    c->closed_by_io = 1;
    if (c->state != HUB_CLOSING) {
        c->state = HUB_CLOSING;
        c->close_code = 0;
    }
    h->reap_needed = 1;
    hub_reap(h);
}

size_t plx_hub_count(const plx_hub *h) {
    return h->nconns;
}

int plx_hub_limits(const plx_hub *h, plx_conn_id id, plx_conn_limits *out) {
    hub_conn *c = hub_conn_get(h, id);
    if (!c || !out) return PLX_E_INVAL;
    *out = c->limits;
    return 0;
}
