/*
 * test_set.c - set commands: SADD SREM SMEMBERS SISMEMBER SCARD SMOVE SRANDMEMBER SPOP SINTER
 * SUNION SDIFF, errors, randomness bounds, notifications.
 */
#include "helpers.h"

T_STORE_FIXTURE

static void test_basic(void **state) {
    t_int(s, 1, "SADD s a b c", 3);
    t_int(s, 1, "SADD s a d", 1);
    t_set(s, 1, "SMEMBERS s", "a,b,c,d");
    t_array(s, 1, "SMEMBERS missing", "");
    t_int(s, 1, "SCARD s", 4);
    t_int(s, 1, "SCARD missing", 0);
    t_int(s, 1, "SISMEMBER s a", 1);
    t_int(s, 1, "SISMEMBER s z", 0);
    t_int(s, 1, "SISMEMBER missing a", 0);
    t_int(s, 1, "SREM s a z", 1);
    t_int(s, 1, "SREM missing a", 0);
    t_int(s, 1, "SREM s b c d", 3);
    t_int(s, 1, "EXISTS s", 0);
    size_t n = notes.n;
    t_int(s, 1, "SADD t x", 1);
    t_int(s, 1, "SADD t x", 0); /* no change, no notification */
    t_int(s, 1, "SREM t y", 0);
    assert_int_equal(notes.n, n + 1);
}

static void test_algebra(void **state) {
    t_int(s, 1, "SADD s1 1 2 3 4", 4);
    t_int(s, 1, "SADD s2 3 4 5", 3);
    t_int(s, 1, "SADD s3 4 5 6", 3);
    t_set(s, 1, "SINTER s1 s2", "3,4");
    t_set(s, 1, "SINTER s1 s2 s3", "4");
    t_set(s, 1, "SINTER s1 missing", "");
    t_set(s, 1, "SUNION s1 s2", "1,2,3,4,5");
    t_set(s, 1, "SUNION s1 missing s3", "1,2,3,4,5,6");
    t_set(s, 1, "SUNION missing", "");
    t_set(s, 1, "SDIFF s1 s2", "1,2");
    t_set(s, 1, "SDIFF s1 s2 s3", "1,2");
    t_set(s, 1, "SDIFF s1 missing", "1,2,3,4");
    t_set(s, 1, "SDIFF missing s1", "");
    t_set(s, 1, "SDIFF s1", "1,2,3,4");
    t_ok(s, 1, "SET str v");
    /* Every key is type-checked, even after a missing one. */
    t_wrongtype(s, 1, "SINTER missing str");
    t_wrongtype(s, 1, "SUNION s1 str");
    t_wrongtype(s, 1, "SDIFF missing str");
}

static void test_smove(void **state) {
    t_int(s, 1, "SADD a 1 2 3", 3);
    t_int(s, 1, "SMOVE a b 1", 1);
    t_set(s, 1, "SMEMBERS a", "2,3");
    t_set(s, 1, "SMEMBERS b", "1");
    t_int(s, 1, "SMOVE a b nope", 0);
    t_int(s, 1, "SMOVE missing b 1", 0);
    t_int(s, 1, "SMOVE a a 2", 1);
    t_int(s, 1, "SMOVE a a nope", 0);
    t_int(s, 1, "SADD b 2", 1);
    t_int(s, 1, "SMOVE a b 2", 1); /* already in b: only removed from a */
    t_int(s, 1, "SMOVE a b 3", 1);
    t_int(s, 1, "EXISTS a", 0);
    t_set(s, 1, "SMEMBERS b", "1,2,3");
    t_ok(s, 1, "SET str v");
    t_wrongtype(s, 1, "SMOVE b str 1");
    t_wrongtype(s, 1, "SMOVE str b 1");
    t_int(s, 1, "SMOVE missing str 1", 0); /* missing source answers 0 before type checks */
    assert_true(t_noted(&notes, "smove a"));
    assert_true(t_noted(&notes, "smove b"));
}

