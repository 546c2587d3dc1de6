/*
 * directory.c - the replicated directory: the other instances (liveness, sequence, dumps)
 * and their clients, each mirrored by a proxy in the hub.
 *
 * Claims: a name (or an adapted key) claimed on two instances within one bus round trip is
 * resolved the same way everywhere: the claim of the instance with the lower id wins. The
 * losing local client is closed with REPLACED (a key: taken from it); a losing remote client
 * waits as *pending* (no proxy) until its own instance closes it or the name frees.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const change_names[] = {NULL,       "ready",      "rename", "join",    "leave",
                                           "register", "unregister", "adapt",  "unadapt", "gone"};

const char *cl_change_name(plx_hub_change what) {
    return what >= PLX_HUB_READY && what <= PLX_HUB_GONE ? change_names[what] : NULL;
}

plx_hub_change cl_change_parse(const char *s) {
    for (int i = PLX_HUB_RENAME; s && i <= PLX_HUB_UNADAPT; i++)
        if (strcmp(s, change_names[i]) == 0) return (plx_hub_change)i;
    return 0;
}

cl_inst *cl_inst_get(plx_cluster *cl, uint64_t id) {
    for (size_t i = 0; i < cl->ninst; i++)
        if (cl->inst[i]->id == id) return cl->inst[i];
    return NULL;
}

cl_inst *cl_inst_touch(plx_cluster *cl, uint64_t id, uint64_t now) {
    cl_inst *i = cl_inst_get(cl, id);
    if (i) return i;
    if (cl->ninst >= cl->cfg.max_instances) return NULL;
    cl_inst **v = realloc(cl->inst, (cl->ninst + 1) * sizeof(*v));
    if (!v) return NULL;
    cl->inst = v;
    if (!(i = calloc(1, sizeof(*i)))) return NULL;
    i->id = id;
    i->gen = 1;
    i->last_seen = now;
    cl_channel_of(id, i->channel, sizeof(i->channel));
    cl->inst[cl->ninst++] = i;
    return i;
}

void cl_ask_directory(plx_cluster *cl, cl_inst *i, uint64_t now) {
    i->sync_ms = now ? now : 1;
    cl->st.resyncs++;
    cl_publish(cl, i->channel, cl_env(cl, "sync"), NULL, 0);
}

cl_remote *cl_remote_of_proxy(const plx_cluster *cl, plx_conn_id p) {
    return cl_table_get(&cl->by_proxy, 0, p);
}

/* A new pending record for (inst, rid); NULL past max_remote or on NOMEM. */
static cl_remote *remote_new(plx_cluster *cl, uint64_t inst, uint64_t rid) {
    if (cl->by_remote.count >= cl->cfg.max_remote) return NULL;
    cl_remote *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    r->inst = inst;
    r->rid = rid;
    if (cl_table_put(&cl->by_remote, inst, rid, r) != 0) {
        free(r);
        return NULL;
    }
    cl->npending++;
    return r;
}

void cl_remote_forget(plx_cluster *cl, cl_remote *r) {
    cl_table_del(&cl->by_remote, r->inst, r->rid);
    if (r->proxy)
        cl_table_del(&cl->by_proxy, 0, r->proxy);
    else
        cl->npending--;
    cl_state_clear(&r->pending);
    free(r);
}

/* Closes r's proxy (presence leave, routes, names and keys released, calls PEER_GONE) and
 * forgets r. */
static void remote_drop(plx_cluster *cl, cl_remote *r, uint64_t now) {
    plx_conn_id p = r->proxy;
    cl_remote_forget(cl, r);
    if (p) plx_hub_proxy_close(cl->hub, p, now);
}

/* The instance that holds connection c of the hub (this one for a local client). */
static uint64_t holder_inst(plx_cluster *cl, plx_conn_id c) {
    cl_remote *r = cl_remote_of_proxy(cl, c);
    return r ? r->inst : cl->id;
}

/* Makes connection holder give up its claim to a name: a local client is closed with
 * REPLACED (its GONE goes out on the bus), a proxy becomes pending. */
static void displace(plx_cluster *cl, plx_conn_id holder, uint64_t now) {
    cl_remote *r = cl_remote_of_proxy(cl, holder);
    if (!r) {
        plx_hub_kick(cl->hub, holder, PLX_E_REPLACED, now);
        return;
    }
    plx_hub_client view;
    cl_state s = {0};
    if (plx_hub_client_get(cl->hub, holder, &view) == 0) cl_state_from_view(&s, &view);
    cl_table_del(&cl->by_proxy, 0, holder);
    r->proxy = 0;
    r->pending = s;
    cl->npending++;
    plx_hub_proxy_close(cl->hub, holder, now);
}

