/*
 * test_link_both.c - libplexus-client and the server's static libraries in one program: it
 * links (no duplicate symbols) and each side's reply type works next to the other's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <plexus/client.h>

#include "store.h"

static void both_reply_kinds(void **state) {
    (void)state;
    plx_store *s = plx_store_new(NULL, NULL, NULL);
    assert_non_null(s);
    plx_bytes argv[3] = {
        {(const uint8_t *)"SET", 3}, {(const uint8_t *)"k", 1}, {(const uint8_t *)"v", 1}};
    plx_store_reply *r = plx_store_exec(s, argv, 3, 0);
    assert_non_null(r);
    assert_int_equal(r->type, PLX_STORE_REPLY_STATUS);
    assert_string_equal(r->str, "OK");
    plx_store_reply_free(r);
    plx_store_free(s);

    plx_reply *c = plx_reply_integer(42);
    assert_non_null(c);
    assert_int_equal(c->type, PLX_REPLY_INTEGER);
    assert_int_equal(c->integer, 42);
    plx_reply_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(both_reply_kinds)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
