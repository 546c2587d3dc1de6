/*
 * cmd_string.c - string commands: SET GET INCR DECR INCRBY DECRBY MGET MSET APPEND STRLEN
 * (Redis 7.0 semantics, replies and errors; SET takes NX XX EX PX KEEPTTL only, STO-21).
 */
#include <limits.h>
#include <string.h>

#include "internal.h"

/* Stores a string value at key. keepttl keeps an existing TTL, otherwise it is removed.
 * 0, or -1 on no memory. */
static int set_string(plx_ctx *c, const plx_bytes *key, const uint8_t *data, size_t len,
                      int keepttl) {
    plx_dict_entry *e = plx_dict_find(c->s->keys, key->data, key->len);
    if (!e) {
        plx_obj *o = plx_obj_string(data, len);
        return o ? plx_db_add(c, key, o) : -1;
    }
    plx_obj *old = e->val;
    if (old->type == PLX_T_STRING) {
        if (plx_str_set(&old->u.str, data, len) != 0) return -1;
    } else {
        plx_obj *o = plx_obj_string(data, len);
        if (!o) return -1;
        o->expire_ms = old->expire_ms;
        e->val = o;
        plx_obj_free(old);
        old = o;
    }
    if (!keepttl) plx_db_set_expire(c->s, key->data, key->len, old, 0);
    return 0;
}

void plx_cmd_get(plx_ctx *c) {
    int wrong;
    plx_obj *o = plx_db_lookup_type(c, &c->argv[1], PLX_T_STRING, &wrong);
    if (wrong) return;
    if (!o)
        plx_add_nil(c);
    else
        plx_add_bulk(c, o->u.str.data, o->u.str.len);
}

/* ---------------------------------------------------------------- SET */

enum { SET_NX = 1, SET_XX = 2, SET_KEEPTTL = 4, SET_EX = 8, SET_PX = 16 };

/* Parses SET's options from argv[3] as Redis's parseExtendedStringArgumentsOrReply does for
 * the Plexus subset (GET, EXAT, PXAT are syntax errors, STO-4); -1 after the error reply. */
static int parse_set_options(plx_ctx *c, int *flags, size_t *expire_arg) {
    for (size_t j = 3; j < c->argc; j++) {
        const plx_bytes *a = &c->argv[j];
        int has_next = j + 1 < c->argc;
        if (plx_arg_is(a, "nx") && !(*flags & SET_XX)) {
            *flags |= SET_NX;
        } else if (plx_arg_is(a, "xx") && !(*flags & SET_NX)) {
            *flags |= SET_XX;
        } else if (plx_arg_is(a, "keepttl") && !(*flags & (SET_EX | SET_PX))) {
            *flags |= SET_KEEPTTL;
        } else if (plx_arg_is(a, "ex") && !(*flags & (SET_KEEPTTL | SET_PX)) && has_next) {
            *flags |= SET_EX;
            *expire_arg = ++j;
        } else if (plx_arg_is(a, "px") && !(*flags & (SET_KEEPTTL | SET_EX)) && has_next) {
            *flags |= SET_PX;
            *expire_arg = ++j;
        } else {
            plx_add_syntax_err(c);
            return -1;
        }
    }
    return 0;
}

/* Converts SET's EX/PX argument to an absolute time in ms, as Redis's
 * getExpireMillisecondsOrReply; -1 after an error reply. */
static int expire_at(plx_ctx *c, size_t arg, int seconds, uint64_t *at) {
    long long ms;
    if (!plx_arg_ll(c, arg, &ms)) return -1;
    if (ms <= 0 || (seconds && ms > LLONG_MAX / 1000)) goto bad;
    if (seconds) ms *= 1000;
    if (ms > LLONG_MAX - (long long)c->now) goto bad;
    *at = (uint64_t)(ms + (long long)c->now);
    return 0;
bad:
    plx_add_reply(c,
                  plx_store_reply_errorf(PLX_E_COMMAND_ERROR,
                                         "ERR invalid expire time in '%s' command", c->cmd->name));
    return -1;
}

