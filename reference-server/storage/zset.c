/*
 * zset.c - the sorted set of zset.h: skiplist with spans plus a member dict.
 */
#include "zset.h"

#include <stdlib.h>
#include <string.h>

static plx_zsl_node *node_new(int level, double score, const uint8_t *ele, size_t len) {
    plx_zsl_node *n = calloc(1, sizeof(*n) + (size_t)level * sizeof(struct plx_zsl_level));
    if (!n) return NULL;
    n->height = level;
    n->score = score;
    n->ele = ele;
    n->len = len;
    return n;
}

plx_zset *plx_zset_new(const uint64_t seed[2]) {
    plx_zset *z = calloc(1, sizeof(*z));
    if (!z) return NULL;
    z->dict = plx_dict_new(seed);
    z->header = node_new(PLX_ZSL_MAXLEVEL, 0, NULL, 0);
    if (!z->dict || !z->header) {
        plx_dict_free(z->dict, NULL);
        free(z->header);
        free(z);
        return NULL;
    }
    z->level = 1;
    z->rng = seed[0] ^ 0x5bd1e995u;
    return z;
}

void plx_zset_clear(plx_zset *z) {
    plx_zsl_node *n = z->header->level[0].forward;
    while (n) {
        plx_zsl_node *next = n->level[0].forward;
        free(n);
        n = next;
    }
    for (int i = 0; i < PLX_ZSL_MAXLEVEL; i++) {
        z->header->level[i].forward = NULL;
        z->header->level[i].span = 0;
    }
    z->tail = NULL;
    z->length = 0;
    z->level = 1;
    plx_dict_clear(z->dict, NULL);
}

void plx_zset_free(plx_zset *z) {
    if (!z) return;
    plx_zset_clear(z);
    free(z->header);
    plx_dict_free(z->dict, NULL);
    free(z);
}

/* Orders (score, member): -1, 0, 1. */
static int node_cmp(const plx_zsl_node *n, double score, const uint8_t *ele, size_t len) {
    if (n->score < score) return -1;
    if (n->score > score) return 1;
    size_t m = n->len < len ? n->len : len;
    int c = m ? memcmp(n->ele, ele, m) : 0;
    if (c) return c < 0 ? -1 : 1;
    return n->len < len ? -1 : n->len > len;
}

/* A level with P(level >= k) = 4^-(k-1). */
static int random_level(plx_zset *z) {
    int level = 1;
    uint64_t x = plx_rand_next(&z->rng);
    while (level < PLX_ZSL_MAXLEVEL && (x & 3) == 0) {
        level++;
        x >>= 2;
    }
    return level;
}

/* A node for (score, ele) with a random level, not yet linked. NULL on no memory. */
static plx_zsl_node *zsl_node(plx_zset *z, double score, const uint8_t *ele, size_t len) {
    int level = random_level(z);
    plx_zsl_node *n = node_new(level, score, ele, len);
    return n;
}

/* Links a node made by zsl_node into the skiplist. */
static void zsl_link(plx_zset *z, plx_zsl_node *n) {
    double score = n->score;
    const uint8_t *ele = n->ele;
    size_t len = n->len;
    int level = n->height;
    plx_zsl_node *update[PLX_ZSL_MAXLEVEL];
    size_t rank[PLX_ZSL_MAXLEVEL];
    plx_zsl_node *x = z->header;
    for (int i = z->level - 1; i >= 0; i--) {
        rank[i] = i == z->level - 1 ? 0 : rank[i + 1];
        while (x->level[i].forward && node_cmp(x->level[i].forward, score, ele, len) < 0) {
            rank[i] += x->level[i].span;
            x = x->level[i].forward;
        }
        update[i] = x;
    }
    if (level > z->level) {
        for (int i = z->level; i < level; i++) {
            rank[i] = 0;
            update[i] = z->header;
            update[i]->level[i].span = z->length;
        }
        z->level = level;
    }
    for (int i = 0; i < level; i++) {
        n->level[i].forward = update[i]->level[i].forward;
        update[i]->level[i].forward = n;
        n->level[i].span = update[i]->level[i].span - (rank[0] - rank[i]);
        update[i]->level[i].span = (rank[0] - rank[i]) + 1;
    }
    for (int i = level; i < z->level; i++)
        update[i]->level[i].span++;
    n->backward = update[0] == z->header ? NULL : update[0];
    if (n->level[0].forward)
        n->level[0].forward->backward = n;
    else
        z->tail = n;
    z->length++;
}

