/*
 * test_expire.c - TTLs with a fake clock: lazy expiry on access (every command family),
 * active expiry through plx_store_expire (bounded, resumable), "expired" notifications,
 * and expiry kept, moved or cleared by the commands that should.
 */
#include "helpers.h"

T_STORE_FIXTURE

static void test_lazy_expiry(void **state) {
    t_ok(s, 1000, "SET k v PX 100");
    t_bulk(s, 1099, "GET k", "v");
    assert_int_equal(notes.n, 1); /* the set */
    t_nil(s, 1100, "GET k");      /* expiry time reached: gone */
    assert_int_equal(notes.n, 2);
    assert_string_equal(notes.note[1], "expired k");
    assert_int_equal(plx_store_size(s), 0);
    t_nil(s, 1100, "GET k"); /* notified once */
    assert_int_equal(notes.n, 2);
}

static void test_lazy_expiry_every_type(void **state) {
    t_int(s, 0, "RPUSH l a", 1);
    t_int(s, 0, "HSET h f v", 1);
    t_int(s, 0, "SADD st m", 1);
    t_int(s, 0, "ZADD z 1 m", 1);
    t_ok(s, 0, "SET str v");
    const char *keys[] = {"l", "h", "st", "z", "str"};
    char cmd[64];
    for (int i = 0; i < 5; i++) {
        snprintf(cmd, sizeof(cmd), "PEXPIRE %s 10", keys[i]);
        t_int(s, 0, cmd, 1);
    }
    t_int(s, 10, "LLEN l", 0);
    t_nil(s, 10, "HGET h f");
    t_int(s, 10, "SCARD st", 0);
    t_nil(s, 10, "ZSCORE z m");
    t_int(s, 10, "EXISTS str", 0);
    assert_true(t_noted(&notes, "expired l"));
    assert_true(t_noted(&notes, "expired h"));
    assert_true(t_noted(&notes, "expired st"));
    assert_true(t_noted(&notes, "expired z"));
    assert_true(t_noted(&notes, "expired str"));
    /* A write to an expired key starts from nothing. */
    t_ok(s, 100, "SET c 5 PX 10");
    t_int(s, 200, "INCR c", 1);
    t_int(s, 200, "TTL c", -1);
}

static void test_active_expiry(void **state) {
    char cmd[64];
    for (int i = 0; i < 100; i++) {
        snprintf(cmd, sizeof(cmd), "SET k%d v PX %d", i, i < 50 ? 10 : 100000);
        t_ok(s, 0, cmd);
    }
    t_ok(s, 0, "SET forever v");
    assert_int_equal(plx_store_size(s), 101);
    assert_int_equal(plx_store_expire(s, 5, 1000), 0); /* nothing due yet */
    /* Bounded: at most max per call, and later calls continue. */
    assert_int_equal(plx_store_expire(s, 10, 20), 20);
    assert_int_equal(plx_store_size(s), 81);
    size_t total = 20;
    for (int i = 0; i < 10 && total < 50; i++)
        total += plx_store_expire(s, 10, 20);
    assert_int_equal(total, 50);
    assert_int_equal(plx_store_size(s), 51);
    assert_int_equal(plx_store_expire(s, 10, 1000), 0);
    size_t expired = 0;
    for (size_t i = 0; i < notes.n; i++)
        if (strncmp(notes.note[i], "expired ", 8) == 0) expired++;
    assert_int_equal(expired, 50);
    t_bulk(s, 10, "GET forever", "v");
    t_bulk(s, 10, "GET k99", "v");
    /* Everything else goes at its time. */
    assert_int_equal(plx_store_expire(s, 100000, 1000), 50);
    assert_int_equal(plx_store_size(s), 1);
}

static void test_active_expiry_order(void **state) {
    t_ok(s, 0, "SET k1 v PX 30");
    t_ok(s, 0, "SET k2 v PX 10");
    t_ok(s, 0, "SET k3 v PX 20");
    t_ok(s, 0, "SET k4 v PX 20");
    t_int(s, 0, "PEXPIRE k4 40", 1); /* a changed TTL moves in the index */
    notes.n = 0;
    assert_int_equal(plx_store_expire(s, 25, 10), 2);
    assert_int_equal(notes.n, 2);
    assert_string_equal(notes.note[0], "expired k2"); /* earliest first */
    assert_string_equal(notes.note[1], "expired k3");
    t_int(s, 0, "PERSIST k1", 1); /* no longer indexed */
    assert_int_equal(plx_store_expire(s, 1000, 10), 1);
    assert_string_equal(notes.note[3], "expired k4"); /* after "persist k1" */
    t_bulk(s, 1000, "GET k1", "v");
}

static void test_ttl_kept_moved_cleared(void **state) {
    /* Kept by in-place changes. */
    t_ok(s, 0, "SET s v EX 100");
    t_int(s, 0, "APPEND s x", 2);
    t_int(s, 0, "TTL s", 100);
    t_int(s, 0, "RPUSH l a", 1);
    t_int(s, 0, "EXPIRE l 100", 1);
    t_int(s, 0, "RPUSH l b", 2);
    t_bulk(s, 0, "LPOP l", "a");
    t_int(s, 0, "TTL l", 100);
    t_int(s, 0, "HSET h f 1", 1);
    t_int(s, 0, "EXPIRE h 100", 1);
    t_int(s, 0, "HINCRBY h f 1", 2);
    t_int(s, 0, "TTL h", 100);
    /* Moved by RENAME, copied by COPY. */
    t_ok(s, 0, "RENAME h h2");
    t_int(s, 0, "TTL h2", 100);
    t_int(s, 0, "COPY h2 h3", 1);
    t_int(s, 0, "TTL h3", 100);
    /* Cleared by SET and MSET. */
    t_ok(s, 0, "SET s y");
    t_int(s, 0, "TTL s", -1);
    t_ok(s, 0, "SET m v EX 100");
    t_ok(s, 0, "MSET m w");
    t_int(s, 0, "TTL m", -1);
    /* A cleared TTL no longer expires the key actively. */
    assert_int_equal(plx_store_expire(s, 1000000, 100), 3); /* l, h2, h3 */
    t_bulk(s, 1000000, "GET s", "y");
    t_bulk(s, 1000000, "GET m", "w");
    /* The last element removed deletes the key (and its TTL). */
    t_int(s, 0, "SADD st a", 1);
    t_int(s, 0, "EXPIRE st 100", 1);
    t_int(s, 0, "SREM st a", 1);
    t_int(s, 0, "EXISTS st", 0);
    assert_int_equal(plx_store_expire(s, 1000000, 100), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lazy_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lazy_expiry_every_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_active_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_active_expiry_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ttl_kept_moved_cleared, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
