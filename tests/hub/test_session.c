/*
 * test_session.c - hello/welcome and limit negotiation, names (NAME_TAKEN, BAD_NAME,
 * client-N, rename), override (REPLACED), auth (AUTH_FAILED), HELLO_TIMEOUT, NOT_READY,
 * UNSUPPORTED_VERSION, ALREADY_READY, ping/pong and PING_TIMEOUT, bye, SERVER_FULL, ids
 * never reused, codec errors, messages of the wrong type.
 */
#include <string.h>

#include "harness.h"

static void welcome_defaults(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id c = th_open(t);
    th_send(t, c, "{\"t\":\"hello\",\"version\":1,\"name\":\"alice\"}");
    th_sent *w = th_take(t, c, "welcome");
    assert_non_null(w);
    assert_string_equal(th_str(w->json, "name"), "alice");
    assert_int_equal(th_num(w->json, "version"), 1);
    assert_int_equal(th_num(w->json, "max_frame"), PLX_DEFAULT_MAX_FRAME);
    assert_int_equal(th_num(w->json, "max_message"), PLX_DEFAULT_MAX_MESSAGE);
    assert_int_equal(th_num(w->json, "gzip_threshold"), PLX_DEFAULT_GZIP_THRESHOLD);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(w->json, "gzip")));
    assert_int_equal(th_num(w->json, "ping_interval_ms"), 20000);
    assert_int_equal(th_num(w->json, "call_timeout_ms"), 30000);
    assert_int_equal(th_num(w->json, "history"), 0);
    assert_non_null(strstr(th_str(w->json, "server"), "plexus-server/"));
    /* VER-6: the in-memory store announces change-by, and nothing else. */
    char *features = cJSON_PrintUnformatted(cJSON_GetObjectItem(w->json, "features"));
    assert_string_equal(features, "[\"change-by\"]");
    cJSON_free(features);
    th_sent_free(w);
    assert_int_equal(plx_hub_count(t->hub), 1);
    th_free(t);
}

static void limits_negotiated(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id c = th_open(t);
    th_send(t, c,
            "{\"t\":\"hello\",\"version\":1,\"max_frame\":4096,\"max_message\":100000,"
            "\"gzip\":false,\"gzip_threshold\":4096}");
    th_sent *w = th_take(t, c, "welcome");
    assert_non_null(w);
    assert_int_equal(th_num(w->json, "max_frame"), 4096);
    assert_int_equal(th_num(w->json, "max_message"), 100000);
    assert_int_equal(th_num(w->json, "gzip_threshold"), 4096);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(w->json, "gzip")));
    th_sent_free(w);
    plx_conn_limits l;
    assert_int_equal(plx_hub_limits(t->hub, c, &l), 0);
    assert_int_equal(l.max_frame, 4096);
    assert_int_equal(l.max_message, 100000);
    assert_int_equal(l.gzip, 0);
    assert_int_equal(plx_hub_limits(t->hub, 999, &l), PLX_E_INVAL);
    /* Larger client values than the server's: the server's win; smaller threshold too. */
    plx_conn_id d = th_open(t);
    th_send(t, d,
            "{\"t\":\"hello\",\"version\":1,\"max_frame\":16777216,\"max_message\":1073741824,"
            "\"gzip_threshold\":10}");
    w = th_take(t, d, "welcome");
    assert_int_equal(th_num(w->json, "max_frame"), PLX_DEFAULT_MAX_FRAME);
    assert_int_equal(th_num(w->json, "max_message"), PLX_DEFAULT_MAX_MESSAGE);
    assert_int_equal(th_num(w->json, "gzip_threshold"), PLX_DEFAULT_GZIP_THRESHOLD);
    th_sent_free(w);
    th_free(t);
}

static void limit_out_of_range(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id c = th_open(t);
    th_send(t, c, "{\"t\":\"hello\",\"version\":1,\"max_frame\":100}");
    th_errmsg(t, c, "BAD_VALUE");
    th_send(t, c, "{\"t\":\"hello\",\"version\":1,\"max_message\":2000000000}");
    th_errmsg(t, c, "BAD_VALUE");
    assert_int_equal(th_closed(t, c), 0);
    th_send(t, c, "{\"t\":\"hello\",\"version\":1}"); /* still before hello: may retry */
    assert_int_equal(th_count(t, c, "welcome"), 1);
    th_free(t);
}

