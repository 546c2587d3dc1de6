/*
 * watch.c - watches: glob patterns per connection (bounded by max_watches, each pattern at
 * most HUB_PATTERN_MAX bytes) and the change{key, op, by?, pattern} notifications for every
 * key the store reports changed. The hub is the store's notify target. With a backend that
 * has a barrier hook, a new pattern waits as a HUB_WATCH call for its barrier (so the changes
 * of commands completed before it, still on their way from the backend, are not delivered)
 * and is active and answered once plx_hub_barrier_done comes.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Reads the pattern field; 0 or the error code (already answered). */
static int pattern_field(plx_hub *h, hub_conn *c, const plx_msg *m, uint64_t rid, plx_bytes *p) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m->json, "pattern");
    int code = 0;
    if (!v)
        code = PLX_E_MISSING_FIELD;
    else if (hub_att_json_bytes(v, m->att, m->natt, p) != 0)
        code = PLX_E_BAD_FIELD_TYPE;
    else if (p->len > HUB_PATTERN_MAX)
        code = PLX_E_BAD_VALUE;
    if (code)
        hub_reply_error(h, c, rid, code,
                        code == PLX_E_BAD_VALUE ? "pattern longer than 1024 bytes" : "pattern",
                        NULL);
    return code;
}

/* Makes p one of c's watches (nothing if it is one already) and answers rid. */
static void watch_add(plx_hub *h, hub_conn *c, uint64_t rid, plx_bytes p) {
    if (hub_strs_find(&c->watches, p.data, p.len) < 0) {
        if (c->watches.n >= h->cfg.max_watches) {
            hub_reply_error(h, c, rid, PLX_E_LIMIT_REACHED, "too many watches", NULL);
            return;
        }
        if (hub_strs_add(&c->watches, p.data, p.len) != 0) {
            hub_reply_error(h, c, rid, PLX_E_INTERNAL, "out of memory", NULL);
            return;
        }
    }
    hub_reply(h, c, rid, cJSON_CreateTrue(), NULL);
}

/* With a backend barrier: registers a HUB_WATCH call for p (c's pending request rid) and asks
 * the backend for its barrier; plx_hub_barrier_done activates it. Errors are answered. */
static void watch_after_barrier(plx_hub *h, hub_conn *c, uint64_t rid, plx_bytes p) {
    if (c->watches.n >= h->cfg.max_watches) {
        hub_reply_error(h, c, rid, PLX_E_LIMIT_REACHED, "too many watches", NULL);
        return;
    }
    hub_call *k = calloc(1, sizeof(*k));
    uint8_t *copy = malloc(p.len + 1);
    if (!k || !copy) {
        free(k);
        free(copy);
        hub_reply_error(h, c, rid, PLX_E_INTERNAL, "out of memory", NULL);
        return;
    }
    if (p.len) memcpy(copy, p.data, p.len);
    copy[p.len] = 0;
    k->kind = HUB_WATCH;
    k->sid = ++h->next_sid;
    k->caller = c->id;
    k->rid = rid;
    k->deadline_ms = UINT64_MAX;
    k->pattern = (plx_bytes){copy, p.len};
    if (hub_map_putu(&h->calls, k->sid, k) != 0) {
        free(copy);
        free(k);
        hub_reply_error(h, c, rid, PLX_E_INTERNAL, "out of memory", NULL);
        return;
    }
    int rc = hub_map_putu(&c->pending, rid, k);
    if (rc == 0) rc = h->backend.barrier(h->backend.ud, k->sid);
    if (rc != 0) {
        hub_call_end(h, k);
        int code = rc == PLX_E_LIMIT_REACHED ? rc
                   : rc == PLX_E_NOMEM       ? PLX_E_INTERNAL
                                             : PLX_E_STORAGE_UNAVAILABLE;
        hub_reply_error(h, c, rid, code, "watch barrier", NULL);
    }
}

