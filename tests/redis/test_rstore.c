/*
 * test_rstore.c - the Redis backend against a real redis-server: reply round trips (strings,
 * integers, 1 MiB binary bulks, arrays, nil, status), error codes, ordered pipelines of 10,000
 * commands, atomic batches, FLUSHALL sent as FLUSHDB, and the max_queue bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rstore_helpers.h"

static plx_rstore *open_db(void **state, int db) {
    plx_rstore *r = rs_open(REDIS_PORT(state), db, 0, NULL, 0, 0, 2000);
    assert_non_null(r);
    assert_true(rs_wait_ready(r, 0, WAIT_MS));
    plx_store_reply *ok = rs_cmd(r, "FLUSHDB", NULL);
    assert_non_null(ok);
    plx_store_reply_free(ok);
    return r;
}

static void test_round_trips(void **state) {
    plx_rstore *r = open_db(state, 0);
    plx_store_reply *x = rs_cmd(r, "SET", "k", "v", NULL);
    assert_int_equal(x->type, PLX_STORE_REPLY_STATUS);
    assert_string_equal(x->str, "OK");
    plx_store_reply_free(x);
    x = rs_cmd(r, "GET", "k", NULL);
    assert_int_equal(x->type, PLX_STORE_REPLY_BULK);
    assert_string_equal(x->str, "v");
    plx_store_reply_free(x);
    x = rs_cmd(r, "INCRBY", "n", "-9223372036854775807", NULL);
    assert_int_equal(x->type, PLX_STORE_REPLY_INT);
    assert_true(x->integer == -9223372036854775807LL);
    plx_store_reply_free(x);
    x = rs_cmd(r, "GET", "missing", NULL);
    assert_int_equal(x->type, PLX_STORE_REPLY_NIL);
    plx_store_reply_free(x);
    x = rs_cmd(r, "RPUSH", "l", "a", "", "c", NULL);
    assert_int_equal(x->integer, 3);
    plx_store_reply_free(x);
    x = rs_cmd(r, "LRANGE", "l", "0", "-1", NULL);
    assert_int_equal(x->type, PLX_STORE_REPLY_ARRAY);
    assert_int_equal(x->nelem, 3);
    assert_string_equal(x->elem[0]->str, "a");
    assert_int_equal(x->elem[1]->len, 0);
    assert_string_equal(x->elem[2]->str, "c");
    plx_store_reply_free(x);
    x = rs_cmd(r, "LRANGE", "nolist", "0", "-1", NULL);
    assert_int_equal(x->type, PLX_STORE_REPLY_ARRAY);
    assert_int_equal(x->nelem, 0);
    plx_store_reply_free(x);
    x = rs_cmd(r, "TYPE", "l", NULL);
    assert_int_equal(x->type, PLX_STORE_REPLY_STATUS);
    assert_string_equal(x->str, "list");
    plx_store_reply_free(x);
    plx_rstore_free(r);
}

static void test_binary_1mib(void **state) {
    plx_rstore *r = open_db(state, 0);
    size_t n = (size_t)1 << 20;
    uint8_t *blob = malloc(n);
    for (size_t i = 0; i < n; i++)
        blob[i] = (uint8_t)(i * 7 + (i >> 9)); /* has NUL bytes and every value */
    plx_bytes set[3] = {{(const uint8_t *)"SET", 3}, {(const uint8_t *)"b\0k", 3}, {blob, n}};
    plx_bytes get[2] = {{(const uint8_t *)"GET", 3}, {(const uint8_t *)"b\0k", 3}};
    const plx_bytes *cmds[2] = {set, get};
    size_t argc[2] = {3, 2};
    assert_int_equal(plx_rstore_submit(r, 77, cmds, argc, 2, 0), 0);
    plx_rstore_event ev;
    assert_true(rs_next_kind(r, PLX_REV_DONE, &ev, WAIT_MS));
    assert_int_equal(ev.cookie, 77);
    assert_int_equal(ev.reply->type, PLX_STORE_REPLY_ARRAY);
    assert_int_equal(ev.reply->nelem, 2);
    assert_int_equal(ev.reply->elem[1]->type, PLX_STORE_REPLY_BULK);
    assert_int_equal(ev.reply->elem[1]->len, n);
    assert_memory_equal(ev.reply->elem[1]->str, blob, n);
    plx_rstore_event_clear(&ev);
    assert_null(ev.reply);
    free(blob);
    plx_rstore_free(r);
}

static void expect_error(plx_rstore *r, int code, const char *text, ...) {
    va_list ap;
    va_start(ap, text);
    assert_int_equal(rs_submitv(r, 5, ap), 0);
    va_end(ap);
    plx_rstore_event ev;
    assert_true(rs_next_kind(r, PLX_REV_DONE, &ev, WAIT_MS));
    assert_int_equal(ev.reply->nelem, 1);
    plx_store_reply *e = ev.reply->elem[0];
    assert_int_equal(e->type, PLX_STORE_REPLY_ERROR);
    assert_int_equal(e->code, code);
    assert_non_null(strstr(e->str, text));
    plx_rstore_event_clear(&ev);
}

