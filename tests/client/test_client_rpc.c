/*
 * test_client_rpc.c - RPC through a real plexus-server over both bindings: calls both ways,
 * attachments, handler errors (ROUTE_FAILED with detail), unknown routes and clients,
 * call_all, a route that never answers (CALL_TIMEOUT within the timeout) and a serving
 * client that leaves mid-call (PEER_GONE).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "harness.h"

/* add: {"a": x, "b": y} -> x + y */
static int route_add(plx_client *c, const plx_request *req, plx_answer *a, void *ud) {
    const cJSON *x = cJSON_GetObjectItem(req->args, "a"), *y = cJSON_GetObjectItem(req->args, "b");
    (void)c;
    (void)ud;
    if (!cJSON_IsNumber(x) || !cJSON_IsNumber(y))
        return plx_answer_error(a, PLX_E_BAD_VALUE, "a and b must be numbers",
                                cJSON_CreateString("args"));
    return plx_answer_result(a, cJSON_CreateNumber(x->valuedouble + y->valuedouble));
}

/* whoami: the serving client's name (ud) and the caller's */
static int route_whoami(plx_client *c, const plx_request *req, plx_answer *a, void *ud) {
    cJSON *o = cJSON_CreateObject();
    (void)c;
    cJSON_AddStringToObject(o, "me", (const char *)ud);
    cJSON_AddStringToObject(o, "from", req->from ? req->from : "");
    return plx_answer_result(a, o);
}

/* reverse: attachment 0 reversed, as attachment of the result */
static int route_reverse(plx_client *c, const plx_request *req, plx_answer *a, void *ud) {
    uint8_t *buf;
    cJSON *ref;
    (void)c;
    (void)ud;
    if (req->natt < 1) return plx_answer_error(a, PLX_E_BAD_VALUE, "no attachment", NULL);
    buf = malloc(req->att[0].len + 1);
    for (size_t i = 0; i < req->att[0].len; i++)
        buf[i] = req->att[0].data[req->att[0].len - 1 - i];
    ref = plx_answer_bin(a, buf, req->att[0].len);
    free(buf);
    return plx_answer_result(a, ref);
}

static void calls_both_ways(int tcp) {
    plx_client *a = test_connect(&srv, tcp, tcp ? "tcp-a" : "ws-a", NULL);
    plx_client *b = test_connect(&srv, !tcp, tcp ? "tcp-b" : "ws-b", NULL);
    cJSON *args = cJSON_Parse("{\"a\": 2, \"b\": 40}");
    plx_result r;

    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(plx_client_serve(a, "add", route_add, NULL, 0), 0);
    assert_int_equal(plx_client_serve(b, "whoami", route_whoami, tcp ? "tcp-b" : "ws-b", 0), 0);

    assert_int_equal(plx_client_call(b, "add", NULL, args, NULL, 0, 5000, &r), 0);
    assert_true(cJSON_IsNumber(r.value));
    assert_int_equal((int)r.value->valuedouble, 42);
    plx_result_free(&r);

    assert_int_equal(plx_client_call(a, "whoami", tcp ? "tcp-b" : "ws-b", NULL, NULL, 0, 5000, &r),
                     0);
    assert_string_equal(cJSON_GetObjectItem(r.value, "me")->valuestring, tcp ? "tcp-b" : "ws-b");
    assert_string_equal(cJSON_GetObjectItem(r.value, "from")->valuestring, tcp ? "tcp-a" : "ws-a");
    plx_result_free(&r);

    /* a call to itself goes through the server too */
    assert_int_equal(plx_client_call(a, "add", NULL, args, NULL, 0, 5000, &r), 0);
    assert_int_equal((int)r.value->valuedouble, 42);
    plx_result_free(&r);

    cJSON_Delete(args);
    plx_client_close(a);
    plx_client_close(b);
}

static void test_calls_ws(void **state) {
    (void)state;
    calls_both_ways(0);
}

static void test_calls_tcp(void **state) {
    (void)state;
    calls_both_ways(1);
}

