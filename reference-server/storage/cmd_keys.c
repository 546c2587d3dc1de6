/*
 * cmd_keys.c - keyspace commands: DEL EXISTS TYPE EXPIRE PEXPIRE TTL PTTL PERSIST
 * KEYS SCAN RENAME COPY DBSIZE FLUSHALL (Redis 7.0 semantics, replies and errors).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void plx_cmd_del(plx_ctx *c) {
    long long n = 0;
    for (size_t i = 1; i < c->argc; i++) {
        if (!plx_db_lookup(c, &c->argv[i])) continue; /* expires it first if due */
        plx_db_delete(c->s, c->argv[i].data, c->argv[i].len);
        plx_notify(c, &c->argv[i]);
        n++;
    }
    plx_add_int(c, n);
}

void plx_cmd_exists(plx_ctx *c) {
    long long n = 0;
    for (size_t i = 1; i < c->argc; i++)
        if (plx_db_lookup(c, &c->argv[i])) n++;
    plx_add_int(c, n);
}

void plx_cmd_type(plx_ctx *c) {
    plx_obj *o = plx_db_lookup(c, &c->argv[1]);
    plx_add_reply(c, plx_store_reply_status(o ? plx_type_name(o->type) : "none"));
}

/* ---------------------------------------------------------------- TTLs */

enum { EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8 };

