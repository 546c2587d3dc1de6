/*
 * test_lifecycle.c - a slow reader (io.send failing) is closed with SLOW_READER and its
 * callers get PEER_GONE; messages over a recipient's max_message are refused with
 * LIMIT_REACHED or not delivered; shutdown closes everyone with SHUTTING_DOWN (1001) and
 * refuses new connections; the glob matcher.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "internal.h"

static void slow_reader(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id s = th_client(t, "s", NULL), c = th_client(t, "c", NULL);
    th_send(t, s, "{\"t\":\"register\",\"id\":1,\"routes\":[\"r\"]}");
    th_sent_free(th_ok(t, s, 1));
    th_send(t, c, "{\"t\":\"call\",\"id\":1,\"route\":\"r\"}");
    t->slow = s; /* s stops reading: the next message to it overflows its queue */
    th_send(t, c, "{\"t\":\"send\",\"id\":2,\"to\":\"client:s\",\"event\":\"e\"}");
    assert_int_equal(th_closed(t, s), 1008);
    assert_string_equal(th_close_reason(t, s), "slow reader");
    th_err(t, c, 1, "PEER_GONE"); /* the call s was serving */
    th_sent *r = th_ok(t, c, 2);
    assert_int_equal(th_num(cJSON_GetObjectItem(r->json, "result"), "delivered"), 0);
    th_sent_free(r);
    assert_int_equal(plx_hub_count(t->hub), 1);
    th_free(t);
}

static void too_large_for_recipient(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id small = th_client(t, "small", "\"max_message\":65536");
    plx_conn_id c = th_client(t, "c", NULL);
    static uint8_t big[70000];
    plx_bytes att = {big, sizeof(big)};
    th_send_att(t, c,
                "{\"t\":\"send\",\"id\":1,\"to\":\"client:small\",\"event\":\"e\",\"data\":"
                "{\"$bin\":0}}",
                &att, 1);
    th_sent *r = th_ok(t, c, 1);
    assert_int_equal(th_num(cJSON_GetObjectItem(r->json, "result"), "delivered"), 0);
    th_sent_free(r);
    assert_int_equal(th_count(t, small, NULL), 0);
    /* A reply too large for its requester: LIMIT_REACHED instead. */
    th_send_att(t, c, "{\"t\":\"cmd\",\"id\":2,\"argv\":[\"SET\",\"k\",{\"$bin\":0}]}", &att, 1);
    th_sent_free(th_ok(t, c, 2));
    th_send(t, small, "{\"t\":\"cmd\",\"id\":3,\"argv\":[\"GET\",\"k\"]}");
    th_err(t, small, 3, "LIMIT_REACHED");
    /* A call too large for its server: the caller gets LIMIT_REACHED. */
    th_send(t, small, "{\"t\":\"register\",\"id\":4,\"routes\":[\"r\"]}");
    th_sent_free(th_ok(t, small, 4));
    th_send_att(t, c, "{\"t\":\"call\",\"id\":5,\"route\":\"r\",\"args\":{\"$bin\":0}}", &att, 1);
    th_err(t, c, 5, "LIMIT_REACHED");
    assert_int_equal(th_closed(t, small), 0);
    th_free(t);
}

static void transport_says_too_large(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id s = th_client(t, "s", NULL), c = th_client(t, "c", NULL);
    /* LIM-5 is the transport's verdict (hub.h): a PLX_E_TOO_LARGE from io.send is not a
     * slow reader. The hub measures nothing itself, so a stricter transport is obeyed. */
    t->strict = s;
    t->strict_max = 300;
    char data[400];
    memset(data, 'x', 399);
    data[399] = 0;
    th_sendf(t, c, "{\"t\":\"send\",\"id\":1,\"to\":\"all\",\"event\":\"e\",\"data\":\"%s\"}",
             data);
    th_sent *r = th_ok(t, c, 1);
    assert_int_equal(th_num(cJSON_GetObjectItem(r->json, "result"), "delivered"), 0);
    th_sent_free(r);
    assert_int_equal(t->too_large, 1);
    assert_int_equal(th_closed(t, s), 0);
    /* A reply too large for s: LIMIT_REACHED instead, s stays. */
    th_sendf(t, s, "{\"t\":\"cmd\",\"id\":2,\"argv\":[\"SET\",\"k\",\"%s\"]}", data);
    th_sent_free(th_ok(t, s, 2));
    th_send(t, s, "{\"t\":\"cmd\",\"id\":3,\"argv\":[\"GET\",\"k\"]}");
    th_err(t, s, 3, "LIMIT_REACHED");
    assert_int_equal(th_closed(t, s), 0);
    assert_int_equal(plx_hub_count(t->hub), 2);
    th_free(t);
}

