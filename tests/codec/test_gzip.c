/*
 * test_gzip.c - gzip: round trips, the fixed header bytes, the hard inflate bound (a bomb
 * inflating to 1 GiB fails with TOO_LARGE while a counting allocator shows the peak stays
 * within the bound plus zlib's state), corrupt, truncated and trailing data, no memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <zlib.h>

#include <plexus/codec.h>

#include "internal.h"

/* A counting allocator: live bytes, their peak, and an optional failure after n calls. */
typedef struct counter {
    size_t live, peak, calls;
    size_t fail_after; /* 0: never fail */
} counter;

typedef union hdr {
    size_t size;
    max_align_t align;
} hdr;

static void *c_alloc(size_t size, void *ud) {
    counter *c = ud;
    if (c->fail_after && ++c->calls >= c->fail_after) return NULL;
    hdr *h = malloc(sizeof(hdr) + size);
    if (!h) return NULL;
    h->size = size;
    c->live += size;
    if (c->live > c->peak) c->peak = c->live;
    return h + 1;
}

static void c_free(void *ptr, void *ud) {
    counter *c = ud;
    if (!ptr) return;
    hdr *h = (hdr *)ptr - 1;
    c->live -= h->size;
    free(h);
}

static void *c_realloc(void *ptr, size_t size, void *ud) {
    counter *c = ud;
    if (!ptr) return c_alloc(size, ud);
    if (c->fail_after && ++c->calls >= c->fail_after) return NULL;
    hdr *h = (hdr *)ptr - 1;
    size_t old = h->size;
    hdr *n = realloc(h, sizeof(hdr) + size);
    if (!n) return NULL;
    n->size = size;
    c->live = c->live - old + size;
    if (c->live > c->peak) c->peak = c->live;
    return n + 1;
}

static plx_allocator counting(counter *c) {
    memset(c, 0, sizeof(*c));
    plx_allocator a = {c_alloc, c_realloc, c_free, c};
    return a;
}

static uint32_t rnd(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 33);
}

/* n bytes: random when noise, else a compressible text-like pattern. */
static uint8_t *make_data(size_t n, int noise, uint64_t seed) {
    uint8_t *b = malloc(n ? n : 1);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++)
        b[i] = noise ? (uint8_t)rnd(&seed) : (uint8_t)("plexus frames "[i % 14] + (i / 997) % 3);
    return b;
}

static void round_trip(size_t n, int noise, int level) {
    counter c;
    plx_allocator a = counting(&c);
    uint8_t *in = make_data(n, noise, n + 1), *gz, *out;
    size_t gz_len, out_len;
    assert_int_equal(plx_gzip_compress(&a, in, n, level, &gz, &gz_len), 0);
    assert_true(gz_len >= 18);
    assert_int_equal(plx_gzip_inflate(&a, gz, gz_len, n, &out, &out_len), 0);
    assert_int_equal(out_len, n);
    if (n) assert_memory_equal(out, in, n);
    a.free(out, a.ud);
    a.free(gz, a.ud);
    assert_int_equal(c.live, 0);
    free(in);
}

static void test_round_trip(void **state) {
    (void)state;
    const size_t sizes[] = {0,    1,     2,     100,   1023,     1024,
                            1025, 65535, 65536, 65537, 1u << 20, 3u << 20};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        round_trip(sizes[i], 0, 0);
        round_trip(sizes[i], 1, 6);
        round_trip(sizes[i], (int)(i & 1), 9);
    }
}

