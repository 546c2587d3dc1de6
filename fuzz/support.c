/*
 * support.c - the fuzz harnesses' shared helpers: invariant failure, input cursor, PRNG and
 * counting allocator (see support.h).
 */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void plx_fuzz_fail(const char *file, int line, const char *what) {
    fprintf(stderr, "fuzz invariant failed: %s:%d: %s\n", file, line, what);
    abort();
}

void plx_fuzz_fail_eq(const char *file, int line, const char *a, long long av, const char *b,
                      long long bv) {
    fprintf(stderr, "fuzz invariant failed: %s:%d: %s == %s (%lld != %lld)\n", file, line, a, b, av,
            bv);
    abort();
}

void plx_cursor_init(plx_cursor *c, const uint8_t *data, size_t len) {
    c->p = data;
    c->left = data ? len : 0;
}

uint8_t plx_take_u8(plx_cursor *c) {
    if (c->left == 0) return 0;
    c->left--;
    return *c->p++;
}

uint16_t plx_take_u16(plx_cursor *c) {
    uint16_t hi = plx_take_u8(c);
    return (uint16_t)((hi << 8) | plx_take_u8(c));
}

uint32_t plx_take_u32(plx_cursor *c) {
    uint32_t hi = plx_take_u16(c);
    return (hi << 16) | plx_take_u16(c);
}

size_t plx_take_bytes(plx_cursor *c, size_t n, const uint8_t **out) {
    if (n > c->left) n = c->left;
    *out = c->p;
    c->p += n;
    c->left -= n;
    return n;
}

void plx_rng_seed(plx_rng *r, const uint8_t *data, size_t len) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= data[i];
        h *= 1099511628211ull;
    }
    r->s = h ? h : 0x9E3779B97F4A7C15ull;
}

uint64_t plx_rng_next(plx_rng *r) {
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ull;
}

size_t plx_rng_below(plx_rng *r, size_t n) {
    return (size_t)(plx_rng_next(r) % n);
}

/* Each block carries its size in a header aligned for any type. */
typedef union block_head {
    size_t size;
    max_align_t align;
} block_head;

static void *counting_alloc(size_t size, void *ud) {
    plx_counting *c = ud;
    if (size > SIZE_MAX - sizeof(block_head)) return NULL;
    block_head *b = malloc(sizeof(*b) + size);
    if (!b) return NULL;
    b->size = size;
    c->live += size;
    c->count++;
    if (c->live > c->peak) c->peak = c->live;
    if (size > c->largest) c->largest = size;
    return b + 1;
}

static void counting_free(void *ptr, void *ud) {
    plx_counting *c = ud;
    if (!ptr) return;
    block_head *b = (block_head *)ptr - 1;
    c->live -= b->size;
    c->count--;
    free(b);
}

static void *counting_realloc(void *ptr, size_t size, void *ud) {
    plx_counting *c = ud;
    if (!ptr) return counting_alloc(size, ud);
    if (size > SIZE_MAX - sizeof(block_head)) return NULL;
    block_head *old = (block_head *)ptr - 1;
    size_t old_size = old->size;
    block_head *b = realloc(old, sizeof(*b) + size);
    if (!b) return NULL;
    b->size = size;
    c->live = c->live - old_size + size;
    if (c->live > c->peak) c->peak = c->live;
    if (size > c->largest) c->largest = size;
    return b + 1;
}

void plx_counting_init(plx_counting *c) {
    memset(c, 0, sizeof(*c));
    c->alloc.alloc = counting_alloc;
    c->alloc.realloc = counting_realloc;
    c->alloc.free = counting_free;
    c->alloc.ud = c;
}
