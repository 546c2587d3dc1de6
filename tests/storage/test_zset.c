/*
 * test_zset.c - sorted set commands: ZADD (NX XX GT LT CH INCR) ZREM ZCARD ZSCORE ZRANGE
 * ZRANGEBYSCORE ZREVRANGEBYSCORE ZCOUNT ZINCRBY ZRANK, score parsing and formatting, errors,
 * and the skiplist's ranks against a sorted model.
 */
#include "helpers.h"

T_STORE_FIXTURE

static void test_zadd_options(void **state) {
    t_int(s, 1, "ZADD z 1 a 2 b 3 c", 3);
    t_int(s, 1, "ZADD z 1 a", 0);
    t_int(s, 1, "ZADD z 5 a", 0);
    t_bulk(s, 1, "ZSCORE z a", "5");
    t_int(s, 1, "ZADD z CH 6 a 6 b 7 d", 3);
    t_int(s, 1, "ZADD z NX 100 a 8 e", 1);
    t_bulk(s, 1, "ZSCORE z a", "6");
    t_int(s, 1, "ZADD z XX 100 a 9 f", 0);
    t_bulk(s, 1, "ZSCORE z a", "100");
    t_nil(s, 1, "ZSCORE z f");
    t_int(s, 1, "ZADD z GT CH 50 a", 0);
    t_int(s, 1, "ZADD z GT CH 150 a", 1);
    t_int(s, 1, "ZADD z LT CH 200 a", 0);
    t_int(s, 1, "ZADD z LT CH 10 a", 1);
    t_int(s, 1, "ZADD z GT 1 newm", 1); /* GT/LT do not stop adding new members */
    t_int(s, 1, "ZADD z XX GT CH 20 a", 1);
    t_err(s, 1, "ZADD z NX XX 1 a", PLX_E_COMMAND_ERROR,
          "ERR XX and NX options at the same time are not compatible");
    t_err(s, 1, "ZADD z NX GT 1 a", PLX_E_COMMAND_ERROR,
          "ERR GT, LT, and/or NX options at the same time are not compatible");
    t_err(s, 1, "ZADD z GT LT 1 a", PLX_E_COMMAND_ERROR,
          "ERR GT, LT, and/or NX options at the same time are not compatible");
    t_err(s, 1, "ZADD z INCR 1 a 2 b", PLX_E_COMMAND_ERROR,
          "ERR INCR option supports a single increment-element pair");
    t_syntax(s, 1, "ZADD z 1 a 2");
    t_syntax(s, 1, "ZADD z foo 1 a");
    t_err(s, 1, "ZADD z 1", PLX_E_WRONG_ARITY, "ERR wrong number of arguments for 'zadd' command");
    t_err(s, 1, "ZADD z abc a", PLX_E_COMMAND_ERROR, "ERR value is not a valid float");
    t_err(s, 1, "ZADD z nan a", PLX_E_COMMAND_ERROR, "ERR value is not a valid float");
    t_err(s, 1, "ZADD z 1e400 a", PLX_E_COMMAND_ERROR, "ERR value is not a valid float");
    t_int(s, 1, "ZADD new XX 1 a", 0);
    t_int(s, 1, "EXISTS new", 0);
}

static void test_incr(void **state) {
    t_bulk(s, 1, "ZADD z INCR 5 a", "5");
    t_bulk(s, 1, "ZADD z INCR -2.5 a", "2.5");
    t_nil(s, 1, "ZADD z NX INCR 1 a");
    t_nil(s, 1, "ZADD z XX INCR 1 nope");
    t_nil(s, 1, "ZADD z GT INCR -1 a");
    t_bulk(s, 1, "ZINCRBY z 1 a", "3.5");
    t_bulk(s, 1, "ZINCRBY z 2 b", "2");
    t_bulk(s, 1, "ZINCRBY z inf x", "inf");
    t_err(s, 1, "ZINCRBY z -inf x", PLX_E_COMMAND_ERROR,
          "ERR resulting score is not a number (NaN)");
    t_err(s, 1, "ZINCRBY z abc a", PLX_E_COMMAND_ERROR, "ERR value is not a valid float");
    t_syntax(s, 1, "ZINCRBY z nx a"); /* as Redis: parsed as an option */
}

static void test_scores_format(void **state) {
    t_int(s, 1, "ZADD z 0.1 a 1e20 b -0 c 3.14159 d -inf e +inf f 1.5e-7 g 0x10 h 7 i", 9);
    t_bulk(s, 1, "ZSCORE z a", "0.10000000000000001");
    t_bulk(s, 1, "ZSCORE z b", "1e+20");
    t_bulk(s, 1, "ZSCORE z c", "0");
    t_bulk(s, 1, "ZSCORE z d", "3.1415899999999999");
    t_bulk(s, 1, "ZSCORE z e", "-inf");
    t_bulk(s, 1, "ZSCORE z f", "inf");
    t_bulk(s, 1, "ZSCORE z g", "1.4999999999999999e-07");
    t_bulk(s, 1, "ZSCORE z h", "16");
    t_bulk(s, 1, "ZSCORE z i", "7");
    t_nil(s, 1, "ZSCORE z nope");
    t_nil(s, 1, "ZSCORE missing a");
    t_array(s, 1, "ZRANGE z 0 -1", "e,c,g,a,d,i,h,b,f");
}

