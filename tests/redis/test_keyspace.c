/*
 * test_keyspace.c - keyspace CHANGE events (the op names of spec/REDIS-BACKEND.md, binary
 * keys, changes made by another client), the change-after-reply hold, and publish/subscribe
 * with binary data between two backends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "rstore_helpers.h"

/* The next CHANGE event; asserts that one comes and that it is for key with op. */
static void expect_change(plx_rstore *r, const char *key, size_t klen, const char *op) {
    plx_rstore_event ev;
    assert_true(rs_next_kind(r, PLX_REV_CHANGE, &ev, WAIT_MS));
    assert_int_equal(ev.key.len, klen);
    assert_memory_equal(ev.key.data, key, klen);
    assert_string_equal(ev.op, op);
    plx_rstore_event_clear(&ev);
}

static void run(plx_rstore *r, ...) {
    va_list ap;
    va_start(ap, r);
    assert_int_equal(rs_submitv(r, 1, ap), 0);
    va_end(ap);
}

static void test_change_ops(void **state) {
    plx_rstore *r = rs_open(REDIS_PORT(state), 3, 1, NULL, 0, 0, 2000);
    assert_non_null(r);
    assert_true(rs_wait_ready(r, 1, WAIT_MS));
    run(r, "SET", "k", "v", NULL);
    expect_change(r, "k", 1, "set");
    run(r, "HSET", "h", "f", "v", NULL);
    expect_change(r, "h", 1, "hset");
    run(r, "LPUSH", "l", "a", NULL);
    expect_change(r, "l", 1, "lpush");
    run(r, "INCR", "n", NULL);
    expect_change(r, "n", 1, "incrby");
    run(r, "ZINCRBY", "z", "1", "m", NULL);
    expect_change(r, "z", 1, "zincrby");
    run(r, "RENAME", "k", "k2", NULL);
    expect_change(r, "k", 1, "rename");
    expect_change(r, "k2", 2, "rename");
    run(r, "DEL", "k2", NULL);
    expect_change(r, "k2", 2, "del");
    run(r, "SET", "e", "v", "PX", "30", NULL);
    expect_change(r, "e", 1, "set");
    expect_change(r, "e", 1, "expire");
    expect_change(r, "e", 1, "expired"); /* Redis's active expiry: within WAIT_MS */

    /* a binary key, changed by another client of the same Redis and DB */
    redisContext *c = redisConnect("127.0.0.1", REDIS_PORT(state));
    assert_non_null(c);
    assert_int_equal(c->err, 0);
    redisReply *rr = redisCommand(c, "SELECT 3");
    freeReplyObject(rr);
    rr = redisCommand(c, "SADD %b m", "b\0\xff", (size_t)3);
    freeReplyObject(rr);
    expect_change(r, "b\0\xff", 3, "sadd");
    /* another DB raises nothing here */
    rr = redisCommand(c, "SELECT 4");
    freeReplyObject(rr);
    rr = redisCommand(c, "SET other 1");
    freeReplyObject(rr);
    plx_rstore_event ev;
    assert_false(rs_next_kind(r, PLX_REV_CHANGE, &ev, 300));
    redisFree(c);

    plx_rstore_free(r);
}

static void test_flags_kept(void **state) {
    redisContext *c = redisConnect("127.0.0.1", REDIS_PORT(state));
    assert_non_null(c);
    redisReply *rr = redisCommand(c, "CONFIG SET notify-keyspace-events Em");
    assert_int_equal(rr->type, REDIS_REPLY_STATUS);
    freeReplyObject(rr);
    plx_rstore *r = rs_open(REDIS_PORT(state), 0, 1, NULL, 0, 0, 2000);
    assert_true(rs_wait_ready(r, 1, WAIT_MS));
    rr = redisCommand(c, "CONFIG GET notify-keyspace-events");
    assert_int_equal(rr->type, REDIS_REPLY_ARRAY);
    const char *flags = rr->element[1]->str;
    assert_non_null(strchr(flags, 'K'));
    assert_non_null(strchr(flags, 'E')); /* kept */
    assert_non_null(strchr(flags, 'm')); /* kept */
    assert_true(strchr(flags, 'A') || strchr(flags, 'g'));
    freeReplyObject(rr);
    redisFree(c);
    plx_rstore_free(r);
}

/* A change another client makes while a batch of ours is in flight waits for that batch's
 * DONE, even though Redis announced it long before. */
