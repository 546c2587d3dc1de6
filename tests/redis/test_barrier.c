/*
 * test_barrier.c - plx_rstore_barrier: the BARRIER event comes after the CHANGE events of every
 * command Redis ran before it (another client's and the backend's own), barriers complete in
 * order, at once (up = 0) while the subscription connection is down, with up = 0 when the
 * connection breaks before Redis answers, and at most PLX_RSTORE_MAX_BARRIERS wait.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "rstore_helpers.h"

#define NSETS 300

/* The next BARRIER event; asserts it comes with cookie and up, counting the CHANGE events
 * before it in *changes (other events dropped). */
static void expect_barrier(plx_rstore *r, uint64_t cookie, int up, int *changes) {
    plx_rstore_event ev;
    for (;;) {
        assert_true(rs_next_data(r, &ev, WAIT_MS));
        if (ev.kind == PLX_REV_BARRIER) break;
        if (ev.kind == PLX_REV_CHANGE && changes) ++*changes;
        plx_rstore_event_clear(&ev);
    }
    assert_int_equal(ev.cookie, cookie);
    assert_int_equal(ev.up, up);
    plx_rstore_event_clear(&ev);
}

static void test_barrier_after_changes(void **state) {
    plx_rstore *r = rs_open(REDIS_PORT(state), 5, 1, NULL, 0, 0, 2000);
    assert_non_null(r);
    assert_true(rs_wait_ready(r, 1, WAIT_MS));
    /* another client's commands, each answered before the barrier is asked for */
    redisContext *c = redisConnect("127.0.0.1", REDIS_PORT(state));
    assert_non_null(c);
    assert_int_equal(c->err, 0);
    freeReplyObject(redisCommand(c, "SELECT 5"));
    for (int i = 0; i < NSETS; i++) {
        redisReply *rr = redisCommand(c, "SET k%d v", i);
        assert_non_null(rr);
        freeReplyObject(rr);
    }
    assert_int_equal(plx_rstore_barrier(r, 77), 0);
    int changes = 0;
    expect_barrier(r, 77, 1, &changes);
    assert_int_equal(changes, NSETS);

    /* the backend's own command, its DONE polled before the barrier */
    plx_store_reply *rep = rs_cmd(r, "SET", "own", "1", NULL);
    assert_non_null(rep);
    plx_store_reply_free(rep);
    assert_int_equal(plx_rstore_barrier(r, 78), 0);
    changes = 0;
    expect_barrier(r, 78, 1, &changes);
    assert_int_equal(changes, 1);

    /* several in a row complete in order, with nothing between */
    for (uint64_t i = 0; i < 20; i++)
        assert_int_equal(plx_rstore_barrier(r, 100 + i), 0);
    for (uint64_t i = 0; i < 20; i++) {
        changes = 0;
        expect_barrier(r, 100 + i, 1, &changes);
        assert_int_equal(changes, 0);
    }
    redisFree(c);
    plx_rstore_free(r);
}

static void test_barrier_down(void **state) {
    (void)state;
    plx_redis_fixture redis;
    assert_int_equal(plx_redis_start(&redis), 0);
    int port = redis.port;
    plx_redis_stop(&redis); /* nothing listens there now */
    plx_rstore *r = rs_open(port, 0, 1, NULL, 0, 0, 500);
    assert_non_null(r);
    assert_false(plx_rstore_subscribed(r));
    uint64_t t0 = plx_rstore_now_test_ms();
    assert_int_equal(plx_rstore_barrier(r, 9), 0);
    expect_barrier(r, 9, 0, NULL);
    assert_true(plx_rstore_now_test_ms() - t0 < 200);
    assert_int_equal(plx_rstore_barrier(NULL, 1), PLX_E_INVAL);
    plx_rstore_free(r);
}

static void test_barrier_connection_breaks(void **state) {
    (void)state;
    plx_redis_fixture redis;
    assert_int_equal(plx_redis_start(&redis), 0);
    plx_rstore *r = rs_open(redis.port, 0, 1, NULL, 0, 0, 800);
    assert_non_null(r);
    assert_true(rs_wait_ready(r, 1, WAIT_MS));
    kill(redis.pid, SIGSTOP); /* the PINGs are written, no pong comes */
    for (uint64_t i = 0; i < PLX_RSTORE_MAX_BARRIERS; i++)
        assert_int_equal(plx_rstore_barrier(r, i), 0);
    assert_int_equal(plx_rstore_barrier(r, 99999), PLX_E_LIMIT_REACHED);
    /* the silent connection is dropped: every barrier completes, in order, with up = 0 */
    for (uint64_t i = 0; i < PLX_RSTORE_MAX_BARRIERS; i++)
        expect_barrier(r, i, 0, NULL);
    plx_rstore_free(r);
    plx_redis_stop(&redis); /* SIGCONT, then SIGTERM */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_barrier_after_changes),
        cmocka_unit_test(test_barrier_down),
        cmocka_unit_test(test_barrier_connection_breaks),
    };
    return cmocka_run_group_tests(tests, rs_redis_setup, rs_redis_teardown);
}
