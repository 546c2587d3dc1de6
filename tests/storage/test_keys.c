/*
 * test_keys.c - key commands: DEL EXISTS TYPE EXPIRE PEXPIRE TTL PTTL PERSIST KEYS SCAN
 * RENAME COPY DBSIZE FLUSHALL, errors and notifications; SCAN completeness while keys are
 * inserted between calls.
 */
#include "helpers.h"

T_STORE_FIXTURE

static void test_del_exists_type(void **state) {
    t_ok(s, 1, "MSET a 1 b 2 c 3");
    t_int(s, 1, "EXISTS a b missing", 2);
    t_int(s, 1, "EXISTS a a a", 3);
    t_int(s, 1, "DEL a b missing", 2);
    t_int(s, 1, "DEL a", 0);
    t_int(s, 1, "EXISTS a", 0);
    t_int(s, 1, "RPUSH l x", 1);
    t_int(s, 1, "HSET h f v", 1);
    t_int(s, 1, "SADD st m", 1);
    t_int(s, 1, "ZADD z 1 m", 1);
    t_status(s, 1, "TYPE c", "string");
    t_status(s, 1, "TYPE l", "list");
    t_status(s, 1, "TYPE h", "hash");
    t_status(s, 1, "TYPE st", "set");
    t_status(s, 1, "TYPE z", "zset");
    t_status(s, 1, "TYPE missing", "none");
    t_int(s, 1, "DBSIZE", 5);
    t_err(s, 1, "DEL", PLX_E_WRONG_ARITY, "ERR wrong number of arguments for 'del' command");
    t_err(s, 1, "DBSIZE x", PLX_E_WRONG_ARITY,
          "ERR wrong number of arguments for 'dbsize' command");
    /* Notifications: only keys that were removed. */
    assert_true(t_noted(&notes, "del a"));
    assert_true(t_noted(&notes, "del b"));
    assert_false(t_noted(&notes, "del missing"));
}

static void test_expire_family(void **state) {
    t_ok(s, 10000, "SET k v");
    t_int(s, 10000, "TTL k", -1);
    t_int(s, 10000, "PTTL k", -1);
    t_int(s, 10000, "TTL missing", -2);
    t_int(s, 10000, "PTTL missing", -2);
    t_int(s, 10000, "EXPIRE missing 10", 0);
    t_int(s, 10000, "EXPIRE k 100", 1);
    t_int(s, 10000, "TTL k", 100);
    t_int(s, 10400, "TTL k", 100); /* 99.6 s rounds to 100 */
    t_int(s, 10600, "TTL k", 99);
    t_int(s, 10000, "EXPIRE k 200 NX", 0);
    t_int(s, 10000, "EXPIRE k 50 XX", 1);
    t_int(s, 10000, "EXPIRE k 10 GT", 0);
    t_int(s, 10000, "EXPIRE k 60 GT", 1);
    t_int(s, 10000, "EXPIRE k 70 LT", 0);
    t_int(s, 10000, "EXPIRE k 30 LT", 1);
    t_int(s, 10000, "TTL k", 30);
    t_int(s, 10000, "PEXPIRE k 1500", 1);
    t_int(s, 10000, "PTTL k", 1500);
    t_int(s, 10000, "PERSIST k", 1);
    t_int(s, 10000, "PERSIST k", 0);
    t_int(s, 10000, "PERSIST missing", 0);
    t_int(s, 10000, "EXPIRE k 10 XX", 0);
    t_int(s, 10000, "EXPIRE k 10 GT", 0); /* no expiry counts as infinite */
    t_int(s, 10000, "EXPIRE k 10 LT", 1);
    t_err(s, 1, "EXPIRE k 10 NX XX", PLX_E_COMMAND_ERROR,
          "ERR NX and XX, GT or LT options at the same time are not compatible");
    t_err(s, 1, "EXPIRE k 10 GT LT", PLX_E_COMMAND_ERROR,
          "ERR GT and LT options at the same time are not compatible");
    t_err(s, 1, "EXPIRE k 10 foo", PLX_E_COMMAND_ERROR, "ERR Unsupported option foo");
    t_notint(s, 1, "EXPIRE k ten");
    t_err(s, 1, "EXPIRE k 9223372036854775807", PLX_E_COMMAND_ERROR,
          "ERR invalid expire time in 'expire' command");
    t_err(s, 1000, "PEXPIRE k 9223372036854775807", PLX_E_COMMAND_ERROR,
          "ERR invalid expire time in 'pexpire' command");
    /* A time in the past deletes the key and answers 1. */
    t_int(s, 10000, "EXPIRE k 0", 1);
    t_int(s, 10000, "EXISTS k", 0);
    t_ok(s, 10000, "SET k v");
    t_int(s, 10000, "PEXPIRE k -5", 1);
    t_int(s, 10000, "EXISTS k", 0);
}