/* The 10-byte header is fixed: magic, deflate, no flags, mtime 0, XFL 0, OS 255. */
static void test_header_bytes(void **state) {
    (void)state;
    uint8_t *in = make_data(5000, 0, 1), *gz;
    size_t gz_len;
    const uint8_t want[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
    assert_int_equal(plx_gzip_compress(NULL, in, 5000, 0, &gz, &gz_len), 0);
    assert_memory_equal(gz, want, 10);
    assert_true(gz_len < 5000);
    /* level 0 and -1 mean 6: byte-identical output */
    uint8_t *gz6, *gzm;
    size_t l6, lm;
    assert_int_equal(plx_gzip_compress(NULL, in, 5000, 6, &gz6, &l6), 0);
    assert_int_equal(plx_gzip_compress(NULL, in, 5000, -1, &gzm, &lm), 0);
    assert_int_equal(l6, gz_len);
    assert_int_equal(lm, gz_len);
    assert_memory_equal(gz6, gz, gz_len);
    assert_memory_equal(gzm, gz, gz_len);
    /* trailer: CRC-32 and ISIZE little-endian */
    uint32_t crc = (uint32_t)crc32(0, in, 5000);
    const uint8_t *t = gz + gz_len - 8;
    assert_int_equal(t[0] | t[1] << 8 | t[2] << 16 | (uint32_t)t[3] << 24, crc);
    assert_int_equal(t[4] | t[5] << 8 | t[6] << 16 | (uint32_t)t[7] << 24, 5000);
    free(gz);
    free(gz6);
    free(gzm);
    assert_int_equal(plx_gzip_compress(NULL, in, 10, 10, &gz, &gz_len), PLX_E_INVAL);
    free(in);
}

/* Compresses `total` zero bytes with zlib directly (gzip wrapper) without holding them. */
static uint8_t *make_bomb(size_t total, size_t *len) {
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = total / 1000 + 4096, chunk = 1u << 20;
    uint8_t *out = malloc(cap), *zeros = calloc(1, chunk);
    assert_non_null(out);
    assert_non_null(zeros);
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    for (size_t done = 0; done < total; done += chunk) {
        zs.next_in = zeros;
        zs.avail_in = (uInt)chunk;
        assert_int_equal(deflate(&zs, done + chunk >= total ? Z_FINISH : Z_NO_FLUSH),
                         done + chunk >= total ? Z_STREAM_END : Z_OK);
    }
    *len = zs.total_out;
    deflateEnd(&zs);
    free(zeros);
    return out;
}

static void test_bomb(void **state) {
    (void)state;
    size_t bomb_len;
    uint8_t *bomb = make_bomb((size_t)1 << 30, &bomb_len);
    print_message("bomb: %zu bytes inflating to 1 GiB\n", bomb_len);
    assert_true(bomb_len < ((size_t)1 << 30) / 500);
    const size_t bounds[] = {0, 1000, 64u << 10, 8u << 20};
    for (size_t i = 0; i < 4; i++) {
        counter c;
        plx_allocator a = counting(&c);
        uint8_t *out = (uint8_t *)1;
        size_t out_len = 7;
        clock_t t0 = clock();
        assert_int_equal(plx_gzip_inflate(&a, bomb, bomb_len, bounds[i], &out, &out_len),
                         PLX_E_TOO_LARGE);
        double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
        print_message("bound %zu: peak %zu bytes, %.3f s\n", bounds[i], c.peak, secs);
        assert_null(out);
        assert_int_equal(out_len, 0);
        assert_true(c.peak <= bounds[i] + 1 + PLX_GZIP_INFLATE_OVERHEAD);
        assert_true(c.peak > bounds[i]); /* it did fill the bound */
        assert_int_equal(c.live, 0);
        assert_true(secs < 5.0);
    }
    free(bomb);
}

/* Output of exactly max_out bytes passes; one byte more does not. */
static void test_exact_bound(void **state) {
    (void)state;
    const size_t sizes[] = {1, 1000, 65536, 65537, 300000};
    for (size_t i = 0; i < 5; i++) {
        size_t n = sizes[i];
        uint8_t *in = make_data(n, (int)(i & 1), 3), *gz, *out;
        size_t gz_len, out_len;
        assert_int_equal(plx_gzip_compress(NULL, in, n, 6, &gz, &gz_len), 0);
        counter c;
        plx_allocator a = counting(&c);
        assert_int_equal(plx_gzip_inflate(&a, gz, gz_len, n, &out, &out_len), 0);
        assert_int_equal(out_len, n);
        assert_true(c.peak <= n + 1 + PLX_GZIP_INFLATE_OVERHEAD);
        a.free(out, a.ud);
        assert_int_equal(plx_gzip_inflate(&a, gz, gz_len, n - 1, &out, &out_len), PLX_E_TOO_LARGE);
        assert_int_equal(c.live, 0);
        free(gz);
        free(in);
    }
}

static void test_corrupt_truncated_trailing(void **state) {
    (void)state;
    size_t n = 20000;
    uint8_t *in = make_data(n, 0, 4), *gz, *out;
    size_t gz_len, out_len;
    assert_int_equal(plx_gzip_compress(NULL, in, n, 6, &gz, &gz_len), 0);
    /* every truncation */
    for (size_t cut = 0; cut < gz_len; cut++)
        assert_int_equal(plx_gzip_inflate(NULL, gz, cut, n, &out, &out_len), PLX_E_BAD_GZIP);
    /* trailing bytes: garbage, zeros, a second member */
    uint8_t *big = malloc(2 * gz_len);
    memcpy(big, gz, gz_len);
    memcpy(big + gz_len, gz, gz_len);
    assert_int_equal(plx_gzip_inflate(NULL, big, gz_len + 1, n, &out, &out_len), PLX_E_BAD_GZIP);
    assert_int_equal(plx_gzip_inflate(NULL, big, 2 * gz_len, 2 * n, &out, &out_len),
                     PLX_E_BAD_GZIP);
    big[gz_len] = 0;
    assert_int_equal(plx_gzip_inflate(NULL, big, gz_len + 1, n, &out, &out_len), PLX_E_BAD_GZIP);
    /* corruption: magic, method, CRC, ISIZE, deflate data */
    const size_t spots[] = {0, 1, 2, gz_len - 8, gz_len - 1, 12};
    for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
        memcpy(big, gz, gz_len);
        big[spots[i]] ^= 0x5a;
        int rc = plx_gzip_inflate(NULL, big, gz_len, n, &out, &out_len);
        assert_int_equal(rc, PLX_E_BAD_GZIP);
        assert_null(out);
    }
    /* random damage never crashes and never returns wrong data as success */
    uint64_t seed = 11;
    for (int k = 0; k < 300; k++) {
        memcpy(big, gz, gz_len);
        big[rnd(&seed) % gz_len] ^= (uint8_t)(1 + rnd(&seed) % 255);
        int rc = plx_gzip_inflate(NULL, big, gz_len, n, &out, &out_len);
        assert_true(rc == PLX_E_BAD_GZIP || rc == PLX_E_TOO_LARGE || rc == 0);
        if (rc == 0) { /* only damage in ignored header bits can pass */
            assert_int_equal(out_len, n);
            assert_memory_equal(out, in, n);
            free(out);
        }
    }
    /* a zlib (not gzip) stream is rejected */
    uLongf zl = compressBound(n);
    uint8_t *z = malloc(zl);
    assert_int_equal(compress(z, &zl, in, n), Z_OK);
    assert_int_equal(plx_gzip_inflate(NULL, z, zl, n, &out, &out_len), PLX_E_BAD_GZIP);
    free(z);
    free(big);
    free(gz);
    free(in);
}

static void test_no_memory(void **state) {
    (void)state;
    size_t n = 200000;
    uint8_t *in = make_data(n, 0, 5), *gz, *out;
    size_t gz_len, out_len;
    assert_int_equal(plx_gzip_compress(NULL, in, n, 6, &gz, &gz_len), 0);
    for (size_t k = 1; k < 8; k++) {
        counter c;
        plx_allocator a = counting(&c);
        c.fail_after = k;
        int rc = plx_gzip_inflate(&a, gz, gz_len, n, &out, &out_len);
        if (rc == 0) {
            a.free(out, a.ud);
        } else {
            assert_int_equal(rc, PLX_E_NOMEM);
        }
        assert_int_equal(c.live, 0);
        c.calls = 0;
        rc = plx_gzip_compress(&a, in, n, 6, &out, &out_len);
        if (rc == 0) {
            a.free(out, a.ud);
        } else {
            assert_int_equal(rc, PLX_E_NOMEM);
        }
        assert_int_equal(c.live, 0);
    }
    free(gz);
    free(in);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_header_bytes),
        cmocka_unit_test(test_bomb),
        cmocka_unit_test(test_exact_bound),
        cmocka_unit_test(test_corrupt_truncated_trailing),
        cmocka_unit_test(test_no_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