static void test_attachments(void **state) {
    plx_client *a = test_connect(&srv, 0, "att-a", NULL);
    plx_client *b = test_connect(&srv, 1, "att-b", NULL);
    uint8_t data[3000];
    plx_bytes att = {data, sizeof(data)};
    cJSON *args = cJSON_Parse("{\"$bin\": 0}");
    plx_result r;
    size_t idx;
    (void)state;

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7);
    data[5] = 0;
    assert_int_equal(plx_client_serve(a, "reverse", route_reverse, NULL, 0), 0);
    assert_int_equal(plx_client_call(b, "reverse", NULL, args, &att, 1, 5000, &r), 0);
    assert_true(cJSON_IsObject(r.value));
    idx = (size_t)cJSON_GetObjectItem(r.value, "$bin")->valuedouble;
    assert_true(idx < r.natt);
    assert_int_equal(r.att[idx].len, sizeof(data));
    for (size_t i = 0; i < sizeof(data); i++)
        assert_int_equal(r.att[idx].data[i], data[sizeof(data) - 1 - i]);
    plx_result_free(&r);
    cJSON_Delete(args);
    plx_client_close(a);
    plx_client_close(b);
}

static void test_errors(void **state) {
    plx_client *a = test_connect(&srv, 0, "err-a", NULL);
    plx_client *b = test_connect(&srv, 1, "err-b", NULL);
    cJSON *bad = cJSON_Parse("{\"a\": \"x\"}");
    plx_result r;
    const cJSON *d;
    (void)state;

    assert_int_equal(plx_client_serve(a, "add", route_add, NULL, 0), 0);
    /* the handler's error travels back as ROUTE_FAILED with the error as detail */
    assert_int_equal(plx_client_call(b, "add", "err-a", bad, NULL, 0, 5000, &r),
                     PLX_E_ROUTE_FAILED);
    assert_null(r.value);
    assert_int_equal(r.error.code, PLX_E_ROUTE_FAILED);
    assert_string_equal(r.error.name, "ROUTE_FAILED");
    d = r.error.detail;
    assert_non_null(d);
    assert_int_equal((int)cJSON_GetObjectItem(d, "code")->valuedouble, -PLX_E_BAD_VALUE);
    assert_string_equal(cJSON_GetObjectItem(d, "name")->valuestring, "BAD_VALUE");
    assert_string_equal(cJSON_GetObjectItem(d, "message")->valuestring, "a and b must be numbers");
    assert_string_equal(cJSON_GetObjectItem(d, "detail")->valuestring, "args");
    plx_result_free(&r);

    assert_int_equal(plx_client_call(b, "nobody-serves-this", NULL, NULL, NULL, 0, 5000, &r),
                     PLX_E_UNKNOWN_ROUTE);
    assert_string_equal(r.error.name, "UNKNOWN_ROUTE");
    plx_result_free(&r);
    assert_int_equal(plx_client_call(b, "add", "no-such-client", NULL, NULL, 0, 5000, &r),
                     PLX_E_UNKNOWN_CLIENT);
    plx_result_free(&r);
    assert_int_equal(plx_client_serve(a, "plexus.mine", route_add, NULL, 0), PLX_E_RESERVED_ROUTE);
    /* a served route can be given up */
    assert_int_equal(plx_client_unserve(a, "add", 0), 0);
    assert_int_equal(plx_client_call(b, "add", NULL, NULL, NULL, 0, 5000, &r), PLX_E_UNKNOWN_ROUTE);
    plx_result_free(&r);
    /* any request: a type the server does not know comes back as UNKNOWN_TYPE */
    cJSON *probe = cJSON_Parse("{\"t\": \"frobnicate\"}");
    assert_int_equal(plx_client_request(b, probe, NULL, 0, 5000, &r), PLX_E_UNKNOWN_TYPE);
    plx_result_free(&r);
    cJSON_Delete(probe);
    probe = cJSON_Parse("{\"t\": \"join\", \"group\": \"probe\"}");
    assert_int_equal(plx_client_request(b, probe, NULL, 0, 5000, &r), 0);
    assert_true(cJSON_IsTrue(r.value));
    plx_result_free(&r);
    cJSON_Delete(probe);
    /* built-in routes */
    assert_int_equal(plx_client_call(b, "plexus.info", NULL, NULL, NULL, 0, 5000, &r), 0);
    assert_int_equal((int)cJSON_GetObjectItem(r.value, "version")->valuedouble, 1);
    plx_result_free(&r);
    cJSON_Delete(bad);
    plx_client_close(a);
    plx_client_close(b);
}