static void name_taken_then_retry(void **state) {
    (void)state;
    th *t = th_new(NULL);
    th_client(t, "alice", NULL);
    plx_conn_id c = th_open(t);
    th_send(t, c, "{\"t\":\"hello\",\"version\":1,\"name\":\"alice\"}");
    th_errmsg(t, c, "NAME_TAKEN");
    assert_int_equal(th_closed(t, c), 0);
    th_send(t, c, "{\"t\":\"hello\",\"version\":1,\"name\":\"bob\"}");
    assert_int_equal(th_count(t, c, "welcome"), 1);
    th_free(t);
}

static void bad_names(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id c = th_open(t);
    th_send(t, c, "{\"t\":\"hello\",\"version\":1,\"name\":\"a:b\"}");
    th_errmsg(t, c, "BAD_NAME");
    th_send(t, c, "{\"t\":\"hello\",\"version\":1,\"name\":\"\"}");
    th_errmsg(t, c, "BAD_NAME");
    th_send(t, c, "{\"t\":\"hello\",\"version\":1,\"name\":\"tab\\there\"}");
    th_errmsg(t, c, "BAD_NAME");
    char big[200];
    memset(big, 'x', 129);
    big[129] = 0;
    th_sendf(t, c, "{\"t\":\"hello\",\"version\":1,\"name\":\"%s\"}", big);
    th_errmsg(t, c, "BAD_NAME");
    big[128] = 0; /* 128 bytes is allowed */
    th_sendf(t, c, "{\"t\":\"hello\",\"version\":1,\"name\":\"%s\"}", big);
    assert_int_equal(th_count(t, c, "welcome"), 1);
    /* A bad group in hello is BAD_NAME too. */
    plx_conn_id d = th_open(t);
    th_send(t, d, "{\"t\":\"hello\",\"version\":1,\"groups\":[\"ok\",\"no:colon\"]}");
    th_errmsg(t, d, "BAD_NAME");
    th_free(t);
}

static void auto_names(void **state) {
    (void)state;
    th *t = th_new(NULL);
    th_client(t, "client-1", NULL); /* taken up front: the counter skips it */
    plx_conn_id c = th_open(t);
    th_send(t, c, "{\"t\":\"hello\",\"version\":1}");
    th_sent *w = th_take(t, c, "welcome");
    assert_string_equal(th_str(w->json, "name"), "client-2");
    th_sent_free(w);
    th_free(t);
}

static void override_replaces(void **state) {
    (void)state;
    plx_hub_config cfg = {.override_key = "letmein", .gzip = 1};
    th *t = th_new(&cfg);
    plx_conn_id watcher = th_client(t, "w", "\"presence\":true");
    plx_conn_id old = th_client(t, "alice", NULL);
    th_clear(t);
    plx_conn_id c = th_open(t);
    th_send(t, c, "{\"t\":\"hello\",\"version\":1,\"name\":\"alice\"}");
    th_errmsg(t, c, "NAME_TAKEN");
    th_send(t, c, "{\"t\":\"hello\",\"version\":1,\"name\":\"alice\",\"override\":\"letmein\"}");
    th_errmsg(t, old, "REPLACED");
    assert_int_equal(th_closed(t, old), 1008);
    assert_string_equal(th_close_reason(t, old), "replaced");
    th_sent *w = th_take(t, c, "welcome");
    assert_non_null(w);
    assert_string_equal(th_str(w->json, "name"), "alice");
    th_sent_free(w);
    /* The watcher saw the old one leave, then the new one join. */
    th_sent *p1 = th_take(t, watcher, "presence"), *p2 = th_take(t, watcher, "presence");
    assert_string_equal(th_str(p1->json, "kind"), "leave");
    assert_string_equal(th_str(p2->json, "kind"), "join");
    th_sent_free(p1);
    th_sent_free(p2);
    assert_int_equal(plx_hub_count(t->hub), 2);
    th_free(t);
}

static void wrong_override_is_fatal(void **state) {
    (void)state;
    plx_hub_config cfg = {.override_key = "letmein", .gzip = 1};
    th *t = th_new(&cfg);
    th_client(t, "alice", NULL);
    plx_conn_id c = th_open(t);
    th_send(t, c, "{\"t\":\"hello\",\"version\":1,\"name\":\"alice\",\"override\":\"nope\"}");
    th_errmsg(t, c, "AUTH_FAILED");
    assert_int_equal(th_closed(t, c), 1008);
    th_free(t);
    /* A server without an override key refuses any override. */
    t = th_new(NULL);
    c = th_open(t);
    th_send(t, c, "{\"t\":\"hello\",\"version\":1,\"name\":\"bob\",\"override\":\"x\"}");
    th_errmsg(t, c, "AUTH_FAILED");
    th_free(t);
}

