/*
 * cmd_zset.c - sorted set commands: ZADD ZINCRBY ZREM ZCARD ZSCORE ZRANGE (WITHSCORES only,
 * STO-26) ZRANGEBYSCORE ZREVRANGEBYSCORE ZCOUNT ZRANK (Redis 7.0 semantics, replies, errors).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char err_minmax[] = "ERR min or max is not a float";

static plx_zset *zset_read(plx_ctx *c, int *wrong) {
    plx_obj *o = plx_db_lookup_type(c, &c->argv[1], PLX_T_ZSET, wrong);
    return o ? o->u.zset : NULL;
}

/* ---------------------------------------------------------------- ZADD, ZINCRBY */

enum { Z_NX = 1, Z_XX = 2, Z_GT = 4, Z_LT = 8, Z_CH = 16, Z_INCR = 32 };

/* zsetAdd's outcome for one pair. */
enum { Z_NOP, Z_ADDED, Z_UPDATED, Z_SAME, Z_NAN, Z_NOMEM };

static int zadd_one(plx_zset *z, int flags, double score, const plx_bytes *m, double *newscore) {
    double cur;
    int added;
    if (plx_zset_score(z, m->data, m->len, &cur)) {
        if (flags & Z_NX) return Z_NOP;
        if (flags & Z_INCR) {
            score += cur;
            if (isnan(score)) return Z_NAN;
        }
        if (((flags & Z_LT) && score >= cur) || ((flags & Z_GT) && score <= cur)) return Z_NOP;
        *newscore = score;
        if (score == cur) return Z_SAME;
        return plx_zset_put(z, m->data, m->len, score, &added) == 0 ? Z_UPDATED : Z_NOMEM;
    }
    if (flags & Z_XX) return Z_NOP;
    *newscore = score;
    return plx_zset_put(z, m->data, m->len, score, &added) == 0 ? Z_ADDED : Z_NOMEM;
}

static void zadd_generic(plx_ctx *c, int flags) {
    const plx_bytes *key = &c->argv[1];
    size_t idx = 2;
    static const struct {
        const char *name;
        int flag;
    } opts[] = {{"nx", Z_NX},     {"xx", Z_XX}, {"ch", Z_CH},
                {"incr", Z_INCR}, {"gt", Z_GT}, {"lt", Z_LT}};
    for (; idx < c->argc; idx++) {
        size_t k;
        for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
            if (plx_arg_is(&c->argv[idx], opts[k].name)) break;
        if (k == sizeof(opts) / sizeof(opts[0])) break;
        flags |= opts[k].flag;
    }
    size_t elements = c->argc - idx;
    if (elements % 2 || !elements) {
        plx_add_syntax_err(c);
        return;
    }
    elements /= 2;
    if ((flags & Z_XX) && (flags & Z_NX)) {
        plx_add_err(c, "ERR XX and NX options at the same time are not compatible");
        return;
    }
    if (((flags & Z_GT) && (flags & Z_NX)) || ((flags & Z_LT) && (flags & Z_NX)) ||
        ((flags & Z_GT) && (flags & Z_LT))) {
        plx_add_err(c, "ERR GT, LT, and/or NX options at the same time are not compatible");
        return;
    }
    if ((flags & Z_INCR) && elements > 1) {
        plx_add_err(c, "ERR INCR option supports a single increment-element pair");
        return;
    }
    double *scores = malloc(elements * sizeof(double));
    if (!scores) return;
    for (size_t j = 0; j < elements; j++) {
        const plx_bytes *a = &c->argv[idx + j * 2];
        if (!plx_str2d(a->data, a->len, &scores[j])) {
            plx_add_err(c, plx_err_not_float);
            free(scores);
            return;
        }
    }
    int wrong;
    plx_obj *o = plx_db_lookup_type(c, key, PLX_T_ZSET, &wrong);
    long long added = 0, updated = 0, processed = 0;
    double score = 0;
    if (wrong) goto cleanup;
    if (!o) {
        if (flags & Z_XX) goto reply;
        o = plx_obj_new(c->s, PLX_T_ZSET);
        if (!o || plx_db_add(c, key, o) != 0) goto cleanup;
    }
    for (size_t j = 0; j < elements; j++) {
        double newscore = 0;
        int r = zadd_one(o->u.zset, flags, scores[j], &c->argv[idx + 1 + j * 2], &newscore);
        if (r == Z_NAN) {
            plx_add_err(c, "ERR resulting score is not a number (NaN)");
            goto cleanup;
        }
        if (r == Z_NOMEM) {
            plx_add_reply(c, NULL);
            goto cleanup;
        }
        added += r == Z_ADDED;
        updated += r == Z_UPDATED;
        processed += r != Z_NOP;
        score = newscore;
    }
reply:
    if (flags & Z_INCR)
        plx_add_reply(c, processed ? plx_store_reply_double(score) : plx_store_reply_nil());
    else
        plx_add_int(c, (flags & Z_CH) ? added + updated : added);
cleanup:
    free(scores);
    if (o && plx_db_delete_if_empty(c, key, o)) o = NULL;
    if (added || updated) plx_notify(c, key);
}

