/*
 * test_conform_utf8.c - unit tests of plexus-conform's UTF-8 handling (conformance/src/util.c,
 * json.c, report.c): sequences are classified as RFC 3629 says, cuts never split a character,
 * sanitizing replaces every invalid byte by U+FFFD, cf_json_print_max cuts at a character
 * boundary, and the JSON report stays valid UTF-8 when a reason or a wire log quotes bytes that
 * are not (a string cut inside a multi-byte character, a server's raw close reason).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "json.h"
#include "report.h"
#include "util.h"

/* 1 when s[0..len) is valid UTF-8 without NUL. */
static int valid(const char *s, size_t len) {
    size_t i = 0;

    while (i < len) {
        size_t k = s[i] ? cf_utf8_seq((const unsigned char *)s + i, len - i) : 0;

        if (!k) return 0;
        i += k;
    }
    return 1;
}

static void test_seq(void **state) {
    (void)state;
    assert_int_equal(cf_utf8_seq((const unsigned char *)"a", 1), 1);
    assert_int_equal(cf_utf8_seq((const unsigned char *)"\xc3\xa9", 2), 2);         /* é */
    assert_int_equal(cf_utf8_seq((const unsigned char *)"\xe2\x82\xac", 3), 3);     /* € */
    assert_int_equal(cf_utf8_seq((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4); /* 😀 */
    assert_int_equal(cf_utf8_seq((const unsigned char *)"\xc3", 1), 0);             /* cut */
    assert_int_equal(cf_utf8_seq((const unsigned char *)"\xe2\x82", 2), 0);
    assert_int_equal(cf_utf8_seq((const unsigned char *)"\xc0\xaf", 2), 0);         /* overlong */
    assert_int_equal(cf_utf8_seq((const unsigned char *)"\xe0\x80\xaf", 3), 0);     /* overlong */
    assert_int_equal(cf_utf8_seq((const unsigned char *)"\xed\xa0\x80", 3), 0);     /* surrogate */
    assert_int_equal(cf_utf8_seq((const unsigned char *)"\xf4\x90\x80\x80", 4), 0); /* > 10FFFF */
    assert_int_equal(cf_utf8_seq((const unsigned char *)"\x80", 1), 0);             /* stray */
    assert_int_equal(cf_utf8_seq((const unsigned char *)"\xff", 1), 0);
    assert_int_equal(cf_utf8_seq((const unsigned char *)"\xc3\x28", 2), 0);
}

static void test_cut(void **state) {
    const char *s = "ab\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"; /* a b é € 😀: 11 bytes */
    size_t n;

    (void)state;
    assert_int_equal(cf_utf8_cut(s, 0), 0);
    assert_int_equal(cf_utf8_cut(s, 2), 2);
    assert_int_equal(cf_utf8_cut(s, 3), 2); /* inside é */
    assert_int_equal(cf_utf8_cut(s, 4), 4);
    assert_int_equal(cf_utf8_cut(s, 5), 4); /* inside € */
    assert_int_equal(cf_utf8_cut(s, 6), 4);
    assert_int_equal(cf_utf8_cut(s, 7), 7);
    assert_int_equal(cf_utf8_cut(s, 8), 7); /* inside 😀 */
    assert_int_equal(cf_utf8_cut(s, 10), 7);
    assert_int_equal(cf_utf8_cut(s, 11), 11);
    for (n = 0; n <= 11; n++)
        assert_true(valid(s, cf_utf8_cut(s, n)));
}

static void test_sanitize(void **state) {
    char *t;

    (void)state;
    t = cf_utf8_sanitize("ok \xc3\xa9", 5);
    assert_string_equal(t, "ok \xc3\xa9"); /* valid text is unchanged */
    free(t);
    t = cf_utf8_sanitize("a\xc3", 2); /* cut inside a character */
    assert_string_equal(t, "a\xef\xbf\xbd");
    free(t);
    t = cf_utf8_sanitize("\xff\x80z\xed\xa0\x80", 6); /* each bad byte becomes U+FFFD */
    assert_string_equal(t, "\xef\xbf\xbd\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    free(t);
    t = cf_utf8_sanitize("a\0b", 3); /* a NUL cannot live in a C string */
    assert_string_equal(t, "a\xef\xbf\xbd"
                           "b");
    free(t);
}

/* cf_json_print_max of a string of 40 two-byte characters (82 bytes printed), cut at every
 * position. */
static void test_print_max(void **state) {
    char text[256];
    size_t max, i;

    (void)state;
    strcpy(text, "\"");
    for (i = 0; i < 40; i++)
        strcat(text, "\xc3\xa9");
    strcat(text, "\"");
    for (max = 4; max < 90; max++) {
        cJSON *v = cf_json_parse(text, strlen(text), NULL);
        char *p = cf_json_print_max(v, max);

        assert_non_null(p);
        assert_true(strlen(p) <= max);
        assert_true(valid(p, strlen(p)));
        if (max < 82) assert_string_equal(p + strlen(p) - 3, "...");
        free(p);
        cJSON_Delete(v);
    }
}

/* The JSON report of a failed result whose reason, received text and wire log carry broken
 * UTF-8 is valid UTF-8 and parses. */
static void test_report_json(void **state) {
    char path[] = "/tmp/test_conform_utf8-XXXXXX";
    cf_result r;
    cJSON *e, *root;
    char *text;
    size_t len = 0;
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cf_result_init(&r, "frame-001", "t\xc3\xa9st", 0, NULL), 0);
    r.verdict = CF_FAIL;
    r.reason = strdup("cut inside \xe2\x82");
    r.received = strdup("close reason \xff\xfe");
    r.log = cJSON_CreateArray();
    e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "reason", "raw \xc0\xaf");
    cJSON_AddItemToArray(r.log, e);
    assert_int_equal(cf_report_json(path, "ws://127.0.0.1:1", &r, 1), 0);
    text = cf_read_file(path, 1 << 20, &len);
    assert_non_null(text);
    assert_true(valid(text, len));
    root = cJSON_Parse(text);
    assert_non_null(root);
    assert_non_null(strstr(text, "cut inside \xef\xbf\xbd\xef\xbf\xbd"));
    assert_non_null(strstr(text, "t\xc3\xa9st")); /* valid text kept as it is */
    cJSON_Delete(root);
    free(text);
    cf_result_free(&r);
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seq),         cmocka_unit_test(test_cut),
        cmocka_unit_test(test_sanitize),    cmocka_unit_test(test_print_max),
        cmocka_unit_test(test_report_json),
    };

    return cmocka_run_group_tests(tests, 0, 0);
}
