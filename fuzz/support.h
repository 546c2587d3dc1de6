/*
 * support.h - helpers shared by the fuzz harnesses: an invariant check that aborts (so
 * libFuzzer and the replay main both report it), a cursor that takes bytes and integers
 * from the fuzz input, a deterministic PRNG and a counting allocator that records the
 * peak of live bytes.
 */
#ifndef PLX_FUZZ_SUPPORT_H
#define PLX_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include <plexus/codec.h>

/* Aborts with file, line and the failed condition when cond is false. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) plx_fuzz_fail(__FILE__, __LINE__, #cond);                                     \
    } while (0)

/* Aborts showing both values when a != b (integers, e.g. an error code and the expected). */
#define FUZZ_CHECK_EQ(a, b)                                                                        \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_) plx_fuzz_fail_eq(__FILE__, __LINE__, #a, a_, #b, b_);                        \
    } while (0)

void plx_fuzz_fail(const char *file, int line, const char *what);
void plx_fuzz_fail_eq(const char *file, int line, const char *a, long long av, const char *b,
                      long long bv);

/* A read position in the fuzz input. Reads past the end yield zeros / empty spans. */
typedef struct plx_cursor {
    const uint8_t *p;
    size_t left;
} plx_cursor;

void plx_cursor_init(plx_cursor *c, const uint8_t *data, size_t len);
uint8_t plx_take_u8(plx_cursor *c);
uint16_t plx_take_u16(plx_cursor *c); /* big-endian */
uint32_t plx_take_u32(plx_cursor *c); /* big-endian */
/* Takes up to n bytes (fewer at the end); returns how many and points *out at them. */
size_t plx_take_bytes(plx_cursor *c, size_t n, const uint8_t **out);

/* xorshift64* seeded from a hash of the input: chop sizes and the like that do not consume
 * input bytes, so raw seeds stay raw. */
typedef struct plx_rng {
    uint64_t s;
} plx_rng;

void plx_rng_seed(plx_rng *r, const uint8_t *data, size_t len);
uint64_t plx_rng_next(plx_rng *r);
/* A number in [0, n) (n > 0). */
size_t plx_rng_below(plx_rng *r, size_t n);

/* A plx_allocator over malloc that tracks live bytes, their peak and the largest single
 * request. Make one with plx_counting_init and pass &c->alloc to the codec. */
typedef struct plx_counting {
    plx_allocator alloc;
    size_t live;
    size_t peak;
    size_t largest;
    size_t count; /* live blocks */
} plx_counting;

void plx_counting_init(plx_counting *c);

#endif
