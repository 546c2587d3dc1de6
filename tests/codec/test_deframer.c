/*
 * test_deframer.c - the stream binding's deframer: whole input, one byte at a time, seeded
 * random chop sizes; zero-copy when the frame is in the input; the one-frame buffer bound;
 * every header and prefix error, and that errors are sticky.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <plexus/codec.h>

#define MAX_FRAME 600u
#define NFRAMES   60

typedef struct stream {
    uint8_t *buf;
    size_t len;
    plx_frame_header h[NFRAMES];
    size_t at[NFRAMES]; /* offset of each frame's payload in buf */
} stream;

static uint32_t rnd(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 33);
}

/* Appends one frame (prefix, header, payload of pattern bytes) to st. */
static void add_frame(stream *st, size_t i, uint8_t flags, uint32_t len, uint64_t *seed) {
    plx_frame_header h = {1, flags, 0, (uint32_t)i, 0, len};
    st->buf = realloc(st->buf, st->len + 20 + len);
    assert_non_null(st->buf);
    plx_stream_prefix(16 + len, st->buf + st->len);
    assert_int_equal(plx_frame_header_encode(&h, st->buf + st->len + 4), 0);
    st->h[i] = h;
    st->at[i] = st->len + 20;
    for (uint32_t k = 0; k < len; k++)
        st->buf[st->len + 20 + k] = (uint8_t)rnd(seed);
    st->len += 20 + len;
}

/* NFRAMES frames of random sizes (0, 1, max_frame and in between) and flags. */
static void make_stream(stream *st, uint64_t seed) {
    memset(st, 0, sizeof(*st));
    for (size_t i = 0; i < NFRAMES; i++) {
        uint32_t len;
        switch (i % 5) {
        case 0:
            len = 0;
            break;
        case 1:
            len = 1;
            break;
        case 2:
            len = MAX_FRAME;
            break;
        default:
            len = rnd(&seed) % (MAX_FRAME + 1);
        }
        uint8_t flags = (uint8_t)(rnd(&seed) & 1u);
        if (len) flags |= (uint8_t)(rnd(&seed) & 2u);
        add_frame(st, i, flags, len, &seed);
    }
}

/* Feeds st in pieces of chop(i) bytes (0: all at once) and checks every frame. */
static void run(const stream *st, uint64_t seed, size_t fixed_chop, int expect_zero_copy) {
    plx_deframer *d = plx_deframer_new(NULL, MAX_FRAME);
    assert_non_null(d);
    size_t pos = 0, got = 0;
    while (pos < st->len) {
        size_t piece = fixed_chop ? fixed_chop : 1 + rnd(&seed) % (2 * MAX_FRAME);
        if (piece > st->len - pos) piece = st->len - pos;
        const uint8_t *p = st->buf + pos;
        size_t left = piece;
        while (left > 0) {
            size_t used;
            plx_frame f;
            int rc = plx_deframer_feed(d, p, left, &used, &f);
            assert_true(rc == 0 || rc == 1);
            assert_true(used <= left);
            assert_true(plx_deframer_buffered(d) <= 20 + MAX_FRAME);
            p += used;
            left -= used;
            if (rc == 0) {
                assert_int_equal(left, 0);
                continue;
            }
            assert_true(got < NFRAMES);
            assert_memory_equal(&f.h, &st->h[got], sizeof(f.h));
            if (f.h.length) assert_memory_equal(f.payload, st->buf + st->at[got], f.h.length);
            if (expect_zero_copy) assert_ptr_equal(f.payload, st->buf + st->at[got]);
            assert_int_equal(plx_deframer_buffered(d), 0);
            got++;
        }
        pos += piece;
    }
    assert_int_equal(got, NFRAMES);
    assert_int_equal(plx_deframer_buffered(d), 0);
    plx_deframer_free(d);
}

static void test_whole_input_zero_copy(void **state) {
    (void)state;
    stream st;
    make_stream(&st, 1);
    run(&st, 0, st.len, 1);
    free(st.buf);
}