static void test_ranges(void **state) {
    t_int(s, 1, "ZADD z 1 a 1 b 1 c 2 d 3 e", 5);
    t_array(s, 1, "ZRANGE z 0 -1", "a,b,c,d,e");
    t_array(s, 1, "ZRANGE z 0 -1 WITHSCORES", "a,1,b,1,c,1,d,2,e,3");
    t_array(s, 1, "ZRANGE z 1 2", "b,c");
    t_array(s, 1, "ZRANGE z -2 -1", "d,e");
    t_array(s, 1, "ZRANGE z -100 100", "a,b,c,d,e");
    t_array(s, 1, "ZRANGE z 3 1", "");
    t_array(s, 1, "ZRANGE missing 0 -1", "");
    t_notint(s, 1, "ZRANGE z a b");
    t_syntax(s, 1, "ZRANGE z 0 -1 REV");
    t_syntax(s, 1, "ZRANGE z 0 -1 BYSCORE");
    t_syntax(s, 1, "ZRANGE z 0 -1 BYLEX");
    t_syntax(s, 1, "ZRANGE z 0 -1 LIMIT 0 1");
    t_array(s, 1, "ZRANGEBYSCORE z 1 2", "a,b,c,d");
    t_array(s, 1, "ZRANGEBYSCORE z (1 2", "d");
    t_array(s, 1, "ZRANGEBYSCORE z 1 (2", "a,b,c");
    t_array(s, 1, "ZRANGEBYSCORE z -inf +inf WITHSCORES", "a,1,b,1,c,1,d,2,e,3");
    t_array(s, 1, "ZRANGEBYSCORE z -inf +inf LIMIT 1 2", "b,c");
    t_array(s, 1, "ZRANGEBYSCORE z -inf +inf LIMIT 1 -1", "b,c,d,e");
    t_array(s, 1, "ZRANGEBYSCORE z -inf +inf LIMIT 0 0", "");
    t_array(s, 1, "ZRANGEBYSCORE z -inf +inf LIMIT -1 2", "");
    t_array(s, 1, "ZRANGEBYSCORE z -inf +inf LIMIT 10 2", "");
    t_array(s, 1, "ZRANGEBYSCORE z 2 1", "");
    t_array(s, 1, "ZRANGEBYSCORE z (1 (1", "");
    t_array(s, 1, "ZRANGEBYSCORE missing 0 1", "");
    t_syntax(s, 1, "ZRANGEBYSCORE z 0 1 LIMIT 1");
    t_syntax(s, 1, "ZRANGEBYSCORE z 0 1 REV");
    t_err(s, 1, "ZRANGEBYSCORE z a b", PLX_E_COMMAND_ERROR, "ERR min or max is not a float");
    t_err(s, 1, "ZRANGEBYSCORE z 1 nan", PLX_E_COMMAND_ERROR, "ERR min or max is not a float");
    t_array(s, 1, "ZREVRANGEBYSCORE z 3 1", "e,d,c,b,a");
    t_array(s, 1, "ZREVRANGEBYSCORE z +inf -inf WITHSCORES", "e,3,d,2,c,1,b,1,a,1");
    t_array(s, 1, "ZREVRANGEBYSCORE z (3 1", "d,c,b,a");
    t_array(s, 1, "ZREVRANGEBYSCORE z 3 (1", "e,d");
    t_array(s, 1, "ZREVRANGEBYSCORE z +inf -inf LIMIT 1 2", "d,c");
    t_array(s, 1, "ZREVRANGEBYSCORE z 1 3", "");
    t_int(s, 1, "ZCOUNT z -inf +inf", 5);
    t_int(s, 1, "ZCOUNT z 1 1", 3);
    t_int(s, 1, "ZCOUNT z (1 3", 2);
    t_int(s, 1, "ZCOUNT z 5 10", 0);
    t_int(s, 1, "ZCOUNT missing 0 1", 0);
    t_err(s, 1, "ZCOUNT z a 1", PLX_E_COMMAND_ERROR, "ERR min or max is not a float");
    t_int(s, 1, "ZRANK z a", 0);
    t_int(s, 1, "ZRANK z e", 4);
    t_nil(s, 1, "ZRANK z nope");
    t_nil(s, 1, "ZRANK missing a");
    t_int(s, 1, "ZREM z a b nope", 2);
    t_int(s, 1, "ZREM missing a", 0);
    t_int(s, 1, "ZCARD z", 3);
    t_int(s, 1, "ZCARD missing", 0);
    t_int(s, 1, "ZREM z c d e", 3);
    t_int(s, 1, "EXISTS z", 0);
    assert_true(t_noted(&notes, "zrem z"));
}

