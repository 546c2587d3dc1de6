/*
 * test_messaging.c - send to client/group/all, echo, delivery counts, attachments, presence
 * (join, leave, rename, regroup) only to subscribers, join/leave (idempotent, BAD_NAME,
 * LIMIT_REACHED), history (seq, plexus.history, limit, HISTORY_DISABLED), BAD_TARGET,
 * UNKNOWN_CLIENT with and without id.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"

static double delivered(th *t, plx_conn_id c, uint64_t id) {
    th_sent *r = th_ok(t, c, id);
    double n = th_num(cJSON_GetObjectItem(r->json, "result"), "delivered");
    th_sent_free(r);
    return n;
}

static void targets_and_echo(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id a = th_client(t, "a", "\"groups\":[\"g\"]");
    plx_conn_id b = th_client(t, "b", "\"groups\":[\"g\"]");
    plx_conn_id c = th_client(t, "c", NULL);
    th_send(t, a,
            "{\"t\":\"send\",\"id\":1,\"to\":\"client:b\",\"event\":\"hi\",\"data\":{\"x\":1}}");
    assert_int_equal(delivered(t, a, 1), 1);
    th_sent *e = th_take(t, b, "event");
    assert_string_equal(th_str(e->json, "from"), "a");
    assert_string_equal(th_str(e->json, "to"), "client:b");
    assert_string_equal(th_str(e->json, "event"), "hi");
    assert_int_equal(th_num(cJSON_GetObjectItem(e->json, "data"), "x"), 1);
    assert_null(cJSON_GetObjectItem(e->json, "seq"));
    th_sent_free(e);
    th_send(t, a, "{\"t\":\"send\",\"id\":2,\"to\":\"group:g\",\"event\":\"e\"}");
    assert_int_equal(delivered(t, a, 2), 1); /* b only: the sender is excluded */
    assert_int_equal(th_count(t, a, "event"), 0);
    assert_int_equal(th_count(t, c, "event"), 0);
    th_send(t, a, "{\"t\":\"send\",\"id\":3,\"to\":\"group:g\",\"event\":\"e\",\"echo\":true}");
    assert_int_equal(delivered(t, a, 3), 2);
    assert_int_equal(th_count(t, a, "event"), 1);
    th_send(t, a, "{\"t\":\"send\",\"id\":4,\"to\":\"all\",\"event\":\"e\"}");
    assert_int_equal(delivered(t, a, 4), 2);
    th_send(t, a, "{\"t\":\"send\",\"id\":5,\"to\":\"group:empty\",\"event\":\"e\"}");
    assert_int_equal(delivered(t, a, 5), 0);
    th_send(t, a, "{\"t\":\"send\",\"id\":6,\"to\":\"client:a\",\"event\":\"e\"}");
    assert_int_equal(delivered(t, a, 6), 0);
    /* Without id: no reply at all. */
    th_clear(t);
    th_send(t, a, "{\"t\":\"send\",\"to\":\"all\",\"event\":\"e\"}");
    assert_int_equal(th_count(t, a, NULL), 0);
    assert_int_equal(th_count(t, b, "event"), 1);
    th_free(t);
}

static void target_errors(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id a = th_client(t, "a", NULL);
    const char *bad[] = {"everyone", "client:", "group:", "user:x", "ALL"};
    for (int i = 0; i < 5; i++) {
        th_sendf(t, a, "{\"t\":\"send\",\"id\":%d,\"to\":\"%s\",\"event\":\"e\"}", i, bad[i]);
        th_err(t, a, (uint64_t)i, "BAD_TARGET");
    }
    th_send(t, a, "{\"t\":\"send\",\"to\":\"nowhere\",\"event\":\"e\"}");
    th_errmsg(t, a, "BAD_TARGET");
    th_send(t, a, "{\"t\":\"send\",\"id\":9,\"to\":\"client:ghost\",\"event\":\"e\"}");
    th_err(t, a, 9, "UNKNOWN_CLIENT");
    th_send(t, a, "{\"t\":\"send\",\"to\":\"client:ghost\",\"event\":\"e\"}");
    th_errmsg(t, a, "UNKNOWN_CLIENT");
    /* EVT-1, SES-8: event names are 1..128 bytes without control characters (':' is fine). */
    plx_conn_id b = th_client(t, "b", NULL);
    char name[200];
    memset(name, 'e', 129);
    name[129] = 0;
    const char *bad_events[] = {"", "a\\u0001b", "x\\u007f", name};
    for (int i = 0; i < 4; i++) {
        th_sendf(t, a, "{\"t\":\"send\",\"id\":%d,\"to\":\"all\",\"event\":\"%s\"}", 20 + i,
                 bad_events[i]);
        th_err(t, a, (uint64_t)(20 + i), "BAD_NAME");
    }
    th_send(t, a, "{\"t\":\"send\",\"to\":\"client:b\",\"event\":\"\"}");
    th_errmsg(t, a, "BAD_NAME");
    assert_int_equal(th_count(t, b, "event"), 0);
    name[128] = 0;
    th_sendf(t, a, "{\"t\":\"send\",\"id\":30,\"to\":\"all\",\"event\":\"%s\"}", name);
    th_sent_free(th_ok(t, a, 30));
    th_send(t, a, "{\"t\":\"send\",\"id\":31,\"to\":\"all\",\"event\":\"ns:e\"}");
    th_sent_free(th_ok(t, a, 31));
    assert_int_equal(th_count(t, b, "event"), 2);
    assert_int_equal(th_closed(t, a), 0);
    th_free(t);
}

