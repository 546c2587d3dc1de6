/*
 * test_hash.c - hash commands: HSET HGET HMGET HGETALL HDEL HEXISTS HKEYS HVALS HLEN HINCRBY
 * HSETNX, errors, binary fields, notifications.
 */
#include "helpers.h"

T_STORE_FIXTURE

static void test_hset_hget(void **state) {
    t_int(s, 1, "HSET h f1 v1", 1);
    t_int(s, 1, "HSET h f1 v2 f2 v2 f3 v3", 2);
    t_bulk(s, 1, "HGET h f1", "v2");
    t_nil(s, 1, "HGET h nope");
    t_nil(s, 1, "HGET missing f");
    t_array(s, 1, "HMGET h f1 nope f3", "v2,nil,v3");
    t_array(s, 1, "HMGET missing a b", "nil,nil");
    t_int(s, 1, "HLEN h", 3);
    t_int(s, 1, "HLEN missing", 0);
    t_int(s, 1, "HEXISTS h f2", 1);
    t_int(s, 1, "HEXISTS h nope", 0);
    t_int(s, 1, "HEXISTS missing f", 0);
    t_set(s, 1, "HKEYS h", "f1,f2,f3");
    t_set(s, 1, "HVALS h", "v2,v2,v3");
    t_set(s, 1, "HGETALL h", "f1,f2,f3,v2,v2,v3");
    t_array(s, 1, "HGETALL missing", "");
    t_array(s, 1, "HKEYS missing", "");
    t_array(s, 1, "HVALS missing", "");
    /* HGETALL pairs each field with its value; HKEYS and HVALS correspond. */
    plx_store_reply *all = t_run(s, 1, "HGETALL h");
    plx_store_reply *keys = t_run(s, 1, "HKEYS h");
    plx_store_reply *vals = t_run(s, 1, "HVALS h");
    assert_int_equal(all->nelem, 6);
    for (size_t i = 0; i < 3; i++) {
        char cmd[64];
        snprintf(cmd, sizeof(cmd), "HGET h %s", all->elem[2 * i]->str);
        t_bulk(s, 1, cmd, all->elem[2 * i + 1]->str);
        snprintf(cmd, sizeof(cmd), "HGET h %s", keys->elem[i]->str);
        t_bulk(s, 1, cmd, vals->elem[i]->str);
    }
    plx_store_reply_free(all);
    plx_store_reply_free(keys);
    plx_store_reply_free(vals);
}

static void test_hdel_hsetnx(void **state) {
    t_int(s, 1, "HSET h a 1 b 2 c 3", 3);
    t_int(s, 1, "HDEL h a a nope", 1);
    t_int(s, 1, "HDEL missing a", 0);
    t_int(s, 1, "HDEL h b c", 2);
    t_int(s, 1, "EXISTS h", 0); /* the last field removed deletes the key */
    t_int(s, 1, "HSETNX h f v", 1);
    t_int(s, 1, "HSETNX h f w", 0);
    t_bulk(s, 1, "HGET h f", "v");
    assert_true(t_noted(&notes, "hdel h"));
    assert_true(t_noted(&notes, "hsetnx h"));
    size_t n = notes.n;
    t_int(s, 1, "HSETNX h f w", 0);
    t_int(s, 1, "HDEL h nope", 0);
    assert_int_equal(notes.n, n); /* nothing changed, nothing notified */
}

static void test_hincrby(void **state) {
    t_int(s, 1, "HINCRBY h n 5", 5);
    t_int(s, 1, "HINCRBY h n -7", -2);
    t_bulk(s, 1, "HGET h n", "-2");
    t_notint(s, 1, "HINCRBY h n x");
    t_int(s, 1, "HSET h s abc", 1);
    t_err(s, 1, "HINCRBY h s 1", PLX_E_COMMAND_ERROR, "ERR hash value is not an integer");
    t_int(s, 1, "HSET h big 9223372036854775807", 1);
    t_err(s, 1, "HINCRBY h big 1", PLX_E_COMMAND_ERROR,
          "ERR increment or decrement would overflow");
    t_int(s, 1, "HINCRBY h2 x -9223372036854775808", -9223372036854775807LL - 1);
    t_err(s, 1, "HINCRBY h2 x -1", PLX_E_COMMAND_ERROR,
          "ERR increment or decrement would overflow");
}

static void test_errors(void **state) {
    t_err(s, 1, "HSET h f", PLX_E_WRONG_ARITY, "ERR wrong number of arguments for 'hset' command");
    t_err(s, 1, "HSET h f v g", PLX_E_WRONG_ARITY,
          "ERR wrong number of arguments for 'hset' command");
    t_err(s, 1, "hget h", PLX_E_WRONG_ARITY, "ERR wrong number of arguments for 'hget' command");
    t_err(s, 1, "HINCRBY h f", PLX_E_WRONG_ARITY,
          "ERR wrong number of arguments for 'hincrby' command");
    t_ok(s, 1, "SET str v");
    t_wrongtype(s, 1, "HSET str f v");
    t_wrongtype(s, 1, "HGET str f");
    t_wrongtype(s, 1, "HMGET str f");
    t_wrongtype(s, 1, "HGETALL str");
    t_wrongtype(s, 1, "HDEL str f");
    t_wrongtype(s, 1, "HEXISTS str f");
    t_wrongtype(s, 1, "HKEYS str");
    t_wrongtype(s, 1, "HVALS str");
    t_wrongtype(s, 1, "HLEN str");
    t_wrongtype(s, 1, "HINCRBY str f 1");
    t_wrongtype(s, 1, "HSETNX str f v");
    t_notint(s, 1, "HINCRBY str f x"); /* the increment is parsed first */
    t_int(s, 1, "DBSIZE", 1);
}

static void test_binary_fields(void **state) {
    plx_bytes set[] = {T_B("HSET"), T_B("h"), T_B("f\0"), T_B("a\0b"), T_B("f"), T_B("")};
    plx_store_reply *r = t_runb(s, 1, 6, set);
    assert_int_equal(r->integer, 2);
    plx_store_reply_free(r);
    plx_bytes get[] = {T_B("HGET"), T_B("h"), T_B("f\0")};
    r = t_runb(s, 1, 3, get);
    assert_int_equal(r->type, PLX_STORE_REPLY_BULK);
    assert_int_equal(r->len, 3);
    assert_memory_equal(r->str, "a\0b", 3);
    plx_store_reply_free(r);
    plx_bytes get2[] = {T_B("HGET"), T_B("h"), T_B("f")};
    r = t_runb(s, 1, 3, get2);
    assert_int_equal(r->type, PLX_STORE_REPLY_BULK);
    assert_int_equal(r->len, 0);
    plx_store_reply_free(r);
}

static void test_many_fields(void **state) {
    char cmd[64];
    for (int i = 0; i < 1000; i++) {
        snprintf(cmd, sizeof(cmd), "HSET h f%d %d", i, i);
        t_int(s, 1, cmd, 1);
    }
    t_int(s, 1, "HLEN h", 1000);
    t_bulk(s, 1, "HGET h f777", "777");
    for (int i = 0; i < 999; i++) {
        snprintf(cmd, sizeof(cmd), "HDEL h f%d", i);
        t_int(s, 1, cmd, 1);
    }
    t_array(s, 1, "HGETALL h", "f999,999");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hset_hget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hdel_hsetnx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hincrby, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_fields, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
