/*
 * test_utf8.c - plx_utf8_valid against a reference decoder written from the definition
 * (decode by bit patterns, then reject overlongs, surrogates and code points > U+10FFFF):
 * every 1-, 2- and 3-byte sequence, 4-byte sequences over every lead byte and second byte
 * with boundary continuation bytes, every code point's encoding, named edge cases, and reads
 * that must stop at len (exact-size heap buffers under ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <plexus/codec.h>

/* The reference: 1 if s[0..len) is well-formed UTF-8. */
static int ref_valid(const uint8_t *s, size_t len) {
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80)
            n = 1, cp = c;
        else if ((c & 0xE0) == 0xC0)
            n = 2, cp = c & 0x1F;
        else if ((c & 0xF0) == 0xE0)
            n = 3, cp = c & 0x0F;
        else if ((c & 0xF8) == 0xF0)
            n = 4, cp = c & 0x07;
        else
            return 0;
        if (len - i < n) return 0;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (n > 1 && cp < min_cp[n]) return 0;
        if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
        if (cp > 0x10FFFF) return 0;
        i += n;
    }
    return 1;
}

/* Encodes cp (<= 0x10FFFF) in the shortest form; returns the length. */
static size_t encode(uint32_t cp, uint8_t *out) {
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Checks s against the reference, in an exact-size heap copy so over-reads trip ASan. */
static int check_same(const uint8_t *s, size_t len) {
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, s, len);
    int got = plx_utf8_valid(copy, len);
    free(copy);
    return got == ref_valid(s, len);
}

static void test_every_short_sequence(void **state) {
    (void)state;
    uint8_t b[3];
    size_t mismatches = 0, valid2 = 0, valid3 = 0;
    for (uint32_t v = 0; v < 256; v++) {
        b[0] = (uint8_t)v;
        assert_int_equal(plx_utf8_valid(b, 1), ref_valid(b, 1));
        assert_int_equal(plx_utf8_valid(b, 1), v < 0x80);
    }
    for (uint32_t v = 0; v < 0x10000; v++) {
        b[0] = (uint8_t)(v >> 8), b[1] = (uint8_t)v;
        int got = plx_utf8_valid(b, 2);
        mismatches += got != ref_valid(b, 2);
        valid2 += got;
    }
    for (uint32_t v = 0; v < 0x1000000; v++) {
        b[0] = (uint8_t)(v >> 16), b[1] = (uint8_t)(v >> 8), b[2] = (uint8_t)v;
        int got = plx_utf8_valid(b, 3);
        mismatches += got != ref_valid(b, 3);
        valid3 += got;
    }
    assert_int_equal(mismatches, 0);
    /* 2 bytes: two ASCII (128^2) + U+0080..U+07FF (1920). */
    assert_int_equal(valid2, 128 * 128 + 1920);
    /* 3 bytes: ASCII^3, ASCII+2-byte both ways, U+0800..U+FFFF minus 2048 surrogates. */
    assert_int_equal(valid3, 128 * 128 * 128 + 2 * 128 * 1920 + (0x10000 - 0x800 - 0x800));
}

static void test_four_byte_sequences(void **state) {
    (void)state;
    static const uint8_t edge[] = {0x00, 0x7F, 0x80, 0x81, 0x8F, 0x90, 0x9F,
                                   0xA0, 0xBE, 0xBF, 0xC0, 0xF4, 0xFF};
    const size_t ne = sizeof(edge);
    size_t mismatches = 0, valid = 0;
    for (uint32_t lead = 0xE0; lead < 0x100; lead++) {
        for (uint32_t b1 = 0; b1 < 256; b1++) {
            for (size_t i = 0; i < ne; i++) {
                for (size_t j = 0; j < ne; j++) {
                    uint8_t b[4] = {(uint8_t)lead, (uint8_t)b1, edge[i], edge[j]};
                    int got = plx_utf8_valid(b, 4);
                    mismatches += got != ref_valid(b, 4);
                    valid += got;
                }
            }
        }
    }
    assert_int_equal(mismatches, 0);
    assert_true(valid > 0);
}

static void test_every_code_point(void **state) {
    (void)state;
    uint8_t b[4];
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        size_t n = encode(cp, b);
        int want = !(cp >= 0xD800 && cp <= 0xDFFF);
        if (plx_utf8_valid(b, n) != want) fail_msg("U+%04X judged %d", (unsigned)cp, !want);
        /* cut short: never valid when the sequence is multi-byte */
        if (n > 1 && plx_utf8_valid(b, n - 1)) fail_msg("U+%04X cut short passed", (unsigned)cp);
    }
}

typedef struct named_case {
    const char *what;
    const char *bytes;
    size_t len;
    int valid;
} named_case;

#define CASE(what, s, v)                                                                           \
    { what, s, sizeof(s) - 1, v }

