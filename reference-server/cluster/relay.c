/*
 * relay.c - the hub's peer callbacks and the direct bus messages that carry client traffic
 * between instances:
 *
 *   to    {id, msg}       a call, read or event the hub sent to a proxy, for client id of the
 *                         receiving instance (a call or read is relayed: plx_hub_relay)
 *   to    {ids, msg}      an event for several clients of the receiving instance: the hub's
 *                         recipients of one send, batched per instance until peer.flush
 *   rep   {id, sid, msg}  client id's reply to the relayed call or read the sender's hub
 *                         numbered sid; handled on the origin as a reply from id's proxy
 *   fail  {id, sid, code} the call or read sid could not reach client id (PEER_GONE,
 *                         LIMIT_REACHED): it fails at once on the origin
 *   kick  {id, code}      close client id with REPLACED (a hello with the override key on
 *                         the sender took its name)
 *
 * The local changes reported by the hub go out as broadcasts: state (a client became READY),
 * set {id, op, arg}, down {id}.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int carried(const char *t) {
    return t && (strcmp(t, "call") == 0 || strcmp(t, "read") == 0 || strcmp(t, "event") == 0);
}

/* Publishes env{id, [sid,] msg: json (by reference)} with att directly to instance inst. */
static int send_msg(plx_cluster *cl, uint64_t inst, cJSON *env, uint64_t id, const cJSON *json,
                    const plx_bytes *att, size_t natt) {
    char channel[sizeof(cl->channel)];
    cl_channel_of(inst, channel, sizeof(channel));
    if (env && (!cJSON_AddNumberToObject(env, "id", (double)id) ||
                !cJSON_AddItemReferenceToObject(env, "msg", (cJSON *)json))) {
        cJSON_Delete(env);
        env = NULL;
    }
    return cl_publish(cl, channel, env, att, natt);
}

void cl_flush_events(plx_cluster *cl) {
    const cJSON *ev = cl->ev;
    cl->ev = NULL; /* cl_publish flushes while ev is set */
    for (size_t i = 0; ev && i < cl->nbatches; i++) {
        cl_batch *b = &cl->batches[i];
        char channel[sizeof(cl->channel)];
        cl_channel_of(b->inst, channel, sizeof(channel));
        cJSON *env = cl_env(cl, "to"), *ids = cJSON_CreateArray();
        for (size_t k = 0; ids && k < b->n; k++)
            cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)b->ids[k]));
        if (!env || !ids) {
            cJSON_Delete(ids);
            ids = NULL;
        }
        if (ids) cJSON_AddItemToObject(env, "ids", ids);
        if (!ids || !cJSON_AddItemReferenceToObject(env, "msg", (cJSON *)ev)) {
            cJSON_Delete(env);
            env = NULL;
        }
        cl_publish(cl, channel, env, cl->ev_att, cl->ev_natt);
        b->n = 0;
    }
    cl->nbatches = 0;
}

void cl_batches_free(plx_cluster *cl) {
    for (size_t i = 0; i < cl->cap_batches; i++)
        free(cl->batches[i].ids);
    free(cl->batches);
    cl->batches = NULL;
    cl->nbatches = cl->cap_batches = 0;
}

/* Holds event json for remote client r (batched with the other recipients of r's instance).
 * 0 or NOMEM. */
static int hold_event(plx_cluster *cl, cl_remote *r, const cJSON *json, const plx_bytes *att,
                      size_t natt) {
    if (cl->ev != json) {
        if (cl->ev) cl_flush_events(cl);
        cl->ev = json;
        cl->ev_att = att;
        cl->ev_natt = natt;
    }
    cl_batch *b = NULL;
    for (size_t i = 0; i < cl->nbatches && !b; i++)
        if (cl->batches[i].inst == r->inst) b = &cl->batches[i];
    if (!b) {
        if (cl->nbatches == cl->cap_batches) {
            size_t cap = cl->cap_batches ? cl->cap_batches * 2 : 4;
            cl_batch *v = realloc(cl->batches, cap * sizeof(*v));
            if (!v) return PLX_E_NOMEM;
            memset(v + cl->cap_batches, 0, (cap - cl->cap_batches) * sizeof(*v));
            cl->batches = v;
            cl->cap_batches = cap;
        }
        b = &cl->batches[cl->nbatches++];
        b->inst = r->inst;
        b->n = 0;
    }
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        uint64_t *v = realloc(b->ids, cap * sizeof(*v));
        if (!v) return PLX_E_NOMEM;
        b->ids = v;
        b->cap = cap;
    }
    b->ids[b->n++] = r->rid;
    return 0;
}

