/*
 * test_frame.c - the frame header: encode/decode round trips, field validation and the order
 * of the decode checks (SPEC.md / DECISIONS.md), whole-frame decoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <plexus/codec.h>

static void put_header(uint8_t *b, uint8_t ver, uint8_t flags, uint16_t res, uint32_t id,
                       uint32_t off, uint32_t len) {
    b[0] = ver;
    b[1] = flags;
    b[2] = (uint8_t)(res >> 8);
    b[3] = (uint8_t)res;
    for (int i = 0; i < 4; i++) {
        b[4 + i] = (uint8_t)(id >> (24 - 8 * i));
        b[8 + i] = (uint8_t)(off >> (24 - 8 * i));
        b[12 + i] = (uint8_t)(len >> (24 - 8 * i));
    }
}

static void test_encode_layout(void **state) {
    (void)state;
    plx_frame_header h = {1, PLX_FLAG_GZIP | PLX_FLAG_MORE, 0, 0x01020304u, 0xA0B0C0D0u, 0x10u};
    uint8_t out[16];
    assert_int_equal(plx_frame_header_encode(&h, out), 0);
    const uint8_t want[16] = {1, 3, 0, 0, 1, 2, 3, 4, 0xA0, 0xB0, 0xC0, 0xD0, 0, 0, 0, 0x10};
    assert_memory_equal(out, want, 16);
}

static void test_round_trip(void **state) {
    (void)state;
    const uint32_t ids[] = {0, 1, 0x7fffffffu, 0xffffffffu};
    const uint8_t flags[] = {0, PLX_FLAG_GZIP, PLX_FLAG_MORE, PLX_FLAG_GZIP | PLX_FLAG_MORE};
    for (size_t i = 0; i < 4; i++) {
        for (size_t j = 0; j < 4; j++) {
            plx_frame_header h = {1, flags[j], 0, ids[i], ids[3 - i], 1 + (uint32_t)i * 100}, g;
            uint8_t buf[16];
            assert_int_equal(plx_frame_header_encode(&h, buf), 0);
            assert_int_equal(plx_frame_header_decode(buf, 16, 1000, &g), 0);
            assert_int_equal(g.version, 1);
            assert_int_equal(g.flags, flags[j]);
            assert_int_equal(g.reserved, 0);
            assert_int_equal(g.msg_id, ids[i]);
            assert_int_equal(g.offset, ids[3 - i]);
            assert_int_equal(g.length, h.length);
        }
    }
}

static void test_encode_rejects(void **state) {
    (void)state;
    uint8_t out[16];
    plx_frame_header h = {2, 0, 0, 1, 0, 0};
    assert_int_equal(plx_frame_header_encode(&h, out), PLX_E_INVAL);
    h.version = 1;
    h.flags = 0x04;
    assert_int_equal(plx_frame_header_encode(&h, out), PLX_E_INVAL);
    h.flags = 0x80;
    assert_int_equal(plx_frame_header_encode(&h, out), PLX_E_INVAL);
    h.flags = 0;
    h.reserved = 1;
    assert_int_equal(plx_frame_header_encode(&h, out), PLX_E_INVAL);
    h.reserved = 0;
    assert_int_equal(plx_frame_header_encode(&h, out), 0);
}

static void test_decode_each_error(void **state) {
    (void)state;
    uint8_t b[16];
    plx_frame_header h;
    put_header(b, 1, 0, 0, 7, 0, 10);
    for (size_t n = 0; n < 16; n++)
        assert_int_equal(plx_frame_header_decode(b, n, 100, &h), PLX_E_TRUNCATED);
    assert_int_equal(plx_frame_header_decode(b, 16, 100, &h), 0);
    put_header(b, 0, 0, 0, 7, 0, 10);
    assert_int_equal(plx_frame_header_decode(b, 16, 100, &h), PLX_E_BAD_VERSION);
    put_header(b, 2, 0, 0, 7, 0, 10);
    assert_int_equal(plx_frame_header_decode(b, 16, 100, &h), PLX_E_BAD_VERSION);
    for (unsigned bit = 2; bit < 8; bit++) {
        put_header(b, 1, (uint8_t)(1u << bit), 0, 7, 0, 10);
        assert_int_equal(plx_frame_header_decode(b, 16, 100, &h), PLX_E_RESERVED_BITS);
    }
    put_header(b, 1, 0, 1, 7, 0, 10);
    assert_int_equal(plx_frame_header_decode(b, 16, 100, &h), PLX_E_RESERVED_BITS);
    put_header(b, 1, 0, 0x8000, 7, 0, 10);
    assert_int_equal(plx_frame_header_decode(b, 16, 100, &h), PLX_E_RESERVED_BITS);
    put_header(b, 1, 0, 0, 7, 0, 101);
    assert_int_equal(plx_frame_header_decode(b, 16, 100, &h), PLX_E_FRAME_TOO_LARGE);
    put_header(b, 1, 0, 0, 7, 0, 100);
    assert_int_equal(plx_frame_header_decode(b, 16, 100, &h), 0);
    put_header(b, 1, PLX_FLAG_MORE, 0, 7, 0, 0);
    assert_int_equal(plx_frame_header_decode(b, 16, 100, &h), PLX_E_EMPTY_CHUNK);
    put_header(b, 1, PLX_FLAG_MORE | PLX_FLAG_GZIP, 0, 7, 0, 0);
    assert_int_equal(plx_frame_header_decode(b, 16, 100, &h), PLX_E_EMPTY_CHUNK);
    put_header(b, 1, 0, 0, 7, 0, 0); /* an empty unchunked frame is well formed */
    assert_int_equal(plx_frame_header_decode(b, 16, 100, &h), 0);
}

