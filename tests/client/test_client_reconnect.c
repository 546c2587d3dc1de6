/*
 * test_client_reconnect.c - losing and regaining the server: requests pending when the connection
 * drops fail at once, requests made while disconnected fail within their timeout, and
 * after the server restarts on the same ports the clients reconnect (with backoff) and get
 * back their names, routes, groups, watches and adapted keys. Also: reconnect disabled.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "harness.h"

static test_counter ups_a, ups_b, downs_a, changes, reads, started, released;

static void on_status(plx_client *c, const plx_status *st, void *ud) {
    test_counter **k = ud; /* [0] up, [1] down */
    (void)c;
    if (st->kind == PLX_STATUS_UP) counter_bump(k[0]);
    if (st->kind == PLX_STATUS_DOWN && k[1]) counter_bump(k[1]);
}

static int route_ping(plx_client *c, const plx_request *req, plx_answer *a, void *ud) {
    (void)c;
    (void)req;
    (void)ud;
    return plx_answer_result(a, cJSON_CreateString("pong"));
}

static int route_stuck(plx_client *c, const plx_request *req, plx_answer *a, void *ud) {
    (void)c;
    (void)req;
    (void)ud;
    counter_bump(&started);
    counter_wait(&released, 1);
    return plx_answer_result(a, cJSON_CreateNull());
}

static int read_key(plx_client *c, const plx_request *req, plx_answer *a, void *ud) {
    plx_reply *r = plx_reply_string("adapted", 7);
    int rc;
    (void)c;
    (void)req;
    (void)ud;
    counter_bump(&reads);
    rc = plx_answer_reply(a, r);
    plx_reply_free(r);
    return rc;
}

static void on_change(plx_client *c, const plx_change *ch, void *ud) {
    (void)c;
    (void)ch;
    (void)ud;
    counter_bump(&changes);
}

static void *stop_when_started(void *arg) {
    counter_wait(&started, 1);
    test_server_stop(arg);
    return NULL;
}