/* Key claim of r on key against holder: the lower instance id wins; the loser's hub entry
 * gives it up (a local loser's instance tells the others). Then r's proxy adapts it. */
static void adapt_key(plx_cluster *cl, cl_remote *r, plx_bytes key, uint64_t now) {
    plx_conn_id holder = 0;
    int rc = plx_hub_update(cl->hub, r->proxy, PLX_HUB_ADAPT, key, &holder, now);
    if (rc != PLX_E_KEY_OWNED || r->inst > holder_inst(cl, holder)) return;
    if (!cl_remote_of_proxy(cl, holder)) { /* a local client loses it: the others learn */
        cJSON *env = cl_env(cl, "set");
        cl_att att = {0};
        cJSON *arg = env ? cl_bytes_json(key, &att) : NULL;
        if (arg) {
            cJSON_AddNumberToObject(env, "id", (double)holder);
            cJSON_AddStringToObject(env, "op", "unadapt");
            cJSON_AddItemToObject(env, "arg", arg);
            cl_broadcast(cl, env, att.v, att.n);
        } else {
            cJSON_Delete(env);
        }
        cl_att_clear(&att);
    }
    plx_hub_update(cl->hub, holder, PLX_HUB_UNADAPT, key, NULL, now);
    plx_hub_update(cl->hub, r->proxy, PLX_HUB_ADAPT, key, NULL, now);
}

static void rename_proxy(plx_cluster *cl, cl_remote *r, plx_bytes name, uint64_t now) {
    plx_conn_id holder = 0;
    int rc = plx_hub_update(cl->hub, r->proxy, PLX_HUB_RENAME, name, &holder, now);
    if (rc != PLX_E_NAME_TAKEN || r->inst > holder_inst(cl, holder)) return;
    displace(cl, holder, now);
    plx_hub_update(cl->hub, r->proxy, PLX_HUB_RENAME, name, NULL, now);
}

/* Opens the proxy of pending r from r->pending. 0, or an error (r stays pending). */
static int open_proxy(plx_cluster *cl, cl_remote *r, uint64_t now) {
    cl_state *s = &r->pending;
    plx_conn_id id = 0;
    int rc = plx_hub_proxy_open(cl->hub, s->name, s->groups.v, s->groups.n, &id, now);
    if (rc == PLX_E_NAME_TAKEN && r->inst < holder_inst(cl, id)) {
        displace(cl, id, now);
        rc = plx_hub_proxy_open(cl->hub, s->name, s->groups.v, s->groups.n, &id, now);
    }
    if (rc != 0) return rc;
    if (cl_table_put(&cl->by_proxy, 0, id, r) != 0) {
        plx_hub_proxy_close(cl->hub, id, now);
        return PLX_E_NOMEM;
    }
    r->proxy = id;
    cl->npending--;
    for (size_t k = 0; k < s->routes.n; k++)
        plx_hub_update(cl->hub, id, PLX_HUB_REGISTER, s->routes.v[k], NULL, now);
    for (size_t k = 0; k < s->adapted.n; k++)
        adapt_key(cl, r, s->adapted.v[k], now);
    cl_state_clear(&r->pending);
    return 0;
}

/* Pending remote clients try again (a name may have freed). Records are not freed here. */
static void retry_pending(plx_cluster *cl, uint64_t now) {
    if (!cl->npending) return;
    size_t n;
    void **v = cl_table_values(&cl->by_remote, &n);
    for (size_t i = 0; i < n; i++) {
        cl_remote *r = v[i];
        if (!r->proxy) open_proxy(cl, r, now);
    }
    free(v);
}

/* Brings one list of r's proxy from cur to want with the add and remove changes. */
static void sync_list(plx_cluster *cl, cl_remote *r, const cl_list *cur, const cl_list *want,
                      plx_hub_change add, plx_hub_change del, uint64_t now) {
    for (size_t k = 0; k < cur->n; k++)
        if (cl_list_find(want, cur->v[k]) < 0)
            plx_hub_update(cl->hub, r->proxy, del, cur->v[k], NULL, now);
    for (size_t k = 0; k < want->n; k++) {
        if (cl_list_find(cur, want->v[k]) >= 0) continue;
        if (add == PLX_HUB_ADAPT)
            adapt_key(cl, r, want->v[k], now);
        else
            plx_hub_update(cl->hub, r->proxy, add, want->v[k], NULL, now);
    }
}