static void test_one_byte_at_a_time(void **state) {
    (void)state;
    stream st;
    make_stream(&st, 2);
    run(&st, 0, 1, 0);
    free(st.buf);
}

static void test_random_chops(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        stream st;
        make_stream(&st, seed * 77);
        run(&st, seed, 0, 0);
        free(st.buf);
    }
}

/* A frame whose header arrived in pieces but whose payload is whole is not copied. */
static void test_split_header_payload_not_copied(void **state) {
    (void)state;
    stream st;
    uint64_t seed = 5;
    memset(&st, 0, sizeof(st));
    add_frame(&st, 0, 0, 300, &seed);
    plx_deframer *d = plx_deframer_new(NULL, MAX_FRAME);
    size_t used;
    plx_frame f;
    assert_int_equal(plx_deframer_feed(d, st.buf, 7, &used, &f), 0);
    assert_int_equal(used, 7);
    assert_int_equal(plx_deframer_buffered(d), 7);
    assert_int_equal(plx_deframer_feed(d, st.buf + 7, st.len - 7, &used, &f), 1);
    assert_int_equal(used, st.len - 7);
    assert_ptr_equal(f.payload, st.buf + 20);
    /* and one whose payload is split is buffered, then handed out from the buffer */
    assert_int_equal(plx_deframer_feed(d, st.buf, 100, &used, &f), 0);
    assert_int_equal(plx_deframer_buffered(d), 100);
    assert_int_equal(plx_deframer_feed(d, st.buf + 100, st.len - 100, &used, &f), 1);
    assert_true(f.payload < st.buf || f.payload >= st.buf + st.len);
    assert_memory_equal(f.payload, st.buf + 20, 300);
    plx_deframer_free(d);
    free(st.buf);
}

/* Stops after the first frame: consumed says where the next one starts. */
static void test_stops_after_one_frame(void **state) {
    (void)state;
    stream st;
    make_stream(&st, 9);
    plx_deframer *d = plx_deframer_new(NULL, MAX_FRAME);
    size_t used;
    plx_frame f;
    assert_int_equal(plx_deframer_feed(d, st.buf, st.len, &used, &f), 1);
    assert_int_equal(used, 20 + st.h[0].length);
    assert_int_equal(plx_deframer_feed(d, st.buf, 0, &used, &f), 0);
    assert_int_equal(used, 0);
    plx_deframer_free(d);
    free(st.buf);
}

/* Builds prefix + header into b (20 bytes) with the given fields. */
static void raw(uint8_t *b, uint32_t prefix, uint8_t ver, uint8_t flags, uint16_t res,
                uint32_t len) {
    memset(b, 0, 20);
    plx_stream_prefix(prefix, b);
    b[4] = ver;
    b[5] = flags;
    b[6] = (uint8_t)(res >> 8);
    b[7] = (uint8_t)res;
    b[16] = (uint8_t)(len >> 24);
    b[17] = (uint8_t)(len >> 16);
    b[18] = (uint8_t)(len >> 8);
    b[19] = (uint8_t)len;
}

/* Feeds b[0..n) whole, then again one byte at a time, expecting err both ways, reported
 * after exactly at_byte bytes when fed bytewise; a further feed returns err again. */
static void expect_error(const uint8_t *b, size_t n, int err, size_t at_byte) {
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        plx_deframer *d = plx_deframer_new(NULL, MAX_FRAME);
        size_t used, fed = 0;
        plx_frame f;
        int rc = 0;
        if (!bytewise) {
            rc = plx_deframer_feed(d, b, n, &used, &f);
        } else {
            while (fed < n && rc == 0) {
                rc = plx_deframer_feed(d, b + fed, 1, &used, &f);
                fed++;
            }
            assert_int_equal(fed, at_byte);
        }
        assert_int_equal(rc, err);
        assert_int_equal(plx_deframer_feed(d, b, n, &used, &f), err);
        plx_deframer_free(d);
    }
}