static void test_call_all(void **state) {
    plx_client *a = test_connect(&srv, 0, "all-a", NULL);
    plx_client *b = test_connect(&srv, 1, "all-b", NULL);
    plx_client *c = test_connect(&srv, 0, "all-c", NULL);
    plx_result r;
    const cJSON *e;
    (void)state;

    assert_int_equal(plx_client_serve(a, "who", route_whoami, "all-a", 0), 0);
    assert_int_equal(plx_client_serve(b, "who", route_whoami, "all-b", 0), 0);
    assert_int_equal(plx_client_join(b, "team", 0), 0);
    assert_int_equal(plx_client_call_all(c, "who", NULL, NULL, NULL, 0, 5000, &r), 0);
    assert_int_equal(cJSON_GetArraySize(r.value), 2);
    e = cJSON_GetObjectItem(cJSON_GetObjectItem(r.value, "all-a"), "result");
    assert_string_equal(cJSON_GetObjectItem(e, "me")->valuestring, "all-a");
    assert_string_equal(cJSON_GetObjectItem(e, "from")->valuestring, "all-c");
    e = cJSON_GetObjectItem(cJSON_GetObjectItem(r.value, "all-b"), "result");
    assert_string_equal(cJSON_GetObjectItem(e, "me")->valuestring, "all-b");
    plx_result_free(&r);
    /* only the group's members */
    assert_int_equal(plx_client_call_all(c, "who", "team", NULL, NULL, 0, 5000, &r), 0);
    assert_int_equal(cJSON_GetArraySize(r.value), 1);
    assert_non_null(cJSON_GetObjectItem(r.value, "all-b"));
    plx_result_free(&r);
    /* no targets: {} */
    assert_int_equal(plx_client_call_all(c, "none", NULL, NULL, NULL, 0, 5000, &r), 0);
    assert_true(cJSON_IsObject(r.value));
    assert_int_equal(cJSON_GetArraySize(r.value), 0);
    plx_result_free(&r);
    plx_client_close(a);
    plx_client_close(b);
    plx_client_close(c);
}

static test_counter started, released;

/* Never answers on its own: blocks until the test releases it (bounded by WAIT_MS). */
static int route_stuck(plx_client *c, const plx_request *req, plx_answer *a, void *ud) {
    (void)c;
    (void)req;
    (void)ud;
    counter_bump(&started);
    counter_wait(&released, counter_get(&started));
    return plx_answer_result(a, cJSON_CreateString("late"));
}

static void test_call_timeout(void **state) {
    plx_client *a = test_connect(&srv, 1, "slow-a", NULL);
    plx_client *b = test_connect(&srv, 0, "slow-b", NULL);
    plx_result r;
    uint64_t t0, dt;
    (void)state;

    counter_init(&started);
    counter_init(&released);
    assert_int_equal(plx_client_serve(a, "stuck", route_stuck, NULL, 0), 0);
    t0 = test_now_ms();
    assert_int_equal(plx_client_call(b, "stuck", NULL, NULL, NULL, 0, 300, &r), PLX_E_CALL_TIMEOUT);
    dt = test_now_ms() - t0;
    assert_true(dt >= 250);
    assert_true(dt < 300 + 1000);
    assert_string_equal(r.error.name, "CALL_TIMEOUT");
    plx_result_free(&r);
    counter_bump(&released); /* the late answer is dropped by the server */
    /* the serving client still works afterwards */
    assert_int_equal(plx_client_serve(a, "add", route_add, NULL, 0), 0);
    cJSON *args = cJSON_Parse("{\"a\": 1, \"b\": 1}");
    assert_int_equal(plx_client_call(b, "add", NULL, args, NULL, 0, 5000, &r), 0);
    assert_int_equal((int)r.value->valuedouble, 2);
    plx_result_free(&r);
    cJSON_Delete(args);
    plx_client_close(a);
    plx_client_close(b);
}