static void test_keys_pattern(void **state) {
    t_ok(s, 1, "MSET hello 1 hallo 2 hxllo 3 hllo 4 heeeello 5");
    t_set(s, 1, "KEYS *", "hallo,heeeello,hello,hllo,hxllo");
    t_set(s, 1, "KEYS h?llo", "hallo,hello,hxllo");
    t_set(s, 1, "KEYS h*llo", "hallo,heeeello,hello,hllo,hxllo");
    t_set(s, 1, "KEYS h[ae]llo", "hallo,hello");
    t_set(s, 1, "KEYS h[^e]llo", "hallo,hxllo");
    t_set(s, 1, "KEYS h[a-b]llo", "hallo");
    t_set(s, 1, "KEYS nothing*", "");
    /* Expired keys are not listed. */
    t_int(s, 1, "PEXPIRE hllo 10", 1);
    t_set(s, 20, "KEYS h?lo", "");
    t_set(s, 20, "KEYS hl*", "");
}

static void test_rename_copy(void **state) {
    t_ok(s, 1000, "SET a v EX 100");
    t_ok(s, 1000, "RENAME a b");
    t_int(s, 1000, "EXISTS a", 0);
    t_bulk(s, 1000, "GET b", "v");
    t_int(s, 1000, "TTL b", 100);
    t_err(s, 1000, "RENAME missing x", PLX_E_COMMAND_ERROR, "ERR no such key");
    t_err(s, 1000, "RENAME missing missing", PLX_E_COMMAND_ERROR, "ERR no such key");
    t_ok(s, 1000, "RENAME b b");
    t_int(s, 1000, "RPUSH l x y", 2);
    t_ok(s, 1000, "RENAME l b"); /* overwrites a string with a list */
    t_array(s, 1000, "LRANGE b 0 -1", "x,y");
    t_int(s, 1000, "TTL b", -1);
    assert_true(t_noted(&notes, "rename l"));
    assert_true(t_noted(&notes, "rename b"));

    t_int(s, 1000, "COPY b c", 1);
    t_array(s, 1000, "LRANGE c 0 -1", "x,y");
    t_int(s, 1000, "RPUSH c z", 3); /* a deep copy */
    t_int(s, 1000, "LLEN b", 2);
    t_int(s, 1000, "COPY b c", 0);
    t_int(s, 1000, "COPY b c REPLACE", 1);
    t_int(s, 1000, "LLEN c", 2);
    t_int(s, 1000, "COPY missing c", 0);
    t_err(s, 1000, "COPY b b", PLX_E_COMMAND_ERROR,
          "ERR source and destination objects are the same");
    t_syntax(s, 1000, "COPY b d DB 0");
    t_syntax(s, 1000, "COPY b d foo");
    t_ok(s, 1000, "SET t v PX 5000");
    t_int(s, 1000, "COPY t t2", 1);
    t_int(s, 1000, "PTTL t2", 5000);
    t_int(s, 1, "HSET h f v g w", 2);
    t_int(s, 1, "COPY h h2", 1);
    t_set(s, 1, "HGETALL h2", "f,g,v,w");
    t_int(s, 1, "SADD st a b", 2);
    t_int(s, 1, "COPY st st2", 1);
    t_set(s, 1, "SMEMBERS st2", "a,b");
    t_int(s, 1, "ZADD z 1 a 2 b", 2);
    t_int(s, 1, "COPY z z2", 1);
    t_array(s, 1, "ZRANGE z2 0 -1 WITHSCORES", "a,1,b,2");
    assert_true(t_noted(&notes, "copy z2"));
}

static void test_flushall(void **state) {
    t_ok(s, 1, "MSET a 1 b 2");
    t_ok(s, 1, "SET c 3 EX 10");
    t_ok(s, 1, "FLUSHALL");
    t_int(s, 1, "DBSIZE", 0);
    assert_true(t_noted(&notes, "flushall a"));
    assert_true(t_noted(&notes, "flushall c"));
    t_ok(s, 1, "FLUSHALL ASYNC");
    t_ok(s, 1, "flushall sync");
    t_syntax(s, 1, "FLUSHALL foo");
    t_syntax(s, 1, "FLUSHALL SYNC ASYNC");
    /* The TTL index was emptied too: active expiry finds nothing. */
    assert_int_equal(plx_store_expire(s, 100000, 10), 0);
}

/* Runs a full SCAN with the given options, inserting `insert` new keys after every call;
 * checks every key present from the start is returned. */
