/*
 * test_faults.c - the Redis backend when Redis fails: down at start (STORAGE_UNAVAILABLE within
 * the timeout, then recovery and STATE events when it starts), killed in the middle (batches in
 * flight and queued fail, nothing hangs, it recovers on restart), hung (SIGSTOP: the batch in
 * flight fails after timeout_ms, and plx_rstore_free returns promptly).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rstore_helpers.h"

/* The next STATE event (other events dropped); asserts it comes and says up. */
static void expect_state(plx_rstore *r, int up, int timeout_ms) {
    plx_rstore_event ev;
    assert_true(rs_next_kind(r, PLX_REV_STATE, &ev, timeout_ms));
    assert_int_equal(ev.up, up);
    assert_int_equal(plx_rstore_up(r), up);
}

/* The DONE of cookie, which must be one STORAGE_UNAVAILABLE error for the whole batch. */
static void expect_unavailable(plx_rstore *r, uint64_t cookie, int timeout_ms) {
    plx_rstore_event ev;
    assert_true(rs_next_kind(r, PLX_REV_DONE, &ev, timeout_ms));
    assert_int_equal(ev.cookie, cookie);
    assert_int_equal(ev.reply->type, PLX_STORE_REPLY_ERROR);
    assert_int_equal(ev.reply->code, PLX_E_STORAGE_UNAVAILABLE);
    assert_non_null(strstr(ev.reply->str, "storage unavailable"));
    plx_rstore_event_clear(&ev);
}

static void test_down_at_start_then_up(void **state) {
    (void)state;
    int port = plx_redis_free_port();
    assert_true(port > 0);
    plx_rstore *r = rs_open(port, 0, 1, NULL, 0, 0, 500);
    assert_non_null(r);
    expect_state(r, 0, WAIT_MS);
    uint64_t t0 = plx_rstore_now_test_ms();
    assert_int_equal(rs_submit(r, 1, "PING", NULL), 0);
    expect_unavailable(r, 1, 1000);
    assert_true(plx_rstore_now_test_ms() - t0 < 1000); /* timeout_ms (500) plus scheduling slack */
    assert_int_equal(plx_rstore_publish(r, "ch", (const uint8_t *)"x", 1), 0); /* dropped */

    plx_redis_fixture redis;
    assert_int_equal(plx_redis_start_on(&redis, port), 0);
    expect_state(r, 1, 2 * PLX_RSTORE_BACKOFF_MAX_MS + 1000);
    plx_store_reply *x = rs_cmd(r, "SET", "a", "1", NULL);
    assert_non_null(x);
    assert_string_equal(x->str, "OK");
    plx_store_reply_free(x);
    /* the subscription connection came up too: our SET raises a change */
    for (int i = 0; i < 500 && !plx_rstore_subscribed(r); i++)
        plx_redis_sleep_ms(10);
    assert_true(plx_rstore_subscribed(r));
    plx_store_reply_free(rs_cmd(r, "SET", "b", "1", NULL));
    plx_rstore_event ev;
    assert_true(rs_next_kind(r, PLX_REV_CHANGE, &ev, WAIT_MS));
    assert_memory_equal(ev.key.data, "b", 1);
    plx_rstore_event_clear(&ev);
    plx_rstore_free(r);
    plx_redis_stop(&redis);
}

static void test_killed_in_the_middle(void **state) {
    (void)state;
    plx_redis_fixture redis;
    assert_int_equal(plx_redis_start(&redis), 0);
    plx_rstore *r = rs_open(redis.port, 0, 1, NULL, 0, 0, 1000);
    assert_true(rs_wait_ready(r, 1, WAIT_MS));
    /* batch 1 blocks Redis's answer for 5 s: in flight when Redis dies */
    assert_int_equal(rs_submit(r, 1, "BLPOP", "q", "5", NULL), 0);
    plx_redis_sleep_ms(100);
    for (uint64_t i = 2; i <= 100; i++)
        assert_int_equal(rs_submit(r, i, "INCR", "n", NULL), 0);
    uint64_t t0 = plx_rstore_now_test_ms();
    plx_redis_kill(&redis);
    /* every batch completes, in order, each as a whole-batch STORAGE_UNAVAILABLE */
    for (uint64_t i = 1; i <= 100; i++)
        expect_unavailable(r, i, WAIT_MS);
    assert_true(plx_rstore_now_test_ms() - t0 < 2000);
    assert_false(plx_rstore_up(r));
    assert_int_equal(rs_submit(r, 101, "PING", NULL), 0);
    expect_unavailable(r, 101, 1500);

    assert_int_equal(plx_redis_start_on(&redis, redis.port), 0);
    expect_state(r, 1, 2 * PLX_RSTORE_BACKOFF_MAX_MS + 1000);
    plx_store_reply *x = rs_cmd(r, "INCR", "n", NULL);
    assert_non_null(x);
    assert_int_equal(x->integer, 1); /* a fresh Redis (no persistence) */
    plx_store_reply_free(x);
    plx_rstore_free(r);
    plx_redis_stop(&redis);
}