static void *close_when_started(void *arg) {
    counter_wait(&started, 1);
    plx_client_close(arg); /* returns once the stuck handler is released */
    return NULL;
}

static void test_peer_gone(void **state) {
    plx_client *a = test_connect(&srv, 0, "gone-a", NULL);
    plx_client *b = test_connect(&srv, 1, "gone-b", NULL);
    pthread_t th;
    plx_result r;
    uint64_t t0;
    (void)state;

    counter_init(&started);
    counter_init(&released);
    assert_int_equal(plx_client_serve(a, "stuck", route_stuck, NULL, 0), 0);
    pthread_create(&th, NULL, close_when_started, a);
    t0 = test_now_ms();
    assert_int_equal(plx_client_call(b, "stuck", NULL, NULL, NULL, 0, 8000, &r), PLX_E_PEER_GONE);
    assert_true(test_now_ms() - t0 < 5000); /* at once, not at the timeout */
    plx_result_free(&r);
    counter_bump(&released);
    pthread_join(th, NULL);
    plx_client_close(b);
}

/* relay: a handler that itself makes a blocking call (to "add" on another client) */
static int route_relay(plx_client *c, const plx_request *req, plx_answer *a, void *ud) {
    plx_result r;
    int rc = plx_client_call(c, "add", (const char *)ud, req->args, NULL, 0, 5000, &r);
    (void)a;
    if (rc == 0) {
        plx_answer_result(a, r.value);
        r.value = NULL;
    } else {
        plx_answer_error(a, rc, r.error.message, NULL);
    }
    plx_result_free(&r);
    return rc;
}

typedef struct caller_job {
    plx_client *c;
    int n, failures;
    long sum;
} caller_job;

static void *call_many(void *arg) {
    caller_job *j = arg;
    plx_result r;
    for (int i = 0; i < j->n; i++) {
        cJSON *args = cJSON_CreateObject();
        cJSON_AddNumberToObject(args, "a", i);
        cJSON_AddNumberToObject(args, "b", 1);
        if (plx_client_call(j->c, "relay", NULL, args, NULL, 0, 10000, &r) == 0)
            j->sum += (long)r.value->valuedouble;
        else
            j->failures++;
        plx_result_free(&r);
        cJSON_Delete(args);
    }
    return NULL;
}

static void test_nested_and_concurrent(void **state) {
    plx_client *a = test_connect(&srv, 0, "nest-a", NULL);
    plx_client *b = test_connect(&srv, 1, "nest-b", NULL);
    plx_client *c = test_connect(&srv, 1, "nest-c", NULL);
    pthread_t th[8];
    caller_job jobs[8];
    (void)state;

    assert_int_equal(plx_client_serve(a, "relay", route_relay, "nest-b", 0), 0);
    assert_int_equal(plx_client_serve(b, "add", route_add, NULL, 0), 0);
    /* 8 threads share one client; every call goes c -> a (relay) -> b (add) -> back */
    for (int i = 0; i < 8; i++) {
        jobs[i].c = c;
        jobs[i].n = 50;
        jobs[i].failures = 0;
        jobs[i].sum = 0;
        pthread_create(&th[i], NULL, call_many, &jobs[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].failures, 0);
        assert_int_equal(jobs[i].sum, 50 * 49 / 2 + 50);
    }
    plx_client_close(a);
    plx_client_close(b);
    plx_client_close(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calls_ws),    cmocka_unit_test(test_calls_tcp),
        cmocka_unit_test(test_attachments), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_call_all),    cmocka_unit_test(test_call_timeout),
        cmocka_unit_test(test_peer_gone),   cmocka_unit_test(test_nested_and_concurrent),
    };
    return cmocka_run_group_tests(tests, server_setup, server_teardown);
}
