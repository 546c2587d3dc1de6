/*
 * cmd_list.c - list commands: LPUSH RPUSH LPOP RPOP LLEN LINDEX LSET LRANGE
 * LREM LINSERT LTRIM (Redis 7.0 semantics, replies and errors).
 */
#include <limits.h>
#include <string.h>

#include "internal.h"

static int str_eq(const plx_str *s, const plx_bytes *b) {
    return s->len == b->len && (b->len == 0 || memcmp(s->data, b->data, b->len) == 0);
}

/* The list at argv[1], or NULL after replying: WRONGTYPE for another type, `missing` (owned)
 * when the key is absent (Redis's lookupKey...OrReply). */
static plx_store_list *list_or_reply(plx_ctx *c, plx_store_reply *missing) {
    int wrong;
    plx_obj *o = plx_db_lookup_type(c, &c->argv[1], PLX_T_LIST, &wrong);
    if (o) {
        plx_store_reply_free(missing);
        return o->u.list;
    }
    if (wrong)
        plx_store_reply_free(missing);
    else
        plx_add_reply(c, missing);
    return NULL;
}

/* Deletes the key when its list became empty, and notifies the change. */
static void list_changed(plx_ctx *c) {
    plx_obj *o = plx_dict_find(c->s->keys, c->argv[1].data, c->argv[1].len)->val;
    plx_db_delete_if_empty(c, &c->argv[1], o);
    plx_notify(c, &c->argv[1]);
}

/* Normalizes a Redis index (negative counts from the end); -1 when out of range. */
static long long list_index(long long idx, size_t len) {
    if (idx < 0) idx += (long long)len;
    return idx < 0 || idx >= (long long)len ? -1 : idx;
}

static void push_generic(plx_ctx *c, int tail) {
    const plx_bytes *key = &c->argv[1];
    int wrong;
    plx_obj *o = plx_db_lookup_type(c, key, PLX_T_LIST, &wrong);
    if (wrong) return;
    if (!o) {
        o = plx_obj_new(c->s, PLX_T_LIST);
        if (!o || plx_db_add(c, key, o) != 0) return;
    }
    plx_store_list *l = o->u.list;
    for (size_t i = 2; i < c->argc; i++) {
        plx_str *item = plx_str_new(c->argv[i].data, c->argv[i].len);
        if (!item || plx_store_list_insert(l, tail ? l->len : 0, item) != 0) {
            plx_str_free(item);
            plx_db_delete_if_empty(c, key, o);
            return;
        }
    }
    plx_notify(c, key);
    plx_add_int(c, (long long)l->len);
}

void plx_cmd_lpush(plx_ctx *c) {
    push_generic(c, 0);
}

void plx_cmd_rpush(plx_ctx *c) {
    push_generic(c, 1);
}

static void pop_generic(plx_ctx *c, int tail) {
    const plx_bytes *key = &c->argv[1];
    long long count = 0;
    int has_count = c->argc == 3;
    if (c->argc > 3) {
        plx_add_arity_err(c);
        return;
    }
    if (has_count && !plx_arg_count(c, 2, &count)) return;
    int wrong;
    plx_obj *o = plx_db_lookup_type(c, key, PLX_T_LIST, &wrong);
    if (wrong) return;
    if (!o) {
        plx_add_nil(c);
        return;
    }
    plx_store_list *l = o->u.list;
    if (!has_count) {
        plx_str *item = plx_store_list_remove(l, tail ? l->len - 1 : 0);
        plx_add_bulk(c, item->data, item->len);
        plx_str_free(item);
    } else {
        if (count == 0) {
            plx_add_reply(c, plx_store_reply_array(0));
            return;
        }
        size_t n = (unsigned long long)count < l->len ? (size_t)count : l->len;
        plx_store_reply *a = plx_store_reply_array(n);
        for (size_t i = 0; i < n; i++) {
            plx_str *item = plx_store_list_remove(l, tail ? l->len - 1 : 0);
            plx_store_reply_push(a, plx_store_reply_bulk(item->data, item->len));
            plx_str_free(item);
        }
        plx_add_reply(c, a);
    }
    plx_db_delete_if_empty(c, key, o);
    plx_notify(c, key);
}

void plx_cmd_lpop(plx_ctx *c) {
    pop_generic(c, 0);
}

void plx_cmd_rpop(plx_ctx *c) {
    pop_generic(c, 1);
}

void plx_cmd_llen(plx_ctx *c) {
    plx_store_list *l = list_or_reply(c, plx_store_reply_int(0));
    if (l) plx_add_int(c, (long long)l->len);
}