static void test_named_edge_cases(void **state) {
    (void)state;
    static const named_case cases[] = {
        CASE("empty", "", 1),
        CASE("NUL byte", "\x00", 1),
        CASE("ASCII", "hello, world", 1),
        CASE("U+0080", "\xC2\x80", 1),
        CASE("U+07FF", "\xDF\xBF", 1),
        CASE("U+0800", "\xE0\xA0\x80", 1),
        CASE("U+D7FF", "\xED\x9F\xBF", 1),
        CASE("U+D800 high surrogate", "\xED\xA0\x80", 0),
        CASE("U+DBFF", "\xED\xAF\xBF", 0),
        CASE("U+DC00 low surrogate", "\xED\xB0\x80", 0),
        CASE("U+DFFF", "\xED\xBF\xBF", 0),
        CASE("surrogate pair in CESU-8", "\xED\xA0\xBD\xED\xB8\x80", 0),
        CASE("U+E000", "\xEE\x80\x80", 1),
        CASE("U+FFFD", "\xEF\xBF\xBD", 1),
        CASE("U+FFFE noncharacter (valid)", "\xEF\xBF\xBE", 1),
        CASE("U+FFFF", "\xEF\xBF\xBF", 1),
        CASE("U+10000", "\xF0\x90\x80\x80", 1),
        CASE("U+1F600", "\xF0\x9F\x98\x80", 1),
        CASE("U+10FFFF", "\xF4\x8F\xBF\xBF", 1),
        CASE("U+110000", "\xF4\x90\x80\x80", 0),
        CASE("U+1FFFFF", "\xF7\xBF\xBF\xBF", 0),
        CASE("overlong '/' 2 bytes", "\xC0\xAF", 0),
        CASE("overlong NUL 2 bytes", "\xC0\x80", 0),
        CASE("overlong U+007F", "\xC1\xBF", 0),
        CASE("overlong '/' 3 bytes", "\xE0\x80\xAF", 0),
        CASE("overlong U+07FF 3 bytes", "\xE0\x9F\xBF", 0),
        CASE("overlong '/' 4 bytes", "\xF0\x80\x80\xAF", 0),
        CASE("overlong U+FFFF 4 bytes", "\xF0\x8F\xBF\xBF", 0),
        CASE("5-byte form", "\xF8\x88\x80\x80\x80", 0),
        CASE("6-byte form", "\xFC\x84\x80\x80\x80\x80", 0),
        CASE("FE", "\xFE", 0),
        CASE("FF", "\xFF", 0),
        CASE("lone continuation", "\x80", 0),
        CASE("lone continuation BF", "a\xBF", 0),
        CASE("2-byte lead then ASCII",
             "\xC3"
             "a",
             0),
        CASE("3-byte lead, one continuation, end", "\xE2\x82", 0),
        CASE("3-byte lead, continuation, ASCII",
             "\xE2\x82"
             "a",
             0),
        CASE("4-byte lead, two continuations, end", "\xF0\x9F\x98", 0),
        CASE("lead at end", "abc\xE2", 0),
        CASE("euro sign", "\xE2\x82\xAC", 1),
        CASE("mixed", "a\xC3\xA9z\xE2\x82\xAC\xF0\x9F\x98\x80!", 1),
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const named_case *c = &cases[i];
        if (plx_utf8_valid((const uint8_t *)c->bytes, c->len) != c->valid)
            fail_msg("%s: expected %s", c->what, c->valid ? "valid" : "invalid");
        assert_true(check_same((const uint8_t *)c->bytes, c->len));
    }
}

/* Long ASCII runs with one sequence placed at every offset: the 8-byte fast path must not
 * skip a bad byte or misjudge a good sequence whatever its alignment. */
static void test_fast_path_alignment(void **state) {
    (void)state;
    static const struct {
        const char *seq;
        size_t len;
        int valid;
    } seqs[] = {{"\x80", 1, 0},
                {"\xFF", 1, 0},
                {"\xC3\xA9", 2, 1},
                {"\xED\xA0\x80", 3, 0},
                {"\xF0\x9F\x98\x80", 4, 1},
                {"\xC3", 1, 0},
                {"\x7F", 1, 1}};
    uint8_t buf[80];
    for (size_t s = 0; s < sizeof(seqs) / sizeof(seqs[0]); s++) {
        for (size_t total = seqs[s].len; total <= sizeof(buf); total++) {
            for (size_t at = 0; at + seqs[s].len <= total; at++) {
                memset(buf, 'x', total);
                memcpy(buf + at, seqs[s].seq, seqs[s].len);
                assert_int_equal(plx_utf8_valid(buf, total), seqs[s].valid);
                assert_true(check_same(buf, total));
            }
        }
    }
}

/* The byte after len would complete the sequence: it must not be read. */
static void test_stops_at_len(void **state) {
    (void)state;
    const uint8_t full[] = {'a', 'b', 0xE2, 0x82, 0xAC};
    for (size_t len = 0; len <= sizeof(full); len++) {
        uint8_t *exact = malloc(len ? len : 1);
        assert_non_null(exact);
        memcpy(exact, full, len);
        assert_int_equal(plx_utf8_valid(exact, len), len <= 2 || len == 5);
        free(exact);
    }
    assert_int_equal(plx_utf8_valid(NULL, 0), 1);
}

/* A pseudo-random mix of valid and invalid bytes agrees with the reference. */
static void test_random_against_reference(void **state) {
    (void)state;
    uint32_t x = 12345;
    uint8_t buf[64];
    for (int round = 0; round < 200000; round++) {
        size_t len = 0, want = (size_t)(x % sizeof(buf));
        while (len < want) {
            x = x * 1103515245u + 12345u;
            uint32_t r = x >> 8;
            if (r % 4 == 0 && len + 4 <= want)
                len += encode(r % 0x110000, buf + len);
            else
                buf[len++] = (uint8_t)(r % 3 == 0 ? 0x80 + r % 0x80 : r);
        }
        if (!check_same(buf, len)) fail_msg("round %d disagrees with the reference", round);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_short_sequence),     cmocka_unit_test(test_four_byte_sequences),
        cmocka_unit_test(test_every_code_point),         cmocka_unit_test(test_named_edge_cases),
        cmocka_unit_test(test_fast_path_alignment),      cmocka_unit_test(test_stops_at_len),
        cmocka_unit_test(test_random_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