static void test_error_codes(void **state) {
    plx_rstore *r = open_db(state, 0);
    plx_store_reply_free(rs_cmd(r, "SET", "s", "x", NULL));
    expect_error(r, PLX_E_WRONGTYPE, "WRONGTYPE Operation against a key", "LPUSH", "s", "a", NULL);
    expect_error(r, PLX_E_WRONG_ARITY, "ERR wrong number of arguments for 'get' command", "GET",
                 NULL);
    expect_error(r, PLX_E_COMMAND_ERROR, "ERR value is not an integer or out of range", "INCR", "s",
                 NULL);
    expect_error(r, PLX_E_COMMAND_ERROR, "ERR syntax error", "SET", "a", "b", "NX", "XX", NULL);
    expect_error(r, PLX_E_UNKNOWN_COMMAND, "ERR unknown command", "NOSUCHCMD", NULL);
    plx_rstore_free(r);
}

static void test_pipeline_10000_in_order(void **state) {
    plx_rstore *r = open_db(state, 0);
    enum { N = 10000 };
    static plx_bytes args[N][2];
    static const plx_bytes *cmds[N];
    static size_t argc[N];
    for (int i = 0; i < N; i++) {
        args[i][0] = (plx_bytes){(const uint8_t *)"INCR", 4};
        args[i][1] = (plx_bytes){(const uint8_t *)"ctr", 3};
        cmds[i] = args[i];
        argc[i] = 2;
    }
    /* one batch of 10,000, then 100 batches of 100 submitted back to back */
    assert_int_equal(plx_rstore_submit(r, 1, cmds, argc, N, 0), 0);
    for (int b = 0; b < 100; b++)
        assert_int_equal(plx_rstore_submit(r, 100 + (uint64_t)b, cmds, argc, 100, 0), 0);
    plx_rstore_event ev;
    assert_true(rs_next_kind(r, PLX_REV_DONE, &ev, 20000));
    assert_int_equal(ev.cookie, 1);
    assert_int_equal(ev.reply->nelem, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(ev.reply->elem[i]->integer, i + 1);
    plx_rstore_event_clear(&ev);
    long long next = N + 1;
    for (int b = 0; b < 100; b++) {
        assert_true(rs_next_kind(r, PLX_REV_DONE, &ev, 20000));
        assert_int_equal(ev.cookie, 100 + (uint64_t)b);
        assert_int_equal(ev.reply->nelem, 100);
        for (int i = 0; i < 100; i++)
            assert_int_equal(ev.reply->elem[i]->integer, next++);
        plx_rstore_event_clear(&ev);
    }
    plx_rstore_free(r);
}

static void test_atomic_batches(void **state) {
    plx_rstore *r = open_db(state, 0);
    plx_bytes a[3] = {
        {(const uint8_t *)"SET", 3}, {(const uint8_t *)"x", 1}, {(const uint8_t *)"1", 1}};
    plx_bytes b[2] = {{(const uint8_t *)"LPUSH", 5},
                      {(const uint8_t *)"x", 1}}; /* arity: EXECABORT */
    plx_bytes b3[3] = {{(const uint8_t *)"LPUSH", 5},
                       {(const uint8_t *)"x", 1},
                       {(const uint8_t *)"v", 1}}; /* WRONGTYPE at run time */
    plx_bytes c[2] = {{(const uint8_t *)"INCR", 4}, {(const uint8_t *)"x", 1}};
    const plx_bytes *ok[3] = {a, b3, c};
    size_t okc[3] = {3, 3, 2};
    assert_int_equal(plx_rstore_submit(r, 10, ok, okc, 3, 1), 0);
    plx_rstore_event ev;
    assert_true(rs_next_kind(r, PLX_REV_DONE, &ev, WAIT_MS));
    assert_int_equal(ev.cookie, 10);
    assert_int_equal(ev.reply->type, PLX_STORE_REPLY_ARRAY);
    assert_int_equal(ev.reply->nelem, 3);
    assert_string_equal(ev.reply->elem[0]->str, "OK");
    assert_int_equal(ev.reply->elem[1]->code, PLX_E_WRONGTYPE);
    assert_int_equal(ev.reply->elem[2]->integer, 2);
    plx_rstore_event_clear(&ev);

    const plx_bytes *bad[2] = {c, b};
    size_t badc[2] = {2, 2};
    assert_int_equal(plx_rstore_submit(r, 11, bad, badc, 2, 1), 0);
    assert_true(rs_next_kind(r, PLX_REV_DONE, &ev, WAIT_MS));
    assert_int_equal(ev.cookie, 11);
    assert_int_equal(ev.reply->type, PLX_STORE_REPLY_ERROR);
    assert_int_equal(ev.reply->code, PLX_E_EXEC_ABORTED);
    assert_non_null(strstr(ev.reply->str, "EXECABORT"));
    plx_rstore_event_clear(&ev);
    plx_store_reply *x = rs_cmd(r, "GET", "x", NULL); /* the aborted INCR did not run */
    assert_string_equal(x->str, "2");
    plx_store_reply_free(x);

    /* empty batches complete in order, atomic or not */
    assert_int_equal(plx_rstore_submit(r, 12, NULL, NULL, 0, 0), 0);
    assert_int_equal(plx_rstore_submit(r, 13, NULL, NULL, 0, 1), 0);
    for (uint64_t k = 12; k <= 13; k++) {
        assert_true(rs_next_kind(r, PLX_REV_DONE, &ev, WAIT_MS));
        assert_int_equal(ev.cookie, k);
        assert_int_equal(ev.reply->type, PLX_STORE_REPLY_ARRAY);
        assert_int_equal(ev.reply->nelem, 0);
        plx_rstore_event_clear(&ev);
    }
    plx_rstore_free(r);
}

static void test_flushall_is_flushdb(void **state) {
    plx_rstore *r1 = open_db(state, 1);
    plx_rstore *r2 = open_db(state, 2);
    plx_store_reply_free(rs_cmd(r1, "SET", "a", "1", NULL));
    plx_store_reply_free(rs_cmd(r2, "SET", "b", "2", NULL));
    plx_store_reply *x = rs_cmd(r1, "flushall", NULL);
    assert_string_equal(x->str, "OK");
    plx_store_reply_free(x);
    x = rs_cmd(r1, "DBSIZE", NULL);
    assert_int_equal(x->integer, 0);
    plx_store_reply_free(x);
    x = rs_cmd(r2, "GET", "b", NULL); /* the other DB kept its key */
    assert_string_equal(x->str, "2");
    plx_store_reply_free(x);
    plx_rstore_free(r1);
    plx_rstore_free(r2);
}

static void test_queue_bound(void **state) {
    plx_rstore *r = rs_open(REDIS_PORT(state), 0, 0, NULL, 0, 4, 2000);
    assert_non_null(r);
    assert_true(rs_wait_ready(r, 0, WAIT_MS));
    for (uint64_t i = 0; i < 4; i++)
        assert_int_equal(rs_submit(r, i, "PING", NULL), 0);
    assert_int_equal(rs_submit(r, 9, "PING", NULL), PLX_E_LIMIT_REACHED);
    assert_int_equal(plx_rstore_publish(r, "ch", (const uint8_t *)"x", 1), PLX_E_LIMIT_REACHED);
    /* the bound counts until DONE is polled: one poll frees one place */
    plx_rstore_event ev;
    assert_true(rs_next_kind(r, PLX_REV_DONE, &ev, WAIT_MS));
    assert_int_equal(ev.cookie, 0);
    plx_rstore_event_clear(&ev);
    assert_int_equal(rs_submit(r, 9, "PING", NULL), 0);
    assert_int_equal(rs_submit(r, 10, "PING", NULL), PLX_E_LIMIT_REACHED);
    /* refused batches are not counted: exactly 4 more DONE events come */
    for (uint64_t want = 1; want <= 4; want++) {
        assert_true(rs_next_kind(r, PLX_REV_DONE, &ev, WAIT_MS));
        assert_int_equal(ev.cookie, want == 4 ? 9 : want);
        plx_rstore_event_clear(&ev);
    }
    assert_false(rs_next_kind(r, PLX_REV_DONE, &ev, 200));
    plx_rstore_free(r);
}

static void test_bad_submits(void **state) {
    plx_rstore *r = rs_open(REDIS_PORT(state), 0, 0, NULL, 0, 0, 2000);
    assert_non_null(r);
    plx_bytes a[1] = {{(const uint8_t *)"PING", 4}};
    const plx_bytes *cmds[1] = {a};
    size_t zero = 0;
    assert_int_equal(plx_rstore_submit(r, 1, cmds, &zero, 1, 0), PLX_E_INVAL);
    size_t one = 1;
    assert_int_equal(plx_rstore_submit(r, 1, cmds, &one, PLX_RSTORE_MAX_BATCH + 1, 0), PLX_E_INVAL);
    plx_bytes big[2] = {{(const uint8_t *)"GET", 3},
                        {(const uint8_t *)"k", PLX_RSTORE_MAX_ARG + 1}};
    const plx_bytes *bc[1] = {big};
    size_t two = 2;
    assert_int_equal(plx_rstore_submit(r, 1, bc, &two, 1, 0), PLX_E_INVAL);
    plx_rstore_event ev;
    assert_false(rs_next_kind(r, PLX_REV_DONE, &ev, 100)); /* nothing was submitted */
    plx_rstore_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),    cmocka_unit_test(test_binary_1mib),
        cmocka_unit_test(test_error_codes),    cmocka_unit_test(test_pipeline_10000_in_order),
        cmocka_unit_test(test_atomic_batches), cmocka_unit_test(test_flushall_is_flushdb),
        cmocka_unit_test(test_queue_bound),    cmocka_unit_test(test_bad_submits),
    };
    return cmocka_run_group_tests(tests, rs_redis_setup, rs_redis_teardown);
}