static void test_killed_during_traffic(void **state) {
    (void)state;
    plx_redis_fixture redis;
    assert_int_equal(plx_redis_start(&redis), 0);
    plx_rstore *r = rs_open(redis.port, 0, 0, NULL, 0, 0, 1000);
    assert_true(rs_wait_ready(r, 0, WAIT_MS));
    enum { N = 200, PER = 200 };
    static plx_bytes args[PER][2];
    static const plx_bytes *cmds[PER];
    static size_t argc[PER];
    for (int i = 0; i < PER; i++) {
        args[i][0] = (plx_bytes){(const uint8_t *)"INCR", 4};
        args[i][1] = (plx_bytes){(const uint8_t *)"t", 1};
        cmds[i] = args[i];
        argc[i] = 2;
    }
    int ok = 0, failed = 0;
    uint64_t next = 0;
    plx_rstore_event ev;
    for (int b = 0; b < N; b++) {
        assert_int_equal(plx_rstore_submit(r, (uint64_t)b, cmds, argc, PER, b % 3 == 0), 0);
        if (b == N / 2) plx_redis_kill(&redis);
    }
    while (ok + failed < N && rs_next_kind(r, PLX_REV_DONE, &ev, WAIT_MS)) {
        assert_int_equal(ev.cookie, next++); /* in order, every one */
        if (ev.reply->type == PLX_STORE_REPLY_ARRAY) {
            assert_int_equal(ev.reply->nelem, PER);
            ok++;
        } else {
            assert_int_equal(ev.reply->code, PLX_E_STORAGE_UNAVAILABLE);
            failed++;
        }
        plx_rstore_event_clear(&ev);
    }
    assert_int_equal(ok + failed, N);
    assert_true(failed > 0);
    plx_rstore_free(r);
}

static void test_hung_redis(void **state) {
    (void)state;
    plx_redis_fixture redis;
    assert_int_equal(plx_redis_start(&redis), 0);
    const char *chans[] = {"bus"};
    plx_rstore *r = rs_open(redis.port, 0, 1, chans, 1, 0, 800);
    assert_true(rs_wait_ready(r, 1, WAIT_MS));
    kill(redis.pid, SIGSTOP);
    uint64_t t0 = plx_rstore_now_test_ms();
    assert_int_equal(rs_submit(r, 7, "GET", "k", NULL), 0);
    expect_unavailable(r, 7, WAIT_MS); /* no reply within timeout_ms */
    uint64_t dt = plx_rstore_now_test_ms() - t0;
    assert_true(dt >= 700 && dt < 2000);
    /* reconnecting to a stopped Redis: the worker is inside connect/SELECT now and then */
    assert_int_equal(rs_submit(r, 8, "GET", "k", NULL), 0);
    plx_redis_sleep_ms(50);
    t0 = plx_rstore_now_test_ms();
    plx_rstore_free(r);
    dt = plx_rstore_now_test_ms() - t0;
    assert_true(dt < 700); /* below timeout_ms (800): the sockets are shut down */

    /* a backend opened while Redis is hung is freed promptly as well */
    r = rs_open(redis.port, 0, 1, chans, 1, 0, 3000);
    plx_redis_sleep_ms(200);
    t0 = plx_rstore_now_test_ms();
    plx_rstore_free(r);
    assert_true(plx_rstore_now_test_ms() - t0 < 1500); /* timeout_ms is 3000 */
    plx_redis_stop(&redis);                            /* SIGCONT, then SIGTERM */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_down_at_start_then_up),
        cmocka_unit_test(test_killed_in_the_middle),
        cmocka_unit_test(test_killed_during_traffic),
        cmocka_unit_test(test_hung_redis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
