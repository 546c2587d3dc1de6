/*
 * test_assembler.c - chunk reassembly: the zero-copy unchunked path, interleaved chunked
 * messages, every assembly error (gap, overlap, flags mismatch, TOO_LARGE before copying,
 * TOO_MANY_PARTIAL, GZIP_NOT_NEGOTIATED), expiry on a fake clock, the held-bytes bound and
 * gzip messages (inflated under the max_message bound).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <plexus/codec.h>

#include "internal.h"

static plx_frame frame(uint32_t id, uint8_t flags, uint32_t off, const uint8_t *p, uint32_t len) {
    plx_frame f = {{1, flags, 0, id, off, len}, p};
    return f;
}

static plx_assembler *make(uint32_t max_message, uint32_t max_partial, uint32_t expiry, int gzip) {
    plx_assembler_limits l = {max_message, max_partial, expiry, gzip};
    plx_assembler *as = plx_assembler_new(NULL, &l);
    assert_non_null(as);
    return as;
}

static uint8_t *pattern(size_t n, uint8_t seed) {
    uint8_t *b = malloc(n ? n : 1);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(seed + i * 7 + (i >> 8));
    return b;
}

/* Feeds f and expects rc; on 1 checks body and id. */
static void feed(plx_assembler *as, plx_frame f, uint64_t now, int want, const uint8_t *body,
                 size_t len) {
    plx_bytes b = {NULL, 0};
    uint32_t id = 0;
    assert_int_equal(plx_assembler_feed(as, &f, now, &b, &id), want);
    if (want == 1) {
        assert_int_equal(id, f.h.msg_id);
        assert_int_equal(b.len, len);
        if (len && body) assert_memory_equal(b.data, body, len);
    }
}

static void test_unchunked_zero_copy(void **state) {
    (void)state;
    plx_assembler *as = make(1000, 4, 1000, 1);
    uint8_t *p = pattern(500, 1);
    plx_frame f = frame(9, 0, 0, p, 500);
    plx_bytes b;
    uint32_t id;
    assert_int_equal(plx_assembler_feed(as, &f, 0, &b, &id), 1);
    assert_ptr_equal(b.data, p);
    assert_int_equal(b.len, 500);
    assert_int_equal(id, 9);
    assert_int_equal(plx_assembler_held(as), 0);
    f = frame(9, 0, 0, p, 0); /* empty body: handed out as is (the body layer rejects it) */
    assert_int_equal(plx_assembler_feed(as, &f, 0, &b, &id), 1);
    assert_int_equal(b.len, 0);
    free(p);
    plx_assembler_free(as);
}

/* Three messages chunked differently and interleaved; ids reused after completion. */
static void test_interleaved(void **state) {
    (void)state;
    plx_assembler *as = make(100000, 4, 1000, 1);
    size_t len[3] = {10000, 3001, 777};
    uint32_t step[3] = {1000, 1, 100};
    uint8_t *m[3];
    size_t off[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++)
        m[i] = pattern(len[i], (uint8_t)(i * 40));
    for (int round = 0; round < 2; round++) {
        int done = 0;
        while (done < 3) {
            done = 0;
            for (uint32_t i = 0; i < 3; i++) {
                if (off[i] == len[i]) {
                    done++;
                    continue;
                }
                uint32_t n = step[i] + round;
                if (n > len[i] - off[i]) n = (uint32_t)(len[i] - off[i]);
                int last = off[i] + n == len[i];
                plx_frame f =
                    frame(100 + i, last ? 0 : PLX_FLAG_MORE, (uint32_t)off[i], m[i] + off[i], n);
                feed(as, f, 5, last, m[i], len[i]);
                off[i] += n;
                size_t open = 0;
                for (int k = 0; k < 3; k++)
                    open += off[k] > 0 && off[k] < len[k];
                assert_int_equal(plx_assembler_partials(as), open);
            }
        }
        assert_int_equal(plx_assembler_held(as), 0);
        memset(off, 0, sizeof(off));
    }
    for (int i = 0; i < 3; i++)
        free(m[i]);
    plx_assembler_free(as);
}

