/*
 * test_string.c - string commands: SET (NX XX EX PX KEEPTTL), GET, INCR DECR INCRBY DECRBY,
 * MGET, MSET, APPEND, STRLEN, their errors, and binary-safe values.
 */
#include "helpers.h"

T_STORE_FIXTURE

static void test_set_get(void **state) {
    t_nil(s, 1, "GET k");
    t_ok(s, 1, "SET k v");
    t_bulk(s, 1, "GET k", "v");
    t_ok(s, 1, "set k w");
    t_bulk(s, 1, "get k", "w");
    t_nil(s, 1, "SET k x NX");
    t_bulk(s, 1, "GET k", "w");
    t_ok(s, 1, "SET k x XX");
    t_bulk(s, 1, "GET k", "x");
    t_nil(s, 1, "SET other x XX");
    t_nil(s, 1, "GET other");
    t_ok(s, 1, "SET other y nx");
    /* SET replaces a value of any type. */
    t_int(s, 1, "LPUSH l a", 1);
    t_ok(s, 1, "SET l s");
    t_status(s, 1, "TYPE l", "string");
}

static void test_set_options_errors(void **state) {
    t_syntax(s, 1, "SET k v NX XX");
    t_syntax(s, 1, "SET k v XX NX");
    t_syntax(s, 1, "SET k v EX 10 PX 100");
    t_syntax(s, 1, "SET k v EX");
    t_syntax(s, 1, "SET k v KEEPTTL EX 10");
    t_syntax(s, 1, "SET k v EX 10 KEEPTTL");
    t_syntax(s, 1, "SET k v foo");
    /* Outside the Plexus subset (STO-4). */
    t_syntax(s, 1, "SET k v GET");
    t_syntax(s, 1, "SET k v EXAT 100");
    t_syntax(s, 1, "SET k v PXAT 100");
    t_err(s, 1, "SET k v EX 0", PLX_E_COMMAND_ERROR, "ERR invalid expire time in 'set' command");
    t_err(s, 1, "SET k v PX -1", PLX_E_COMMAND_ERROR, "ERR invalid expire time in 'set' command");
    t_err(s, 1, "SET k v EX 9223372036854775807", PLX_E_COMMAND_ERROR,
          "ERR invalid expire time in 'set' command");
    t_err(s, 1000, "SET k v PX 9223372036854775807", PLX_E_COMMAND_ERROR,
          "ERR invalid expire time in 'set' command");
    t_notint(s, 1, "SET k v EX ten");
    t_err(s, 1, "SET k", PLX_E_WRONG_ARITY, "ERR wrong number of arguments for 'set' command");
    t_err(s, 1, "GET", PLX_E_WRONG_ARITY, "ERR wrong number of arguments for 'get' command");
    t_err(s, 1, "GET a b", PLX_E_WRONG_ARITY, "ERR wrong number of arguments for 'get' command");
    t_int(s, 1, "DBSIZE", 0); /* nothing above created a key */
}

static void test_set_ttl(void **state) {
    t_ok(s, 1000, "SET k v EX 10");
    t_int(s, 1000, "PTTL k", 10000);
    t_ok(s, 2000, "SET k w KEEPTTL");
    t_int(s, 2000, "PTTL k", 9000);
    t_ok(s, 2000, "SET k w");
    t_int(s, 2000, "TTL k", -1);
    t_ok(s, 2000, "SET k v PX 500");
    t_int(s, 2000, "PTTL k", 500);
    t_bulk(s, 2499, "GET k", "v");
    t_nil(s, 2500, "GET k");
}

static void test_wrongtype(void **state) {
    t_int(s, 1, "RPUSH l a", 1);
    t_wrongtype(s, 1, "GET l");
    t_wrongtype(s, 1, "INCR l");
    t_wrongtype(s, 1, "DECRBY l 2");
    t_wrongtype(s, 1, "APPEND l x");
    t_wrongtype(s, 1, "STRLEN l");
}

