/*
 * dict.h - a binary-safe hash table: byte-string keys, one pointer and one double per entry.
 *
 * Separate chaining over a power-of-two bucket array. The table doubles when it holds as many
 * entries as buckets and halves when it falls below 1/8 full (never under 4 buckets); a resize
 * rehashes every entry at once (simple rehash: O(n) on the call that crosses the threshold).
 * Keys are copied into the entry; values are the caller's (the dict never frees them).
 * Hashing is SipHash-1-3 keyed by a per-dict 128-bit seed, so colliding keys cannot be
 * precomputed by a client without the seed.
 */
#ifndef PLX_DICT_H
#define PLX_DICT_H

#include <stddef.h>
#include <stdint.h>

typedef struct plx_dict_entry {
    struct plx_dict_entry *next;
    uint64_t hash;
    void *val;    /* caller's value */
    double score; /* caller's number (the sorted set's score cache, unused elsewhere) */
    size_t klen;
    uint8_t key[]; /* klen bytes, then a NUL not counted in klen */
} plx_dict_entry;

typedef struct plx_dict {
    plx_dict_entry **table;
    size_t size; /* buckets, a power of two, 0 before the first insert */
    size_t used; /* entries */
    uint64_t seed[2];
} plx_dict;

/* Makes an empty dict hashing with seed (two 64-bit words). NULL on no memory. */
plx_dict *plx_dict_new(const uint64_t seed[2]);
/* Frees the dict and its entries; free_val (may be NULL) is called on every value first. */
void plx_dict_free(plx_dict *d, void (*free_val)(void *val));
/* Removes every entry (calling free_val on each value when not NULL) and shrinks to empty. */
void plx_dict_clear(plx_dict *d, void (*free_val)(void *val));

/* The entry with this key, or NULL. */
plx_dict_entry *plx_dict_find(const plx_dict *d, const uint8_t *key, size_t klen);
/* Adds key (copied) with val. Returns the new entry, or NULL if the key exists (*existing,
 * when not NULL, then points at it) or on no memory (*existing is NULL). */
plx_dict_entry *plx_dict_add(plx_dict *d, const uint8_t *key, size_t klen, void *val,
                             plx_dict_entry **existing);
/* Unlinks and frees the entry with this key; *val_out (may be NULL) gets its value.
 * Returns 1 if it existed, else 0. */
int plx_dict_delete(plx_dict *d, const uint8_t *key, size_t klen, void **val_out);

/* One step of a scan: visits every entry of one bucket (fn may not add or delete) and returns
 * the next cursor, 0 when the scan is complete. Cursors use reverse-binary increments, so a
 * key present from the first to the last call is visited at least once even if the table
 * grows or shrinks between calls (it may be visited more than once after a shrink). */
uint64_t plx_dict_scan(const plx_dict *d, uint64_t cursor,
                       void (*fn)(void *ud, const plx_dict_entry *e), void *ud);

/* A random entry, NULL when empty: a random non-empty bucket, then a random entry of its
 * chain (chains are short, so the bias towards entries of short chains is small).
 * rng is the caller's plx_rand_next state. */
plx_dict_entry *plx_dict_random(const plx_dict *d, uint64_t *rng);
/* The next number of a xorshift64* generator whose state is *state (updated). */
uint64_t plx_rand_next(uint64_t *state);

/* Iteration that tolerates deleting the current entry: init, then next until NULL. */
typedef struct plx_dict_iter {
    const plx_dict *d;
    size_t bucket;
    plx_dict_entry *next;
} plx_dict_iter;

void plx_dict_iter_init(plx_dict_iter *it, const plx_dict *d);
/* The next entry or NULL. The dict must not be resized while iterating (adds and deletes
 * of other entries may resize; deleting only the entry just returned is safe because the
 * dict never shrinks during plx_dict_delete_noresize). */
plx_dict_entry *plx_dict_iter_next(plx_dict_iter *it);
/* Like plx_dict_delete, but never shrinks the table (for use under an iterator). */
int plx_dict_delete_noresize(plx_dict *d, const uint8_t *key, size_t klen, void **val_out);
/* Shrinks the table if it is sparse (after deletions made with plx_dict_delete_noresize). */
void plx_dict_shrink(plx_dict *d);

/* SipHash-1-3 of data under a 128-bit key. */
uint64_t plx_siphash(const uint8_t *data, size_t len, const uint64_t key[2]);

#endif
