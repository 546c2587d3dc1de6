/*
 * test_url.c - plx_rstore_parse_url: the accepted forms and each rejected one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rstore.h"

static void good(const char *url, const char *host, int port, int db) {
    char h[256], err[128] = "";
    int p = -1, d = -1;
    assert_int_equal(plx_rstore_parse_url(url, h, sizeof(h), &p, &d, err, sizeof(err)), 0);
    assert_string_equal(h, host);
    assert_int_equal(p, port);
    assert_int_equal(d, db);
}

static void bad(const char *url, const char *reason) {
    char h[256], err[128] = "";
    int p = -1, d = -1;
    assert_int_equal(plx_rstore_parse_url(url, h, sizeof(h), &p, &d, err, sizeof(err)),
                     PLX_E_INVAL);
    assert_non_null(strstr(err, reason));
    assert_int_equal(p, -1); /* nothing written on failure */
    assert_int_equal(d, -1);
}

static void test_good_forms(void **state) {
    (void)state;
    good("redis://127.0.0.1:6379", "127.0.0.1", 6379, 0);
    good("redis://localhost:1/15", "localhost", 1, 15);
    good("redis://redis.example-1.net:65535/0", "redis.example-1.net", 65535, 0);
    good("redis://db_host", "db_host", 6379, 0);
    good("redis://h/3", "h", 6379, 3);
}

static void test_bad_forms(void **state) {
    (void)state;
    bad("", "redis://");
    bad("http://h:1", "redis://");
    bad("REDIS://h:1", "redis://");
    bad("redis://", "no host");
    bad("redis://:6379", "no host");
    bad("redis:///1", "no host");
    bad("redis://user:pw@h:1", "port"); /* "pw@h" is not a port */
    bad("redis://user@h:1", "bad character '@'");
    bad("redis://[::1]:6379", "bad character '['");
    bad("redis://h h:1", "bad character ' '");
    bad("redis://h:", "port");
    bad("redis://h:0", "port");
    bad("redis://h:65536", "port");
    bad("redis://h:123456", "port");
    bad("redis://h:-1", "port");
    bad("redis://h:+1", "port");
    bad("redis://h:1x", "port");
    bad("redis://h:1/", "DB");
    bad("redis://h:1/16", "DB");
    bad("redis://h:1/-1", "DB");
    bad("redis://h:1/a", "DB");
    bad("redis://h:1/1/2", "DB");
    bad("redis://h:1/1?x=1", "DB");
    char longhost[300] = "redis://";
    memset(longhost + 8, 'a', 254);
    longhost[8 + 254] = 0;
    bad(longhost, "host longer");
}

static void test_small_host_buffer_and_null(void **state) {
    (void)state;
    char h[4], err[64];
    int p, d;
    assert_int_equal(plx_rstore_parse_url("redis://abcd:1", h, sizeof(h), &p, &d, err, sizeof(err)),
                     PLX_E_INVAL);
    assert_non_null(strstr(err, "host longer than 3"));
    assert_int_equal(plx_rstore_parse_url("redis://abc:1", h, sizeof(h), &p, &d, NULL, 0), 0);
    assert_string_equal(h, "abc");
    assert_int_equal(plx_rstore_parse_url(NULL, h, sizeof(h), &p, &d, err, sizeof(err)),
                     PLX_E_INVAL);
}

static void test_new_rejects_bad_url(void **state) {
    (void)state;
    char err[128] = "";
    plx_rstore_config cfg = {.url = "redis://h:0"};
    assert_null(plx_rstore_new(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "port"));
    cfg.url = "redis://h:1";
    cfg.nchannels = PLX_RSTORE_MAX_CHANNELS + 1;
    assert_null(plx_rstore_new(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "channels"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_forms),
        cmocka_unit_test(test_bad_forms),
        cmocka_unit_test(test_small_host_buffer_and_null),
        cmocka_unit_test(test_new_rejects_bad_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