static void test_counters(void **state) {
    t_int(s, 1, "INCR n", 1);
    t_int(s, 1, "INCR n", 2);
    t_int(s, 1, "DECR n", 1);
    t_int(s, 1, "INCRBY n 10", 11);
    t_int(s, 1, "INCRBY n -20", -9);
    t_int(s, 1, "DECRBY n 1", -10);
    t_int(s, 1, "DECRBY n -15", 5);
    t_bulk(s, 1, "GET n", "5");
    t_notint(s, 1, "INCRBY n x");
    t_notint(s, 1, "INCRBY n 1.0");
    t_notint(s, 1, "INCRBY n +1");
    t_notint(s, 1, "INCRBY n 01");
    t_notint(s, 1, "INCRBY n -0");
    t_notint(s, 1, "INCRBY n 9223372036854775808");
    t_ok(s, 1, "SET n 9223372036854775807");
    t_err(s, 1, "INCR n", PLX_E_COMMAND_ERROR, "ERR increment or decrement would overflow");
    t_ok(s, 1, "SET n -9223372036854775808");
    t_err(s, 1, "DECR n", PLX_E_COMMAND_ERROR, "ERR increment or decrement would overflow");
    t_err(s, 1, "DECRBY n -9223372036854775808", PLX_E_COMMAND_ERROR,
          "ERR decrement would overflow");
    t_ok(s, 1, "SET n abc");
    t_notint(s, 1, "INCR n");
    t_ok(s, 1, "SET n 007");
    t_notint(s, 1, "INCR n");
    /* INCR keeps the TTL. */
    t_ok(s, 1000, "SET c 5 EX 100");
    t_int(s, 1000, "INCR c", 6);
    t_int(s, 1000, "TTL c", 100);
    /* The increment is parsed before the key is looked at. */
    t_int(s, 1, "RPUSH l a", 1);
    t_notint(s, 1, "INCRBY l x");
}

static void test_mget_mset(void **state) {
    t_ok(s, 1, "MSET a 1 b 2 c 3");
    t_int(s, 1, "RPUSH l x", 1);
    t_array(s, 1, "MGET a b missing l c", "1,2,nil,nil,3");
    t_err(s, 1, "MSET a 1 b", PLX_E_WRONG_ARITY,
          "ERR wrong number of arguments for 'mset' command");
    t_err(s, 1, "MSET a", PLX_E_WRONG_ARITY, "ERR wrong number of arguments for 'mset' command");
    t_ok(s, 1000, "SET t v EX 100");
    t_ok(s, 1000, "MSET t w");
    t_int(s, 1000, "TTL t", -1);
    t_ok(s, 1, "MSET d x d y");
    t_bulk(s, 1, "GET d", "y");
}

static void test_append_strlen(void **state) {
    t_int(s, 1, "STRLEN k", 0);
    t_int(s, 1, "APPEND k hello", 5);
    t_int(s, 1, "APPEND k _world", 11);
    t_bulk(s, 1, "GET k", "hello_world");
    t_int(s, 1, "STRLEN k", 11);
    for (int i = 0; i < 100; i++)
        t_int(s, 1, "APPEND big 0123456789", 10 * (i + 1));
    t_int(s, 1, "STRLEN big", 1000);
}

static void test_binary_values(void **state) {
    plx_bytes set[] = {T_B("SET"), T_B("k\0ey"), T_B("v\0a\xffl")};
    plx_store_reply *r = t_runb(s, 1, 3, set);
    assert_int_equal(r->type, PLX_STORE_REPLY_STATUS);
    plx_store_reply_free(r);
    plx_bytes get[] = {T_B("GET"), T_B("k\0ey")};
    r = t_runb(s, 1, 2, get);
    assert_int_equal(r->type, PLX_STORE_REPLY_BULK);
    assert_int_equal(r->len, 5);
    assert_memory_equal(r->str, "v\0a\xffl", 5);
    assert_int_equal(r->str[5], 0); /* NUL after len bytes */
    plx_store_reply_free(r);
    plx_bytes get2[] = {T_B("GET"), T_B("k")};
    r = t_runb(s, 1, 2, get2);
    assert_int_equal(r->type, PLX_STORE_REPLY_NIL); /* "k" differs from "k\0ey" */
    plx_store_reply_free(r);
    plx_bytes empty[] = {T_B("SET"), T_B(""), T_B("")};
    r = t_runb(s, 1, 3, empty);
    assert_int_equal(r->type, PLX_STORE_REPLY_STATUS);
    plx_store_reply_free(r);
    plx_bytes strlen_empty[] = {T_B("STRLEN"), T_B("")};
    r = t_runb(s, 1, 2, strlen_empty);
    assert_int_equal(r->type, PLX_STORE_REPLY_INT);
    assert_int_equal(r->integer, 0);
    plx_store_reply_free(r);
    plx_bytes exists[] = {T_B("EXISTS"), T_B("")};
    r = t_runb(s, 1, 2, exists);
    assert_int_equal(r->integer, 1);
    plx_store_reply_free(r);
}

static void test_notifications(void **state) {
    t_ok(s, 1, "SET a 1");
    t_nil(s, 1, "SET a 2 NX");
    t_int(s, 1, "INCR n", 1);
    t_ok(s, 1, "MSET x 1 y 2");
    t_int(s, 1, "APPEND a z", 2);
    t_notint(s, 1, "INCRBY a 1");
    assert_int_equal(notes.n, 5);
    assert_string_equal(notes.note[0], "set a");
    assert_string_equal(notes.note[1], "incr n");
    assert_string_equal(notes.note[2], "mset x");
    assert_string_equal(notes.note[3], "mset y");
    assert_string_equal(notes.note[4], "append a");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_set_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_options_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_ttl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrongtype, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mget_mset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_strlen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notifications, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
