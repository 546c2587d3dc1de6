/*
 * cmd_set.c - set commands: SADD SREM SMEMBERS SISMEMBER SCARD SMOVE SRANDMEMBER
 * SPOP SINTER SUNION SDIFF (Redis 7.0 semantics, replies and errors).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static plx_dict *set_read(plx_ctx *c, const plx_bytes *key, int *wrong) {
    plx_obj *o = plx_db_lookup_type(c, key, PLX_T_SET, wrong);
    return o ? o->u.set : NULL;
}

void plx_cmd_sadd(plx_ctx *c) {
    const plx_bytes *key = &c->argv[1];
    int wrong;
    plx_obj *o = plx_db_lookup_type(c, key, PLX_T_SET, &wrong);
    if (wrong) return;
    if (!o) {
        o = plx_obj_new(c->s, PLX_T_SET);
        if (!o || plx_db_add(c, key, o) != 0) return;
    }
    long long added = 0;
    for (size_t i = 2; i < c->argc; i++) {
        plx_dict_entry *old;
        if (plx_dict_add(o->u.set, c->argv[i].data, c->argv[i].len, NULL, &old))
            added++;
        else if (!old)
            break; /* no memory: reply with what was added */
    }
    if (plx_db_delete_if_empty(c, key, o)) {
        plx_add_reply(c, NULL);
        return;
    }
    if (added) plx_notify(c, key);
    plx_add_int(c, added);
}

void plx_cmd_srem(plx_ctx *c) {
    const plx_bytes *key = &c->argv[1];
    int wrong;
    plx_obj *o = plx_db_lookup_type(c, key, PLX_T_SET, &wrong);
    if (wrong) return;
    long long n = 0;
    for (size_t i = 2; o && i < c->argc; i++)
        n += plx_dict_delete(o->u.set, c->argv[i].data, c->argv[i].len, NULL);
    if (n) {
        plx_db_delete_if_empty(c, key, o);
        plx_notify(c, key);
    }
    plx_add_int(c, n);
}

/* An array of the members of d (which may be NULL). */
static plx_store_reply *members_reply(const plx_dict *d) {
    plx_store_reply *a = plx_store_reply_array(d ? d->used : 0);
    if (!d) return a;
    plx_dict_iter it;
    plx_dict_iter_init(&it, d);
    for (plx_dict_entry *e; (e = plx_dict_iter_next(&it));)
        plx_store_reply_push(a, plx_store_reply_bulk(e->key, e->klen));
    return a;
}

void plx_cmd_smembers(plx_ctx *c) {
    int wrong;
    plx_dict *d = set_read(c, &c->argv[1], &wrong);
    if (!wrong) plx_add_reply(c, members_reply(d));
}

void plx_cmd_sismember(plx_ctx *c) {
    int wrong;
    plx_dict *d = set_read(c, &c->argv[1], &wrong);
    if (!wrong) plx_add_int(c, d && plx_dict_find(d, c->argv[2].data, c->argv[2].len));
}

void plx_cmd_scard(plx_ctx *c) {
    int wrong;
    plx_dict *d = set_read(c, &c->argv[1], &wrong);
    if (!wrong) plx_add_int(c, d ? (long long)d->used : 0);
}

void plx_cmd_smove(plx_ctx *c) {
    const plx_bytes *src = &c->argv[1], *dst = &c->argv[2], *m = &c->argv[3];
    plx_obj *so = plx_db_lookup(c, src);
    plx_obj *dob = plx_db_lookup(c, dst);
    if (!so) {
        plx_add_int(c, 0);
        return;
    }
    if (so->type != PLX_T_SET || (dob && dob->type != PLX_T_SET)) {
        plx_add_wrongtype(c);
        return;
    }
    if (so == dob) {
        plx_add_int(c, plx_dict_find(so->u.set, m->data, m->len) != NULL);
        return;
    }
    if (!plx_dict_find(so->u.set, m->data, m->len)) {
        plx_add_int(c, 0);
        return;
    }
    if (!dob) {
        dob = plx_obj_new(c->s, PLX_T_SET);
        if (!dob || plx_db_add(c, dst, dob) != 0) return;
    }
    plx_dict_entry *old;
    if (!plx_dict_add(dob->u.set, m->data, m->len, NULL, &old) && !old) {
        plx_db_delete_if_empty(c, dst, dob);
        return;
    }
    plx_dict_delete(so->u.set, m->data, m->len, NULL);
    plx_db_delete_if_empty(c, src, so);
    plx_notify(c, src);
    if (!old) plx_notify(c, dst);
    plx_add_int(c, 1);
}