static void test_restart_restores(void **state) {
    test_server s1, s2;
    plx_client_options o;
    plx_client *a, *b;
    test_counter *ka[2] = {&ups_a, &downs_a}, *kb[2] = {&ups_b, NULL};
    plx_result r;
    plx_reply *rep;
    pthread_t th;
    uint64_t t0, dt;
    int port, tcp_port;
    (void)state;

    counter_init(&ups_a);
    counter_init(&ups_b);
    counter_init(&downs_a);
    counter_init(&changes);
    counter_init(&reads);
    counter_init(&started);
    counter_init(&released);
    assert_int_equal(test_server_start(&s1, 0, 0, NULL), 0);
    port = s1.port;
    tcp_port = s1.tcp_port;

    plx_client_options_init(&o);
    o.backoff_initial_ms = 50;
    o.backoff_max_ms = 400;
    a = test_connect(&s1, 1, "rec-a", &o);
    b = test_connect(&s1, 0, NULL, &o); /* an assigned name is kept too */
    assert_non_null(a);
    assert_non_null(b);
    plx_client_on_status(a, on_status, ka);
    plx_client_on_status(b, on_status, kb);
    plx_client_on_change(a, on_change, NULL);
    assert_int_equal(plx_client_serve(a, "ping", route_ping, NULL, 0), 0);
    assert_int_equal(plx_client_serve(a, "stuck", route_stuck, NULL, 0), 0);
    assert_int_equal(plx_client_join(a, "grp", 0), 0);
    assert_int_equal(plx_client_watch(a, plx_str("rk*"), 0), 0);
    assert_int_equal(plx_client_adapt(a, plx_str("ak"), read_key, NULL, 0), 0);
    char bname[64], bname2[64];
    assert_int_equal(plx_client_name(b, bname, sizeof(bname)), 0);

    /* a call in flight when the server goes away fails at once with DISCONNECTED */
    pthread_create(&th, NULL, stop_when_started, &s1);
    t0 = test_now_ms();
    assert_int_equal(plx_client_call(b, "stuck", NULL, NULL, NULL, 0, 8000, &r),
                     PLX_E_DISCONNECTED);
    assert_true(test_now_ms() - t0 < 6000);
    plx_result_free(&r);
    counter_bump(&released);
    pthread_join(th, NULL);
    assert_int_equal(counter_wait(&downs_a, 1), 1);
    assert_int_equal(plx_client_connected(a), 0);

    /* while the server is down, a call fails within its timeout */
    t0 = test_now_ms();
    assert_int_equal(plx_client_call(b, "ping", NULL, NULL, NULL, 0, 300, &r), PLX_E_DISCONNECTED);
    dt = test_now_ms() - t0;
    assert_true(dt >= 250 && dt < 1300);
    plx_result_free(&r);
    assert_int_equal(plx_client_cmdv(a, 300, &rep, "GET", "x", NULL), PLX_E_DISCONNECTED);
    assert_int_equal(rep->type, PLX_REPLY_ERROR);
    plx_reply_free(rep);

    /* the server comes back on the same ports: both clients reconnect and restore */
    assert_int_equal(test_server_start(&s2, port, tcp_port, NULL), 0);
    assert_int_equal(s2.port, port);
    assert_int_equal(counter_wait(&ups_a, 1), 1);
    assert_int_equal(counter_wait(&ups_b, 1), 1);
    assert_int_equal(plx_client_connected(a), 1);
    assert_int_equal(plx_client_name(b, bname2, sizeof(bname2)), 0);
    assert_string_equal(bname, bname2);
    /* route (and name) */
    assert_int_equal(plx_client_call(b, "ping", "rec-a", NULL, NULL, 0, 5000, &r), 0);
    assert_string_equal(r.value->valuestring, "pong");
    plx_result_free(&r);
    /* group */
    assert_int_equal(plx_client_call_all(b, "ping", "grp", NULL, NULL, 0, 5000, &r), 0);
    assert_non_null(cJSON_GetObjectItem(r.value, "rec-a"));
    plx_result_free(&r);
    /* watch */
    assert_int_equal(plx_client_cmdv(b, 0, &rep, "SET", "rk1", "v", NULL), 0);
    plx_reply_free(rep);
    assert_int_equal(counter_wait(&changes, 1), 1);
    /* adapter */
    assert_int_equal(plx_client_cmdv(b, 0, &rep, "GET", "ak", NULL), 0);
    assert_string_equal(rep->str, "adapted");
    plx_reply_free(rep);
    assert_int_equal(counter_get(&reads), 1);
    /* a's own session works */
    assert_int_equal(plx_client_call(a, "plexus.clients", NULL, NULL, NULL, 0, 5000, &r), 0);
    assert_int_equal(cJSON_GetArraySize(r.value), 2);
    plx_result_free(&r);

    plx_client_close(a);
    plx_client_close(b);
    assert_int_equal(test_server_stop(&s2), 0);
}

static void test_no_reconnect(void **state) {
    test_server s;
    plx_client_options o;
    plx_client *a;
    plx_result r;
    test_counter *ka[2] = {&ups_a, &downs_a};
    uint64_t t0;
    (void)state;

    counter_init(&ups_a);
    counter_init(&downs_a);
    assert_int_equal(test_server_start(&s, 0, 0, NULL), 0);
    plx_client_options_init(&o);
    o.no_reconnect = 1;
    a = test_connect(&s, 0, "once", &o);
    assert_non_null(a);
    plx_client_on_status(a, on_status, ka);
    assert_int_equal(test_server_stop(&s), 0);
    assert_int_equal(counter_wait(&downs_a, 1), 1);
    /* no session will come: fails at once, well before the timeout */
    t0 = test_now_ms();
    assert_int_equal(plx_client_call(a, "x", NULL, NULL, NULL, 0, 5000, &r), PLX_E_DISCONNECTED);
    assert_true(test_now_ms() - t0 < 1000);
    plx_result_free(&r);
    plx_client_close(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restart_restores),
        cmocka_unit_test(test_no_reconnect),
    };
    test_quiet_lws();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
