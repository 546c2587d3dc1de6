/*
 * cluster_glue.c - plexus-server's cluster over Redis pub/sub (see cluster_glue.h): the
 * instance id from the kernel's random source, publishing through the rstore, bus messages
 * from its MESSAGE events, and (re)starting when its subscriptions are confirmed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cluster_glue.h"
#include "log.h"

struct plx_glue {
    plx_cluster *cl;
    plx_rstore *rs;
    const char *channels[2];
    int subscribed; /* the rstore's subscriptions were confirmed at the last tick */
    int started;
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
    return g;
}

const char *const *plx_glue_channels(const plx_glue *g, size_t *n) {
    *n = 2;
    return g->channels;
}

void plx_glue_attach(plx_glue *g, plx_rstore *rs) {
    g->rs = rs;
}

int plx_glue_event(plx_glue *g, const plx_rstore_event *ev, uint64_t now_ms) {
    if (ev->kind != PLX_REV_MESSAGE || !ev->channel) return 0;
    if (strcmp(ev->channel, g->channels[0]) != 0 && strcmp(ev->channel, g->channels[1]) != 0)
        return 0;
    plx_cluster_receive(g->cl, ev->channel, ev->data.data, ev->data.len, now_ms);
    return 1;
}

uint64_t plx_glue_tick(plx_glue *g, uint64_t now_ms) {
    int sub = g->rs && plx_rstore_subscribed(g->rs);
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
    uint64_t next = g->started ? plx_cluster_tick(g->cl, now_ms) : UINT64_MAX;
    return sub ? next : (now_ms + 100 < next ? now_ms + 100 : next);
}

void plx_glue_stop(plx_glue *g, uint64_t now_ms) {
    if (g->started) plx_cluster_stop(g->cl, now_ms);
}

void plx_glue_free(plx_glue *g) {
    if (!g) return;
    plx_cluster_free(g->cl);
    free(g);
}
