/*
 * session.c - the session's opening: the hello the client sends (name, groups, secret,
 * override key, presence flag, limits), the welcome it applies (effective limits to the
 * reader and the encoder, the name), and the restore requests a reconnection sends for the
 * routes, watches and adapted keys the client had (groups and presence travel in hello).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#ifndef PLX_VERSION_STRING
#define PLX_VERSION_STRING "0.0.0"
#endif

cJSON *plx_session_hello(plx_client *c) {
    const plx_client_options *o = &c->opt;
    cJSON *h = cJSON_CreateObject(), *groups;
    int ok;

    if (!h) return NULL;
    ok = cJSON_AddStringToObject(h, "t", "hello") && cJSON_AddNumberToObject(h, "version", 1) &&
         cJSON_AddStringToObject(h, "agent",
                                 o->agent ? o->agent : "libplexus-client/" PLX_VERSION_STRING);
    if (ok && c->name) ok = cJSON_AddStringToObject(h, "name", c->name) != NULL;
    if (ok && c->reg.ngroups) {
        groups = cJSON_AddArrayToObject(h, "groups");
        ok = groups != NULL;
        for (size_t i = 0; ok && i < c->reg.ngroups; i++)
            ok = cJSON_AddItemToArray(groups, cJSON_CreateString(c->reg.groups[i]));
    }
    if (ok && o->secret) ok = cJSON_AddStringToObject(h, "secret", o->secret) != NULL;
    if (ok && o->override_key) ok = cJSON_AddStringToObject(h, "override", o->override_key) != NULL;
    if (ok && o->presence) ok = cJSON_AddTrueToObject(h, "presence") != NULL;
    if (ok && o->max_frame) ok = cJSON_AddNumberToObject(h, "max_frame", o->max_frame) != NULL;
    if (ok && o->max_message)
        ok = cJSON_AddNumberToObject(h, "max_message", o->max_message) != NULL;
    if (ok && o->gzip_threshold)
        ok = cJSON_AddNumberToObject(h, "gzip_threshold", o->gzip_threshold) != NULL;
    if (ok && o->no_gzip) ok = cJSON_AddFalseToObject(h, "gzip") != NULL;
    if (!ok) {
        cJSON_Delete(h);
        return NULL;
    }
    return h;
}

/* A uint member that must be present. */
static int need_uint(const cJSON *w, const char *name, uint32_t *out) {
    int has;
    uint64_t v = plx_wire_uint(w, name, &has);

    if (!has || v > UINT32_MAX) return PLX_E_BAD_REPLY;
    *out = (uint32_t)v;
    return 0;
}

int plx_session_welcome(plx_client *c, const cJSON *w) {
    uint32_t max_frame, max_message, threshold, call_timeout, ping, history;
    const char *name = plx_wire_str(w, "name");
    const cJSON *gz = cJSON_GetObjectItemCaseSensitive(w, "gzip");
    plx_assembler_limits al;
    char *copy;

    if (!name || !cJSON_IsBool(gz) || need_uint(w, "max_frame", &max_frame) ||
        need_uint(w, "max_message", &max_message) || need_uint(w, "gzip_threshold", &threshold) ||
        need_uint(w, "call_timeout_ms", &call_timeout) || need_uint(w, "ping_interval_ms", &ping) ||
        need_uint(w, "history", &history))
        return PLX_E_BAD_REPLY;
    if (max_frame < PLX_MIN_MAX_FRAME || max_frame > PLX_MAX_MAX_FRAME ||
        max_message < PLX_MIN_MAX_MESSAGE || max_message > PLX_MAX_MAX_MESSAGE)
        return PLX_E_BAD_REPLY;
    memset(&al, 0, sizeof(al));
    al.max_message = max_message;
    al.max_partial = PLX_DEFAULT_MAX_PARTIAL;
    al.expiry_ms = PLX_DEFAULT_EXPIRY_MS;
    al.allow_gzip = cJSON_IsTrue(gz);
    if (plx_reader_set_limits(c->reader, max_frame, &al)) return PLX_E_BAD_REPLY;
    copy = strdup(name);
    if (!copy) return PLX_E_NOMEM;
    free(c->name);
    c->name = copy;
    c->max_frame = max_frame;
    c->max_message = max_message;
    c->gzip_threshold = threshold;
    c->gzip = cJSON_IsTrue(gz);
    c->call_timeout_ms = call_timeout;
    c->ping_interval_ms = ping;
    c->history = history;
    memset(&c->enc, 0, sizeof(c->enc));
    c->enc.max_frame = max_frame;
    c->enc.max_message = max_message;
    c->enc.gzip_threshold = threshold;
    c->enc.gzip = c->gzip;
    c->enc.gzip_level = c->opt.gzip_level;
    c->max_queue = c->opt.max_queue ? c->opt.max_queue : 2 * (size_t)max_message;
    c->stats.connects++;
    return 0;
}

