/*
 * test_list.c - list commands: LPUSH RPUSH LPOP RPOP (with count) LLEN LINDEX LSET LRANGE LREM
 * LINSERT LTRIM, errors, notifications, and the ring buffer under growth and removal.
 */
#include "helpers.h"

T_STORE_FIXTURE

static void test_push_pop(void **state) {
    t_int(s, 1, "LPUSH l a b c", 3);
    t_array(s, 1, "LRANGE l 0 -1", "c,b,a");
    t_int(s, 1, "RPUSH l d e", 5);
    t_array(s, 1, "LRANGE l 0 -1", "c,b,a,d,e");
    t_bulk(s, 1, "LPOP l", "c");
    t_bulk(s, 1, "RPOP l", "e");
    t_array(s, 1, "LPOP l 2", "b,a");
    t_array(s, 1, "LPOP l 0", "");
    t_array(s, 1, "RPOP l 10", "d");
    t_int(s, 1, "EXISTS l", 0);
    t_nil(s, 1, "LPOP l");
    t_nil(s, 1, "LPOP l 2");
    t_nil(s, 1, "RPOP l 0");
    t_err(s, 1, "LPOP l -1", PLX_E_COMMAND_ERROR, "ERR value is out of range, must be positive");
    t_err(s, 1, "LPOP l x", PLX_E_COMMAND_ERROR, "ERR value is out of range, must be positive");
    t_err(s, 1, "LPOP l 1 2", PLX_E_WRONG_ARITY,
          "ERR wrong number of arguments for 'lpop' command");
    t_err(s, 1, "RPOP l 1 2", PLX_E_WRONG_ARITY,
          "ERR wrong number of arguments for 'rpop' command");
    assert_true(t_noted(&notes, "lpush l"));
    assert_true(t_noted(&notes, "rpop l"));
}

static void test_index_set_range(void **state) {
    t_int(s, 1, "RPUSH l a b c d e", 5);
    t_int(s, 1, "LLEN l", 5);
    t_int(s, 1, "LLEN missing", 0);
    t_bulk(s, 1, "LINDEX l 0", "a");
    t_bulk(s, 1, "LINDEX l -1", "e");
    t_bulk(s, 1, "LINDEX l -5", "a");
    t_nil(s, 1, "LINDEX l 5");
    t_nil(s, 1, "LINDEX l -6");
    t_notint(s, 1, "LINDEX l x");
    t_nil(s, 1, "LINDEX missing x"); /* the key is looked at first */
    t_ok(s, 1, "LSET l 0 A");
    t_ok(s, 1, "LSET l -1 E");
    t_err(s, 1, "LSET l 5 x", PLX_E_COMMAND_ERROR, "ERR index out of range");
    t_err(s, 1, "LSET missing 0 x", PLX_E_COMMAND_ERROR, "ERR no such key");
    t_notint(s, 1, "LSET l x y");
    t_array(s, 1, "LRANGE l 0 -1", "A,b,c,d,E");
    t_array(s, 1, "LRANGE l 1 2", "b,c");
    t_array(s, 1, "LRANGE l -2 -1", "d,E");
    t_array(s, 1, "LRANGE l -100 100", "A,b,c,d,E");
    t_array(s, 1, "LRANGE l 3 1", "");
    t_array(s, 1, "LRANGE l 5 10", "");
    t_array(s, 1, "LRANGE missing 0 -1", "");
    t_notint(s, 1, "LRANGE l a b");
}

static void test_lrem(void **state) {
    t_int(s, 1, "RPUSH l a b a c a d a", 7);
    t_int(s, 1, "LREM l 2 a", 2);
    t_array(s, 1, "LRANGE l 0 -1", "b,c,a,d,a");
    t_int(s, 1, "LREM l -1 a", 1);
    t_array(s, 1, "LRANGE l 0 -1", "b,c,a,d");
    t_int(s, 1, "LREM l 0 a", 1);
    t_array(s, 1, "LRANGE l 0 -1", "b,c,d");
    t_int(s, 1, "LREM l 0 zz", 0);
    t_int(s, 1, "LREM missing 0 a", 0);
    t_notint(s, 1, "LREM l x a");
    t_int(s, 1, "RPUSH m x y x y x", 5);
    t_int(s, 1, "LREM m -2 x", 2);
    t_array(s, 1, "LRANGE m 0 -1", "x,y,y");
    t_int(s, 1, "LREM m 0 y", 2);
    t_int(s, 1, "LREM m 0 x", 1);
    t_int(s, 1, "EXISTS m", 0);
}