static void event_attachments(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id a = th_client(t, "a", NULL), b = th_client(t, "b", NULL);
    uint8_t x[5] = {9, 8, 7, 0, 6}, y[1] = {1};
    plx_bytes att[2] = {{y, 1}, {x, 5}};
    th_send_att(t, a,
                "{\"t\":\"send\",\"to\":\"client:b\",\"event\":\"file\",\"data\":{\"blob\":"
                "{\"$bin\":1}}}",
                att, 2);
    /* EVT-3, BODY-10: the whole list, unchanged, so the references stay as sent. */
    th_sent *e = th_take(t, b, "event");
    assert_int_equal(e->natt, 2);
    assert_int_equal(e->att[0].len, 1);
    assert_memory_equal(e->att[0].data, y, 1);
    assert_int_equal(e->att[1].len, 5);
    assert_memory_equal(e->att[1].data, x, 5);
    assert_int_equal(th_num(th_get(e->json, "data.blob"), "$bin"), 1);
    th_sent_free(e);
    /* Unreferenced attachments travel too. */
    th_send_att(t, a, "{\"t\":\"send\",\"to\":\"client:b\",\"event\":\"raw\"}", att, 2);
    e = th_take(t, b, "event");
    assert_int_equal(e->natt, 2);
    assert_memory_equal(e->att[1].data, x, 5);
    th_sent_free(e);
    th_free(t);
}

static void presence_events(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id w = th_client(t, "w", "\"presence\":true");
    plx_conn_id quiet = th_client(t, "quiet", NULL);
    th_clear(t);
    plx_conn_id a = th_client(t, "a", "\"groups\":[\"g\"],\"presence\":true");
    /* th_client clears what was recorded: check join with a fresh client. */
    plx_conn_id b = th_open(t);
    th_send(t, b, "{\"t\":\"hello\",\"version\":1,\"name\":\"b\",\"groups\":[\"y\",\"x\"]}");
    th_sent *p = th_take(t, w, "presence");
    assert_string_equal(th_str(p->json, "kind"), "join");
    assert_string_equal(th_str(p->json, "name"), "b");
    char *g = cJSON_PrintUnformatted(cJSON_GetObjectItem(p->json, "groups"));
    assert_string_equal(g, "[\"x\",\"y\"]");
    cJSON_free(g);
    th_sent_free(p);
    assert_int_equal(th_count(t, a, "presence"), 1); /* a subscribes too */
    assert_int_equal(th_count(t, quiet, "presence"), 0);
    assert_int_equal(th_count(t, b, "presence"), 0); /* not to the subject */
    th_clear(t);
    th_send(t, b, "{\"t\":\"join\",\"id\":1,\"group\":\"z\"}");
    th_sent_free(th_ok(t, b, 1));
    p = th_take(t, w, "presence");
    assert_string_equal(th_str(p->json, "kind"), "regroup");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(p->json, "groups")), 3);
    th_sent_free(p);
    th_send(t, b, "{\"t\":\"join\",\"id\":2,\"group\":\"z\"}"); /* idempotent, no event */
    th_sent_free(th_ok(t, b, 2));
    assert_int_equal(th_count(t, w, "presence"), 0);
    th_send(t, b, "{\"t\":\"leave\",\"id\":3,\"group\":\"x\"}");
    th_sent_free(th_ok(t, b, 3));
    p = th_take(t, w, "presence");
    assert_string_equal(th_str(p->json, "kind"), "regroup");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(p->json, "groups")), 2);
    th_sent_free(p);
    th_send(t, b, "{\"t\":\"leave\",\"id\":4,\"group\":\"x\"}"); /* idempotent */
    th_sent_free(th_ok(t, b, 4));
    assert_int_equal(th_count(t, w, "presence"), 0);
    th_send(t, b, "{\"t\":\"rename\",\"id\":5,\"name\":\"b2\"}");
    th_sent_free(th_ok(t, b, 5));
    p = th_take(t, w, "presence");
    assert_string_equal(th_str(p->json, "kind"), "rename");
    assert_string_equal(th_str(p->json, "old"), "b");
    th_sent_free(p);
    plx_hub_closed(t->hub, b, t->now);
    p = th_take(t, w, "presence");
    assert_string_equal(th_str(p->json, "kind"), "leave");
    assert_string_equal(th_str(p->json, "name"), "b2");
    th_sent_free(p);
    assert_int_equal(th_count(t, quiet, NULL), 0);
    th_free(t);
}

