/*
 * db.c - the keyspace: lookup with lazy expiry, add, replace, delete, TTLs, notifications.
 */
#include <stdlib.h>

#include "internal.h"

void plx_notify_op(plx_store *s, const uint8_t *key, size_t klen, const char *op) {
    if (s->notify) s->notify(s->ud, key, klen, op);
}

void plx_notify(plx_ctx *c, const plx_bytes *key) {
    plx_notify_op(c->s, key->data, key->len, c->cmd->name);
}

int plx_db_is_expired(const plx_obj *o, uint64_t now) {
    return o->expire_ms != 0 && o->expire_ms <= now;
}

int plx_db_delete(plx_store *s, const uint8_t *key, size_t klen) {
    void *v;
    if (!plx_dict_delete(s->keys, key, klen, &v)) return 0;
    plx_obj *o = v;
    if (o->expire_ms) plx_zset_del(s->expires, key, klen);
    plx_obj_free(o);
    return 1;
}

void plx_db_expire_key(plx_store *s, const uint8_t *key, size_t klen) {
    /* key may point into the TTL index's own copy, which the delete frees last (after its
     * final use of key): notify first, then delete. */
    plx_notify_op(s, key, klen, "expired");
    plx_db_delete(s, key, klen);
}

plx_obj *plx_db_lookup(plx_ctx *c, const plx_bytes *key) {
    plx_dict_entry *e = plx_dict_find(c->s->keys, key->data, key->len);
    if (!e) return NULL;
    plx_obj *o = e->val;
    if (plx_db_is_expired(o, c->now)) {
        plx_db_expire_key(c->s, key->data, key->len);
        return NULL;
    }
    return o;
}

plx_obj *plx_db_lookup_type(plx_ctx *c, const plx_bytes *key, plx_type t, int *wrong) {
    plx_obj *o = plx_db_lookup(c, key);
    *wrong = 0;
    if (o && o->type != t) {
        plx_add_wrongtype(c);
        *wrong = 1;
        return NULL;
    }
    return o;
}

int plx_db_add(plx_ctx *c, const plx_bytes *key, plx_obj *o) {
    if (!plx_dict_add(c->s->keys, key->data, key->len, o, NULL)) {
        plx_obj_free(o);
        return -1;
    }
    return 0;
}

int plx_db_set(plx_ctx *c, const plx_bytes *key, plx_obj *o) {
    plx_dict_entry *e = plx_dict_find(c->s->keys, key->data, key->len);
    if (!e) return plx_db_add(c, key, o);
    plx_obj *old = e->val;
    if (old->expire_ms) plx_zset_del(c->s->expires, key->data, key->len);
    plx_obj_free(old);
    e->val = o;
    return 0;
}

int plx_db_set_expire(plx_store *s, const uint8_t *key, size_t klen, plx_obj *o, uint64_t ms) {
    int added;
    if (ms) {
        if (plx_zset_put(s->expires, key, klen, (double)ms, &added) != 0) return -1;
    } else if (o->expire_ms) {
        plx_zset_del(s->expires, key, klen);
    }
    o->expire_ms = ms;
    return 0;
}

int plx_db_delete_if_empty(plx_ctx *c, const plx_bytes *key, plx_obj *o) {
    if (plx_obj_count(o) != 0) return 0;
    plx_db_delete(c->s, key->data, key->len);
    return 1;
}