/* Parses SRANDMEMBER's count with Redis's error text. Redis allows [-LONG_MAX, LONG_MAX]; a
 * negative count (repetitions allowed, so the reply can exceed the set) is further bounded
 * here by PLX_STORE_MAX_RANDOM so one command cannot make the store allocate without limit. */
static int range_count(plx_ctx *c, long long *v) {
    if (!plx_arg_ll(c, 2, v)) return 0;
    if (*v < -LLONG_MAX) {
        plx_add_reply(c,
                      plx_store_reply_errorf(PLX_E_COMMAND_ERROR,
                                             "ERR value is out of range, value must between %lld "
                                             "and %lld",
                                             -LLONG_MAX, LLONG_MAX));
        return 0;
    }
    if (*v < -PLX_STORE_MAX_RANDOM) {
        plx_add_reply(c,
                      plx_store_reply_errorf(PLX_E_COMMAND_ERROR,
                                             "ERR value is out of range, value must between %lld "
                                             "and %lld",
                                             -PLX_STORE_MAX_RANDOM, LLONG_MAX));
        return 0;
    }
    return 1;
}

/* Fisher-Yates: n distinct members of d (n <= size) picked uniformly, as an array. */
static plx_store_reply *distinct_sample(plx_store *s, const plx_dict *d, size_t n) {
    plx_store_reply *all = members_reply(d);
    if (!all) return NULL;
    for (size_t i = 0; i < n && i + 1 < all->nelem; i++) {
        size_t j = i + (size_t)(plx_rand_next(&s->rng) % (all->nelem - i));
        plx_store_reply *t = all->elem[i];
        all->elem[i] = all->elem[j];
        all->elem[j] = t;
    }
    while (all->nelem > n)
        plx_store_reply_free(all->elem[--all->nelem]);
    return all;
}

void plx_cmd_srandmember(plx_ctx *c) {
    if (c->argc > 3) {
        plx_add_syntax_err(c);
        return;
    }
    int wrong;
    if (c->argc == 2) {
        plx_dict *d = set_read(c, &c->argv[1], &wrong);
        if (wrong) return;
        plx_dict_entry *e = d ? plx_dict_random(d, &c->s->rng) : NULL;
        plx_add_reply(c, e ? plx_store_reply_bulk(e->key, e->klen) : plx_store_reply_nil());
        return;
    }
    long long count;
    if (!range_count(c, &count)) return;
    plx_dict *d = set_read(c, &c->argv[1], &wrong);
    if (wrong) return;
    if (!d || count == 0) {
        plx_add_reply(c, plx_store_reply_array(0));
        return;
    }
    if (count > 0) {
        size_t n = (unsigned long long)count < d->used ? (size_t)count : d->used;
        plx_add_reply(c, distinct_sample(c->s, d, n));
        return;
    }
    /* Negative: -count members, repetitions allowed. */
    size_t n = (size_t)(0ULL - (unsigned long long)count);
    plx_store_reply *a =
        n <= SIZE_MAX / sizeof(plx_store_reply *) ? plx_store_reply_array(n) : NULL;
    for (size_t i = 0; a && i < n; i++) {
        plx_dict_entry *e = plx_dict_random(d, &c->s->rng);
        if (plx_store_reply_push(a, plx_store_reply_bulk(e->key, e->klen)) != 0) break;
    }
    plx_add_reply(c, a);
}