static void scan_complete(const char *opts, int insert, int nkeys) {
    char cmd[128];
    for (int i = 0; i < nkeys; i++) {
        snprintf(cmd, sizeof(cmd), "SET key:%d v", i);
        t_ok(s, 1, cmd);
    }
    char *seen = calloc((size_t)nkeys, 1);
    assert_non_null(seen);
    char cursor[32] = "0";
    int calls = 0, added = 0;
    do {
        snprintf(cmd, sizeof(cmd), "SCAN %s %s", cursor, opts);
        plx_store_reply *r = t_run(s, 1, cmd);
        assert_int_equal(r->type, PLX_STORE_REPLY_ARRAY);
        assert_int_equal(r->nelem, 2);
        assert_int_equal(r->elem[0]->type, PLX_STORE_REPLY_BULK);
        snprintf(cursor, sizeof(cursor), "%s", r->elem[0]->str);
        for (size_t i = 0; i < r->elem[1]->nelem; i++) {
            int k;
            if (sscanf(r->elem[1]->elem[i]->str, "key:%d", &k) == 1 && k >= 0 && k < nkeys)
                seen[k] = 1;
        }
        plx_store_reply_free(r);
        for (int j = 0; j < insert; j++) {
            snprintf(cmd, sizeof(cmd), "SET new:%d v", added++);
            t_ok(s, 1, cmd);
        }
        assert_true(++calls < 100000);
    } while (strcmp(cursor, "0") != 0);
    for (int i = 0; i < nkeys; i++)
        if (!seen[i]) fail_msg("key:%d not returned by SCAN", i);
    free(seen);
}

static void test_scan_complete(void **state) {
    scan_complete("", 0, 100);
}

static void test_scan_complete_growing(void **state) {
    /* The table doubles several times during the iteration. */
    scan_complete("COUNT 5", 20, 300);
}

static void test_scan_complete_shrinking(void **state) {
    char cmd[64];
    for (int i = 0; i < 2000; i++) {
        snprintf(cmd, sizeof(cmd), "SET gone:%d v", i);
        t_ok(s, 1, cmd);
    }
    for (int i = 0; i < 50; i++) {
        snprintf(cmd, sizeof(cmd), "SET key:%d v", i);
        t_ok(s, 1, cmd);
    }
    /* Delete the bulk midway so the table shrinks between calls. */
    char *seen = calloc(50, 1);
    char cursor[32] = "0";
    int calls = 0;
    do {
        snprintf(cmd, sizeof(cmd), "SCAN %s COUNT 20", cursor);
        plx_store_reply *r = t_run(s, 1, cmd);
        snprintf(cursor, sizeof(cursor), "%s", r->elem[0]->str);
        for (size_t i = 0; i < r->elem[1]->nelem; i++) {
            int k;
            if (sscanf(r->elem[1]->elem[i]->str, "key:%d", &k) == 1 && k >= 0 && k < 50)
                seen[k] = 1;
        }
        plx_store_reply_free(r);
        if (++calls == 3)
            for (int i = 0; i < 2000; i++) {
                snprintf(cmd, sizeof(cmd), "DEL gone:%d", i);
                t_int(s, 1, cmd, 1);
            }
        assert_true(calls < 100000);
    } while (strcmp(cursor, "0") != 0);
    for (int i = 0; i < 50; i++)
        if (!seen[i]) fail_msg("key:%d not returned by SCAN", i);
    free(seen);
}

static void test_scan_options(void **state) {
    t_ok(s, 1, "MSET a1 x a2 x b1 x");
    t_int(s, 1, "RPUSH al x", 1);
    plx_store_reply *r = t_run(s, 1, "SCAN 0 COUNT 1000");
    assert_string_equal(r->elem[0]->str, "0"); /* one call covers a small table */
    assert_int_equal(r->elem[1]->nelem, 4);
    plx_store_reply_free(r);
    r = t_run(s, 1, "SCAN 0 MATCH a* COUNT 1000 TYPE string");
    assert_string_equal(r->elem[0]->str, "0");
    assert_int_equal(r->elem[1]->nelem, 2);
    plx_store_reply_free(r);
    r = t_run(s, 1, "SCAN 0 TYPE list COUNT 1000");
    assert_int_equal(r->elem[1]->nelem, 1);
    assert_string_equal(r->elem[1]->elem[0]->str, "al");
    plx_store_reply_free(r);
    r = t_run(s, 1, "SCAN 0 TYPE nosuch COUNT 1000");
    assert_int_equal(r->elem[1]->nelem, 0);
    plx_store_reply_free(r);
    t_syntax(s, 1, "SCAN 0 COUNT 0");
    t_syntax(s, 1, "SCAN 0 COUNT -1");
    t_notint(s, 1, "SCAN 0 COUNT x");
    t_syntax(s, 1, "SCAN 0 MATCH");
    t_syntax(s, 1, "SCAN 0 foo bar");
    t_err(s, 1, "SCAN abc", PLX_E_COMMAND_ERROR, "ERR invalid cursor");
    t_err(s, 1, "SCAN 18446744073709551616", PLX_E_COMMAND_ERROR, "ERR invalid cursor");
    /* Any other cursor value is a position: accepted. */
    r = t_run(s, 1, "SCAN 12345");
    assert_int_equal(r->type, PLX_STORE_REPLY_ARRAY);
    plx_store_reply_free(r);
    /* Expired keys are not returned (and are removed). */
    t_int(s, 1, "PEXPIRE a1 5", 1);
    r = t_run(s, 10, "SCAN 0 COUNT 1000");
    assert_int_equal(r->elem[1]->nelem, 3);
    plx_store_reply_free(r);
    assert_true(t_noted(&notes, "expired a1"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_del_exists_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expire_family, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys_pattern, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flushall, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_complete_growing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_complete_shrinking, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_options, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