static void test_gap_overlap_flags(void **state) {
    (void)state;
    uint8_t p[64];
    memset(p, 3, sizeof(p));
    plx_assembler *as = make(1000, 4, 1000, 1);
    feed(as, frame(1, 0, 1, p, 10), 0, PLX_E_OFFSET_GAP, NULL, 0); /* unknown id, offset 1 */
    feed(as, frame(1, PLX_FLAG_MORE, 5, p, 10), 0, PLX_E_OFFSET_GAP, NULL, 0);
    feed(as, frame(1, PLX_FLAG_MORE, 0, p, 10), 0, 0, NULL, 0);
    feed(as, frame(1, PLX_FLAG_MORE, 11, p, 10), 0, PLX_E_OFFSET_GAP, NULL, 0);
    feed(as, frame(1, PLX_FLAG_MORE, 9, p, 10), 0, PLX_E_OFFSET_OVERLAP, NULL, 0);
    feed(as, frame(1, 0, 0, p, 10), 0, PLX_E_OFFSET_OVERLAP, NULL, 0);
    feed(as, frame(1, PLX_FLAG_GZIP | PLX_FLAG_MORE, 10, p, 10), 0, PLX_E_FLAGS_MISMATCH, NULL, 0);
    feed(as, frame(1, PLX_FLAG_GZIP, 10, p, 10), 0, PLX_E_FLAGS_MISMATCH, NULL, 0);
    /* offset checks come before the flags check */
    feed(as, frame(1, PLX_FLAG_GZIP, 30, p, 10), 0, PLX_E_OFFSET_GAP, NULL, 0);
    assert_int_equal(plx_assembler_held(as), 10);
    /* the message is intact after the rejected chunks */
    uint8_t want[20];
    memset(want, 3, sizeof(want));
    feed(as, frame(1, 0, 10, p, 10), 0, 1, want, 20);
    plx_assembler_free(as);
}

/* TOO_LARGE is found before anything is copied: held bytes do not change. */
static void test_too_large(void **state) {
    (void)state;
    uint8_t *p = pattern(2000, 5);
    plx_assembler *as = make(1000, 4, 1000, 1);
    feed(as, frame(1, 0, 0, p, 1001), 0, PLX_E_TOO_LARGE, NULL, 0);
    feed(as, frame(1, PLX_FLAG_MORE, 0, p, 1001), 0, PLX_E_TOO_LARGE, NULL, 0);
    assert_int_equal(plx_assembler_partials(as), 0);
    feed(as, frame(1, 0, 0, p, 1000), 0, 1, p, 1000);
    feed(as, frame(2, PLX_FLAG_MORE, 0, p, 600), 0, 0, NULL, 0);
    size_t held = plx_assembler_held(as);
    assert_true(held >= 600 && held <= 1000);
    feed(as, frame(2, 0, 600, p + 600, 401), 0, PLX_E_TOO_LARGE, NULL, 0);
    assert_int_equal(plx_assembler_held(as), held);
    feed(as, frame(2, PLX_FLAG_MORE, 600, p + 600, 400), 0, 0, NULL, 0);
    feed(as, frame(2, 0, 1000, p + 1000, 1), 0, PLX_E_TOO_LARGE, NULL, 0);
    assert_true(plx_assembler_held(as) <= 1000);
    plx_assembler_free(as);
    free(p);
}

static void test_too_many_partial(void **state) {
    (void)state;
    uint8_t p[16] = {1};
    plx_assembler *as = make(1000, 2, 1000, 1);
    feed(as, frame(1, PLX_FLAG_MORE, 0, p, 16), 0, 0, NULL, 0);
    feed(as, frame(2, PLX_FLAG_MORE, 0, p, 16), 0, 0, NULL, 0);
    feed(as, frame(3, PLX_FLAG_MORE, 0, p, 16), 0, PLX_E_TOO_MANY_PARTIAL, NULL, 0);
    assert_int_equal(plx_assembler_partials(as), 2);
    /* unchunked messages and further chunks of known ids still go through */
    feed(as, frame(3, 0, 0, p, 16), 0, 1, p, 16);
    feed(as, frame(1, PLX_FLAG_MORE, 16, p, 16), 0, 0, NULL, 0);
    feed(as, frame(2, 0, 16, p, 16), 0, 1, NULL, 32);
    feed(as, frame(3, PLX_FLAG_MORE, 0, p, 16), 0, 0, NULL, 0); /* a slot is free again */
    assert_int_equal(plx_assembler_partials(as), 2);
    plx_assembler_free(as);
    /* max_partial 0 means the default */
    as = make(1000, 0, 1000, 1);
    for (uint32_t i = 0; i < PLX_DEFAULT_MAX_PARTIAL; i++)
        feed(as, frame(i, PLX_FLAG_MORE, 0, p, 16), 0, 0, NULL, 0);
    feed(as, frame(999, PLX_FLAG_MORE, 0, p, 16), 0, PLX_E_TOO_MANY_PARTIAL, NULL, 0);
    plx_assembler_free(as);
}