/* When several fields are wrong the earliest check in the spec's order wins. */
static void test_decode_order(void **state) {
    (void)state;
    uint8_t b[16];
    plx_frame_header h;
    put_header(b, 9, 0xff, 0xffff, 1, 0, 0);
    assert_int_equal(plx_frame_header_decode(b, 16, 100, &h), PLX_E_BAD_VERSION);
    put_header(b, 1, 0xfe, 0, 1, 0, 1000);
    assert_int_equal(plx_frame_header_decode(b, 16, 100, &h), PLX_E_RESERVED_BITS);
    put_header(b, 1, PLX_FLAG_MORE, 5, 1, 0, 0);
    assert_int_equal(plx_frame_header_decode(b, 16, 100, &h), PLX_E_RESERVED_BITS);
    put_header(b, 2, 0, 0, 1, 0, 0);
    assert_int_equal(plx_frame_header_decode(b, 3, 100, &h), PLX_E_TRUNCATED);

    uint8_t f[40];
    plx_frame fr;
    put_header(f, 1, 0, 0, 1, 0, 1000); /* too large wins over the transport length */
    assert_int_equal(plx_frame_decode(f, 20, 100, &fr), PLX_E_FRAME_TOO_LARGE);
    put_header(f, 1, PLX_FLAG_MORE, 0, 1, 0, 0); /* empty chunk wins too */
    assert_int_equal(plx_frame_decode(f, 40, 100, &fr), PLX_E_EMPTY_CHUNK);
    put_header(f, 3, 0, 0, 1, 0, 8);
    assert_int_equal(plx_frame_decode(f, 10, 100, &fr), PLX_E_TRUNCATED);
}

static void test_frame_decode(void **state) {
    (void)state;
    uint8_t f[64];
    memset(f, 0xAB, sizeof(f));
    put_header(f, 1, PLX_FLAG_GZIP, 0, 42, 5, 10);
    plx_frame fr;
    assert_int_equal(plx_frame_decode(f, 26, 100, &fr), 0);
    assert_ptr_equal(fr.payload, f + 16);
    assert_int_equal(fr.h.msg_id, 42);
    assert_int_equal(fr.h.offset, 5);
    assert_int_equal(fr.h.length, 10);
    assert_int_equal(fr.h.flags, PLX_FLAG_GZIP);
    for (size_t n = 16; n < 26; n++)
        assert_int_equal(plx_frame_decode(f, n, 100, &fr), PLX_E_TRUNCATED);
    for (size_t n = 27; n < 64; n++)
        assert_int_equal(plx_frame_decode(f, n, 100, &fr), PLX_E_LENGTH_MISMATCH);
    put_header(f, 1, 0, 0, 1, 0, 0);
    assert_int_equal(plx_frame_decode(f, 16, 100, &fr), 0);
    assert_int_equal(fr.h.length, 0);
    assert_int_equal(plx_frame_decode(f, 17, 100, &fr), PLX_E_LENGTH_MISMATCH);
}

static void test_max_frame_bounds(void **state) {
    (void)state;
    uint8_t b[16];
    plx_frame_header h;
    put_header(b, 1, 0, 0, 1, 0, PLX_MAX_MAX_FRAME);
    assert_int_equal(plx_frame_header_decode(b, 16, PLX_MAX_MAX_FRAME, &h), 0);
    put_header(b, 1, 0, 0, 1, 0, 0xffffffffu);
    assert_int_equal(plx_frame_header_decode(b, 16, PLX_MAX_MAX_FRAME, &h), PLX_E_FRAME_TOO_LARGE);
    assert_int_equal(plx_frame_header_decode(b, 16, 0xffffffffu, &h), 0);
    assert_int_equal(h.length, 0xffffffffu);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_layout),    cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_encode_rejects),   cmocka_unit_test(test_decode_each_error),
        cmocka_unit_test(test_decode_order),     cmocka_unit_test(test_frame_decode),
        cmocka_unit_test(test_max_frame_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