void plx_cmd_zadd(plx_ctx *c) {
    zadd_generic(c, 0);
}

void plx_cmd_zincrby(plx_ctx *c) {
    zadd_generic(c, Z_INCR);
}

/* ---------------------------------------------------------------- simple reads, ZREM */

void plx_cmd_zrem(plx_ctx *c) {
    int wrong;
    plx_obj *o = plx_db_lookup_type(c, &c->argv[1], PLX_T_ZSET, &wrong);
    if (wrong) return;
    long long n = 0;
    for (size_t i = 2; o && i < c->argc; i++)
        n += plx_zset_del(o->u.zset, c->argv[i].data, c->argv[i].len);
    if (n) {
        plx_db_delete_if_empty(c, &c->argv[1], o);
        plx_notify(c, &c->argv[1]);
    }
    plx_add_int(c, n);
}

void plx_cmd_zcard(plx_ctx *c) {
    int wrong;
    plx_zset *z = zset_read(c, &wrong);
    if (!wrong) plx_add_int(c, z ? (long long)z->length : 0);
}

void plx_cmd_zscore(plx_ctx *c) {
    int wrong;
    plx_zset *z = zset_read(c, &wrong);
    if (wrong) return;
    double score;
    if (z && plx_zset_score(z, c->argv[2].data, c->argv[2].len, &score))
        plx_add_reply(c, plx_store_reply_double(score));
    else
        plx_add_nil(c);
}

void plx_cmd_zrank(plx_ctx *c) {
    int wrong;
    plx_zset *z = zset_read(c, &wrong);
    if (wrong) return;
    double score;
    const plx_bytes *m = &c->argv[2];
    if (!z || !plx_zset_score(z, m->data, m->len, &score)) {
        plx_add_nil(c);
        return;
    }
    plx_add_int(c, (long long)plx_zset_rank(z, m->data, m->len, score));
}

/* ---------------------------------------------------------------- ranges */

/* Parses one end of a score range as Redis's zslParseRange: "(" for exclusive, then strtod
 * over the rest up to the first NUL (leading spaces allowed, "" is 0, NaN refused). */
static int parse_bound(const plx_bytes *a, double *v, int *ex) {
    char small[128];
    char *buf = a->len < sizeof(small) ? small : malloc(a->len + 1);
    if (!buf) return 0;
    memcpy(buf, a->data, a->len);
    buf[a->len] = 0;
    char *p = buf, *end;
    *ex = p[0] == '(';
    if (*ex) p++;
    *v = strtod(p, &end);
    int ok = end[0] == 0 && !isnan(*v);
    if (buf != small) free(buf);
    return ok;
}

static int parse_range(const plx_bytes *min, const plx_bytes *max, plx_zrange *r) {
    return parse_bound(min, &r->min, &r->minex) && parse_bound(max, &r->max, &r->maxex);
}

/* The collected range reply: members, with scores when wanted. */
typedef struct range_out {
    plx_store_reply *a;
    size_t cap;
    int withscores, nomem;
} range_out;

static void out_add(range_out *o, const plx_zsl_node *n) {
    size_t need = o->withscores ? 2 : 1;
    if (o->nomem) return;
    if (o->a->nelem + need > o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        plx_store_reply **e = realloc(o->a->elem, cap * sizeof(*e));
        if (!e) {
            o->nomem = 1;
            return;
        }
        o->a->elem = e;
        o->cap = cap;
    }
    if (plx_store_reply_push(o->a, plx_store_reply_bulk(n->ele, n->len)) != 0 ||
        (o->withscores && plx_store_reply_push(o->a, plx_store_reply_double(n->score)) != 0))
        o->nomem = 1;
}

