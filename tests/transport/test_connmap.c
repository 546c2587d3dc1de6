/*
 * test_connmap.c - the transport's map from hub connection id to connection: put, get,
 * replace, delete (backward-shift deletion keeps every other entry reachable), growth, the
 * id 0 that never names a connection, and a visit of every entry; checked against a plain
 * array over a long pseudo-random sequence of operations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "connmap.h"

#define VAL(id) ((void *)(uintptr_t)((id)*16 + 8)) /* a distinct non-NULL value per id */

static void test_put_get_del(void **state) {
    plx_connmap *m = plx_connmap_new();

    (void)state;
    assert_non_null(m);
    assert_int_equal(plx_connmap_count(m), 0);
    assert_null(plx_connmap_get(m, 1));
    assert_int_equal(plx_connmap_put(m, 1, VAL(1)), 0);
    assert_int_equal(plx_connmap_put(m, 2, VAL(2)), 0);
    assert_ptr_equal(plx_connmap_get(m, 1), VAL(1));
    assert_ptr_equal(plx_connmap_get(m, 2), VAL(2));
    assert_null(plx_connmap_get(m, 3));
    assert_int_equal(plx_connmap_count(m), 2);
    /* replacing keeps the count */
    assert_int_equal(plx_connmap_put(m, 1, VAL(100)), 0);
    assert_ptr_equal(plx_connmap_get(m, 1), VAL(100));
    assert_int_equal(plx_connmap_count(m), 2);
    plx_connmap_del(m, 1);
    assert_null(plx_connmap_get(m, 1));
    assert_ptr_equal(plx_connmap_get(m, 2), VAL(2));
    assert_int_equal(plx_connmap_count(m), 1);
    plx_connmap_del(m, 1); /* absent: nothing happens */
    plx_connmap_del(m, 99);
    assert_int_equal(plx_connmap_count(m), 1);
    plx_connmap_free(m);
    plx_connmap_free(NULL);
}

static void test_id_zero_is_never_a_connection(void **state) {
    plx_connmap *m = plx_connmap_new();

    (void)state;
    assert_int_equal(plx_connmap_put(m, 0, VAL(1)), -1);
    assert_null(plx_connmap_get(m, 0));
    plx_connmap_del(m, 0);
    assert_int_equal(plx_connmap_count(m), 0);
    plx_connmap_free(m);
}

static void test_large_ids(void **state) {
    plx_connmap *m = plx_connmap_new();
    static const uint64_t ids[] = {UINT64_MAX, UINT64_MAX - 1, (uint64_t)1 << 63, 1u << 31, 64,
                                   128};

    (void)state;
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        assert_int_equal(plx_connmap_put(m, ids[i], VAL(i + 1)), 0);
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        assert_ptr_equal(plx_connmap_get(m, ids[i]), VAL(i + 1));
    plx_connmap_free(m);
}

static void count_visit(void *v, void *ud) {
    uintptr_t *sum = ud;

    assert_non_null(v);
    sum[0] += (uintptr_t)v;
    sum[1]++;
}

static void test_growth_and_each(void **state) {
    plx_connmap *m = plx_connmap_new();
    const uint64_t n = 20000; /* many doublings from the initial 64 slots */
    uintptr_t sum[2] = {0, 0}, want = 0;

    (void)state;
    for (uint64_t id = 1; id <= n; id++) {
        assert_int_equal(plx_connmap_put(m, id * 7919, VAL(id)), 0);
        want += (uintptr_t)VAL(id);
    }
    assert_int_equal(plx_connmap_count(m), n);
    for (uint64_t id = 1; id <= n; id++)
        assert_ptr_equal(plx_connmap_get(m, id * 7919), VAL(id));
    plx_connmap_each(m, count_visit, sum);
    assert_int_equal(sum[1], n); /* every entry once */
    assert_int_equal(sum[0], want);
    /* delete every other one: the rest stays reachable */
    for (uint64_t id = 1; id <= n; id += 2)
        plx_connmap_del(m, id * 7919);
    assert_int_equal(plx_connmap_count(m), n / 2);
    for (uint64_t id = 1; id <= n; id++) {
        if (id % 2)
            assert_null(plx_connmap_get(m, id * 7919));
        else
            assert_ptr_equal(plx_connmap_get(m, id * 7919), VAL(id));
    }
    plx_connmap_free(m);
}

/* xorshift64: a fixed sequence, so a failure reproduces. */
static uint64_t next_rand(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_random_operations_match_a_reference(void **state) {
    enum { IDS = 512, OPS = 200000 };
    void *ref[IDS + 1];
    size_t live = 0;
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    plx_connmap *m = plx_connmap_new();

    (void)state;
    memset(ref, 0, sizeof(ref));
    for (int op = 0; op < OPS; op++) {
        uint64_t r = next_rand(&seed);
        /* ids in a small range collide often in the probe runs */
        uint64_t id = 1 + r % IDS;
        switch ((r >> 32) % 3) {
        case 0:
        case 1:
            if (!ref[id]) live++;
            ref[id] = VAL(op + 1);
            assert_int_equal(plx_connmap_put(m, id, ref[id]), 0);
            break;
        case 2:
            if (ref[id]) live--;
            ref[id] = NULL;
            plx_connmap_del(m, id);
            break;
        }
        if (op % 997 == 0)
            for (uint64_t i = 1; i <= IDS; i++)
                assert_ptr_equal(plx_connmap_get(m, i), ref[i]);
        assert_int_equal(plx_connmap_count(m), live);
    }
    for (uint64_t i = 1; i <= IDS; i++)
        assert_ptr_equal(plx_connmap_get(m, i), ref[i]);
    plx_connmap_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_del),
        cmocka_unit_test(test_id_zero_is_never_a_connection),
        cmocka_unit_test(test_large_ids),
        cmocka_unit_test(test_growth_and_each),
        cmocka_unit_test(test_random_operations_match_a_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
