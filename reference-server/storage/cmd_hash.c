/*
 * cmd_hash.c - hash commands: HSET HSETNX HGET HMGET HGETALL HDEL HEXISTS HKEYS HVALS
 * HLEN HINCRBY (Redis 7.0 semantics, replies and errors).
 */
#include <limits.h>
#include <stdlib.h>

#include "internal.h"

/* The hash at key for reading; NULL when absent or after a WRONGTYPE reply (*wrong). */
static plx_dict *hash_read(plx_ctx *c, int *wrong) {
    plx_obj *o = plx_db_lookup_type(c, &c->argv[1], PLX_T_HASH, wrong);
    return o ? o->u.hash : NULL;
}

/* The hash at key, created when absent; NULL after a WRONGTYPE reply or on no memory. */
static plx_obj *hash_write(plx_ctx *c) {
    int wrong;
    plx_obj *o = plx_db_lookup_type(c, &c->argv[1], PLX_T_HASH, &wrong);
    if (o || wrong) return o;
    o = plx_obj_new(c->s, PLX_T_HASH);
    if (!o || plx_db_add(c, &c->argv[1], o) != 0) return NULL;
    return o;
}

/* Sets field to value; returns 1 if the field is new, 0 if updated, -1 on no memory. */
static int hash_set(plx_dict *h, const plx_bytes *f, const uint8_t *v, size_t vlen) {
    plx_dict_entry *e = plx_dict_find(h, f->data, f->len);
    if (e) return plx_str_set(e->val, v, vlen) == 0 ? 0 : -1;
    plx_str *s = plx_str_new(v, vlen);
    if (!s) return -1;
    if (!plx_dict_add(h, f->data, f->len, s, NULL)) {
        plx_str_free(s);
        return -1;
    }
    return 1;
}

void plx_cmd_hset(plx_ctx *c) {
    if (c->argc % 2 == 1) {
        plx_add_arity_err(c);
        return;
    }
    plx_obj *o = hash_write(c);
    if (!o) return;
    long long created = 0;
    for (size_t i = 2; i < c->argc; i += 2) {
        int r = hash_set(o->u.hash, &c->argv[i], c->argv[i + 1].data, c->argv[i + 1].len);
        if (r < 0) {
            plx_add_reply(c, NULL);
            plx_db_delete_if_empty(c, &c->argv[1], o);
            return;
        }
        created += r;
    }
    plx_notify(c, &c->argv[1]);
    plx_add_int(c, created);
}

void plx_cmd_hsetnx(plx_ctx *c) {
    plx_obj *o = hash_write(c);
    if (!o) return;
    if (plx_dict_find(o->u.hash, c->argv[2].data, c->argv[2].len)) {
        plx_add_int(c, 0);
        return;
    }
    if (hash_set(o->u.hash, &c->argv[2], c->argv[3].data, c->argv[3].len) < 0) {
        plx_db_delete_if_empty(c, &c->argv[1], o);
        return;
    }
    plx_notify(c, &c->argv[1]);
    plx_add_int(c, 1);
}

/* The value of field in h, or NULL. */
static plx_str *hash_get(plx_dict *h, const plx_bytes *f) {
    plx_dict_entry *e = h ? plx_dict_find(h, f->data, f->len) : NULL;
    return e ? e->val : NULL;
}

void plx_cmd_hget(plx_ctx *c) {
    int wrong;
    plx_dict *h = hash_read(c, &wrong);
    if (wrong) return;
    plx_str *v = hash_get(h, &c->argv[2]);
    plx_add_reply(c, v ? plx_store_reply_bulk(v->data, v->len) : plx_store_reply_nil());
}

void plx_cmd_hmget(plx_ctx *c) {
    int wrong;
    plx_dict *h = hash_read(c, &wrong);
    if (wrong) return;
    plx_store_reply *a = plx_store_reply_array(c->argc - 2);
    for (size_t i = 2; i < c->argc; i++) {
        plx_str *v = hash_get(h, &c->argv[i]);
        plx_store_reply_push(a, v ? plx_store_reply_bulk(v->data, v->len) : plx_store_reply_nil());
    }
    plx_add_reply(c, a);
}

/* HGETALL / HKEYS / HVALS: what = 3 fields and values, 1 fields, 2 values. */
static void hash_list(plx_ctx *c, int what) {
    int wrong;
    plx_dict *h = hash_read(c, &wrong);
    if (wrong) return;
    size_t n = h ? h->used : 0;
    plx_store_reply *a = plx_store_reply_array(what == 3 ? n * 2 : n);
    if (h) {
        plx_dict_iter it;
        plx_dict_iter_init(&it, h);
        for (plx_dict_entry *e; (e = plx_dict_iter_next(&it));) {
            const plx_str *v = e->val;
            if (what & 1) plx_store_reply_push(a, plx_store_reply_bulk(e->key, e->klen));
            if (what & 2) plx_store_reply_push(a, plx_store_reply_bulk(v->data, v->len));
        }
    }
    plx_add_reply(c, a);
}

void plx_cmd_hgetall(plx_ctx *c) {
    hash_list(c, 3);
}

void plx_cmd_hkeys(plx_ctx *c) {
    hash_list(c, 1);
}

void plx_cmd_hvals(plx_ctx *c) {
    hash_list(c, 2);
}

void plx_cmd_hdel(plx_ctx *c) {
    int wrong;
    plx_obj *o = plx_db_lookup_type(c, &c->argv[1], PLX_T_HASH, &wrong);
    if (wrong) return;
    long long n = 0;
    for (size_t i = 2; o && i < c->argc; i++) {
        void *v;
        if (plx_dict_delete(o->u.hash, c->argv[i].data, c->argv[i].len, &v)) {
            plx_str_free(v);
            n++;
        }
    }
    if (n) {
        plx_db_delete_if_empty(c, &c->argv[1], o);
        plx_notify(c, &c->argv[1]);
    }
    plx_add_int(c, n);
}

void plx_cmd_hexists(plx_ctx *c) {
    int wrong;
    plx_dict *h = hash_read(c, &wrong);
    if (!wrong) plx_add_int(c, hash_get(h, &c->argv[2]) != NULL);
}

void plx_cmd_hlen(plx_ctx *c) {
    int wrong;
    plx_dict *h = hash_read(c, &wrong);
    if (!wrong) plx_add_int(c, h ? (long long)h->used : 0);
}

void plx_cmd_hincrby(plx_ctx *c) {
    long long incr, v = 0;
    if (!plx_arg_ll(c, 3, &incr)) return;
    plx_obj *o = hash_write(c);
    if (!o) return;
    plx_str *cur = hash_get(o->u.hash, &c->argv[2]);
    if (cur && !plx_str2ll(cur->data, cur->len, &v)) {
        plx_add_err(c, "ERR hash value is not an integer");
        return;
    }
    char buf[32];
    size_t n;
    if (!plx_incr_text(c, &v, incr, buf, &n)) return;
    if (hash_set(o->u.hash, &c->argv[2], (const uint8_t *)buf, n) < 0) {
        plx_db_delete_if_empty(c, &c->argv[1], o);
        return;
    }
    plx_notify(c, &c->argv[1]);
    plx_add_int(c, v);
}