void plx_cmd_set(plx_ctx *c) {
    const plx_bytes *key = &c->argv[1], *val = &c->argv[2];
    int flags = 0;
    size_t expire_arg = 0;
    uint64_t at = 0;
    if (parse_set_options(c, &flags, &expire_arg) != 0) return;
    if (expire_arg && expire_at(c, expire_arg, flags & SET_EX, &at) != 0) return;
    int found = plx_db_lookup(c, key) != NULL;
    if (((flags & SET_NX) && found) || ((flags & SET_XX) && !found)) {
        plx_add_nil(c);
        return;
    }
    if (set_string(c, key, val->data, val->len, flags & SET_KEEPTTL) != 0) return;
    if (at) {
        plx_obj *o = plx_dict_find(c->s->keys, key->data, key->len)->val;
        if (plx_db_set_expire(c->s, key->data, key->len, o, at) != 0) return;
    }
    plx_notify(c, key);
    plx_add_ok(c);
}

/* ---------------------------------------------------------------- counters */

static void incr_generic(plx_ctx *c, long long incr) {
    const plx_bytes *key = &c->argv[1];
    int wrong;
    plx_obj *o = plx_db_lookup_type(c, key, PLX_T_STRING, &wrong);
    if (wrong) return;
    long long v = 0;
    if (o && !plx_str2ll(o->u.str.data, o->u.str.len, &v)) {
        plx_add_err(c, plx_err_not_int);
        return;
    }
    char buf[32];
    size_t n;
    if (!plx_incr_text(c, &v, incr, buf, &n)) return;
    if (set_string(c, key, (const uint8_t *)buf, n, 1) != 0) {
        plx_add_reply(c, NULL);
        return;
    }
    plx_notify(c, key);
    plx_add_int(c, v);
}

void plx_cmd_incr(plx_ctx *c) {
    incr_generic(c, 1);
}

void plx_cmd_decr(plx_ctx *c) {
    incr_generic(c, -1);
}

void plx_cmd_incrby(plx_ctx *c) {
    long long incr;
    if (plx_arg_ll(c, 2, &incr)) incr_generic(c, incr);
}

void plx_cmd_decrby(plx_ctx *c) {
    long long incr;
    if (!plx_arg_ll(c, 2, &incr)) return;
    if (incr == LLONG_MIN) {
        plx_add_err(c, "ERR decrement would overflow");
        return;
    }
    incr_generic(c, -incr);
}

/* ---------------------------------------------------------------- multi-key */

void plx_cmd_mget(plx_ctx *c) {
    plx_store_reply *a = plx_store_reply_array(c->argc - 1);
    for (size_t i = 1; i < c->argc; i++) {
        plx_obj *o = plx_db_lookup(c, &c->argv[i]);
        if (o && o->type == PLX_T_STRING)
            plx_store_reply_push(a, plx_store_reply_bulk(o->u.str.data, o->u.str.len));
        else
            plx_store_reply_push(a, plx_store_reply_nil());
    }
    plx_add_reply(c, a);
}

void plx_cmd_mset(plx_ctx *c) {
    if (c->argc % 2 == 0) {
        plx_add_arity_err(c);
        return;
    }
    for (size_t i = 1; i < c->argc; i += 2) {
        if (set_string(c, &c->argv[i], c->argv[i + 1].data, c->argv[i + 1].len, 0) != 0) {
            plx_add_reply(c, NULL);
            return;
        }
        plx_notify(c, &c->argv[i]);
    }
    plx_add_ok(c);
}

/* ---------------------------------------------------------------- APPEND, STRLEN */

void plx_cmd_append(plx_ctx *c) {
    const plx_bytes *key = &c->argv[1], *val = &c->argv[2];
    int wrong;
    plx_obj *o = plx_db_lookup_type(c, key, PLX_T_STRING, &wrong);
    if (wrong) return;
    if (!o) {
        if (set_string(c, key, val->data, val->len, 0) != 0) return;
        plx_notify(c, key);
        plx_add_int(c, (long long)val->len);
        return;
    }
    if (o->u.str.len + val->len > c->s->max_value) {
        plx_add_err(c, plx_err_too_big);
        return;
    }
    if (plx_str_append(&o->u.str, val->data, val->len) != 0) return;
    plx_notify(c, key);
    plx_add_int(c, (long long)o->u.str.len);
}

void plx_cmd_strlen(plx_ctx *c) {
    int wrong;
    plx_obj *o = plx_db_lookup_type(c, &c->argv[1], PLX_T_STRING, &wrong);
    if (!wrong) plx_add_int(c, o ? (long long)o->u.str.len : 0);
}