/* Expiry counts from the last chunk of each message, on the caller's clock. */
static void test_expiry(void **state) {
    (void)state;
    uint8_t p[8] = {7};
    plx_assembler *as = make(1000, 4, 100, 1);
    assert_int_equal(plx_assembler_next_expiry(as), UINT64_MAX);
    feed(as, frame(1, PLX_FLAG_MORE, 0, p, 8), 1000, 0, NULL, 0);
    assert_int_equal(plx_assembler_next_expiry(as), 1101);
    feed(as, frame(2, PLX_FLAG_MORE, 0, p, 8), 1050, 0, NULL, 0);
    feed(as, frame(1, PLX_FLAG_MORE, 8, p, 8), 1100, 0, NULL, 0); /* 1 is fresh again */
    assert_int_equal(plx_assembler_next_expiry(as), 1151);
    assert_int_equal(plx_assembler_expire(as, 1150), 0);
    assert_int_equal(plx_assembler_partials(as), 2);
    assert_int_equal(plx_assembler_expire(as, 1151), PLX_E_EXPIRED); /* 2 idle 101 ms */
    assert_int_equal(plx_assembler_partials(as), 1);
    assert_int_equal(plx_assembler_next_expiry(as), 1201);
    assert_int_equal(plx_assembler_expire(as, 1151), 0);
    /* feed expires first, whatever the frame */
    feed(as, frame(5, 0, 0, p, 8), 1201, PLX_E_EXPIRED, NULL, 0);
    assert_int_equal(plx_assembler_partials(as), 0);
    assert_int_equal(plx_assembler_held(as), 0);
    feed(as, frame(5, 0, 0, p, 8), 1201, 1, p, 8);
    /* a clock going backwards expires nothing */
    feed(as, frame(6, PLX_FLAG_MORE, 0, p, 8), 5000, 0, NULL, 0);
    assert_int_equal(plx_assembler_expire(as, 10), 0);
    feed(as, frame(6, 0, 8, p, 8), 5100, 1, NULL, 16);
    plx_assembler_free(as);
}

/* Many partial messages at max size: held bytes never exceed max_partial * max_message. */
static void test_held_bound(void **state) {
    (void)state;
    const uint32_t max_message = 70000, parts = 5, chunk = 1500;
    uint8_t *p = pattern(chunk, 9);
    plx_assembler *as = make(max_message, parts, 1000, 1);
    for (uint32_t off = 0; off + chunk <= max_message; off += chunk) {
        for (uint32_t id = 0; id < parts; id++) {
            feed(as, frame(id, PLX_FLAG_MORE, off, p, chunk), 0, 0, NULL, 0);
            assert_true(plx_assembler_held(as) <= (size_t)parts * max_message);
        }
    }
    size_t received = (max_message / chunk) * chunk;
    assert_true(plx_assembler_held(as) >= parts * received);
    for (uint32_t id = 0; id < parts; id++)
        feed(as, frame(id, PLX_FLAG_MORE, (uint32_t)received, p, chunk), 0, PLX_E_TOO_LARGE, NULL,
             0);
    assert_true(plx_assembler_held(as) <= (size_t)parts * max_message);
    plx_assembler_free(as);
    free(p);
}