void plx_cmd_lindex(plx_ctx *c) {
    plx_store_list *l = list_or_reply(c, plx_store_reply_nil());
    long long idx;
    if (!l || !plx_arg_ll(c, 2, &idx)) return;
    idx = list_index(idx, l->len);
    if (idx < 0) {
        plx_add_nil(c);
        return;
    }
    plx_str *item = plx_store_list_get(l, (size_t)idx);
    plx_add_bulk(c, item->data, item->len);
}

void plx_cmd_lset(plx_ctx *c) {
    plx_store_list *l =
        list_or_reply(c, plx_store_reply_error(PLX_E_COMMAND_ERROR, "ERR no such key"));
    long long idx;
    if (!l || !plx_arg_ll(c, 2, &idx)) return;
    idx = list_index(idx, l->len);
    if (idx < 0) {
        plx_add_err(c, "ERR index out of range");
        return;
    }
    plx_str *item = plx_str_new(c->argv[3].data, c->argv[3].len);
    if (!item) return;
    plx_store_list_set(l, (size_t)idx, item);
    plx_notify(c, &c->argv[1]);
    plx_add_ok(c);
}

/* Clamps [start, end] as LRANGE and LTRIM do; returns 0 when the range is empty. */
static int clamp_range(long long *start, long long *end, size_t len) {
    long long n = (long long)len;
    if (*start < 0) *start += n;
    if (*end < 0) *end += n;
    if (*start < 0) *start = 0;
    if (*start > *end || *start >= n) return 0;
    if (*end >= n) *end = n - 1;
    return 1;
}

void plx_cmd_lrange(plx_ctx *c) {
    long long start, end;
    if (!plx_arg_ll(c, 2, &start) || !plx_arg_ll(c, 3, &end)) return;
    plx_store_list *l = list_or_reply(c, plx_store_reply_array(0));
    if (!l) return;
    if (!clamp_range(&start, &end, l->len)) {
        plx_add_reply(c, plx_store_reply_array(0));
        return;
    }
    plx_store_reply *a = plx_store_reply_array((size_t)(end - start + 1));
    for (long long i = start; i <= end; i++) {
        plx_str *item = plx_store_list_get(l, (size_t)i);
        plx_store_reply_push(a, plx_store_reply_bulk(item->data, item->len));
    }
    plx_add_reply(c, a);
}

void plx_cmd_ltrim(plx_ctx *c) {
    long long start, end;
    if (!plx_arg_ll(c, 2, &start) || !plx_arg_ll(c, 3, &end)) return;
    plx_store_list *l = list_or_reply(c, plx_store_reply_status("OK"));
    if (!l) return;
    size_t len = l->len, ltrim, rtrim;
    if (!clamp_range(&start, &end, len)) {
        ltrim = 0;
        rtrim = len;
    } else {
        ltrim = (size_t)start;
        rtrim = len - (size_t)end - 1;
    }
    for (size_t i = 0; i < rtrim; i++)
        plx_str_free(plx_store_list_remove(l, l->len - 1));
    for (size_t i = 0; i < ltrim; i++)
        plx_str_free(plx_store_list_remove(l, 0));
    if (ltrim + rtrim) list_changed(c);
    plx_add_ok(c);
}

void plx_cmd_lrem(plx_ctx *c) {
    long long count;
    if (!plx_arg_ll(c, 2, &count)) return;
    plx_store_list *l = list_or_reply(c, plx_store_reply_int(0));
    if (!l) return;
    size_t removed = plx_store_list_rem(l, c->argv[3].data, c->argv[3].len, count);
    if (removed) list_changed(c);
    plx_add_int(c, (long long)removed);
}

void plx_cmd_linsert(plx_ctx *c) {
    int after;
    if (plx_arg_is(&c->argv[2], "after"))
        after = 1;
    else if (plx_arg_is(&c->argv[2], "before"))
        after = 0;
    else {
        plx_add_syntax_err(c);
        return;
    }
    plx_store_list *l = list_or_reply(c, plx_store_reply_int(0));
    if (!l) return;
    for (size_t i = 0; i < l->len; i++) {
        if (!str_eq(plx_store_list_get(l, i), &c->argv[3])) continue;
        plx_str *item = plx_str_new(c->argv[4].data, c->argv[4].len);
        if (!item || plx_store_list_insert(l, after ? i + 1 : i, item) != 0) {
            plx_str_free(item);
            return;
        }
        plx_notify(c, &c->argv[1]);
        plx_add_int(c, (long long)l->len);
        return;
    }
    plx_add_int(c, -1);
}
