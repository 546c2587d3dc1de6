/*
 * test_glob.c - glob matching with Redis's stringmatchlen semantics: wildcards, sets, ranges,
 * negation, escapes, unterminated sets, binary bytes, case folding, and patterns that would
 * take exponential time in a naive matcher.
 */
#include "helpers.h"
#include "internal.h"

static int m(const char *pat, const char *str) {
    return plx_glob_match((const uint8_t *)pat, strlen(pat), (const uint8_t *)str, strlen(str), 0);
}

static void test_wildcards(void **state) {
    assert_true(m("*", ""));
    assert_true(m("*", "anything"));
    assert_true(m("**", "x"));
    assert_true(m("", ""));
    assert_false(m("", "a"));
    assert_false(m("a", ""));
    assert_true(m("a*", "a"));
    assert_true(m("a*", "abc"));
    assert_false(m("a*", "ba"));
    assert_true(m("*c", "abc"));
    assert_true(m("a*c", "ac"));
    assert_true(m("a*c", "abbbc"));
    assert_false(m("a*c", "abbb"));
    assert_true(m("a*b*c", "aXbYc"));
    assert_true(m("a*b*c", "abcbc"));
    assert_false(m("a*b*c", "acb"));
    assert_true(m("?", "x"));
    assert_false(m("?", ""));
    assert_false(m("?", "xy"));
    assert_true(m("h?llo", "hello"));
    assert_true(m("*?", "a"));
    assert_false(m("*??", "a"));
}

static void test_sets(void **state) {
    assert_true(m("h[ae]llo", "hello"));
    assert_true(m("h[ae]llo", "hallo"));
    assert_false(m("h[ae]llo", "hillo"));
    assert_true(m("h[^e]llo", "hallo"));
    assert_false(m("h[^e]llo", "hello"));
    assert_true(m("h[a-c]llo", "hbllo"));
    assert_false(m("h[a-c]llo", "hdllo"));
    assert_true(m("h[c-a]llo", "hbllo")); /* reversed range */
    assert_true(m("[a-cx-z]", "y"));
    assert_false(m("[a-cx-z]", "m"));
    assert_true(m("[\\]]", "]"));
    assert_true(m("[\\-]", "-"));
    assert_true(m("[a-]", "]")); /* Redis: a range from 'a' to ']' */
    assert_false(m("[]]", "]")); /* "[]" is an empty set; the second "]" is literal */
    assert_false(m("[]", "]"));
    assert_false(m("[", "a")); /* an empty set open at the end matches nothing */
    assert_true(m("[^", "a")); /* an empty negated set: any byte */
    assert_true(m("[a", "a")); /* closed at the end of the pattern */
    assert_false(m("[a", "b"));
    assert_true(m("x[a-", "xa")); /* "a-" at the end: literal a, then '-' */
    assert_true(m("[\\", "\\"));  /* a lone backslash at the end is literal */
}

static void test_escapes(void **state) {
    assert_true(m("\\*", "*"));
    assert_false(m("\\*", "a"));
    assert_true(m("\\?", "?"));
    assert_false(m("\\?", "x"));
    assert_true(m("h\\[llo", "h[llo"));
    assert_true(m("\\a", "a"));
    assert_true(m("a\\", "a\\")); /* trailing backslash: literal */
    assert_true(m("*\\*", "abc*"));
    assert_false(m("*\\*", "abc"));
}

static void test_binary_and_case(void **state) {
    const uint8_t pat[] = {'a', '?', 'c', 0, '*'};
    const uint8_t str[] = {'a', 0, 'c', 0, 0xff, 'z'};
    assert_true(plx_glob_match(pat, sizeof(pat), str, sizeof(str), 0));
    const uint8_t str2[] = {'a', 0, 'c', 1};
    assert_false(plx_glob_match(pat, sizeof(pat), str2, sizeof(str2), 0));
    const uint8_t hi[] = {'[', 0x80, '-', 0xff, ']'};
    const uint8_t b90[] = {0x90};
    assert_true(plx_glob_match(hi, sizeof(hi), b90, 1, 0));
    assert_false(m("HELLO", "hello"));
    assert_true(plx_glob_match((const uint8_t *)"HE[L]LO", 7, (const uint8_t *)"hello", 5, 1));
    assert_true(plx_glob_match((const uint8_t *)"h[A-Z]llo", 9, (const uint8_t *)"hello", 5, 1));
}

static void test_no_exponential_time(void **state) {
    /* a*a*a*...a*b against aaaa...: exponential for a plain recursive matcher. */
    char pat[128] = "", str[4096];
    for (int i = 0; i < 30; i++)
        strcat(pat, "a*");
    strcat(pat, "b");
    memset(str, 'a', sizeof(str) - 1);
    str[sizeof(str) - 1] = 0;
    assert_false(m(pat, str));
    str[sizeof(str) - 2] = 'b';
    assert_true(m(pat, str));
}

static void test_through_keys(void **state) {
    plx_store *s = plx_store_new(NULL, NULL, NULL);
    assert_non_null(s);
    t_ok(s, 1, "MSET a*b 1 axb 2");
    t_set(s, 1, "KEYS a\\*b", "a*b");
    t_set(s, 1, "KEYS a*b", "a*b,axb");
    plx_store_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_sets),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_binary_and_case),
        cmocka_unit_test(test_no_exponential_time),
        cmocka_unit_test(test_through_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