static void test_gzip_messages(void **state) {
    (void)state;
    size_t n = 50000;
    uint8_t *body = pattern(n, 2), *gz;
    size_t gz_len;
    assert_int_equal(plx_gzip_compress(NULL, body, n, 6, &gz, &gz_len), 0);
    assert_true(gz_len < n && gz_len > 100);

    plx_assembler *off = make(100000, 4, 1000, 0);
    feed(off, frame(1, PLX_FLAG_GZIP, 0, gz, (uint32_t)gz_len), 0, PLX_E_GZIP_NOT_NEGOTIATED, NULL,
         0);
    feed(off, frame(1, PLX_FLAG_GZIP | PLX_FLAG_MORE, 0, gz, 10), 0, PLX_E_GZIP_NOT_NEGOTIATED,
         NULL, 0);
    /* SPEC CHK-9/10 order: OFFSET_GAP first; a known plain id gets FLAGS_MISMATCH */
    feed(off, frame(1, PLX_FLAG_GZIP, 5, gz, 10), 0, PLX_E_OFFSET_GAP, NULL, 0);
    feed(off, frame(2, PLX_FLAG_MORE, 0, body, 10), 0, 0, NULL, 0);
    feed(off, frame(2, PLX_FLAG_GZIP, 10, gz, 10), 0, PLX_E_FLAGS_MISMATCH, NULL, 0);
    plx_assembler_free(off);
    off = make(10, 4, 1000, 0); /* GZIP_NOT_NEGOTIATED before TOO_LARGE */
    feed(off, frame(1, PLX_FLAG_GZIP, 0, gz, 11), 0, PLX_E_GZIP_NOT_NEGOTIATED, NULL, 0);
    plx_assembler_free(off);

    plx_assembler *as = make(100000, 4, 1000, 1);
    feed(as, frame(1, PLX_FLAG_GZIP, 0, gz, (uint32_t)gz_len), 0, 1, body, n);
    uint32_t half = (uint32_t)gz_len / 2;
    feed(as, frame(2, PLX_FLAG_GZIP | PLX_FLAG_MORE, 0, gz, half), 0, 0, NULL, 0);
    feed(as, frame(3, 0, 0, body, 100), 0, 1, body, 100);
    feed(as, frame(2, PLX_FLAG_GZIP, half, gz + half, (uint32_t)gz_len - half), 0, 1, body, n);
    /* a corrupt gzip payload */
    gz[gz_len - 3] ^= 1;
    feed(as, frame(4, PLX_FLAG_GZIP, 0, gz, (uint32_t)gz_len), 0, PLX_E_BAD_GZIP, NULL, 0);
    plx_assembler_free(as);

    /* inflated size is bounded by max_message too */
    as = make(n - 1, 4, 1000, 1);
    gz[gz_len - 3] ^= 1;
    feed(as, frame(5, PLX_FLAG_GZIP, 0, gz, (uint32_t)gz_len), 0, PLX_E_TOO_LARGE, NULL, 0);
    plx_assembler_free(as);
    free(gz);
    free(body);
}

static void test_set_limits(void **state) {
    (void)state;
    uint8_t p[8] = {1};
    plx_assembler *as = make(1000, 3, 1000, 0);
    feed(as, frame(1, PLX_FLAG_MORE, 0, p, 8), 0, 0, NULL, 0);
    feed(as, frame(2, PLX_FLAG_MORE, 0, p, 8), 0, 0, NULL, 0);
    feed(as, frame(7, PLX_FLAG_GZIP, 0, p, 8), 0, PLX_E_GZIP_NOT_NEGOTIATED, NULL, 0);
    plx_assembler_limits one = {1000, 1, 1000, 1};
    assert_int_equal(plx_assembler_set_limits(as, &one), PLX_E_INVAL);
    plx_assembler_limits two = {1000, 2, 1000, 1};
    assert_int_equal(plx_assembler_set_limits(as, &two), 0);
    assert_int_equal(plx_assembler_partials(as), 2);
    feed(as, frame(3, PLX_FLAG_MORE, 0, p, 8), 0, PLX_E_TOO_MANY_PARTIAL, NULL, 0);
    feed(as, frame(2, 0, 8, p, 8), 0, 1, NULL, 16);
    feed(as, frame(1, 0, 8, p, 8), 0, 1, NULL, 16);
    plx_assembler_free(as);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unchunked_zero_copy), cmocka_unit_test(test_interleaved),
        cmocka_unit_test(test_gap_overlap_flags),   cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_too_many_partial),    cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_held_bound),          cmocka_unit_test(test_gzip_messages),
        cmocka_unit_test(test_set_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
