/*
 * dict.c - the binary-safe hash table of dict.h: chaining, simple rehash, reverse-binary scan.
 */
#include "dict.h"

#include <stdlib.h>
#include <string.h>

#define DICT_MIN_SIZE 4

/* ---------------------------------------------------------------- SipHash-1-3 */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = ROTL(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = ROTL(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = ROTL(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = ROTL(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = ROTL(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = ROTL(v2, 32);                                                                         \
    } while (0)

static uint64_t load_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

uint64_t plx_siphash(const uint8_t *data, size_t len, const uint64_t key[2]) {
    uint64_t v0 = 0x736f6d6570736575ULL ^ key[0];
    uint64_t v1 = 0x646f72616e646f6dULL ^ key[1];
    uint64_t v2 = 0x6c7967656e657261ULL ^ key[0];
    uint64_t v3 = 0x7465646279746573ULL ^ key[1];
    size_t full = len - (len % 8);
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = load_le64(data + i);
        v3 ^= m;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = 0; i < len % 8; i++)
        b |= (uint64_t)data[full + i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

/* ---------------------------------------------------------------- table */

plx_dict *plx_dict_new(const uint64_t seed[2]) {
    plx_dict *d = calloc(1, sizeof(*d));
    if (!d) return NULL;
    d->seed[0] = seed[0];
    d->seed[1] = seed[1];
    return d;
}

void plx_dict_clear(plx_dict *d, void (*free_val)(void *val)) {
    for (size_t i = 0; i < d->size; i++) {
        plx_dict_entry *e = d->table[i];
        while (e) {
            plx_dict_entry *next = e->next;
            if (free_val) free_val(e->val);
            free(e);
            e = next;
        }
    }
    free(d->table);
    d->table = NULL;
    d->size = 0;
    d->used = 0;
}

void plx_dict_free(plx_dict *d, void (*free_val)(void *val)) {
    if (!d) return;
    plx_dict_clear(d, free_val);
    free(d);
}

/* Moves every entry into a table of newsize buckets. Returns 0, or -1 on no memory (the
 * dict is unchanged then). */
static int dict_resize(plx_dict *d, size_t newsize) {
    plx_dict_entry **t = calloc(newsize, sizeof(*t));
    if (!t) return -1;
    for (size_t i = 0; i < d->size; i++) {
        plx_dict_entry *e = d->table[i];
        while (e) {
            plx_dict_entry *next = e->next;
            size_t b = e->hash & (newsize - 1);
            e->next = t[b];
            t[b] = e;
            e = next;
        }
    }
    free(d->table);
    d->table = t;
    d->size = newsize;
    return 0;
}

plx_dict_entry *plx_dict_find(const plx_dict *d, const uint8_t *key, size_t klen) {
    if (d->size == 0) return NULL;
    uint64_t h = plx_siphash(key, klen, d->seed);
    for (plx_dict_entry *e = d->table[h & (d->size - 1)]; e; e = e->next)
        if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0) return e;
    return NULL;
}

plx_dict_entry *plx_dict_add(plx_dict *d, const uint8_t *key, size_t klen, void *val,
                             plx_dict_entry **existing) {
    if (existing) *existing = NULL;
    plx_dict_entry *old = plx_dict_find(d, key, klen);
    if (old) {
        if (existing) *existing = old;
        return NULL;
    }
    if (d->used >= d->size) {
        size_t ns = d->size ? d->size * 2 : DICT_MIN_SIZE;
        /* A failed grow only lengthens chains; the insert can still go ahead. */
        if (dict_resize(d, ns) != 0 && d->size == 0) return NULL;
    }
    if (klen > SIZE_MAX - sizeof(plx_dict_entry) - 1) return NULL;
    plx_dict_entry *e = malloc(sizeof(*e) + klen + 1);
    if (!e) return NULL;
    e->hash = plx_siphash(key, klen, d->seed);
    e->val = val;
    e->score = 0;
    e->klen = klen;
    if (klen) memcpy(e->key, key, klen);
    e->key[klen] = 0;
    size_t b = e->hash & (d->size - 1);
    e->next = d->table[b];
    d->table[b] = e;
    d->used++;
    return e;
}

int plx_dict_delete_noresize(plx_dict *d, const uint8_t *key, size_t klen, void **val_out) {
    if (d->size == 0) return 0;
    uint64_t h = plx_siphash(key, klen, d->seed);
    plx_dict_entry **pp = &d->table[h & (d->size - 1)];
    for (; *pp; pp = &(*pp)->next) {
        plx_dict_entry *e = *pp;
        if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0) {
            *pp = e->next;
            if (val_out) *val_out = e->val;
            free(e);
            d->used--;
            return 1;
        }
    }
    return 0;
}

void plx_dict_shrink(plx_dict *d) {
    if (d->used == 0) {
        free(d->table);
        d->table = NULL;
        d->size = 0;
        return;
    }
    size_t ns = d->size;
    while (ns > DICT_MIN_SIZE && d->used < ns / 8)
        ns /= 2;
    if (ns != d->size) dict_resize(d, ns); /* on no memory the table just stays larger */
}

int plx_dict_delete(plx_dict *d, const uint8_t *key, size_t klen, void **val_out) {
    int r = plx_dict_delete_noresize(d, key, klen, val_out);
    if (r && d->size > DICT_MIN_SIZE && d->used < d->size / 8) plx_dict_shrink(d);
    return r;
}

/* ---------------------------------------------------------------- scan, random, iterate */

static uint64_t rev64(uint64_t v) {
    uint64_t r = 0;
    for (int i = 0; i < 64; i++) {
        r = (r << 1) | (v & 1);
        v >>= 1;
    }
    return r;
}

uint64_t plx_dict_scan(const plx_dict *d, uint64_t cursor,
                       void (*fn)(void *ud, const plx_dict_entry *e), void *ud) {
    if (d->size == 0) return 0;
    uint64_t mask = d->size - 1;
    for (const plx_dict_entry *e = d->table[cursor & mask]; e; e = e->next)
        fn(ud, e);
    /* Increment the bits above the mask... reversed: set the unmasked bits, reverse, add one,
     * reverse back. Buckets of any table size are then visited in an order compatible with
     * every other power-of-two size. */
    cursor |= ~mask;
    cursor = rev64(cursor);
    cursor++;
    return rev64(cursor);
}

uint64_t plx_rand_next(uint64_t *state) {
    /* xorshift64*: the state must not be 0 (a zero state is replaced by a constant). */
    uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ULL;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dULL;
}

plx_dict_entry *plx_dict_random(const plx_dict *d, uint64_t *rng) {
    if (d->used == 0) return NULL;
    /* Random buckets until a non-empty one (the table is at least 1/8 full, so few tries
     * are expected), then a random position in its chain. */
    size_t b = plx_rand_next(rng) & (d->size - 1);
    while (!d->table[b])
        b = plx_rand_next(rng) & (d->size - 1);
    size_t n = 0;
    for (plx_dict_entry *e = d->table[b]; e; e = e->next)
        n++;
    size_t k = (size_t)(plx_rand_next(rng) % n);
    plx_dict_entry *e = d->table[b];
    while (k--)
        e = e->next;
    return e;
}

void plx_dict_iter_init(plx_dict_iter *it, const plx_dict *d) {
    it->d = d;
    it->bucket = 0;
    it->next = NULL;
}

plx_dict_entry *plx_dict_iter_next(plx_dict_iter *it) {
    while (!it->next) {
        if (it->bucket >= it->d->size) return NULL;
        it->next = it->d->table[it->bucket++];
    }
    plx_dict_entry *e = it->next;
    it->next = e->next;
    return e;
}