static void test_member_order(void **state) {
    plx_bytes add[] = {T_B("ZADD"), T_B("z"), T_B("0"), T_B("a\0"),  T_B("0"), T_B("a"),
                       T_B("0"),    T_B(""),  T_B("0"), T_B("\xff"), T_B("0"), T_B("\0")};
    plx_store_reply *r = t_runb(s, 1, 12, add);
    assert_int_equal(r->integer, 5);
    plx_store_reply_free(r);
    plx_bytes range[] = {T_B("ZRANGE"), T_B("z"), T_B("0"), T_B("-1")};
    r = t_runb(s, 1, 4, range);
    assert_int_equal(r->nelem, 5);
    /* Unsigned bytes, a prefix first: "", "\0", "a", "a\0", "\xff". */
    assert_int_equal(r->elem[0]->len, 0);
    assert_int_equal(r->elem[1]->len, 1);
    assert_int_equal(r->elem[1]->str[0], 0);
    assert_string_equal(r->elem[2]->str, "a");
    assert_int_equal(r->elem[3]->len, 2);
    assert_int_equal((unsigned char)r->elem[4]->str[0], 0xff);
    plx_store_reply_free(r);
}

static void test_wrongtype(void **state) {
    t_ok(s, 1, "SET str v");
    t_wrongtype(s, 1, "ZADD str 1 a");
    t_wrongtype(s, 1, "ZREM str a");
    t_wrongtype(s, 1, "ZCARD str");
    t_wrongtype(s, 1, "ZSCORE str a");
    t_wrongtype(s, 1, "ZRANGE str 0 -1");
    t_wrongtype(s, 1, "ZRANGEBYSCORE str 0 1");
    t_wrongtype(s, 1, "ZREVRANGEBYSCORE str 1 0");
    t_wrongtype(s, 1, "ZCOUNT str 0 1");
    t_wrongtype(s, 1, "ZINCRBY str 1 a");
    t_wrongtype(s, 1, "ZRANK str a");
    /* Ranges and scores are parsed before the key is looked at. */
    t_err(s, 1, "ZRANGEBYSCORE str a b", PLX_E_COMMAND_ERROR, "ERR min or max is not a float");
    t_err(s, 1, "ZADD str x a", PLX_E_COMMAND_ERROR, "ERR value is not a valid float");
}

/* Random adds, score changes and removes on 2,000 members, checked against a sorted model:
 * ZRANK of every member, ZRANGE by rank and ZCOUNT. */
static void test_skiplist_model(void **state) {
    enum { N = 2000 };
    static int score[N];
    static int present[N];
    uint64_t x = 99;
    char cmd[96];
    for (int step = 0; step < 6000; step++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int m = (int)((x >> 33) % N);
        int sc = (int)((x >> 13) % 500);
        if ((x >> 60) < 12) {
            snprintf(cmd, sizeof(cmd), "ZADD z %d m%04d", sc, m);
            t_int(s, 1, cmd, present[m] ? 0 : 1);
            present[m] = 1;
            score[m] = sc;
        } else {
            snprintf(cmd, sizeof(cmd), "ZREM z m%04d", m);
            t_int(s, 1, cmd, present[m]);
            present[m] = 0;
        }
    }
    /* Expected order: by score, then member name (names sort like their numbers). */
    int order[N], n = 0;
    for (int sc = 0; sc < 500; sc++)
        for (int m = 0; m < N; m++)
            if (present[m] && score[m] == sc) order[n++] = m;
    snprintf(cmd, sizeof(cmd), "ZCARD z");
    t_int(s, 1, cmd, n);
    for (int i = 0; i < n; i += 7) {
        snprintf(cmd, sizeof(cmd), "ZRANK z m%04d", order[i]);
        t_int(s, 1, cmd, i);
    }
    plx_store_reply *r = t_run(s, 1, "ZRANGE z 0 -1");
    assert_int_equal(r->nelem, n);
    for (int i = 0; i < n; i++) {
        char want[16];
        snprintf(want, sizeof(want), "m%04d", order[i]);
        assert_string_equal(r->elem[i]->str, want);
    }
    plx_store_reply_free(r);
    int below = 0;
    for (int i = 0; i < n; i++)
        if (score[order[i]] >= 100 && score[order[i]] < 300) below++;
    t_int(s, 1, "ZCOUNT z 100 (300", below);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_zadd_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_incr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scores_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ranges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_member_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrongtype, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skiplist_model, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
