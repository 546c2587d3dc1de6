/*
 * test_log.c - plexus-server's log: level names, the level filter, and the repeat filter
 * that keeps a noisy source (lws's accept errors while fds are exhausted) to one line per
 * PLX_LOG_REPEAT_MS with a count of what it dropped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"

static void test_levels(void **state) {
    static const char *const names[] = {"error", "warn", "info", "debug"};
    plx_log_level l;

    (void)state;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(plx_log_parse_level(names[i], &l), 0);
        assert_int_equal(l, (plx_log_level)i);
    }
    assert_int_equal(plx_log_parse_level("Error", &l), -1);
    assert_int_equal(plx_log_parse_level("", &l), -1);
    assert_int_equal(plx_log_parse_level("debugx", &l), -1);
    plx_log_set_level(PLX_LOG_WARN);
    assert_true(plx_log_enabled(PLX_LOG_ERROR));
    assert_true(plx_log_enabled(PLX_LOG_WARN));
    assert_false(plx_log_enabled(PLX_LOG_INFO));
    assert_false(plx_log_enabled(PLX_LOG_DEBUG));
    plx_log_set_level(PLX_LOG_DEBUG);
    assert_true(plx_log_enabled(PLX_LOG_DEBUG));
    plx_log_set_level(PLX_LOG_INFO);
}

static void test_repeats_are_dropped_and_counted(void **state) {
    plx_log_repeat r;
    unsigned long dropped = 99;

    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(plx_log_repeat_pass(&r, "accept: errno 24", 0, &dropped), 1);
    assert_int_equal(dropped, 0); /* the very first line, even an empty one, is printed */
    for (int i = 0; i < 10000; i++)
        assert_int_equal(plx_log_repeat_pass(&r, "accept: errno 24", (uint64_t)i / 10, &dropped),
                         0);
    /* a different line goes through at once and reports the drops */
    assert_int_equal(plx_log_repeat_pass(&r, "something else", 1000 - 1, &dropped), 1);
    assert_int_equal(dropped, 10000);
    assert_int_equal(plx_log_repeat_pass(&r, "something else", 1000, &dropped), 0);
    /* the same line again once the window is over: printed, with the count */
    assert_int_equal(plx_log_repeat_pass(&r, "something else", 999 + PLX_LOG_REPEAT_MS, &dropped),
                     1);
    assert_int_equal(dropped, 1);
    assert_int_equal(plx_log_repeat_pass(&r, "something else", 999 + PLX_LOG_REPEAT_MS, &dropped),
                     0);
}

static void test_empty_and_long_lines(void **state) {
    plx_log_repeat r;
    unsigned long dropped;
    char a[600], b[600];

    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(plx_log_repeat_pass(&r, "", 5, &dropped), 1);
    assert_int_equal(plx_log_repeat_pass(&r, "", 6, &dropped), 0);
    /* lines are compared on their first PLX_LOG_REPEAT_SPAN - 1 bytes */
    memset(a, 'a', sizeof(a) - 1);
    a[sizeof(a) - 1] = '\0';
    memcpy(b, a, sizeof(b));
    b[500] = 'b';
    assert_int_equal(plx_log_repeat_pass(&r, a, 10, &dropped), 1);
    assert_int_equal(dropped, 1);
    assert_int_equal(plx_log_repeat_pass(&r, b, 11, &dropped), 0);
    b[10] = 'b';
    assert_int_equal(plx_log_repeat_pass(&r, b, 12, &dropped), 1);
    assert_int_equal(dropped, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_repeats_are_dropped_and_counted),
        cmocka_unit_test(test_empty_and_long_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