/* Checks an array reply: n elements, each a member of {a..e}, distinct when asked. */
static void check_sample(plx_store_reply *r, size_t n, int distinct) {
    assert_int_equal(r->type, PLX_STORE_REPLY_ARRAY);
    assert_int_equal(r->nelem, n);
    for (size_t i = 0; i < r->nelem; i++) {
        assert_int_equal(r->elem[i]->len, 1);
        assert_true(r->elem[i]->str[0] >= 'a' && r->elem[i]->str[0] <= 'e');
        for (size_t j = 0; distinct && j < i; j++)
            assert_true(r->elem[i]->str[0] != r->elem[j]->str[0]);
    }
    plx_store_reply_free(r);
}

static void test_srandmember(void **state) {
    t_int(s, 1, "SADD s a b c d e", 5);
    plx_store_reply *r = t_run(s, 1, "SRANDMEMBER s");
    assert_int_equal(r->type, PLX_STORE_REPLY_BULK);
    plx_store_reply_free(r);
    check_sample(t_run(s, 1, "SRANDMEMBER s 3"), 3, 1);
    check_sample(t_run(s, 1, "SRANDMEMBER s 10"), 5, 1);
    check_sample(t_run(s, 1, "SRANDMEMBER s -10"), 10, 0);
    check_sample(t_run(s, 1, "SRANDMEMBER s 0"), 0, 1);
    t_nil(s, 1, "SRANDMEMBER missing");
    t_array(s, 1, "SRANDMEMBER missing 5", "");
    t_array(s, 1, "SRANDMEMBER missing -5", "");
    t_notint(s, 1, "SRANDMEMBER s x");
    t_err(s, 1, "SRANDMEMBER s -9223372036854775808", PLX_E_COMMAND_ERROR,
          "ERR value is out of range, value must between -9223372036854775807 and "
          "9223372036854775807");
    t_err(s, 1, "SRANDMEMBER s -1048577", PLX_E_COMMAND_ERROR,
          "ERR value is out of range, value must between -1048576 and 9223372036854775807");
    t_syntax(s, 1, "SRANDMEMBER s 1 2");
    t_int(s, 1, "SCARD s", 5); /* unchanged */
    /* Every member comes up: the choice is not stuck on one bucket. */
    int seen[5] = {0};
    for (int i = 0; i < 200; i++) {
        r = t_run(s, 1, "SRANDMEMBER s");
        seen[r->str[0] - 'a'] = 1;
        plx_store_reply_free(r);
    }
    for (int i = 0; i < 5; i++)
        assert_true(seen[i]);
}

static void test_spop(void **state) {
    t_int(s, 1, "SADD s a b c d e", 5);
    plx_store_reply *r = t_run(s, 1, "SPOP s");
    assert_int_equal(r->type, PLX_STORE_REPLY_BULK);
    char cmd[32];
    snprintf(cmd, sizeof(cmd), "SISMEMBER s %s", r->str);
    t_int(s, 1, cmd, 0);
    plx_store_reply_free(r);
    check_sample(t_run(s, 1, "SPOP s 2"), 2, 1);
    t_int(s, 1, "SCARD s", 2);
    check_sample(t_run(s, 1, "SPOP s 0"), 0, 1);
    check_sample(t_run(s, 1, "SPOP s 10"), 2, 1);
    t_int(s, 1, "EXISTS s", 0);
    t_nil(s, 1, "SPOP s");
    t_array(s, 1, "SPOP s 3", "");
    t_err(s, 1, "SPOP s -1", PLX_E_COMMAND_ERROR, "ERR value is out of range, must be positive");
    t_syntax(s, 1, "SPOP s 1 2");
    assert_true(t_noted(&notes, "spop s"));
}

static void test_wrongtype(void **state) {
    t_ok(s, 1, "SET str v");
    t_wrongtype(s, 1, "SADD str a");
    t_wrongtype(s, 1, "SREM str a");
    t_wrongtype(s, 1, "SMEMBERS str");
    t_wrongtype(s, 1, "SISMEMBER str a");
    t_wrongtype(s, 1, "SCARD str");
    t_wrongtype(s, 1, "SRANDMEMBER str");
    t_wrongtype(s, 1, "SRANDMEMBER str 2");
    t_wrongtype(s, 1, "SPOP str");
    t_wrongtype(s, 1, "SPOP str 1");
    t_err(s, 1, "SADD s", PLX_E_WRONG_ARITY, "ERR wrong number of arguments for 'sadd' command");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_algebra, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_srandmember, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrongtype, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