void plx_cmd_spop(plx_ctx *c) {
    const plx_bytes *key = &c->argv[1];
    if (c->argc > 3) {
        plx_add_syntax_err(c);
        return;
    }
    long long count = 1;
    if (c->argc == 3) {
        if (!plx_arg_count(c, 2, &count)) return;
    }
    int wrong;
    plx_obj *o = plx_db_lookup_type(c, key, PLX_T_SET, &wrong);
    if (wrong) return;
    if (!o || count == 0) {
        plx_add_reply(c, c->argc == 3 ? plx_store_reply_array(0) : plx_store_reply_nil());
        return;
    }
    plx_dict *d = o->u.set;
    size_t n = (unsigned long long)count < d->used ? (size_t)count : d->used;
    plx_store_reply *picked = distinct_sample(c->s, d, n);
    if (!picked) return;
    for (size_t i = 0; i < picked->nelem; i++)
        plx_dict_delete(d, (const uint8_t *)picked->elem[i]->str, picked->elem[i]->len, NULL);
    plx_db_delete_if_empty(c, key, o);
    plx_notify(c, key);
    if (c->argc == 3) {
        plx_add_reply(c, picked);
    } else {
        plx_add_reply(c, picked->elem[0]);
        picked->elem[0] = NULL;
        picked->nelem = 0;
        plx_store_reply_free(picked);
    }
}

/* ---------------------------------------------------------------- SINTER SUNION SDIFF */

enum { OP_INTER, OP_UNION, OP_DIFF };

/* Adds every member of from to to. 0 or -1 on no memory. */
static int add_all(plx_dict *to, const plx_dict *from) {
    plx_dict_iter it;
    plx_dict_iter_init(&it, from);
    for (plx_dict_entry *e; (e = plx_dict_iter_next(&it));) {
        plx_dict_entry *old;
        if (!plx_dict_add(to, e->key, e->klen, NULL, &old) && !old) return -1;
    }
    return 0;
}

static void set_op(plx_ctx *c, int op) {
    size_t n = c->argc - 1;
    plx_dict **sets = calloc(n, sizeof(*sets));
    if (!sets) return;
    int empty = 0;
    for (size_t i = 0; i < n; i++) {
        int wrong;
        sets[i] = set_read(c, &c->argv[i + 1], &wrong);
        if (wrong) {
            free(sets);
            return;
        }
        if (!sets[i]) empty = 1;
    }
    plx_dict *res = plx_dict_new(c->s->seed);
    if (!res) {
        free(sets);
        return;
    }
    int nomem = 0;
    if (op == OP_INTER && !empty) {
        /* Walk the smallest set, keep members present in every other. */
        size_t small = 0;
        for (size_t i = 1; i < n; i++)
            if (sets[i]->used < sets[small]->used) small = i;
        plx_dict_iter it;
        plx_dict_iter_init(&it, sets[small]);
        for (plx_dict_entry *e; (e = plx_dict_iter_next(&it)) && !nomem;) {
            size_t i;
            for (i = 0; i < n; i++)
                if (i != small && !plx_dict_find(sets[i], e->key, e->klen)) break;
            if (i == n && !plx_dict_add(res, e->key, e->klen, NULL, NULL)) nomem = 1;
        }
    } else if (op == OP_UNION) {
        for (size_t i = 0; i < n && !nomem; i++)
            nomem = sets[i] && add_all(res, sets[i]) != 0;
    } else if (op == OP_DIFF && sets[0]) {
        nomem = add_all(res, sets[0]) != 0;
        for (size_t i = 1; i < n && !nomem; i++) {
            if (!sets[i]) continue;
            plx_dict_iter it;
            plx_dict_iter_init(&it, sets[i]);
            for (plx_dict_entry *e; (e = plx_dict_iter_next(&it));)
                plx_dict_delete(res, e->key, e->klen, NULL);
        }
    }
    free(sets);
    if (!nomem) plx_add_reply(c, members_reply(res));
    plx_dict_free(res, NULL);
}

void plx_cmd_sinter(plx_ctx *c) {
    set_op(c, OP_INTER);
}

void plx_cmd_sunion(plx_ctx *c) {
    set_op(c, OP_UNION);
}

void plx_cmd_sdiff(plx_ctx *c) {
    set_op(c, OP_DIFF);
}