static void hello_groups_limit(void **state) {
    (void)state;
    plx_hub_config cfg = {.max_groups = 2, .gzip = 1};
    th *t = th_new(&cfg);
    plx_conn_id c = th_open(t);
    th_send(t, c, "{\"t\":\"hello\",\"version\":1,\"groups\":[\"a\",\"b\",\"c\"]}");
    th_errmsg(t, c, "LIMIT_REACHED");
    /* Duplicates count once. */
    th_send(t, c, "{\"t\":\"hello\",\"version\":1,\"groups\":[\"a\",\"b\",\"a\"]}");
    assert_int_equal(th_count(t, c, "welcome"), 1);
    th_free(t);
}

static void auth(void **state) {
    (void)state;
    plx_hub_config cfg = {.secret = "s3cret", .gzip = 1};
    th *t = th_new(&cfg);
    plx_conn_id a = th_open(t), b = th_open(t), c = th_open(t), d = th_open(t);
    th_send(t, a, "{\"t\":\"hello\",\"version\":1}");
    th_errmsg(t, a, "AUTH_FAILED");
    assert_int_equal(th_closed(t, a), 1008);
    th_send(t, b, "{\"t\":\"hello\",\"version\":1,\"secret\":\"s3cre\"}");
    th_errmsg(t, b, "AUTH_FAILED");
    th_send(t, c, "{\"t\":\"hello\",\"version\":1,\"secret\":\"s3cret!\"}");
    th_errmsg(t, c, "AUTH_FAILED");
    th_send(t, d, "{\"t\":\"hello\",\"version\":1,\"secret\":\"s3cret\"}");
    assert_int_equal(th_count(t, d, "welcome"), 1);
    assert_int_equal(plx_hub_count(t->hub), 1);
    th_free(t);
}

static void hello_timeout(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id c = th_open(t);
    uint64_t next = th_tick(t, 5000);
    assert_true(next <= t->now + 5000);
    assert_int_equal(th_closed(t, c), 0);
    th_tick(t, 5000);
    th_errmsg(t, c, "HELLO_TIMEOUT");
    assert_int_equal(th_closed(t, c), 1008);
    assert_int_equal(plx_hub_count(t->hub), 0);
    th_free(t);
}

static void not_ready(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id c = th_open(t);
    th_send(t, c, "{\"t\":\"cmd\",\"id\":1,\"argv\":[\"PING\"]}");
    th_errmsg(t, c, "NOT_READY");
    assert_int_equal(th_closed(t, c), 1008);
    /* Nothing more happens for a closed connection. */
    th_send(t, c, "{\"t\":\"hello\",\"version\":1}");
    assert_int_equal(th_count(t, c, NULL), 0);
    th_free(t);
}

static void unsupported_version(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id c = th_open(t);
    th_send(t, c, "{\"t\":\"hello\",\"version\":2}");
    th_errmsg(t, c, "UNSUPPORTED_VERSION");
    assert_int_equal(th_closed(t, c), 1002);
    th_free(t);
}

static void already_ready(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id c = th_client(t, "a", NULL);
    th_send(t, c, "{\"t\":\"hello\",\"version\":1}");
    th_errmsg(t, c, "ALREADY_READY");
    assert_int_equal(th_closed(t, c), 0);
    th_free(t);
}