static void test_change_after_reply(void **state) {
    plx_rstore *r = rs_open(REDIS_PORT(state), 0, 1, NULL, 0, 0, 3000);
    assert_true(rs_wait_ready(r, 1, WAIT_MS));
    assert_int_equal(rs_submit(r, 42, "BLPOP", "nothing", "1", NULL), 0); /* busy for 1 s */
    plx_redis_sleep_ms(100);
    redisContext *c = redisConnect("127.0.0.1", REDIS_PORT(state));
    redisReply *rr = redisCommand(c, "SET outside 1");
    freeReplyObject(rr);
    uint64_t t0 = plx_rstore_now_test_ms();
    plx_rstore_event ev;
    assert_true(rs_next_data(r, &ev, WAIT_MS));
    assert_int_equal(ev.kind, PLX_REV_DONE); /* not the change, though it came first */
    assert_int_equal(ev.cookie, 42);
    assert_int_equal(ev.reply->elem[0]->type, PLX_STORE_REPLY_NIL); /* BLPOP timed out */
    assert_true(plx_rstore_now_test_ms() - t0 >= 600);
    plx_rstore_event_clear(&ev);
    assert_true(rs_next_data(r, &ev, WAIT_MS));
    assert_int_equal(ev.kind, PLX_REV_CHANGE);
    assert_memory_equal(ev.key.data, "outside", 7);
    plx_rstore_event_clear(&ev);

    /* our own command: its DONE comes before its change, for every one of 200 */
    for (int i = 0; i < 200; i++)
        assert_int_equal(rs_submit(r, 1000 + (uint64_t)i, "SET", "own", "v", NULL), 0);
    int done = 0, changes = 0;
    while (changes < 200 && rs_next_data(r, &ev, WAIT_MS)) {
        if (ev.kind == PLX_REV_DONE) done++;
        if (ev.kind == PLX_REV_CHANGE) {
            changes++;
            assert_true(changes <= done);
        }
        plx_rstore_event_clear(&ev);
    }
    assert_int_equal(changes, 200);
    assert_int_equal(done, 200);
    redisFree(c);
    plx_rstore_free(r);
}

static void test_pubsub_binary(void **state) {
    const char *chans[] = {"plexus.bus.a", "plexus.bus.b"};
    plx_rstore *rx = rs_open(REDIS_PORT(state), 0, 0, chans, 2, 0, 2000);
    plx_rstore *tx = rs_open(REDIS_PORT(state), 0, 0, NULL, 0, 0, 2000);
    assert_true(rs_wait_ready(rx, 1, WAIT_MS));
    assert_true(rs_wait_ready(tx, 0, WAIT_MS));
    uint8_t data[300];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)i; /* starts with NUL, every byte value */
    for (int i = 0; i < 50; i++) {
        data[1] = (uint8_t)i;
        assert_int_equal(
            plx_rstore_publish(tx, i % 2 ? "plexus.bus.b" : "plexus.bus.a", data, sizeof(data)), 0);
    }
    assert_int_equal(plx_rstore_publish(tx, "plexus.bus.none", data, 1), 0); /* not ours */
    assert_int_equal(plx_rstore_publish(tx, "plexus.bus.a", NULL, 0), 0);    /* empty */
    plx_rstore_event ev;
    for (int i = 0; i < 50; i++) {
        assert_true(rs_next_kind(rx, PLX_REV_MESSAGE, &ev, WAIT_MS));
        assert_string_equal(ev.channel, i % 2 ? "plexus.bus.b" : "plexus.bus.a");
        assert_int_equal(ev.data.len, sizeof(data));
        data[1] = (uint8_t)i;
        assert_memory_equal(ev.data.data, data, sizeof(data));
        plx_rstore_event_clear(&ev);
    }
    assert_true(rs_next_kind(rx, PLX_REV_MESSAGE, &ev, WAIT_MS));
    assert_string_equal(ev.channel, "plexus.bus.a");
    assert_int_equal(ev.data.len, 0);
    plx_rstore_event_clear(&ev);
    assert_false(rs_next_kind(rx, PLX_REV_MESSAGE, &ev, 200));
    /* tx got no events for its publishes */
    assert_false(rs_next_data(tx, &ev, 50));
    plx_rstore_free(rx);
    plx_rstore_free(tx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_change_ops),
        cmocka_unit_test(test_flags_kept),
        cmocka_unit_test(test_change_after_reply),
        cmocka_unit_test(test_pubsub_binary),
    };
    return cmocka_run_group_tests(tests, rs_redis_setup, rs_redis_teardown);
}
