/*
 * adapters.c - adapted keys: a client owns a key (bounded per connection by max_adapters);
 * reads naming it are forwarded to the owner as read{id, key, argv, timeout_ms} and answered
 * with the owner's reply (CALL_TIMEOUT after the default call timeout, PEER_GONE if the
 * owner leaves); writes get READ_ONLY; watchers get change{op: "gone"} when the owner
 * unadapts or leaves.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

hub_conn *hub_adapter_owner(const plx_hub *h, plx_bytes key) {
    return hub_map_get(&h->adapters, key.data, key.len);
}

/* The common start of adapt and unadapt: reads id and key, refuses a key someone else owns.
 * Returns 1 to go on with *owner (NULL or c), 0 once answered. */
static int key_request(plx_hub *h, hub_conn *c, const plx_msg *m, uint64_t *rid, plx_bytes *k,
                       hub_conn **owner) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m->json, "key");
    *rid = 0;
    hub_get_uint(m->json, "id", rid);
    int code = !v                                          ? PLX_E_MISSING_FIELD
               : hub_att_json_bytes(v, m->att, m->natt, k) ? PLX_E_BAD_FIELD_TYPE
                                                           : 0;
    if (code) {
        hub_reply_error(h, c, *rid, code, "key", NULL);
        return 0;
    }
    *owner = hub_adapter_owner(h, *k);
    if (*owner && *owner != c) {
        hub_reply_error(h, c, *rid, PLX_E_KEY_OWNED, NULL, NULL);
        return 0;
    }
    return 1;
}

int hub_adapt_add(plx_hub *h, hub_conn *c, plx_bytes key) {
    if (hub_adapter_owner(h, key) == c) return 1;
    if (c->adapted.n >= h->cfg.max_adapters) return PLX_E_LIMIT_REACHED;
    if (hub_strs_add(&c->adapted, key.data, key.len) != 0) return PLX_E_NOMEM;
    plx_bytes own = c->adapted.v[c->adapted.n - 1]; /* key may be borrowed from a message */
    if (hub_map_put(&h->adapters, own.data, own.len, c) != 0) {
        hub_strs_remove(&c->adapted, c->adapted.n - 1);
        return PLX_E_NOMEM;
    }
    return 0;
}

int hub_adapt_remove(plx_hub *h, hub_conn *c, plx_bytes k) {
    if (hub_adapter_owner(h, k) != c) return 0;
    long i = hub_strs_find(&c->adapted, k.data, k.len);
    hub_map_del(&h->adapters, k.data, k.len);
    if (i >= 0) {
        plx_bytes key = c->adapted.v[i];        /* k may point into m; either is fine until here */
        hub_watch_notify(h, key, "gone", NULL); /* WAT-4: gone carries no by */
        hub_strs_remove(&c->adapted, (size_t)i);
    }
    return 1;
}

void hub_on_adapt(plx_hub *h, hub_conn *c, const plx_msg *m) {
    uint64_t rid;
    plx_bytes k;
    hub_conn *owner;
    if (!key_request(h, c, m, &rid, &k, &owner)) return;
    int rc = hub_adapt_add(h, c, k);
    if (rc < 0) {
        hub_reply_error(h, c, rid, rc == PLX_E_LIMIT_REACHED ? rc : PLX_E_INTERNAL,
                        rc == PLX_E_LIMIT_REACHED ? "too many adapted keys" : "out of memory",
                        NULL);
        return;
    }
    hub_reply(h, c, rid, cJSON_CreateTrue(), NULL);
    if (rc == 0) hub_observe(h, c, PLX_HUB_ADAPT, k);
}

void hub_on_unadapt(plx_hub *h, hub_conn *c, const plx_msg *m) {
    uint64_t rid;
    plx_bytes k;
    hub_conn *owner;
    if (!key_request(h, c, m, &rid, &k, &owner)) return;
    hub_reply(h, c, rid, cJSON_CreateTrue(), NULL);
    if (!owner) return;
    hub_observe(h, c, PLX_HUB_UNADAPT, k); /* before: k may point into the key removed */
    hub_adapt_remove(h, c, k);
}