static void peer_flush(void *ud) {
    cl_flush_events(ud);
}

static int peer_send(void *ud, plx_conn_id p, const cJSON *json, const plx_bytes *att,
                     size_t natt) {
    plx_cluster *cl = ud;
    cl_remote *r = cl_remote_of_proxy(cl, p);
    if (!r) return PLX_E_INVAL;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(json, "t");
    const char *type = cJSON_IsString(t) ? t->valuestring : NULL;
    /* Errors the hub sends a proxy (UNKNOWN_CALL for a late reply) name the origin's ids,
     * meaningless to the client: dropped (CLUSTER.md). */
    if (!carried(type)) return 0;
    if (strcmp(type, "event") == 0) return hold_event(cl, r, json, att, natt);
    return send_msg(cl, r->inst, cl_env(cl, "to"), r->rid, json, att, natt);
}

static void peer_changed(void *ud, const plx_hub_client *c, plx_hub_change what, plx_bytes arg) {
    plx_cluster *cl = ud;
    const char *t = what == PLX_HUB_READY ? "state" : what == PLX_HUB_GONE ? "down" : "set";
    cJSON *env = cl_env(cl, t);
    cl_att att = {0};
    int rc = env && cJSON_AddNumberToObject(env, "id", (double)c->id) ? 0 : PLX_E_NOMEM;
    if (!rc && what == PLX_HUB_READY) rc = cl_view_json(env, c, &att);
    if (!rc && what != PLX_HUB_READY && what != PLX_HUB_GONE) {
        cJSON *a = cl_bytes_json(arg, &att);
        if (!a || !cJSON_AddStringToObject(env, "op", cl_change_name(what))) {
            cJSON_Delete(a);
            rc = PLX_E_NOMEM;
        } else {
            cJSON_AddItemToObject(env, "arg", a);
        }
    }
    if (rc) {
        cJSON_Delete(env);
        env = NULL;
    }
    cl_broadcast(cl, env, att.v, att.n); /* a lost change shows as a seq gap: resync */
    cl_att_clear(&att);
}

static void peer_relayed(void *ud, uint64_t origin, uint64_t origin_id, plx_conn_id server,
                         const plx_msg *reply) {
    plx_cluster *cl = ud;
    cJSON *env = cl_env(cl, "rep");
    if (env && !cJSON_AddNumberToObject(env, "sid", (double)origin_id)) {
        cJSON_Delete(env);
        env = NULL;
    }
    send_msg(cl, origin, env, server, reply->json, reply->att, reply->natt);
}

static void peer_dropped(void *ud, plx_conn_id p, int code) {
    plx_cluster *cl = ud;
    cl_remote *r = cl_remote_of_proxy(cl, p);
    if (!r) return;
    if (code == PLX_E_REPLACED) {
        char channel[sizeof(cl->channel)];
        cl_channel_of(r->inst, channel, sizeof(channel));
        cJSON *env = cl_env(cl, "kick");
        if (env && (!cJSON_AddNumberToObject(env, "id", (double)r->rid) ||
                    !cJSON_AddNumberToObject(env, "code", -PLX_E_REPLACED))) {
            cJSON_Delete(env);
            env = NULL;
        }
        cl_publish(cl, channel, env, NULL, 0);
    }
    cl_remote_forget(cl, r);
}

int cl_relay_install(plx_cluster *cl) {
    plx_hub_peer peer = {
        peer_send, peer_changed, peer_relayed, peer_dropped, peer_flush, cl->prefix, cl};
    return plx_hub_set_peer(cl->hub, &peer);
}

/* The message carried in env.msg, with the envelope's attachments; NULL when absent. */
static int inner(const cJSON *env, const plx_msg *m, plx_dir dir, plx_msg *out) {
    cJSON *msg = cJSON_GetObjectItemCaseSensitive(env, "msg");
    plx_msg_error err;
    if (!cJSON_IsObject(msg) || plx_msg_validate(msg, m->natt, dir, &err) != 0)
        return PLX_E_BAD_VALUE;
    *out = (plx_msg){.json = msg, .att = m->att, .natt = m->natt};
    return 0;
}

