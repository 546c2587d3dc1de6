/*
 * backend.c - plexus-server's storage on Redis (see backend.h). The rstore's worker threads
 * call lws_cancel_service from any thread when they have events; libwebsockets then sends
 * LWS_CALLBACK_EVENT_WAIT_CANCELLED to every protocol of every vhost on the service thread,
 * and a vhost of this file's own (listening nowhere) drains the events into the hub there.
 * The hub's tick drains too, so an event is never stranded by a lost wake-up.
 */
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "backend.h"
#include "cluster_glue.h"
#include "log.h"
#include "rstore.h"
#include "server.h"

struct plx_backend {
    plx_rstore *rs;
    struct lws_vhost *vhost; /* the wake-up callback's; listens nowhere */
    int up;                  /* the last STATE event's */
    plx_bus_fn bus;
    void *bus_ud;
};

static int submit(void *ud, uint64_t cookie, const plx_bytes *const *argv, const size_t *argc,
                  size_t n, int atomic) {
    plx_server *s = ud;

    if (!s->backend || !s->backend->rs) return PLX_E_STORAGE_UNAVAILABLE;
    return plx_rstore_submit(s->backend->rs, cookie, argv, argc, n, atomic);
}

static int barrier(void *ud, uint64_t cookie) {
    plx_server *s = ud;

    if (!s->backend || !s->backend->rs) return PLX_E_STORAGE_UNAVAILABLE;
    return plx_rstore_barrier(s->backend->rs, cookie);
}

plx_hub_backend plx_backend_hub(plx_server *s) {
    plx_hub_backend be = {submit, s, "redis", barrier};
    return be;
}

static void wake(void *ud) {
    lws_cancel_service(ud);
}

static int callback_wake(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len) {
    (void)user, (void)in, (void)len;
    if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) plx_backend_drain(plx_server_of(wsi));
    return 0;
}

static const struct lws_protocols wake_protocols[] = {
    {"plexus-backend", callback_wake, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

int plx_backend_start(plx_server *s) {
    struct lws_context_creation_info info;
    plx_rstore_config rc;
    char err[256];
    struct plx_backend *b;

    if (s->opt->storage != PLX_STORAGE_REDIS) return 0;
    b = calloc(1, sizeof(*b));
    if (!b) {
        plx_log(PLX_LOG_ERROR, "out of memory");
        return -1;
    }
    s->backend = b;
    memset(&info, 0, sizeof(info));
    info.vhost_name = "plexus-backend";
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = wake_protocols;
    b->vhost = lws_create_vhost(s->ctx, &info);
    if (!b->vhost) {
        plx_log(PLX_LOG_ERROR, "cannot create the backend's vhost");
        return -1;
    }
    memset(&rc, 0, sizeof(rc));
    rc.url = s->opt->storage_url;
    rc.keyspace = 1;
    rc.wake = wake;
    rc.wake_ud = s->ctx;
    if (s->glue) rc.channels = plx_glue_channels(s->glue, &rc.nchannels); /* the cluster bus */
    b->rs = plx_rstore_new(&rc, err, sizeof(err));
    if (!b->rs) {
        plx_log(PLX_LOG_ERROR, "--storage %s: %s", s->opt->storage_url, err);
        return -1;
    }
    plx_log(PLX_LOG_INFO, "storage on %s (connecting)", s->opt->storage_url);
    return 0;
}

static void deliver(plx_server *s, plx_rstore_event *ev, uint64_t now) {
    struct plx_backend *b = s->backend;

    switch (ev->kind) {
    case PLX_REV_DONE:
        if (ev->cookie == PLX_GLUE_COOKIE) { /* the cluster's own batch, not a client's */
            if (s->glue) plx_glue_done(s->glue, ev->reply);
            break;
        }
        plx_hub_store_done(s->hub, ev->cookie, ev->reply, now);
        ev->reply = NULL; /* taken */
        break;
    case PLX_REV_CHANGE:
        plx_hub_store_notify(s->hub, ev->key.data, ev->key.len, ev->op);
        break;
    case PLX_REV_STATE:
        if (ev->up != b->up)
            plx_log(ev->up ? PLX_LOG_INFO : PLX_LOG_WARN, "redis %s: %s", s->opt->storage_url,
                    ev->up ? "connected"
                           : "connection lost (storage commands fail with "
                             "STORAGE_UNAVAILABLE until it is back)");
        b->up = ev->up;
        break;
    case PLX_REV_BARRIER: /* up = 0: the subscription was down, no ordering to wait for */
        plx_hub_barrier_done(s->hub, ev->cookie, now);
        break;
    case PLX_REV_MESSAGE:
        if (b->bus)
            b->bus(b->bus_ud, ev->channel, ev->data.data, ev->data.len);
        else
            plx_log(PLX_LOG_DEBUG, "bus message on %s dropped (no bus)", ev->channel);
        break;
    }
}

void plx_backend_drain(plx_server *s) {
    struct plx_backend *b = s->backend;
    plx_rstore_event ev[64];
    size_t got = 0, n;

    if (!b || !b->rs || !s->hub) return;
    uint64_t now = plx_now_ms();
    while (got < PLX_BACKEND_DRAIN_MAX && (n = plx_rstore_poll(b->rs, ev, 64)) > 0) {
        for (size_t i = 0; i < n; i++) {
            deliver(s, &ev[i], now);
            plx_rstore_event_clear(&ev[i]);
        }
        got += n;
    }
    if (got >= PLX_BACKEND_DRAIN_MAX) lws_cancel_service(s->ctx); /* the rest on the next turn */
}

int plx_backend_up(const plx_server *s) {
    return !s->backend || s->backend->up;
}

plx_rstore *plx_backend_rstore(const plx_server *s) {
    return s->backend ? s->backend->rs : NULL;
}

void plx_backend_set_bus(plx_server *s, plx_bus_fn fn, void *ud) {
    if (!s->backend) return;
    s->backend->bus = fn;
    s->backend->bus_ud = ud;
}

void plx_backend_free(plx_server *s) {
    if (!s->backend) return;
    plx_rstore_free(s->backend->rs); /* joins the workers: no wake-up after this */
    free(s->backend);
    s->backend = NULL;
}
