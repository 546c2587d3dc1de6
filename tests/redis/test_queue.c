/*
 * test_queue.c - the bounded FIFOs between threads: order, the cap, bounded waits, close.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "internal.h"

typedef struct item {
    plx_rq_node node;
    int v;
} item;

static int freed;
static void count_free(plx_rq_node *n) {
    (void)n;
    freed++;
}

static void test_fifo_and_cap(void **state) {
    (void)state;
    plx_rq q;
    assert_int_equal(plx_rq_init(&q, 3), 0);
    item it[4];
    it[3].v = 3;
    for (int i = 0; i < 3; i++) {
        it[i].v = i;
        assert_int_equal(plx_rq_push(&q, &it[i].node), 0);
    }
    assert_int_equal(plx_rq_push(&q, &it[3].node), -1); /* full */
    assert_int_equal(plx_rq_len(&q), 3);
    assert_ptr_equal(plx_rq_peek(&q), &it[0].node);
    assert_ptr_equal(plx_rq_pop(&q), &it[0].node);
    assert_int_equal(plx_rq_push(&q, &it[3].node), 0); /* room again */
    plx_rq_node *all = plx_rq_take_all(&q, 0);
    int want[] = {1, 2, 3}, k = 0;
    for (plx_rq_node *n = all; n; n = n->next)
        assert_int_equal(((item *)n)->v, want[k++]);
    assert_int_equal(k, 3);
    assert_null(plx_rq_pop(&q));
    assert_null(plx_rq_take_all(&q, 0));
    freed = 0;
    plx_rq_push(&q, &it[0].node);
    plx_rq_push(&q, &it[1].node);
    plx_rq_destroy(&q, count_free);
    assert_int_equal(freed, 2);
}

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void test_bounded_waits(void **state) {
    (void)state;
    plx_rq q;
    assert_int_equal(plx_rq_init(&q, 1), 0);
    uint64_t t0 = now_ms();
    assert_null(plx_rq_take_all(&q, 50));
    uint64_t dt = now_ms() - t0;
    assert_true(dt >= 45 && dt < 1000);
    item a, b;
    assert_int_equal(plx_rq_push(&q, &a.node), 0);
    t0 = now_ms();
    assert_int_equal(plx_rq_push_wait(&q, &b.node, 50), -1);
    dt = now_ms() - t0;
    assert_true(dt >= 45 && dt < 1000);
    plx_rq_close(&q);
    t0 = now_ms();
    assert_int_equal(plx_rq_push_wait(&q, &b.node, 5000), -1); /* closed: at once */
    assert_ptr_equal(plx_rq_take_all(&q, 5000), &a.node);
    assert_null(plx_rq_take_all(&q, 5000));
    assert_true(now_ms() - t0 < 1000);
    plx_rq_destroy(&q, NULL);
}

static void *producer(void *arg) {
    plx_rq *q = arg;
    static item items[1000];
    for (int i = 0; i < 1000; i++) {
        items[i].v = i;
        while (plx_rq_push_wait(q, &items[i].node, 100) != 0)
            ;
    }
    return NULL;
}

static void test_threads_keep_order(void **state) {
    (void)state;
    plx_rq q;
    assert_int_equal(plx_rq_init(&q, 16), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, producer, &q), 0);
    int next = 0;
    uint64_t until = now_ms() + 10000;
    while (next < 1000 && now_ms() < until)
        for (plx_rq_node *n = plx_rq_take_all(&q, 100); n; n = n->next)
            assert_int_equal(((item *)n)->v, next++);
    pthread_join(t, NULL);
    assert_int_equal(next, 1000);
    plx_rq_destroy(&q, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_and_cap),
        cmocka_unit_test(test_bounded_waits),
        cmocka_unit_test(test_threads_keep_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