static void test_errors(void **state) {
    (void)state;
    uint8_t b[20 + MAX_FRAME + 8];
    memset(b, 0, sizeof(b));
    for (uint32_t p = 0; p < 16; p++) {
        raw(b, p, 1, 0, 0, 0);
        expect_error(b, 40, PLX_E_TRUNCATED, 4); /* found with the prefix */
    }
    raw(b, 26, 2, 0, 0, 10);
    expect_error(b, 40, PLX_E_BAD_VERSION, 20);
    raw(b, 26, 0, 0, 0, 10);
    expect_error(b, 40, PLX_E_BAD_VERSION, 20);
    raw(b, 26, 1, 0x10, 0, 10);
    expect_error(b, 40, PLX_E_RESERVED_BITS, 20);
    raw(b, 26, 1, 0, 0x0100, 10);
    expect_error(b, 40, PLX_E_RESERVED_BITS, 20);
    raw(b, 16 + MAX_FRAME + 1, 1, 0, 0, MAX_FRAME + 1); /* found before the payload */
    expect_error(b, 20, PLX_E_FRAME_TOO_LARGE, 20);
    raw(b, 16, 1, PLX_FLAG_MORE, 0, 0);
    expect_error(b, 20, PLX_E_EMPTY_CHUNK, 20);
    raw(b, 27, 1, 0, 0, 10);
    expect_error(b, 40, PLX_E_LENGTH_MISMATCH, 20);
    raw(b, 25, 1, 0, 0, 10);
    expect_error(b, 40, PLX_E_LENGTH_MISMATCH, 20);
    raw(b, 16, 1, 0, 0, 1);
    expect_error(b, 40, PLX_E_LENGTH_MISMATCH, 20);
    /* header checks come before the prefix/length agreement */
    raw(b, 99, 1, 0, 0, MAX_FRAME + 1);
    expect_error(b, 20, PLX_E_FRAME_TOO_LARGE, 20);
    raw(b, 99, 7, 0, 0, 10);
    expect_error(b, 20, PLX_E_BAD_VERSION, 20);
    /* an error after a good frame: the good frame comes out first */
    raw(b, 16, 1, 0, 0, 0);
    raw(b + 20, 3, 1, 0, 0, 0);
    plx_deframer *d = plx_deframer_new(NULL, MAX_FRAME);
    size_t used;
    plx_frame f;
    assert_int_equal(plx_deframer_feed(d, b, 40, &used, &f), 1);
    assert_int_equal(used, 20);
    assert_int_equal(plx_deframer_feed(d, b + 20, 20, &used, &f), PLX_E_TRUNCATED);
    assert_int_equal(plx_deframer_feed(d, b, 20, &used, &f), PLX_E_TRUNCATED);
    plx_deframer_free(d);
}

/* The buffer never holds more than one frame, even for a max_frame payload fed bytewise. */
static void test_buffer_bound(void **state) {
    (void)state;
    stream st;
    uint64_t seed = 3;
    memset(&st, 0, sizeof(st));
    add_frame(&st, 0, 0, MAX_FRAME, &seed);
    add_frame(&st, 1, 0, MAX_FRAME, &seed);
    plx_deframer *d = plx_deframer_new(NULL, MAX_FRAME);
    size_t max_seen = 0, frames = 0;
    for (size_t i = 0; i < st.len; i++) {
        size_t used;
        plx_frame f;
        int rc = plx_deframer_feed(d, st.buf + i, 1, &used, &f);
        assert_int_equal(used, 1);
        if (plx_deframer_buffered(d) > max_seen) max_seen = plx_deframer_buffered(d);
        frames += rc == 1;
    }
    assert_int_equal(frames, 2);
    assert_int_equal(max_seen, 20 + MAX_FRAME - 1);
    plx_deframer_free(d);
    free(st.buf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_input_zero_copy),
        cmocka_unit_test(test_one_byte_at_a_time),
        cmocka_unit_test(test_random_chops),
        cmocka_unit_test(test_split_header_payload_not_copied),
        cmocka_unit_test(test_stops_after_one_frame),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_buffer_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
