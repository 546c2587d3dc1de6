/*
 * zset.h - the sorted set value: a dict (member -> node, score cached in the entry) plus a
 * skiplist with spans ordered by (score, member bytes), so ZADD/ZREM/ZRANK/ZRANGE by index
 * or by score are O(log n). Members are stored once, in the dict entry; nodes point at them.
 */
#ifndef PLX_ZSET_H
#define PLX_ZSET_H

#include <stddef.h>
#include <stdint.h>

#include "dict.h"

#define PLX_ZSL_MAXLEVEL 32

typedef struct plx_zsl_node {
    const uint8_t *ele; /* the dict entry's key bytes */
    size_t len;
    double score;
    int height; /* levels of this node */
    struct plx_zsl_node *backward;
    struct plx_zsl_level {
        struct plx_zsl_node *forward;
        size_t span; /* nodes skipped by forward, counting forward itself */
    } level[];
} plx_zsl_node;

typedef struct plx_zset {
    plx_dict *dict; /* member -> plx_zsl_node*, entry->score = score */
    plx_zsl_node *header, *tail;
    size_t length;
    int level;
    uint64_t rng;
} plx_zset;

/* A score range: [min, max] with either end exclusive. */
typedef struct plx_zrange {
    double min, max;
    int minex, maxex;
} plx_zrange;

plx_zset *plx_zset_new(const uint64_t seed[2]);
void plx_zset_free(plx_zset *z);
/* Removes every member. */
void plx_zset_clear(plx_zset *z);
/* Adds member with score, or moves it to score if present. *added = 1 when new.
 * 0 or -1 on no memory (the set is unchanged then). */
int plx_zset_put(plx_zset *z, const uint8_t *m, size_t len, double score, int *added);
/* Removes member; 1 if it was present. */
int plx_zset_del(plx_zset *z, const uint8_t *m, size_t len);
/* The member's score into *score; 1 if present, else 0. */
int plx_zset_score(const plx_zset *z, const uint8_t *m, size_t len, double *score);
/* 0-based rank of a present member in ascending order. */
size_t plx_zset_rank(const plx_zset *z, const uint8_t *m, size_t len, double score);
/* The node at 0-based rank (rank < length). */
plx_zsl_node *plx_zset_by_rank(const plx_zset *z, size_t rank);
/* The first (lowest) / last (highest) node inside the range, NULL if none. */
plx_zsl_node *plx_zset_first_in(const plx_zset *z, const plx_zrange *r);
plx_zsl_node *plx_zset_last_in(const plx_zset *z, const plx_zrange *r);
/* 1 if score is above the range's lower end / below its upper end. */
int plx_zrange_gte_min(double score, const plx_zrange *r);
int plx_zrange_lte_max(double score, const plx_zrange *r);

#endif