static void send_fail(plx_cluster *cl, uint64_t to, uint64_t id, uint64_t sid, int code) {
    char channel[sizeof(cl->channel)];
    cl_channel_of(to, channel, sizeof(channel));
    cJSON *env = cl_env(cl, "fail");
    if (env && (!cJSON_AddNumberToObject(env, "id", (double)id) ||
                !cJSON_AddNumberToObject(env, "sid", (double)sid) ||
                !cJSON_AddNumberToObject(env, "code", -code))) {
        cJSON_Delete(env);
        env = NULL;
    }
    cl_publish(cl, channel, env, NULL, 0);
}

/* An event for the clients listed in ids. */
static void push_all(plx_cluster *cl, const cJSON *ids, const plx_msg *in, uint64_t now) {
    for (const cJSON *e = ids->child; e; e = e->next) {
        uint64_t id;
        if (cJSON_IsNumber(e) && e->valuedouble >= 1 && e->valuedouble < 9007199254740992.0 &&
            (id = (uint64_t)e->valuedouble) == e->valuedouble)
            plx_hub_push(cl->hub, id, in, now); /* too large or gone: skipped, as locally */
    }
}

void cl_on_to(plx_cluster *cl, uint64_t from, const cJSON *env, const plx_msg *m, uint64_t now) {
    uint64_t id = 0, sid = 0;
    plx_msg in;
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(env, "ids");
    if ((!cl_get_u64(env, "id", &id) && !cJSON_IsArray(ids)) ||
        inner(env, m, PLX_DIR_S2C, &in) != 0) {
        cl->st.dropped++;
        return;
    }
    const char *t = cJSON_GetObjectItemCaseSensitive(in.json, "t")->valuestring;
    if (strcmp(t, "event") == 0) {
        if (cJSON_IsArray(ids))
            push_all(cl, ids, &in, now);
        else
            plx_hub_push(cl->hub, id, &in, now); /* too large or gone: skipped, as locally */
        return;
    }
    if (!id) {
        cl->st.dropped++;
        return;
    }
    if (!carried(t) || !cl_get_u64(in.json, "id", &sid)) {
        cl->st.dropped++;
        return;
    }
    int rc = plx_hub_relay(cl->hub, id, &in, from, now);
    if (rc != 0)
        send_fail(cl, from, id, sid, rc == PLX_E_TOO_LARGE ? PLX_E_LIMIT_REACHED : PLX_E_PEER_GONE);
}

/* The proxy of client id of instance from, or 0. */
static plx_conn_id proxy_of(plx_cluster *cl, uint64_t from, const cJSON *env, uint64_t *sid) {
    uint64_t id = 0;
    if (!cl_get_u64(env, "id", &id) || (sid && !cl_get_u64(env, "sid", sid))) return 0;
    cl_remote *r = cl_table_get(&cl->by_remote, from, id);
    return r ? r->proxy : 0;
}

void cl_on_rep(plx_cluster *cl, uint64_t from, const cJSON *env, const plx_msg *m, uint64_t now) {
    uint64_t sid = 0;
    plx_conn_id p = proxy_of(cl, from, env, &sid);
    plx_msg in;
    if (!p || inner(env, m, PLX_DIR_C2S, &in) != 0) {
        cl->st.dropped++;
        return;
    }
    /* The origin's id back in place of the serving instance's (env is ours to change). */
    cJSON_ReplaceItemInObjectCaseSensitive(in.json, "id", cJSON_CreateNumber((double)sid));
    plx_hub_proxy_message(cl->hub, p, &in, now);
}

void cl_on_fail(plx_cluster *cl, uint64_t from, const cJSON *env, uint64_t now) {
    uint64_t sid = 0, code = 0;
    plx_conn_id p = proxy_of(cl, from, env, &sid);
    if (!p || !cl_get_u64(env, "code", &code) ||
        (code != (uint64_t)-PLX_E_PEER_GONE && code != (uint64_t)-PLX_E_LIMIT_REACHED)) {
        cl->st.dropped++;
        return;
    }
    plx_hub_proxy_fail(cl->hub, p, sid, -(int)code, now);
}

void cl_on_kick(plx_cluster *cl, uint64_t from, const cJSON *env, uint64_t now) {
    (void)from;
    uint64_t id = 0, code = 0;
    if (!cl_get_u64(env, "id", &id) || !cl_get_u64(env, "code", &code) ||
        code != (uint64_t)-PLX_E_REPLACED) {
        cl->st.dropped++;
        return;
    }
    plx_hub_kick(cl->hub, id, PLX_E_REPLACED, now);
}