void hub_adapters_release(plx_hub *h, hub_conn *c) {
    for (size_t i = 0; i < c->adapted.n; i++) {
        hub_map_del(&h->adapters, c->adapted.v[i].data, c->adapted.v[i].len);
        hub_watch_notify(h, c->adapted.v[i], "gone", NULL);
    }
    hub_strs_clear(&c->adapted);
}

static int same(plx_bytes a, plx_bytes b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

int hub_adapter_class(const plx_hub *h, int flags, const plx_bytes *argv, size_t argc,
                      hub_conn **owner, size_t *ki) {
    if (h->adapters.count == 0 || argc == 0 || !(flags & (PLX_CMD_READ | PLX_CMD_WRITE)))
        return HUB_ADP_NONE;
    size_t *idx = malloc(argc * sizeof(*idx));
    if (!idx) return HUB_ADP_NONE;
    size_t n = plx_store_keys(argv, argc, idx, argc), found = argc;
    for (size_t i = 0; i < n && found == argc; i++)
        if (idx[i] < argc && (*owner = hub_adapter_owner(h, argv[idx[i]]))) found = idx[i];
    int cls = HUB_ADP_NONE;
    if (found < argc) {
        *ki = found;
        cls = HUB_ADP_FORWARD;
        if (flags & PLX_CMD_WRITE) cls = HUB_ADP_READ_ONLY; /* ADP-3 rule 1 */
        for (size_t i = 0; i < n && cls == HUB_ADP_FORWARD; i++)
            if (idx[i] < argc && !same(argv[idx[i]], argv[found])) cls = HUB_ADP_MULTI; /* rule 2 */
    }
    free(idx);
    return cls;
}

int hub_read_send(plx_hub *h, hub_call *k, hub_conn *owner, const cJSON *argv, size_t ki,
                  const plx_bytes *att, size_t natt, uint32_t timeout) {
    int err = PLX_E_NOMEM;
    cJSON *r = hub_msg_new("read");
    cJSON *a = cJSON_Duplicate(argv, 1),
          *kj = cJSON_Duplicate(cJSON_GetArrayItem(argv, (int)ki), 1);
    if (r && a && kj) {
        cJSON_AddNumberToObject(r, "id", (double)k->sid);
        cJSON_AddItemToObject(r, "key", kj);
        cJSON_AddItemToObject(r, "argv", a);
        cJSON_AddNumberToObject(r, "timeout_ms", timeout);
        kj = a = NULL;
        /* ADP-3: the command's attachments, unchanged, so its references stay valid. */
        err = hub_send(h, owner, r, att, natt);
    }
    cJSON_Delete(kj);
    cJSON_Delete(a);
    cJSON_Delete(r);
    return owner->state == HUB_CLOSING ? 0 : err;
}

int hub_adapter_route(plx_hub *h, hub_conn *c, uint64_t rid, int flags, const plx_msg *m,
                      const plx_bytes *argv, size_t argc, uint64_t now) {
    hub_conn *owner = NULL;
    size_t ki = 0;
    switch (hub_adapter_class(h, flags, argv, argc, &owner, &ki)) {
    case HUB_ADP_NONE:
        return 0;
    case HUB_ADP_READ_ONLY:
        hub_reply_error(h, c, rid, PLX_E_READ_ONLY, NULL, NULL);
        return 1;
    case HUB_ADP_MULTI:
        hub_reply_error(h, c, rid, PLX_E_COMMAND_ERROR, HUB_MULTI_KEY_TEXT, NULL);
        return 1;
    }
    uint32_t timeout = h->cfg.call_timeout_ms;
    hub_call *k = hub_call_start(h, HUB_READ, c, rid, owner, now + timeout);
    if (!k) {
        hub_reply_error(h, c, rid, PLX_E_INTERNAL, "out of memory", NULL);
        return 1;
    }
    if (hub_read_send(h, k, owner, cJSON_GetObjectItemCaseSensitive(m->json, "argv"), ki, m->att,
                      m->natt, timeout) != 0)
        hub_call_fail(h, k, PLX_E_LIMIT_REACHED);
    return 1;
}