static void ping_pong(void **state) {
    (void)state;
    plx_hub_config cfg = {.ping_interval_ms = 1000, .missed_pongs = 2, .gzip = 1};
    th *t = th_new(&cfg);
    plx_conn_id c = th_client(t, "a", NULL);
    th_send(t, c, "{\"t\":\"ping\",\"n\":7}");
    th_sent *p = th_take(t, c, "pong");
    assert_int_equal(th_num(p->json, "n"), 7);
    th_sent_free(p);
    th_send(t, c, "{\"t\":\"ping\"}");
    p = th_take(t, c, "pong");
    assert_null(cJSON_GetObjectItem(p->json, "n"));
    th_sent_free(p);
    /* The server pings every interval; pongs keep the connection. */
    for (int i = 0; i < 5; i++) {
        uint64_t next = th_tick(t, 1000);
        assert_true(next <= t->now + 1000);
        p = th_take(t, c, "ping");
        assert_non_null(p);
        th_sendf(t, c, "{\"t\":\"pong\",\"n\":%d}", (int)th_num(p->json, "n"));
        th_sent_free(p);
    }
    assert_int_equal(th_closed(t, c), 0);
    /* Silence: two unanswered pings, then PING_TIMEOUT at the third interval. */
    th_tick(t, 1000);
    th_tick(t, 1000);
    assert_int_equal(th_count(t, c, "ping"), 2);
    assert_int_equal(th_closed(t, c), 0);
    th_tick(t, 1000);
    th_errmsg(t, c, "PING_TIMEOUT");
    assert_int_equal(th_closed(t, c), 1008);
    th_free(t);
}

static void pings_off(void **state) {
    (void)state;
    plx_hub_config cfg = {.ping_interval_ms = PLX_HUB_PING_OFF, .gzip = 1};
    th *t = th_new(&cfg);
    plx_conn_id c = th_open(t);
    th_send(t, c, "{\"t\":\"hello\",\"version\":1}");
    th_sent *w = th_take(t, c, "welcome");
    assert_int_equal(th_num(w->json, "ping_interval_ms"), 0); /* SES-16: 0 means no pings */
    th_sent_free(w);
    /* No ping, no PING_TIMEOUT, and the hub asks for no timer on c's behalf. */
    for (int i = 0; i < 10; i++)
        assert_true(th_tick(t, 3600000) > t->now);
    assert_int_equal(th_count(t, c, "ping"), 0);
    assert_int_equal(th_closed(t, c), 0);
    /* Pings from the client are still answered. */
    th_send(t, c, "{\"t\":\"ping\",\"n\":3}");
    assert_int_equal(th_count(t, c, "pong"), 1);
    th_free(t);
}

static void bye(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id w = th_client(t, "w", "\"presence\":true");
    plx_conn_id c = th_client(t, "a", NULL);
    th_send(t, c, "{\"t\":\"bye\",\"reason\":\"done\"}");
    assert_int_equal(th_closed(t, c), 1000);
    th_sent *p = th_take(t, w, "presence");
    assert_string_equal(th_str(p->json, "kind"), "leave");
    assert_string_equal(th_str(p->json, "name"), "a");
    th_sent_free(p);
    assert_int_equal(plx_hub_count(t->hub), 1);
    /* The name is free again. */
    th_client(t, "a", NULL);
    th_free(t);
}

static void server_full(void **state) {
    (void)state;
    plx_hub_config cfg = {.max_connections = 2, .gzip = 1};
    th *t = th_new(&cfg);
    plx_conn_id a = th_open(t), b = th_open(t);
    plx_conn_id c = th_open(t);
    assert_true(c != a && c != b);
    th_errmsg(t, c, "SERVER_FULL");
    assert_int_equal(th_closed(t, c), 1013);
    assert_int_equal(plx_hub_count(t->hub), 2);
    plx_hub_closed(t->hub, a, t->now);
    assert_int_equal(th_closed(t, a), 0); /* closed by the transport: no io.close */
    plx_conn_id d = th_open(t);
    assert_int_equal(th_closed(t, d), 0);
    assert_true(d > c); /* ids are never reused */
    th_free(t);
}

static void rename_client(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id w = th_client(t, "w", "\"presence\":true");
    plx_conn_id a = th_client(t, "a", NULL);
    th_client(t, "b", NULL);
    th_clear(t);
    th_send(t, a, "{\"t\":\"rename\",\"id\":1,\"name\":\"b\"}");
    th_err(t, a, 1, "NAME_TAKEN");
    th_send(t, a, "{\"t\":\"rename\",\"id\":2,\"name\":\"x:y\"}");
    th_err(t, a, 2, "BAD_NAME");
    th_send(t, a, "{\"t\":\"rename\",\"id\":3,\"name\":\"a2\"}");
    th_sent_free(th_ok(t, a, 3));
    th_sent *p = th_take(t, w, "presence");
    assert_string_equal(th_str(p->json, "kind"), "rename");
    assert_string_equal(th_str(p->json, "name"), "a2");
    assert_string_equal(th_str(p->json, "old"), "a");
    th_sent_free(p);
    assert_int_equal(th_count(t, a, "presence"), 0); /* not to the subject */
    /* The old name is free, the new one taken. */
    th_client(t, "a", NULL);
    plx_conn_id d = th_open(t);
    th_send(t, d, "{\"t\":\"hello\",\"version\":1,\"name\":\"a2\"}");
    th_errmsg(t, d, "NAME_TAKEN");
    /* Renaming to one's own name is a no-op success. */
    th_send(t, a, "{\"t\":\"rename\",\"id\":4,\"name\":\"a2\"}");
    th_sent_free(th_ok(t, a, 4));
    th_free(t);
}

