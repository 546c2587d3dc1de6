/*
 * test_dict.c - the hash table: binary keys, add/find/delete, growth and shrink, iteration
 * with deletion, random entries, and scan completeness across resizes between steps.
 */
#include "helpers.h"
#include "dict.h"

static const uint64_t seed[2] = {1, 2};

static void test_basic(void **state) {
    plx_dict *d = plx_dict_new(seed);
    assert_non_null(d);
    int v1, v2;
    assert_non_null(plx_dict_add(d, (const uint8_t *)"a\0b", 3, &v1, NULL));
    assert_non_null(plx_dict_add(d, (const uint8_t *)"a", 1, &v2, NULL));
    assert_non_null(plx_dict_add(d, (const uint8_t *)"", 0, NULL, NULL));
    plx_dict_entry *old = NULL;
    assert_null(plx_dict_add(d, (const uint8_t *)"a", 1, &v1, &old));
    assert_non_null(old);
    assert_ptr_equal(old->val, &v2);
    assert_int_equal(d->used, 3);
    plx_dict_entry *e = plx_dict_find(d, (const uint8_t *)"a\0b", 3);
    assert_non_null(e);
    assert_ptr_equal(e->val, &v1);
    assert_int_equal(e->klen, 3);
    assert_int_equal(e->key[3], 0);
    assert_null(plx_dict_find(d, (const uint8_t *)"a\0", 2));
    assert_non_null(plx_dict_find(d, (const uint8_t *)"", 0));
    void *out = NULL;
    assert_int_equal(plx_dict_delete(d, (const uint8_t *)"a", 1, &out), 1);
    assert_ptr_equal(out, &v2);
    assert_int_equal(plx_dict_delete(d, (const uint8_t *)"a", 1, NULL), 0);
    assert_int_equal(d->used, 2);
    plx_dict_free(d, NULL);
}

static void test_grow_shrink(void **state) {
    plx_dict *d = plx_dict_new(seed);
    char k[32];
    for (int i = 0; i < 10000; i++) {
        int n = snprintf(k, sizeof(k), "key%d", i);
        assert_non_null(plx_dict_add(d, (const uint8_t *)k, (size_t)n, NULL, NULL));
    }
    assert_int_equal(d->used, 10000);
    assert_true(d->size >= 10000 && d->size <= 16384); /* load factor at most 1 */
    for (int i = 0; i < 10000; i++) {
        int n = snprintf(k, sizeof(k), "key%d", i);
        assert_non_null(plx_dict_find(d, (const uint8_t *)k, (size_t)n));
    }
    for (int i = 0; i < 9990; i++) {
        int n = snprintf(k, sizeof(k), "key%d", i);
        assert_int_equal(plx_dict_delete(d, (const uint8_t *)k, (size_t)n, NULL), 1);
    }
    assert_int_equal(d->used, 10);
    assert_true(d->size <= 128); /* shrunk: at least 1/8 full */
    for (int i = 9990; i < 10000; i++) {
        int n = snprintf(k, sizeof(k), "key%d", i);
        assert_non_null(plx_dict_find(d, (const uint8_t *)k, (size_t)n));
    }
    plx_dict_clear(d, NULL);
    assert_int_equal(d->used, 0);
    assert_null(plx_dict_find(d, (const uint8_t *)"key9999", 7));
    plx_dict_free(d, NULL);
}

static void test_iter_delete(void **state) {
    plx_dict *d = plx_dict_new(seed);
    char k[32];
    for (int i = 0; i < 500; i++) {
        int n = snprintf(k, sizeof(k), "%d", i);
        plx_dict_add(d, (const uint8_t *)k, (size_t)n, NULL, NULL);
    }
    plx_dict_iter it;
    plx_dict_iter_init(&it, d);
    int seen = 0;
    for (plx_dict_entry *e; (e = plx_dict_iter_next(&it));) {
        seen++;
        plx_dict_delete_noresize(d, e->key, e->klen, NULL);
    }
    assert_int_equal(seen, 500);
    assert_int_equal(d->used, 0);
    plx_dict_shrink(d);
    assert_int_equal(d->size, 0);
    plx_dict_free(d, NULL);
}

static void test_random(void **state) {
    plx_dict *d = plx_dict_new(seed);
    uint64_t rng = 7;
    assert_null(plx_dict_random(d, &rng));
    int hits[20] = {0};
    for (int i = 0; i < 20; i++) {
        char k = (char)('a' + i);
        plx_dict_add(d, (const uint8_t *)&k, 1, NULL, NULL);
    }
    for (int i = 0; i < 4000; i++) {
        plx_dict_entry *e = plx_dict_random(d, &rng);
        assert_non_null(e);
        hits[e->key[0] - 'a']++;
    }
    for (int i = 0; i < 20; i++)
        assert_true(hits[i] > 50); /* about 200 each */
    plx_dict_free(d, NULL);
}

typedef struct marks {
    char seen[4000];
} marks;

static void mark(void *ud, const plx_dict_entry *e) {
    int i;
    if (sscanf((const char *)e->key, "k%d", &i) == 1 && i >= 0 && i < 4000)
        ((marks *)ud)->seen[i] = 1;
}

static void test_scan_across_resizes(void **state) {
    plx_dict *d = plx_dict_new(seed);
    char k[32];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(k, sizeof(k), "k%d", i);
        plx_dict_add(d, (const uint8_t *)k, (size_t)n, NULL, NULL);
    }
    marks m = {0};
    uint64_t cursor = 0;
    int steps = 0, extra = 0;
    do {
        cursor = plx_dict_scan(d, cursor, mark, &m);
        steps++;
        /* Grow during the first half, then shrink by deleting the extra keys. */
        if (steps < 200) {
            for (int j = 0; j < 10; j++, extra++) {
                int n = snprintf(k, sizeof(k), "x%d", extra);
                plx_dict_add(d, (const uint8_t *)k, (size_t)n, NULL, NULL);
            }
        } else if (extra > 0) {
            for (int j = 0; j < 100 && extra > 0; j++) {
                int n = snprintf(k, sizeof(k), "x%d", --extra);
                plx_dict_delete(d, (const uint8_t *)k, (size_t)n, NULL);
            }
        }
        assert_true(steps < 1000000);
    } while (cursor != 0);
    for (int i = 0; i < 1000; i++)
        if (!m.seen[i]) fail_msg("k%d missed by the scan", i);
    plx_dict_free(d, NULL);
}

static void test_siphash(void **state) {
    /* SipHash is keyed: the same bytes hash differently under another seed. */
    const uint64_t other[2] = {3, 4};
    uint64_t a = plx_siphash((const uint8_t *)"hello", 5, seed);
    assert_int_equal(a, plx_siphash((const uint8_t *)"hello", 5, seed));
    assert_true(a != plx_siphash((const uint8_t *)"hello", 5, other));
    assert_true(a != plx_siphash((const uint8_t *)"hellp", 5, seed));
    assert_true(plx_siphash((const uint8_t *)"", 0, seed) !=
                plx_siphash((const uint8_t *)"\0", 1, seed));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_grow_shrink),
        cmocka_unit_test(test_iter_delete),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_scan_across_resizes),
        cmocka_unit_test(test_siphash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