static plx_zsl_node *step(const plx_zsl_node *n, int rev) {
    return rev ? n->backward : n->level[0].forward;
}

static void range_by_rank(range_out *o, plx_zset *z, long long start, long long end) {
    long long len = (long long)z->length;
    if (start < 0) start += len;
    if (end < 0) end += len;
    if (start < 0) start = 0;
    if (start > end || start >= len) return;
    if (end >= len) end = len - 1;
    long long n = end - start + 1;
    plx_zsl_node *x = plx_zset_by_rank(z, (size_t)start);
    for (; x && n-- > 0; x = x->level[0].forward)
        out_add(o, x);
}

static void range_by_score(range_out *o, plx_zset *z, const plx_zrange *r, long long offset,
                           long long limit, int rev) {
    if (offset > 0 && offset >= (long long)z->length) return;
    if (offset < 0) return; /* Redis skips to the end: nothing */
    plx_zsl_node *x = rev ? plx_zset_last_in(z, r) : plx_zset_first_in(z, r);
    while (x && offset-- > 0)
        x = step(x, rev);
    for (; x && limit != 0; x = step(x, rev), limit--) {
        if (rev ? !plx_zrange_gte_min(x->score, r) : !plx_zrange_lte_max(x->score, r)) break;
        out_add(o, x);
    }
}

/* Redis's zrangeGenericCommand for ZRANGE (by rank), ZRANGEBYSCORE and ZREVRANGEBYSCORE:
 * options first (ZRANGE takes only WITHSCORES; the BYSCORE forms WITHSCORES and LIMIT), then
 * the range, then the key. */
static void zrange_generic(plx_ctx *c, int byscore, int rev) {
    int withscores = 0;
    long long offset = 0, limit = -1;
    for (size_t j = 4; j < c->argc; j++) {
        const plx_bytes *a = &c->argv[j];
        if (plx_arg_is(a, "withscores")) {
            withscores = 1;
        } else if (byscore && plx_arg_is(a, "limit") && c->argc - j - 1 >= 2) {
            if (!plx_arg_ll(c, j + 1, &offset) || !plx_arg_ll(c, j + 2, &limit)) return;
            j += 2;
        } else {
            plx_add_syntax_err(c);
            return;
        }
    }
    long long start = 0, end = 0;
    plx_zrange r;
    if (!byscore) {
        if (!plx_arg_ll(c, 2, &start) || !plx_arg_ll(c, 3, &end)) return;
    } else if (!parse_range(&c->argv[rev ? 3 : 2], &c->argv[rev ? 2 : 3], &r)) {
        plx_add_err(c, err_minmax);
        return;
    }
    int wrong;
    plx_zset *z = zset_read(c, &wrong);
    if (wrong) return;
    range_out o = {.a = plx_store_reply_array(0), .withscores = withscores};
    if (!o.a) return;
    if (z) {
        if (!byscore)
            range_by_rank(&o, z, start, end);
        else
            range_by_score(&o, z, &r, offset, limit, rev);
    }
    if (o.nomem) {
        plx_store_reply_free(o.a);
        return;
    }
    plx_add_reply(c, o.a);
}

void plx_cmd_zrange(plx_ctx *c) {
    zrange_generic(c, 0, 0);
}

void plx_cmd_zrangebyscore(plx_ctx *c) {
    zrange_generic(c, 1, 0);
}

void plx_cmd_zrevrangebyscore(plx_ctx *c) {
    zrange_generic(c, 1, 1);
}

void plx_cmd_zcount(plx_ctx *c) {
    plx_zrange r;
    if (!parse_range(&c->argv[2], &c->argv[3], &r)) {
        plx_add_err(c, err_minmax);
        return;
    }
    int wrong;
    plx_zset *z = zset_read(c, &wrong);
    if (wrong) return;
    long long n = 0;
    plx_zsl_node *first = z ? plx_zset_first_in(z, &r) : NULL;
    if (first) {
        plx_zsl_node *last = plx_zset_last_in(z, &r);
        size_t a = plx_zset_rank(z, first->ele, first->len, first->score);
        size_t b = plx_zset_rank(z, last->ele, last->len, last->score);
        n = (long long)(b - a + 1);
    }
    plx_add_int(c, n);
}
