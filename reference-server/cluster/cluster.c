/*
 * cluster.c - the cluster's lifecycle, the dispatch of received bus messages, and its timers
 * (heartbeat, dead instances, directories asked again).
 *
 * Broadcasts of an instance are applied in its seq order once its directory (a dump on our
 * own channel, ending with dir{last}) has been received: an unknown instance, or a gap in
 * its seq (a message lost while Redis was away), makes us ask for its directory again and
 * ignore its directory changes until the dump arrives (the dump supersedes them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define DEFAULT(field, value)                                                                      \
    if (!cl->cfg.field) cl->cfg.field = (value)

plx_cluster *plx_cluster_new(const plx_cluster_config *cfg, plx_hub *hub) {
    if (!cfg || !cfg->publish || !cfg->instance_id || !hub) return NULL;
    plx_cluster *cl = calloc(1, sizeof(*cl));
    if (!cl) return NULL;
    cl->cfg = *cfg;
    DEFAULT(heartbeat_ms, 1000);
    DEFAULT(dead_ms, 3000);
    DEFAULT(resync_ms, 1000);
    DEFAULT(max_instances, 64);
    DEFAULT(max_remote, 1u << 20);
    DEFAULT(max_bus_message, 64u << 20);
    cl->hub = hub;
    cl->id = cfg->instance_id;
    snprintf(cl->hex, sizeof(cl->hex), "%016llx", (unsigned long long)cl->id);
    cl_channel_of(cl->id, cl->channel, sizeof(cl->channel));
    snprintf(cl->prefix, sizeof(cl->prefix), "client-%s-", cl->hex + 8);
    if (cl_relay_install(cl) != 0) {
        free(cl);
        return NULL;
    }
    return cl;
}

void plx_cluster_free(plx_cluster *cl) {
    if (!cl) return;
    size_t n;
    void **v = cl_table_values(&cl->by_remote, &n);
    for (size_t i = 0; i < n; i++) {
        cl_remote *r = v[i];
        plx_conn_id p = r->proxy;
        cl_remote_forget(cl, r);
        if (p) plx_hub_proxy_close(cl->hub, p, cl->now);
    }
    free(v);
    plx_hub_set_peer(cl->hub, NULL);
    cl_batches_free(cl);
    for (size_t i = 0; i < cl->ninst; i++)
        free(cl->inst[i]);
    free(cl->inst);
    cl_table_clear(&cl->by_remote);
    cl_table_clear(&cl->by_proxy);
    free(cl);
}

const char *plx_cluster_channel(const plx_cluster *cl) {
    return cl->channel;
}

uint64_t plx_cluster_id(const plx_cluster *cl) {
    return cl->id;
}

static void heartbeat(plx_cluster *cl, uint64_t now) {
    cl_broadcast(cl, cl_env(cl, "hb"), NULL, 0);
    cl->next_hb = now + cl->cfg.heartbeat_ms;
}

void plx_cluster_resync(plx_cluster *cl, uint64_t now_ms) {
    cl->now = now_ms;
    for (size_t i = 0; i < cl->ninst; i++) { /* they answer the broadcast */
        cl->inst[i]->synced = 0;
        cl->inst[i]->sync_ms = now_ms ? now_ms : 1;
    }
    cl->st.resyncs++;
    cl_broadcast(cl, cl_env(cl, "sync"), NULL, 0);
}

void plx_cluster_start(plx_cluster *cl, uint64_t now_ms) {
    heartbeat(cl, now_ms);
    plx_cluster_resync(cl, now_ms);
}

void plx_cluster_stop(plx_cluster *cl, uint64_t now_ms) {
    cl->now = now_ms;
    cl_broadcast(cl, cl_env(cl, "bye"), NULL, 0);
    cl->bye = cl->seq;
}

int plx_cluster_stopped(const plx_cluster *cl) {
    return cl->bye && cl->echo >= cl->bye;
}

/* A broadcast's seq from instance i: 1 when its directory change applies now. */
static int in_order(plx_cluster *cl, cl_inst *i, uint64_t seq, uint64_t now) {
    if (i->synced && seq == i->seq + 1) {
        i->seq = seq;
        return 1;
    }
    if (i->synced && seq <= i->seq) return 0; /* already in the dump we have */
    /* Unknown, or a gap: its directory again (while one is asked for, once per resync_ms). */
    if (i->synced || !i->sync_ms || now - i->sync_ms >= cl->cfg.resync_ms)
        cl_ask_directory(cl, i, now);
    i->synced = 0;
    return 0;
}

/* A directory change (state, set, down) from instance i. */
static int on_directory(plx_cluster *cl, cl_inst *i, const char *t, const cJSON *env,
                        const plx_msg *m, uint64_t now) {
    uint64_t rid = 0;
    if (!cl_get_u64(env, "id", &rid)) return PLX_E_BAD_VALUE;
    if (strcmp(t, "down") == 0) {
        cl_dir_down(cl, i, rid, now);
        return 0;
    }
    if (strcmp(t, "state") == 0) {
        cl_state s;
        int rc = cl_state_parse(&s, env, m->att, m->natt);
        if (rc == 0) cl_dir_state(cl, i, rid, &s, now);
        return rc;
    }
    plx_hub_change what =
        cl_change_parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(env, "op")));
    plx_bytes arg;
    if (!what ||
        cl_json_bytes(cJSON_GetObjectItemCaseSensitive(env, "arg"), m->att, m->natt, &arg) != 0)
        return PLX_E_BAD_VALUE;
    cl_dir_set(cl, i, rid, what, arg, now);
    return 0;
}