void hub_on_watch(plx_hub *h, hub_conn *c, const plx_msg *m) {
    uint64_t rid = 0;
    plx_bytes p;
    hub_get_uint(m->json, "id", &rid);
    if (pattern_field(h, c, m, rid, &p)) return;
    if (h->backend.barrier && hub_strs_find(&c->watches, p.data, p.len) < 0)
        watch_after_barrier(h, c, rid, p);
    else
        watch_add(h, c, rid, p);
}

void plx_hub_barrier_done(plx_hub *h, uint64_t cookie, uint64_t now_ms) {
    (void)now_ms;
    hub_call *k = hub_map_getu(&h->calls, cookie);
    if (!k || k->kind != HUB_WATCH) return;
    hub_conn *c = k->caller ? hub_conn_get(h, k->caller) : NULL;
    uint64_t rid = k->rid;
    int cancelled = k->cancelled;
    plx_bytes p = k->pattern;
    k->pattern = (plx_bytes){NULL, 0};
    hub_call_end(h, k); /* its pending entry goes first: the reply below ends the request */
    if (c && cancelled)
        hub_reply(h, c, rid, cJSON_CreateTrue(), NULL);
    else if (c)
        watch_add(h, c, rid, p);
    free((void *)p.data);
    hub_reap(h);
}

/* Marks c's watches still waiting for their barrier on pattern p as cancelled. */
static void cancel_waiting(hub_conn *c, plx_bytes p) {
    hub_map_iter it = {0};
    hub_map_node *node;
    while ((node = hub_map_next(&c->pending, &it))) {
        hub_call *k = node->val;
        if (k->kind == HUB_WATCH && k->pattern.len == p.len &&
            (!p.len || memcmp(k->pattern.data, p.data, p.len) == 0))
            k->cancelled = 1;
    }
}

void hub_on_unwatch(plx_hub *h, hub_conn *c, const plx_msg *m) {
    uint64_t rid = 0;
    plx_bytes p;
    hub_get_uint(m->json, "id", &rid);
    if (pattern_field(h, c, m, rid, &p)) return;
    long i = hub_strs_find(&c->watches, p.data, p.len);
    if (i >= 0) hub_strs_remove(&c->watches, (size_t)i);
    cancel_waiting(c, p);
    hub_reply(h, c, rid, cJSON_CreateTrue(), NULL);
}

void hub_send_change(plx_hub *h, hub_conn *c, plx_bytes key, const char *op, const char *by,
                     plx_bytes pattern) {
    hub_att att = {0};
    int err = 0;
    cJSON *ch = hub_msg_new("change"), *k = NULL, *p = NULL;
    /* The key's attachment (if any) goes before the pattern's. */
    if (ch && (k = hub_att_bytes_json(key, &att, &err)) &&
        (p = hub_att_bytes_json(pattern, &att, &err))) {
        cJSON_AddItemToObject(ch, "key", k);
        cJSON_AddStringToObject(ch, "op", op);
        if (by) cJSON_AddStringToObject(ch, "by", by);
        cJSON_AddItemToObject(ch, "pattern", p);
        k = p = NULL;
        hub_send(h, c, ch, att.v, att.n);
    }
    cJSON_Delete(k);
    cJSON_Delete(p);
    cJSON_Delete(ch);
    hub_att_clear(&att);
}

void hub_watch_notify(plx_hub *h, plx_bytes key, const char *op, const char *by) {
    for (hub_conn *c = h->head; c; c = c->next) {
        /* One change per matching pattern, as Redis's psubscribe delivers. */
        for (size_t i = 0; i < c->watches.n && c->state == HUB_READY; i++) {
            plx_bytes p = c->watches.v[i];
            if (!plx_glob_match(p.data, p.len, key.data, key.len, 0)) continue;
            if (h->deferring)
                hub_notes_push(h, &h->notes, c, key, op, by, p);
            else
                hub_send_change(h, c, key, op, by, p);
        }
    }
}

void plx_hub_store_notify(void *hub, const uint8_t *key, size_t klen, const char *op) {
    plx_hub *h = hub;
    if (!h || !op) return;
    const char *by = NULL;
    if (h->executing && strcmp(op, "expired") != 0) by = h->executing->name;
    hub_watch_notify(h, (plx_bytes){key, klen}, op, by);
}