static void shutdown_all(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id a = th_client(t, "a", "\"presence\":true"), b = th_client(t, "b", NULL);
    plx_conn_id pre = th_open(t);
    plx_hub_shutdown(t->hub, t->now);
    th_errmsg(t, a, "SHUTTING_DOWN");
    th_errmsg(t, b, "SHUTTING_DOWN");
    th_errmsg(t, pre, "SHUTTING_DOWN");
    assert_int_equal(th_closed(t, a), 1001);
    assert_int_equal(th_closed(t, b), 1001);
    assert_int_equal(th_closed(t, pre), 1001);
    assert_int_equal(th_count(t, a, "presence"), 0); /* nobody is told of the others */
    assert_int_equal(plx_hub_count(t->hub), 0);
    plx_conn_id late = th_open(t);
    th_errmsg(t, late, "SHUTTING_DOWN");
    assert_int_equal(th_closed(t, late), 1001);
    th_free(t);
}

static int null_send(void *ud, plx_conn_id c, const cJSON *json, const plx_bytes *att,
                     size_t natt) {
    (void)c;
    (void)att;
    (void)natt;
    const cJSON *e = cJSON_GetObjectItem(json, "error");
    if (e) *(int *)ud = (int)cJSON_GetObjectItem(e, "code")->valuedouble;
    return 0;
}

static void null_close(void *ud, plx_conn_id c, int code, const char *reason) {
    (void)ud;
    (void)c;
    (void)code;
    (void)reason;
}

static void no_store(void **state) {
    (void)state;
    int last = 0;
    plx_hub_io io = {null_send, null_close, &last};
    plx_hub *h = plx_hub_new(NULL, &io, NULL);
    assert_non_null(h);
    plx_conn_id c = plx_hub_open(h, 0);
    plx_msg m;
    memset(&m, 0, sizeof(m));
    m.json = cJSON_Parse("{\"t\":\"hello\",\"version\":1}");
    plx_hub_message(h, c, &m, 0);
    cJSON_Delete(m.json);
    m.json = cJSON_Parse("{\"t\":\"cmd\",\"id\":1,\"argv\":[\"GET\",\"k\"]}");
    plx_hub_message(h, c, &m, 0);
    assert_int_equal(last, 907); /* STORAGE_UNAVAILABLE */
    last = 0;
    cJSON_Delete(m.json);
    m.json = cJSON_Parse("{\"t\":\"pipeline\",\"id\":2,\"cmds\":[[\"GET\",\"k\"]]}");
    plx_hub_message(h, c, &m, 0);
    assert_int_equal(last, 907);
    cJSON_Delete(m.json);
    assert_true(plx_hub_tick(h, 10) > 10);
    plx_hub_free(h);
}

/* Random catalogue-valid traffic from several clients, with ticks and disconnects: the hub
 * must neither crash nor leak (ASan), and every message it sends must be valid (the mock
 * io checks). */