/* Brings r's open proxy to state s. */
static void sync_proxy(plx_cluster *cl, cl_remote *r, const cl_state *s, uint64_t now) {
    plx_hub_client view;
    cl_state cur;
    if (plx_hub_client_get(cl->hub, r->proxy, &view) != 0 || cl_state_from_view(&cur, &view) != 0)
        return;
    if (strcmp(cur.name, s->name) != 0)
        rename_proxy(cl, r, (plx_bytes){(const uint8_t *)s->name, strlen(s->name)}, now);
    sync_list(cl, r, &cur.groups, &s->groups, PLX_HUB_JOIN, PLX_HUB_LEAVE, now);
    sync_list(cl, r, &cur.routes, &s->routes, PLX_HUB_REGISTER, PLX_HUB_UNREGISTER, now);
    sync_list(cl, r, &cur.adapted, &s->adapted, PLX_HUB_ADAPT, PLX_HUB_UNADAPT, now);
    cl_state_clear(&cur);
}

void cl_dir_state(plx_cluster *cl, cl_inst *i, uint64_t rid, cl_state *s, uint64_t now) {
    cl_remote *r = cl_table_get(&cl->by_remote, i->id, rid);
    if (!r && !(r = remote_new(cl, i->id, rid))) {
        cl->st.dropped++;
        cl_state_clear(s);
        return;
    }
    r->gen = i->gen;
    if (r->proxy) {
        sync_proxy(cl, r, s, now);
        cl_state_clear(s);
        return;
    }
    cl_state_clear(&r->pending);
    r->pending = *s;
    *s = (cl_state){0};
    open_proxy(cl, r, now);
}

void cl_dir_set(plx_cluster *cl, cl_inst *i, uint64_t rid, plx_hub_change what, plx_bytes arg,
                uint64_t now) {
    cl_remote *r = cl_table_get(&cl->by_remote, i->id, rid);
    if (!r) return;
    if (!r->proxy) {
        cl_state_apply(&r->pending, what, arg);
        open_proxy(cl, r, now);
        return;
    }
    if (what == PLX_HUB_RENAME) {
        rename_proxy(cl, r, arg, now);
        retry_pending(cl, now); /* the old name is free */
    } else if (what == PLX_HUB_ADAPT) {
        adapt_key(cl, r, arg, now);
    } else {
        plx_hub_update(cl->hub, r->proxy, what, arg, NULL, now);
    }
}

void cl_dir_down(plx_cluster *cl, cl_inst *i, uint64_t rid, uint64_t now) {
    cl_remote *r = cl_table_get(&cl->by_remote, i->id, rid);
    if (!r) return;
    remote_drop(cl, r, now);
    retry_pending(cl, now);
}

/* Drops the remote clients of instance id whose gen is not keep (keep 0: every one). */
static void drop_clients(plx_cluster *cl, uint64_t id, uint32_t keep, uint64_t now) {
    size_t n;
    void **v = cl_table_values(&cl->by_remote, &n);
    for (size_t k = 0; k < n; k++) {
        cl_remote *r = v[k];
        if (r->inst == id && (keep == 0 || r->gen != keep)) remote_drop(cl, r, now);
    }
    free(v);
}

void cl_dir_end(plx_cluster *cl, cl_inst *i, uint64_t seq, uint64_t now) {
    drop_clients(cl, i->id, i->gen, now);
    i->gen++;
    i->synced = 1;
    i->seq = seq;
    retry_pending(cl, now);
}

void cl_inst_drop(plx_cluster *cl, cl_inst *i, uint64_t now) {
    uint64_t id = i->id;
    for (size_t k = 0; k < cl->ninst; k++)
        if (cl->inst[k] == i) {
            cl->inst[k] = cl->inst[--cl->ninst];
            break;
        }
    free(i);
    drop_clients(cl, id, 0, now);
    retry_pending(cl, now);
}

/* cl_dir_send's walk over the local clients. */
typedef struct dump_ctx {
    plx_cluster *cl;
    const char *channel;
} dump_ctx;

static void dump_one(void *ud, const plx_hub_client *c) {
    dump_ctx *d = ud;
    cJSON *env = cl_env(d->cl, "state");
    cl_att att = {0};
    if (env && cJSON_AddNumberToObject(env, "id", (double)c->id) &&
        cl_view_json(env, c, &att) == 0) {
        cl_publish(d->cl, d->channel, env, att.v, att.n);
    } else {
        cJSON_Delete(env);
        d->cl->st.publish_failed++;
    }
    cl_att_clear(&att);
}

void cl_dir_send(plx_cluster *cl, uint64_t to) {
    char channel[sizeof(cl->channel)];
    cl_channel_of(to, channel, sizeof(channel));
    dump_ctx d = {cl, channel};
    plx_hub_each_local(cl->hub, dump_one, &d);
    cJSON *env = cl_env(cl, "dir");
    if (env && !cJSON_AddNumberToObject(env, "last", (double)cl->seq)) {
        cJSON_Delete(env);
        env = NULL;
    }
    cl_publish(cl, channel, env, NULL, 0);
}