/* Unlinks and frees the node for (score, ele), which must be present. */
static void zsl_delete(plx_zset *z, double score, const uint8_t *ele, size_t len) {
    plx_zsl_node *update[PLX_ZSL_MAXLEVEL];
    plx_zsl_node *x = z->header;
    for (int i = z->level - 1; i >= 0; i--) {
        while (x->level[i].forward && node_cmp(x->level[i].forward, score, ele, len) < 0)
            x = x->level[i].forward;
        update[i] = x;
    }
    x = x->level[0].forward;
    for (int i = 0; i < z->level; i++) {
        if (update[i]->level[i].forward == x) {
            update[i]->level[i].span += x->level[i].span - 1;
            update[i]->level[i].forward = x->level[i].forward;
        } else {
            update[i]->level[i].span--;
        }
    }
    if (x->level[0].forward)
        x->level[0].forward->backward = x->backward;
    else
        z->tail = x->backward;
    while (z->level > 1 && !z->header->level[z->level - 1].forward)
        z->level--;
    z->length--;
    free(x);
}

int plx_zset_put(plx_zset *z, const uint8_t *m, size_t len, double score, int *added) {
    /* -0 is stored as 0, so it is written "0" as Redis 7.0 writes it for small sets. */
    if (score == 0) score = 0;
    plx_dict_entry *e = plx_dict_find(z->dict, m, len);
    *added = 0;
    if (e) {
        if (e->score == score) return 0;
        plx_zsl_node *n = zsl_node(z, score, e->key, e->klen);
        if (!n) return -1;
        zsl_delete(z, e->score, e->key, e->klen);
        zsl_link(z, n);
        e->val = n;
        e->score = score;
        return 0;
    }
    e = plx_dict_add(z->dict, m, len, NULL, NULL);
    if (!e) return -1;
    plx_zsl_node *n = zsl_node(z, score, e->key, e->klen);
    if (!n) {
        plx_dict_delete(z->dict, m, len, NULL);
        return -1;
    }
    zsl_link(z, n);
    e->val = n;
    e->score = score;
    *added = 1;
    return 0;
}

int plx_zset_del(plx_zset *z, const uint8_t *m, size_t len) {
    plx_dict_entry *e = plx_dict_find(z->dict, m, len);
    if (!e) return 0;
    zsl_delete(z, e->score, e->key, e->klen);
    plx_dict_delete(z->dict, m, len, NULL);
    return 1;
}

int plx_zset_score(const plx_zset *z, const uint8_t *m, size_t len, double *score) {
    plx_dict_entry *e = plx_dict_find(z->dict, m, len);
    if (!e) return 0;
    *score = e->score;
    return 1;
}

size_t plx_zset_rank(const plx_zset *z, const uint8_t *m, size_t len, double score) {
    size_t rank = 0;
    plx_zsl_node *x = z->header;
    for (int i = z->level - 1; i >= 0; i--) {
        while (x->level[i].forward && node_cmp(x->level[i].forward, score, m, len) <= 0) {
            rank += x->level[i].span;
            x = x->level[i].forward;
        }
        if (x != z->header && node_cmp(x, score, m, len) == 0) return rank - 1;
    }
    return rank - 1; /* not reached for a present member */
}

plx_zsl_node *plx_zset_by_rank(const plx_zset *z, size_t rank) {
    size_t want = rank + 1, traversed = 0;
    plx_zsl_node *x = z->header;
    for (int i = z->level - 1; i >= 0; i--) {
        while (x->level[i].forward && traversed + x->level[i].span <= want) {
            traversed += x->level[i].span;
            x = x->level[i].forward;
        }
        if (traversed == want) return x;
    }
    return NULL;
}

int plx_zrange_gte_min(double score, const plx_zrange *r) {
    return r->minex ? score > r->min : score >= r->min;
}

int plx_zrange_lte_max(double score, const plx_zrange *r) {
    return r->maxex ? score < r->max : score <= r->max;
}

static int range_empty(const plx_zrange *r) {
    return r->min > r->max || (r->min == r->max && (r->minex || r->maxex));
}

plx_zsl_node *plx_zset_first_in(const plx_zset *z, const plx_zrange *r) {
    if (range_empty(r)) return NULL;
    plx_zsl_node *x = z->header;
    for (int i = z->level - 1; i >= 0; i--)
        while (x->level[i].forward && !plx_zrange_gte_min(x->level[i].forward->score, r))
            x = x->level[i].forward;
    x = x->level[0].forward;
    if (!x || !plx_zrange_lte_max(x->score, r)) return NULL;
    return x;
}

plx_zsl_node *plx_zset_last_in(const plx_zset *z, const plx_zrange *r) {
    if (range_empty(r)) return NULL;
    plx_zsl_node *x = z->header;
    for (int i = z->level - 1; i >= 0; i--)
        while (x->level[i].forward && plx_zrange_lte_max(x->level[i].forward->score, r))
            x = x->level[i].forward;
    if (x == z->header || !plx_zrange_gte_min(x->score, r)) return NULL;
    return x;
}