static void random_traffic(void **state) {
    (void)state;
    static const char *const tmpl[] = {
        "{\"t\":\"register\",\"id\":%u,\"routes\":[\"r%u\"]}",
        "{\"t\":\"unregister\",\"id\":%u,\"routes\":[\"r%u\"]}",
        "{\"t\":\"call\",\"id\":%u,\"route\":\"r%u\",\"timeout_ms\":300}",
        "{\"t\":\"call\",\"id\":%u,\"route\":\"r1\",\"to\":\"n%u\"}",
        "{\"t\":\"call_all\",\"id\":%u,\"route\":\"r%u\",\"timeout_ms\":200}",
        "{\"t\":\"reply\",\"id\":%u,\"result\":%u}",
        "{\"t\":\"reply\",\"id\":%u,\"error\":{\"code\":%u,\"name\":\"E\",\"message\":\"m\"}}",
        "{\"t\":\"send\",\"id\":%u,\"to\":\"group:g%u\",\"event\":\"e\",\"echo\":true}",
        "{\"t\":\"send\",\"to\":\"client:n%u\",\"event\":\"e%u\"}",
        "{\"t\":\"join\",\"id\":%u,\"group\":\"g%u\"}",
        "{\"t\":\"leave\",\"id\":%u,\"group\":\"g%u\"}",
        "{\"t\":\"rename\",\"id\":%u,\"name\":\"n%u\"}",
        "{\"t\":\"cmd\",\"id\":%u,\"argv\":[\"INCR\",\"k%u\"]}",
        "{\"t\":\"cmd\",\"id\":%u,\"argv\":[\"GET\",\"k%u\"]}",
        "{\"t\":\"cmd\",\"id\":%u,\"argv\":[\"SET\",\"k%u\",\"v\",\"PX\",\"50\"]}",
        "{\"t\":\"pipeline\",\"id\":%u,\"atomic\":true,\"cmds\":[[\"DEL\",\"k%u\"],[\"GET\",\"k1\"]"
        "]}",
        "{\"t\":\"watch\",\"id\":%u,\"pattern\":\"k%u*\"}",
        "{\"t\":\"unwatch\",\"id\":%u,\"pattern\":\"k%u*\"}",
        "{\"t\":\"adapt\",\"id\":%u,\"key\":\"k%u\"}",
        "{\"t\":\"unadapt\",\"id\":%u,\"key\":\"k%u\"}",
        "{\"t\":\"ping\",\"n\":%u%u}",
        "{\"t\":\"pong\",\"n\":%u%u}",
        "{\"t\":\"call\",\"id\":%u,\"route\":\"plexus.clients\",\"args\":%u}",
        "{\"t\":\"hello\",\"version\":1,\"name\":\"n%u%u\"}",
    };
    const size_t ntmpl = sizeof(tmpl) / sizeof(tmpl[0]);
    plx_hub_config cfg = {.history = 4, .max_pending = 8, .ping_interval_ms = 1000, .gzip = 1};
    th *t = th_new(&cfg);
    plx_conn_id conns[6] = {0};
    unsigned seed = 12345;
    for (int step = 0; step < 20000; step++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = seed >> 8;
        size_t i = r % 6;
        if (!conns[i] || th_closed(t, conns[i]) || r % 97 == 0) {
            if (conns[i] && !th_closed(t, conns[i])) plx_hub_closed(t->hub, conns[i], t->now);
            char extra[64];
            snprintf(extra, sizeof(extra), "\"presence\":%s,\"groups\":[\"g%u\"]",
                     r % 2 ? "true" : "false", r % 3);
            conns[i] = th_open(t);
            char hello[160];
            snprintf(hello, sizeof(hello), "{\"t\":\"hello\",\"version\":1,%s}", extra);
            th_send(t, conns[i], hello);
            continue;
        }
        char buf[256];
        /* Replies answer a recent server id now and then. */
        unsigned a = (r >> 4) % 40, b = (r >> 12) % 4;
        snprintf(buf, sizeof(buf), tmpl[(r >> 16) % ntmpl], a, b);
        th_send(t, conns[i], buf);
        if (r % 13 == 0) th_tick(t, (r >> 3) % 400);
        if (t->nout > 5000) th_clear(t);
    }
    assert_true(t->sends > 20000); /* the traffic did reach the hub's handlers */
    th_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slow_reader),
        cmocka_unit_test(too_large_for_recipient),
        cmocka_unit_test(transport_says_too_large),
        cmocka_unit_test(shutdown_all),
        cmocka_unit_test(no_store),
        cmocka_unit_test(random_traffic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