static void expire_generic(plx_ctx *c, int seconds) {
    const plx_bytes *key = &c->argv[1];
    int flags = 0;
    for (size_t j = 3; j < c->argc; j++) {
        const plx_bytes *a = &c->argv[j];
        if (plx_arg_is(a, "nx"))
            flags |= EXP_NX;
        else if (plx_arg_is(a, "xx"))
            flags |= EXP_XX;
        else if (plx_arg_is(a, "gt"))
            flags |= EXP_GT;
        else if (plx_arg_is(a, "lt"))
            flags |= EXP_LT;
        else {
            int n = (int)strnlen((const char *)a->data, a->len);
            plx_add_reply(c,
                          plx_store_reply_errorf(PLX_E_COMMAND_ERROR, "ERR Unsupported option %.*s",
                                                 n, (const char *)a->data));
            return;
        }
    }
    if ((flags & EXP_NX) && (flags & (EXP_XX | EXP_GT | EXP_LT))) {
        plx_add_err(c, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return;
    }
    if ((flags & EXP_GT) && (flags & EXP_LT)) {
        plx_add_err(c, "ERR GT and LT options at the same time are not compatible");
        return;
    }
    long long when;
    if (!plx_arg_ll(c, 2, &when)) return;
    long long base = (long long)c->now;
    if ((seconds && (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000)) ||
        (seconds ? when * 1000 : when) > LLONG_MAX - base) {
        plx_add_reply(c, plx_store_reply_errorf(PLX_E_COMMAND_ERROR,
                                                "ERR invalid expire time in '%s' command",
                                                c->cmd->name));
        return;
    }
    if (seconds) when *= 1000;
    when += base;
    plx_obj *o = plx_db_lookup(c, key);
    if (!o) {
        plx_add_int(c, 0);
        return;
    }
    long long cur = o->expire_ms ? (long long)o->expire_ms : -1;
    if (((flags & EXP_NX) && cur != -1) || ((flags & EXP_XX) && cur == -1) ||
        ((flags & EXP_GT) && (when <= cur || cur == -1)) ||
        ((flags & EXP_LT) && cur != -1 && when >= cur)) {
        plx_add_int(c, 0);
        return;
    }
    if (when <= base) {
        plx_db_delete(c->s, key->data, key->len);
    } else if (plx_db_set_expire(c->s, key->data, key->len, o, (uint64_t)when) != 0) {
        return;
    }
    plx_notify(c, key);
    plx_add_int(c, 1);
}

void plx_cmd_expire(plx_ctx *c) {
    expire_generic(c, 1);
}

void plx_cmd_pexpire(plx_ctx *c) {
    expire_generic(c, 0);
}

static void ttl_generic(plx_ctx *c, int ms) {
    plx_obj *o = plx_db_lookup(c, &c->argv[1]);
    if (!o) {
        plx_add_int(c, -2);
    } else if (!o->expire_ms) {
        plx_add_int(c, -1);
    } else {
        long long ttl = (long long)(o->expire_ms - c->now); /* > 0: lookup expired it else */
        plx_add_int(c, ms ? ttl : (ttl + 500) / 1000);
    }
}

void plx_cmd_ttl(plx_ctx *c) {
    ttl_generic(c, 0);
}

void plx_cmd_pttl(plx_ctx *c) {
    ttl_generic(c, 1);
}

void plx_cmd_persist(plx_ctx *c) {
    const plx_bytes *key = &c->argv[1];
    plx_obj *o = plx_db_lookup(c, key);
    if (!o || !o->expire_ms) {
        plx_add_int(c, 0);
        return;
    }
    plx_db_set_expire(c->s, key->data, key->len, o, 0);
    plx_notify(c, key);
    plx_add_int(c, 1);
}

/* ---------------------------------------------------------------- KEYS, SCAN */

void plx_cmd_keys(plx_ctx *c) {
    const plx_bytes *pat = &c->argv[1];
    int all = pat->len == 1 && pat->data[0] == '*';
    plx_store_reply *a = plx_store_reply_array(c->s->keys->used);
    plx_dict_iter it;
    plx_dict_iter_init(&it, c->s->keys);
    for (plx_dict_entry *e; (e = plx_dict_iter_next(&it));) {
        if (plx_db_is_expired(e->val, c->now)) continue;
        if (all || plx_glob_match(pat->data, pat->len, e->key, e->klen, 0))
            plx_store_reply_push(a, plx_store_reply_bulk(e->key, e->klen));
    }
    plx_add_reply(c, a);
}

/* Collects the keys of the buckets a scan step visits. */
typedef struct scan_acc {
    plx_store_reply *keys; /* array grown as needed */
    size_t cap;
    int nomem;
} scan_acc;

static void scan_collect(void *ud, const plx_dict_entry *e) {
    scan_acc *acc = ud;
    if (acc->nomem) return;
    if (acc->keys->nelem == acc->cap) {
        size_t cap = acc->cap ? acc->cap * 2 : 16;
        plx_store_reply **n = realloc(acc->keys->elem, cap * sizeof(*n));
        if (!n) {
            acc->nomem = 1;
            return;
        }
        acc->keys->elem = n;
        acc->cap = cap;
    }
    plx_store_reply *k = plx_store_reply_bulk(e->key, e->klen);
    if (!k)
        acc->nomem = 1;
    else
        acc->keys->elem[acc->keys->nelem++] = k;
}

/* Parses SCAN's cursor as Redis does (strtoul: base 10, no leading space, whole text). */
static int parse_cursor(const plx_bytes *a, uint64_t *cursor) {
    char buf[64];
    if (a->len >= sizeof(buf) || a->len == 0 || isspace(a->data[0])) return 0;
    memcpy(buf, a->data, a->len);
    buf[a->len] = 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (end[0] != 0 || errno == ERANGE) return 0;
    *cursor = v;
    return 1;
}

/* SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. The cursor is the dict's
 * reverse-binary bucket cursor: every key present for the whole scan is returned at least
 * once. About COUNT keys per call (whole buckets, at most 10 x COUNT buckets visited). */
void plx_cmd_scan(plx_ctx *c) {
    uint64_t cursor;
    if (!parse_cursor(&c->argv[1], &cursor)) {
        plx_add_err(c, "ERR invalid cursor");
        return;
    }
    long long count = 10;
    const plx_bytes *pat = NULL, *type = NULL;
    for (size_t i = 2; i < c->argc; i += 2) {
        int more = c->argc - i >= 2;
        if (plx_arg_is(&c->argv[i], "count") && more) {
            if (!plx_arg_ll(c, i + 1, &count)) return;
            if (count < 1) {
                plx_add_syntax_err(c);
                return;
            }
        } else if (plx_arg_is(&c->argv[i], "match") && more) {
            pat = &c->argv[i + 1];
            if (pat->len == 1 && pat->data[0] == '*') pat = NULL;
        } else if (plx_arg_is(&c->argv[i], "type") && more) {
            type = &c->argv[i + 1];
        } else {
            plx_add_syntax_err(c);
            return;
        }
    }
    scan_acc acc = {.keys = plx_store_reply_array(0)};
    if (!acc.keys) return;
    /* Bounded work per call: at most 10 x count buckets. */
    unsigned long long maxiter = (unsigned long long)count * 10;
    do {
        cursor = plx_dict_scan(c->s->keys, cursor, scan_collect, &acc);
    } while (cursor && maxiter-- && acc.keys->nelem < (unsigned long long)count && !acc.nomem);
    if (acc.nomem) {
        plx_store_reply_free(acc.keys);
        return;
    }
    /* Filter: pattern, expiry (lazily removing expired keys), type. */
    size_t kept = 0;
    for (size_t i = 0; i < acc.keys->nelem; i++) {
        plx_store_reply *k = acc.keys->elem[i];
        plx_bytes kb = {(const uint8_t *)k->str, k->len};
        int keep = !pat || plx_glob_match(pat->data, pat->len, kb.data, kb.len, 0);
        if (keep) {
            plx_obj *o = plx_db_lookup(c, &kb);
            keep = o && (!type || plx_arg_is(type, plx_type_name(o->type)));
        }
        if (keep)
            acc.keys->elem[kept++] = k;
        else
            plx_store_reply_free(k);
    }
    acc.keys->nelem = kept;
    char buf[32];
    size_t n = (size_t)snprintf(buf, sizeof(buf), "%llu", (unsigned long long)cursor);
    plx_store_reply *r = plx_store_reply_array(2);
    plx_store_reply_push(r, plx_store_reply_bulk(buf, n));
    plx_store_reply_push(r, acc.keys);
    plx_add_reply(c, r);
}

/* ---------------------------------------------------------------- RENAME, COPY */

void plx_cmd_rename(plx_ctx *c) {
    const plx_bytes *src = &c->argv[1], *dst = &c->argv[2];
    plx_obj *o = plx_db_lookup(c, src);
    if (!o) {
        plx_add_err(c, "ERR no such key");
        return;
    }
    if (src->len == dst->len && memcmp(src->data, dst->data, src->len) == 0) {
        plx_add_ok(c);
        return;
    }
    if (plx_db_lookup(c, dst)) plx_db_delete(c->s, dst->data, dst->len);
    if (!plx_dict_add(c->s->keys, dst->data, dst->len, o, NULL)) return;
    uint64_t ttl = o->expire_ms;
    plx_dict_delete(c->s->keys, src->data, src->len, NULL);
    if (ttl) {
        plx_zset_del(c->s->expires, src->data, src->len);
        o->expire_ms = 0;
        plx_db_set_expire(c->s, dst->data, dst->len, o, ttl);
    }
    plx_notify(c, src);
    plx_notify(c, dst);
    plx_add_ok(c);
}

/* COPY source destination [REPLACE]. One keyspace: DB is a syntax error (STO-22). */
void plx_cmd_copy(plx_ctx *c) {
    const plx_bytes *src = &c->argv[1], *dst = &c->argv[2];
    int replace = 0;
    for (size_t j = 3; j < c->argc; j++) {
        if (plx_arg_is(&c->argv[j], "replace")) {
            replace = 1;
        } else {
            plx_add_syntax_err(c);
            return;
        }
    }
    if (src->len == dst->len && memcmp(src->data, dst->data, src->len) == 0) {
        plx_add_err(c, "ERR source and destination objects are the same");
        return;
    }
    plx_obj *o = plx_db_lookup(c, src);
    if (!o) {
        plx_add_int(c, 0);
        return;
    }
    if (plx_db_lookup(c, dst)) {
        if (!replace) {
            plx_add_int(c, 0);
            return;
        }
    }
    plx_obj *d = plx_obj_dup(c->s, o);
    if (!d || plx_db_set(c, dst, d) != 0) return;
    if (o->expire_ms && plx_db_set_expire(c->s, dst->data, dst->len, d, o->expire_ms) != 0) return;
    plx_notify(c, dst);
    plx_add_int(c, 1);
}

/* ---------------------------------------------------------------- DBSIZE, FLUSHALL */

void plx_cmd_dbsize(plx_ctx *c) {
    plx_add_int(c, (long long)c->s->keys->used);
}

/* FLUSHALL [ASYNC|SYNC]: removes every key, notifying "flushall" for each. */
void plx_cmd_flushall(plx_ctx *c) {
    if (c->argc > 2 ||
        (c->argc == 2 && !plx_arg_is(&c->argv[1], "sync") && !plx_arg_is(&c->argv[1], "async"))) {
        plx_add_syntax_err(c);
        return;
    }
    plx_dict_iter it;
    plx_dict_iter_init(&it, c->s->keys);
    for (plx_dict_entry *e; (e = plx_dict_iter_next(&it));)
        plx_notify_op(c->s, e->key, e->klen, c->cmd->name);
    plx_dict_clear(c->s->keys, plx_obj_free);
    plx_zset_clear(c->s->expires);
    plx_add_ok(c);
}