static void codec_errors(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id c = th_client(t, "a", NULL);
    plx_hub_codec_error(t->hub, c, PLX_E_MISSING_FIELD, "route", 5, t->now);
    th_err(t, c, 5, "MISSING_FIELD");
    plx_hub_codec_error(t->hub, c, PLX_E_UNKNOWN_TYPE, NULL, -1, t->now);
    th_errmsg(t, c, "UNKNOWN_TYPE");
    assert_int_equal(th_closed(t, c), 0);
    plx_hub_codec_error(t->hub, c, PLX_E_TOO_LARGE, "too big", -1, t->now);
    th_errmsg(t, c, "TOO_LARGE");
    assert_int_equal(th_closed(t, c), 1009);
    th_free(t);
}

static void robustness(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id c = th_client(t, "a", NULL);
    /* Types the server never expects: precise errors, the connection lives. */
    th_send_raw(t, c, "{\"t\":\"welcome\",\"id\":3}");
    th_err(t, c, 3, "WRONG_DIRECTION");
    th_send_raw(t, c, "{\"t\":\"nonsense\"}");
    th_errmsg(t, c, "UNKNOWN_TYPE");
    th_send_raw(t, c, "{\"x\":1}");
    th_errmsg(t, c, "MISSING_TYPE");
    th_send_raw(t, c, "{\"t\":\"join\"}");
    th_sent *e = th_take(t, c, "error");
    assert_string_equal(th_str(e->json, "name"), "MISSING_FIELD");
    assert_string_equal(th_str(e->json, "message"), "missing field \"id\"");
    th_sent_free(e);
    th_send_raw(t, c, "{\"t\":\"join\",\"id\":1,\"group\":5}");
    th_err(t, c, 1, "BAD_FIELD_TYPE");
    th_send_raw(t, c, "{\"t\":\"join\",\"id\":1}");
    th_err(t, c, 1, "MISSING_FIELD");
    th_send_raw(t, c, "{\"t\":\"register\",\"id\":2,\"routes\":\"x\"}");
    th_err(t, c, 2, "BAD_FIELD_TYPE");
    th_send_raw(t, c, "{\"t\":\"cmd\",\"id\":4,\"argv\":[]}");
    th_err(t, c, 4, "BAD_FIELD_TYPE");
    th_send_raw(t, c, "{\"t\":\"error\",\"code\":1,\"name\":\"X\",\"message\":\"m\"}");
    assert_int_equal(th_count(t, c, NULL), 0);
    assert_int_equal(th_closed(t, c), 0);
    /* Messages for unknown connections are ignored. */
    th_send_raw(t, 12345, "{\"t\":\"ping\"}");
    assert_int_equal(t->nout, 0);
    th_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(welcome_defaults),
        cmocka_unit_test(limits_negotiated),
        cmocka_unit_test(limit_out_of_range),
        cmocka_unit_test(name_taken_then_retry),
        cmocka_unit_test(bad_names),
        cmocka_unit_test(auto_names),
        cmocka_unit_test(override_replaces),
        cmocka_unit_test(auth),
        cmocka_unit_test(wrong_override_is_fatal),
        cmocka_unit_test(hello_groups_limit),
        cmocka_unit_test(hello_timeout),
        cmocka_unit_test(not_ready),
        cmocka_unit_test(unsupported_version),
        cmocka_unit_test(already_ready),
        cmocka_unit_test(ping_pong),
        cmocka_unit_test(pings_off),
        cmocka_unit_test(bye),
        cmocka_unit_test(server_full),
        cmocka_unit_test(rename_client),
        cmocka_unit_test(codec_errors),
        cmocka_unit_test(robustness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
