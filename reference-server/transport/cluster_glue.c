/*
 * cluster_glue.c - plexus-server's cluster over Redis pub/sub (see cluster_glue.h): the
 * instance id from the kernel's random source, publishing through the rstore, bus messages
 * from its MESSAGE events, (re)starting when its subscriptions are confirmed, and readiness at
 * start: the running instances are counted with PUBSUB NUMSUB plexus:bus (a batch of the glue's
 * own, cookie PLX_GLUE_COOKIE) and the instance is ready once it holds that many minus one
 * directories (spec/CLUSTER.md, "Startup").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "backend.h"
#include "cluster_glue.h"
#include "log.h"
#include "server.h"

struct plx_glue {
    plx_cluster *cl;
    plx_rstore *rs;
    const char *channels[2];
    int subscribed; /* subscriptions confirmed and the command connection up at the last tick */
    int started;
    uint64_t stop_ms; /* plx_glue_stop's now, 0 before */
    long long want;   /* directories to hold before ready: NUMSUB's count - 1; -1 not known yet */
    int asking;       /* the NUMSUB batch is in flight */
    int ready;
};

static int publish(void *ud, const char *channel, const uint8_t *data, size_t len) {
    plx_glue *g = ud;
    return g->rs ? plx_rstore_publish(g->rs, channel, data, len) : PLX_E_INVAL;
}

static uint64_t random_id(void) {
    uint64_t id = 0;
    while (id == 0)
        if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id)) return 0;
    return id;
}

plx_glue *plx_glue_new(plx_hub *hub, char *err, size_t errlen) {
    plx_glue *g = calloc(1, sizeof(*g));
    uint64_t id = random_id();
    if (!g || !id) {
        snprintf(err, errlen, "%s", g ? "no random source for the instance id" : "out of memory");
        free(g);
        return NULL;
    }
    plx_cluster_config cfg = {.instance_id = id, .publish = publish, .ud = g};
    if (!(g->cl = plx_cluster_new(&cfg, hub))) {
        snprintf(err, errlen, "out of memory");
        free(g);
        return NULL;
    }
    g->channels[0] = PLX_CLUSTER_BROADCAST;
    g->channels[1] = plx_cluster_channel(g->cl);
    g->want = -1;
    return g;
}

const char *const *plx_glue_channels(const plx_glue *g, size_t *n) {
    *n = 2;
    return g->channels;
}

void plx_glue_attach(plx_glue *g, plx_rstore *rs) {
    g->rs = rs;
}

void plx_glue_bus(void *ud, const char *channel, const uint8_t *data, size_t len) {
    plx_glue *g = ud;
    int rc = plx_cluster_receive(g->cl, channel, data, len, plx_now_ms());
    if (rc != 0)
        plx_log(PLX_LOG_DEBUG, "cluster: bus message on %s dropped: %s", channel,
                plx_error_name(rc) ? plx_error_name(rc) : "?");
}

/* Asks Redis how many instances are subscribed to the broadcast channel (this one included). */
static void ask_instances(plx_glue *g) {
    static const plx_bytes args[] = {
        {(const uint8_t *)"PUBSUB", 6},
        {(const uint8_t *)"NUMSUB", 6},
        {(const uint8_t *)PLX_CLUSTER_BROADCAST, sizeof(PLX_CLUSTER_BROADCAST) - 1}};
    const plx_bytes *const argv[] = {args};
    const size_t argc[] = {3};
    if (plx_rstore_submit(g->rs, PLX_GLUE_COOKIE, argv, argc, 1, 0) == 0) g->asking = 1;
}

void plx_glue_done(plx_glue *g, const plx_store_reply *r) {
    g->asking = 0;
    /* [[channel, count]]: one command's reply, NUMSUB's channel and count */
    const plx_store_reply *e =
        r && r->type == PLX_STORE_REPLY_ARRAY && r->nelem == 1 ? r->elem[0] : NULL;
    if (!e || e->type != PLX_STORE_REPLY_ARRAY || e->nelem != 2 ||
        e->elem[1]->type != PLX_STORE_REPLY_INT) {
        plx_log(PLX_LOG_DEBUG, "cluster: PUBSUB NUMSUB failed%s%s (asked again)",
                e && e->type == PLX_STORE_REPLY_ERROR ? ": " : "",
                e && e->type == PLX_STORE_REPLY_ERROR ? e->str : "");
        return;
    }
    g->want = e->elem[1]->integer > 0 ? e->elem[1]->integer - 1 : 0;
}

int plx_glue_ready(plx_glue *g) {
    if (g->ready || !g->started || g->want < 0) return g->ready;
    plx_cluster_stats st;
    plx_cluster_stats_get(g->cl, &st);
    if ((long long)st.synced < g->want) return 0;
    plx_log(PLX_LOG_INFO, "cluster: ready (%zu other instance(s), directories held)", st.synced);
    g->ready = 1;
    return 1;
}

void plx_glue_waiting(plx_glue *g, char *buf, size_t len) {
    plx_cluster_stats st;
    plx_cluster_stats_get(g->cl, &st);
    if (!g->started)
        snprintf(buf, len, "the bus subscriptions are not confirmed: Redis unreachable?");
    else if (g->want < 0)
        snprintf(buf, len, "PUBSUB NUMSUB %s not answered", PLX_CLUSTER_BROADCAST);
    else
        snprintf(buf, len, "%zu of %lld other instances' directories received", st.synced, g->want);
}

uint64_t plx_glue_tick(plx_glue *g, uint64_t now_ms) {
    /* The bus works when both connections do: a sync published while the command connection
     * is still reconnecting (it backs off apart from the subscription) would be lost. */
    int sub = g->rs && plx_rstore_subscribed(g->rs) && plx_rstore_up(g->rs);
    if (sub && !g->subscribed) {
        if (!g->started) {
            plx_log(PLX_LOG_INFO, "cluster: instance %s on the bus", g->channels[1]);
            plx_cluster_start(g->cl, now_ms);
        } else {
            plx_log(PLX_LOG_INFO, "cluster: bus back, asking every directory again");
            plx_cluster_resync(g->cl, now_ms);
        }
        g->started = 1;
    }
    g->subscribed = sub;
    if (sub && g->started && !g->ready && g->want < 0 && !g->asking) ask_instances(g);
    uint64_t next = g->started ? plx_cluster_tick(g->cl, now_ms) : UINT64_MAX;
    return sub ? next : (now_ms + 100 < next ? now_ms + 100 : next);
}

void plx_glue_stop(plx_glue *g, uint64_t now_ms) {
    g->stop_ms = now_ms ? now_ms : 1;
    if (g->started) plx_cluster_stop(g->cl, now_ms);
}

int plx_glue_flushed(const plx_glue *g, uint64_t now_ms) {
    return !g->started || plx_cluster_stopped(g->cl) ||
           (g->stop_ms && now_ms >= g->stop_ms + PLX_GLUE_BYE_WAIT_MS);
}

void plx_glue_free(plx_glue *g) {
    if (!g) return;
    plx_cluster_free(g->cl);
    free(g);
}

int plx_glue_server_init(plx_server *s) {
    char err[128];
    if (s->opt->storage != PLX_STORAGE_REDIS) return 0;
    if (!(s->glue = plx_glue_new(s->hub, err, sizeof(err)))) {
        plx_log(PLX_LOG_ERROR, "cluster: %s", err);
        return -1;
    }
    return 0;
}

void plx_glue_server_attach(plx_server *s) {
    if (!s->glue) return;
    plx_glue_attach(s->glue, plx_backend_rstore(s));
    plx_backend_set_bus(s, plx_glue_bus, s->glue);
}