static void test_linsert_ltrim(void **state) {
    t_int(s, 1, "RPUSH l a b c", 3);
    t_int(s, 1, "LINSERT l BEFORE b X", 4);
    t_int(s, 1, "LINSERT l after c Y", 5);
    t_int(s, 1, "LINSERT l before a Z", 6);
    t_array(s, 1, "LRANGE l 0 -1", "Z,a,X,b,c,Y");
    t_int(s, 1, "LINSERT l before nope Q", -1);
    t_int(s, 1, "LINSERT missing before a b", 0);
    t_syntax(s, 1, "LINSERT l middle a Q");
    t_ok(s, 1, "LTRIM l 1 -2");
    t_array(s, 1, "LRANGE l 0 -1", "a,X,b,c");
    t_ok(s, 1, "LTRIM l -100 100");
    t_array(s, 1, "LRANGE l 0 -1", "a,X,b,c");
    t_ok(s, 1, "LTRIM l 2 1");
    t_int(s, 1, "EXISTS l", 0);
    t_ok(s, 1, "LTRIM missing 0 1");
    t_notint(s, 1, "LTRIM l a b");
}

static void test_wrongtype(void **state) {
    t_ok(s, 1, "SET str v");
    t_wrongtype(s, 1, "LPUSH str a");
    t_wrongtype(s, 1, "RPUSH str a");
    t_wrongtype(s, 1, "LPOP str");
    t_wrongtype(s, 1, "RPOP str 2");
    t_wrongtype(s, 1, "LLEN str");
    t_wrongtype(s, 1, "LINDEX str 0");
    t_wrongtype(s, 1, "LSET str 0 a");
    t_wrongtype(s, 1, "LRANGE str 0 1");
    t_wrongtype(s, 1, "LREM str 0 a");
    t_wrongtype(s, 1, "LINSERT str before a b");
    t_wrongtype(s, 1, "LTRIM str 0 1");
}

/* A model array against the ring buffer: pushes and pops at both ends, inserts and removes
 * in the middle, across several growths and shrinks. */
static void test_ring_model(void **state) {
    char model[600][8];
    int n = 0;
    char cmd[128];
    uint64_t x = 12345;
    for (int step = 0; step < 3000; step++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int op = (int)((x >> 33) % 6);
        char v[8];
        snprintf(v, sizeof(v), "v%d", step % 1000);
        if (op == 0 && n < 590) {
            memmove(model[1], model[0], (size_t)n * 8);
            snprintf(model[0], 8, "%s", v);
            n++;
            snprintf(cmd, sizeof(cmd), "LPUSH l %s", v);
            t_int(s, 1, cmd, n);
        } else if (op == 1 && n < 590) {
            snprintf(model[n++], 8, "%s", v);
            snprintf(cmd, sizeof(cmd), "RPUSH l %s", v);
            t_int(s, 1, cmd, n);
        } else if (op == 2 && n > 0) {
            t_bulk(s, 1, "LPOP l", model[0]);
            memmove(model[0], model[1], (size_t)(n - 1) * 8);
            n--;
        } else if (op == 3 && n > 0) {
            t_bulk(s, 1, "RPOP l", model[n - 1]);
            n--;
        } else if (op == 4 && n > 0 && n < 590) {
            int at = (int)((x >> 20) % (uint64_t)n);
            snprintf(cmd, sizeof(cmd), "LINSERT l BEFORE %s %s", model[at], v);
            /* LINSERT uses the first occurrence of the pivot. */
            int first = 0;
            while (strcmp(model[first], model[at]) != 0)
                first++;
            memmove(model[first + 1], model[first], (size_t)(n - first) * 8);
            snprintf(model[first], 8, "%s", v);
            n++;
            t_int(s, 1, cmd, n);
        } else if (op == 5 && n > 0) {
            int at = (int)((x >> 20) % (uint64_t)n);
            snprintf(cmd, sizeof(cmd), "LINDEX l %d", at);
            t_bulk(s, 1, cmd, model[at]);
            snprintf(cmd, sizeof(cmd), "LINDEX l %d", at - n);
            t_bulk(s, 1, cmd, model[at]);
        }
    }
    snprintf(cmd, sizeof(cmd), "LLEN l");
    t_int(s, 1, cmd, n);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_push_pop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_set_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lrem, setup, teardown),
        cmocka_unit_test_setup_teardown(test_linsert_ltrim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrongtype, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ring_model, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