static int is(const char *t, const char *name) {
    return strcmp(t, name) == 0;
}

/* One decoded envelope from instance from. */
static int dispatch(plx_cluster *cl, uint64_t from, const char *t, const cJSON *env,
                    const plx_msg *m, uint64_t now) {
    cl_inst *i = cl_inst_touch(cl, from, now);
    if (!i) return PLX_E_LIMIT_REACHED;
    i->last_seen = now;
    /* Any message, direct ones too, from an instance whose directory was never asked for
     * (unknown, or dropped as dead) asks for it at once: our own sync may have been lost
     * (published while Redis was away), and the next tick may be a second off. */
    if (!i->synced && !i->sync_ms && !is(t, "bye")) cl_ask_directory(cl, i, now);
    uint64_t seq = 0;
    if (cl_get_u64(env, "seq", &seq)) { /* a broadcast */
        if (is(t, "bye")) {
            cl_inst_drop(cl, i, now);
            return 0;
        }
        int apply = in_order(cl, i, seq, now);
        if (is(t, "sync")) {
            cl_dir_send(cl, from);
        } else if (is(t, "state") || is(t, "set") || is(t, "down")) {
            return apply ? on_directory(cl, i, t, env, m, now) : 0;
        } else if (!is(t, "hb")) {
            return PLX_E_BAD_VALUE;
        }
        return 0;
    }
    if (is(t, "state")) return on_directory(cl, i, t, env, m, now); /* a dump entry */
    if (is(t, "dir")) {
        if (!cl_get_u64(env, "last", &seq)) return PLX_E_BAD_VALUE;
        cl_dir_end(cl, i, seq, now);
    } else if (is(t, "sync")) {
        cl_dir_send(cl, from);
    } else if (is(t, "to")) {
        cl_on_to(cl, from, env, m, now);
    } else if (is(t, "rep")) {
        cl_on_rep(cl, from, env, m, now);
    } else if (is(t, "fail")) {
        cl_on_fail(cl, from, env, now);
    } else if (is(t, "kick")) {
        cl_on_kick(cl, from, env, now);
    } else {
        return PLX_E_BAD_VALUE;
    }
    return 0;
}

int plx_cluster_receive(plx_cluster *cl, const char *channel, const uint8_t *data, size_t len,
                        uint64_t now_ms) {
    (void)channel;
    cl->now = now_ms;
    cl->st.received++;
    if (len > cl->cfg.max_bus_message) {
        cl->st.dropped++;
        return PLX_E_TOO_LARGE;
    }
    plx_msg m;
    int rc = plx_body_decode(NULL, (plx_bytes){data, len}, &m);
    if (rc != 0) {
        cl->st.dropped++;
        return rc;
    }
    uint64_t v = 0, from = 0;
    const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m.json, "t"));
    const char *f = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m.json, "from"));
    if (!cl_get_u64(m.json, "v", &v) || v != 1 || !t || !cl_parse_hex(f, &from))
        rc = PLX_E_BAD_VALUE;
    else if (from != cl->id)
        rc = dispatch(cl, from, t, m.json, &m, now_ms);
    else if (cl_get_u64(m.json, "seq", &v) && v > cl->echo) /* our own broadcasts come back */
        cl->echo = v;
    if (rc != 0) cl->st.dropped++;
    plx_msg_clear(&m);
    return rc;
}

uint64_t plx_cluster_tick(plx_cluster *cl, uint64_t now_ms) {
    cl->now = now_ms;
    if (now_ms >= cl->next_hb) heartbeat(cl, now_ms);
    uint64_t next = cl->next_hb;
    for (size_t k = 0; k < cl->ninst;) {
        cl_inst *i = cl->inst[k];
        uint64_t death = i->last_seen + cl->cfg.dead_ms;
        if (now_ms >= death) {
            cl->st.dead++;
            cl_inst_drop(cl, i, now_ms); /* moves the last one to k */
            continue;
        }
        if (death < next) next = death;
        if (!i->synced) {
            if (now_ms - i->sync_ms >= cl->cfg.resync_ms) cl_ask_directory(cl, i, now_ms);
            if (i->sync_ms + cl->cfg.resync_ms < next) next = i->sync_ms + cl->cfg.resync_ms;
        }
        k++;
    }
    return next;
}

void plx_cluster_stats_get(const plx_cluster *cl, plx_cluster_stats *out) {
    *out = cl->st;
    out->instances = cl->ninst;
    out->synced = 0;
    for (size_t i = 0; i < cl->ninst; i++)
        out->synced += cl->inst[i]->synced != 0;
    out->pending = cl->npending;
    out->proxies = cl->by_proxy.count;
}