/* Sends one restore request (mu held). */
static void restore_one(plx_client *c, cJSON *req, const plx_bytes *att, size_t natt) {
    uint64_t id;

    if (!req) {
        plx_session_restored(c, PLX_E_NOMEM);
        return;
    }
    id = plx_pending_add(&c->pend, PLX_SLOT_RESTORE, NULL);
    if (!id || !cJSON_AddNumberToObject(req, "id", (double)id) ||
        plx_send_locked(c, c->gen, req, att, natt, 1, 0)) {
        if (id) plx_pending_remove(&c->pend, id);
        plx_session_restored(c, id ? PLX_E_NOMEM : PLX_E_LIMIT_REACHED);
    }
    cJSON_Delete(req);
}

static cJSON *request(const char *t) {
    cJSON *r = cJSON_CreateObject();

    if (r && !cJSON_AddStringToObject(r, "t", t)) {
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}

/* A request with one `bytes` member. */
static cJSON *bytes_request(const char *t, const char *field, plx_bytes b, plx_bytes *att,
                            size_t *natt) {
    cJSON *r = request(t), *v;

    if (!r) return NULL;
    v = plx_wire_bytes_json(b, att, natt);
    if (!v || !cJSON_AddItemToObject(r, field, v)) {
        cJSON_Delete(v);
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}

void plx_session_restore(plx_client *c) {
    plx_registry *reg = &c->reg;
    uint64_t gen = c->gen;
    plx_bytes att[1];
    size_t natt;
    cJSON *r, *routes;

    c->state = PLX_ST_RESTORING;
    c->restore_code = 0;
    /* One count for every request below plus one for this function, so the session cannot
     * turn ready before every restore request is out. */
    c->restore_left = 1 + (reg->nroutes ? 1 : 0) + reg->nwatches + reg->nadapters;
    if (reg->nroutes) {
        r = request("register");
        routes = r ? cJSON_AddArrayToObject(r, "routes") : NULL;
        for (size_t i = 0; routes && i < reg->nroutes; i++)
            cJSON_AddItemToArray(routes, cJSON_CreateString(reg->routes[i].route));
        restore_one(c, routes ? r : (cJSON_Delete(r), NULL), NULL, 0);
    }
    /* The registry may change while a send drops the lock: iterate over indexes still in
     * range and stop if the session changed. */
    for (size_t i = 0; i < reg->nwatches && c->gen == gen; i++) {
        plx_bytes p = {reg->watches[i].data, reg->watches[i].len};
        natt = 0;
        restore_one(c, bytes_request("watch", "pattern", p, att, &natt), att, natt);
    }
    for (size_t i = 0; i < reg->nadapters && c->gen == gen; i++) {
        plx_bytes k = {reg->adapters[i].key, reg->adapters[i].klen};
        natt = 0;
        restore_one(c, bytes_request("adapt", "key", k, att, &natt), att, natt);
    }
    plx_session_restored(c, 0);
}

void plx_session_restored(plx_client *c, int err) {
    if (err) {
        c->stats.restore_errors++;
        if (!c->restore_code) c->restore_code = err;
    }
    if (c->restore_left == 0 || --c->restore_left > 0) return;
    if (c->state != PLX_ST_RESTORING) return;
    c->state = PLX_ST_READY;
    if (c->stats.connects > 1) /* the first session is reported by plx_client_connect */
        plx_dispatch_status(c, PLX_STATUS_UP, c->restore_code,
                            c->restore_code ? plx_client_strerror(c->restore_code) : "reconnected");
    pthread_cond_broadcast(&c->state_cv);
}