static void group_errors(void **state) {
    (void)state;
    plx_hub_config cfg = {.max_groups = 2, .gzip = 1};
    th *t = th_new(&cfg);
    plx_conn_id a = th_client(t, "a", NULL);
    th_send(t, a, "{\"t\":\"join\",\"id\":1,\"group\":\"bad:name\"}");
    th_err(t, a, 1, "BAD_NAME");
    th_send(t, a, "{\"t\":\"leave\",\"id\":2,\"group\":\"\"}");
    th_err(t, a, 2, "BAD_NAME");
    th_send(t, a, "{\"t\":\"join\",\"id\":3,\"group\":\"g1\"}");
    th_sent_free(th_ok(t, a, 3));
    th_send(t, a, "{\"t\":\"join\",\"id\":4,\"group\":\"g2\"}");
    th_sent_free(th_ok(t, a, 4));
    th_send(t, a, "{\"t\":\"join\",\"id\":5,\"group\":\"g3\"}");
    th_err(t, a, 5, "LIMIT_REACHED");
    th_free(t);
}

static void history(void **state) {
    (void)state;
    plx_hub_config cfg = {.history = 3, .gzip = 1};
    th *t = th_new(&cfg);
    plx_conn_id a = th_client(t, "a", "\"groups\":[\"g\"]");
    plx_conn_id b = th_client(t, "b", "\"groups\":[\"g\"]");
    uint8_t bin[2] = {0xff, 0xfe}, spare[1] = {7};
    plx_bytes att[2] = {{spare, 1}, {bin, 2}};
    for (int i = 1; i <= 5; i++) {
        char buf[200];
        snprintf(buf, sizeof(buf),
                 "{\"t\":\"send\",\"to\":\"group:g\",\"event\":\"n\",\"data\":[%d,{\"$bin\":1}]}",
                 i);
        th_send_att(t, a, buf, att, 2);
        th_sent *e = th_take(t, b, "event");
        assert_int_equal(th_num(e->json, "seq"), i);
        th_sent_free(e);
    }
    th_send(t, b,
            "{\"t\":\"call\",\"id\":1,\"route\":\"plexus.history\",\"args\":{\"group\":\"g\"}}");
    th_sent *r = th_ok(t, b, 1);
    cJSON *list = cJSON_GetObjectItem(r->json, "result");
    assert_int_equal(cJSON_GetArraySize(list), 3); /* the last 3, oldest first */
    for (int i = 0; i < 3; i++) {
        cJSON *ev = cJSON_GetArrayItem(list, i);
        assert_int_equal(th_num(ev, "seq"), 3 + i);
        assert_string_equal(th_str(ev, "from"), "a");
        /* EVT-11: each event's list in turn (an unreferenced one too), indices shifted. */
        int ref = (int)th_num(cJSON_GetArrayItem(cJSON_GetObjectItem(ev, "data"), 1), "$bin");
        assert_int_equal(ref, 2 * i + 1);
        assert_memory_equal(r->att[ref].data, bin, 2);
        assert_memory_equal(r->att[2 * i].data, spare, 1);
    }
    assert_int_equal(r->natt, 6);
    th_sent_free(r);
    th_send(t, b,
            "{\"t\":\"call\",\"id\":2,\"route\":\"plexus.history\",\"args\":{\"group\":\"g\","
            "\"limit\":1}}");
    r = th_ok(t, b, 2);
    list = cJSON_GetObjectItem(r->json, "result");
    assert_int_equal(cJSON_GetArraySize(list), 1);
    assert_int_equal(th_num(cJSON_GetArrayItem(list, 0), "seq"), 5);
    th_sent_free(r);
    th_send(t, b,
            "{\"t\":\"call\",\"id\":3,\"route\":\"plexus.history\",\"args\":{\"group\":\"none\"}}");
    r = th_ok(t, b, 3);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r->json, "result")), 0);
    th_sent_free(r);
    /* RPC-17: a bad args is BAD_VALUE. */
    th_send(t, b, "{\"t\":\"call\",\"id\":4,\"route\":\"plexus.history\",\"args\":{}}");
    th_err(t, b, 4, "BAD_VALUE");
    th_send(t, b, "{\"t\":\"call\",\"id\":5,\"route\":\"plexus.history\",\"args\":{\"group\":1}}");
    th_err(t, b, 5, "BAD_VALUE");
    th_send(t, b,
            "{\"t\":\"call\",\"id\":6,\"route\":\"plexus.history\",\"args\":{\"group\":\"g\","
            "\"limit\":-1}}");
    th_err(t, b, 6, "BAD_VALUE");
    th_send(t, b, "{\"t\":\"call\",\"id\":7,\"route\":\"plexus.history\"}");
    th_err(t, b, 7, "BAD_VALUE");
    th_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(targets_and_echo),  cmocka_unit_test(target_errors),
        cmocka_unit_test(event_attachments), cmocka_unit_test(presence_events),
        cmocka_unit_test(group_errors),      cmocka_unit_test(history),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
