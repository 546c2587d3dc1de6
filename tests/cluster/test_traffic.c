/*
 * test_traffic.c - client traffic across instances: a call to a route served on another
 * instance and its reply (attachments both ways, ROUTE_FAILED detail), a call by name, a
 * call timeout and the late reply, a call whose server leaves (PEER_GONE), call_all spanning
 * three instances, events to a client, a group and all across instances (delivered counts,
 * attachments, echo), and an adapted key served by a client of another instance.
 */
#include <stdio.h>
#include <string.h>

#include "net.h"

static void reg(net *w, size_t k, plx_conn_id c, const char *route) {
    net_sendf(w, k, c, "{\"t\":\"register\",\"id\":900,\"routes\":[\"%s\"]}", route);
    th_sent_free(th_ok(net_th(w, k), c, 900));
}

/* Takes the call forwarded to c on node k: its id; checks the route. */
static uint64_t take_call(net *w, size_t k, plx_conn_id c, const char *route, th_sent **out) {
    th_sent *f = th_take(net_th(w, k), c, "call");
    assert_non_null(f);
    assert_string_equal(th_str(f->json, "route"), route);
    uint64_t sid = (uint64_t)th_num(f->json, "id");
    if (out)
        *out = f;
    else
        th_sent_free(f);
    return sid;
}

static void call_remote_route(void **state) {
    (void)state;
    net *w = net_new(2, NULL, 0);
    plx_conn_id d = net_client(w, 1, "dave", NULL);
    reg(w, 1, d, "echo");
    plx_conn_id a = net_client(w, 0, "alice", NULL);
    uint8_t blob[3] = {0, 1, 255};
    plx_bytes att = {blob, 3};
    th_send_att(net_th(w, 0), a,
                "{\"t\":\"call\",\"id\":5,\"route\":\"echo\",\"args\":{\"b\":{\"$bin\":0}},"
                "\"timeout_ms\":5000}",
                &att, 1);
    net_pump(w);
    th_sent *f;
    uint64_t sid = take_call(w, 1, d, "echo", &f);
    assert_string_equal(th_str(f->json, "from"), "alice");
    assert_int_equal(th_num(f->json, "timeout_ms"), 5000);
    assert_int_equal(f->natt, 1);
    assert_memory_equal(f->att[0].data, blob, 3);
    th_sent_free(f);
    /* The reply with an attachment of its own goes back to alice. */
    uint8_t out[4] = {9, 0, 9, 0};
    plx_bytes ratt = {out, 4};
    char buf[200];
    snprintf(buf, sizeof(buf), "{\"t\":\"reply\",\"id\":%llu,\"result\":{\"r\":{\"$bin\":0}}}",
             (unsigned long long)sid);
    th_send_att(net_th(w, 1), d, buf, &ratt, 1);
    net_pump(w);
    th_sent *r = th_ok(net_th(w, 0), a, 5);
    assert_int_equal(th_num(th_get(r->json, "result.r"), "$bin"), 0);
    assert_int_equal(r->natt, 1);
    assert_memory_equal(r->att[0].data, out, 4);
    th_sent_free(r);
    /* By name, and an error reply: ROUTE_FAILED with the server's error as detail. */
    net_sendf(w, 0, a, "{\"t\":\"call\",\"id\":6,\"route\":\"echo\",\"to\":\"dave\"}");
    sid = take_call(w, 1, d, "echo", NULL);
    net_sendf(
        w, 1, d,
        "{\"t\":\"reply\",\"id\":%llu,\"error\":{\"code\":1,\"name\":\"X\",\"message\":\"no\"}}",
        (unsigned long long)sid);
    th_sent *e = th_take(net_th(w, 0), a, "reply");
    assert_non_null(e);
    assert_int_equal(th_num(e->json, "id"), 6);
    assert_string_equal(th_str(th_get(e->json, "error"), "name"), "ROUTE_FAILED");
    assert_string_equal(th_str(th_get(e->json, "error.detail"), "message"), "no");
    th_sent_free(e);
    /* Nothing else went anywhere: no stray error to dave. */
    assert_int_equal(th_count(net_th(w, 1), d, NULL), 0);
    net_free(w);
}

static void call_timeout_and_late_reply(void **state) {
    (void)state;
    net *w = net_new(2, NULL, 0);
    plx_conn_id d = net_client(w, 1, "dave", NULL);
    reg(w, 1, d, "slow");
    plx_conn_id a = net_client(w, 0, "alice", NULL);
    net_sendf(w, 0, a, "{\"t\":\"call\",\"id\":1,\"route\":\"slow\",\"timeout_ms\":500}");
    uint64_t sid = take_call(w, 1, d, "slow", NULL);
    net_advance(w, 400);
    assert_int_equal(th_count(net_th(w, 0), a, "reply"), 0);
    net_advance(w, 200);
    th_err(net_th(w, 0), a, 1, "CALL_TIMEOUT");
    /* Past the relay's own deadline the serving instance says UNKNOWN_CALL itself. */
    net_advance(w, 300);
    net_sendf(w, 1, d, "{\"t\":\"reply\",\"id\":%llu,\"result\":1}", (unsigned long long)sid);
    th_errmsg_re(net_th(w, 1), d, "UNKNOWN_CALL", (int64_t)sid);
    assert_int_equal(th_count(net_th(w, 0), a, NULL), 0);
    net_free(w);
}

static void call_server_leaves(void **state) {
    (void)state;
    net *w = net_new(2, NULL, 0);
    plx_conn_id d = net_client(w, 1, "dave", NULL);
    reg(w, 1, d, "r");
    plx_conn_id a = net_client(w, 0, "alice", NULL);
    net_sendf(w, 0, a, "{\"t\":\"call\",\"id\":1,\"route\":\"r\"}");
    take_call(w, 1, d, "r", NULL);
    net_sendf(w, 1, d, "{\"t\":\"bye\"}");
    th_err(net_th(w, 0), a, 1, "PEER_GONE");
    net_sendf(w, 0, a, "{\"t\":\"call\",\"id\":2,\"route\":\"r\"}");
    th_err(net_th(w, 0), a, 2, "UNKNOWN_ROUTE");
    /* A call that reaches the serving instance after its client left fails at once. */
    d = net_client(w, 1, "dave", NULL);
    reg(w, 1, d, "r");
    th_send(net_th(w, 0), a, "{\"t\":\"call\",\"id\":3,\"route\":\"r\"}");
    th_send(net_th(w, 1), d, "{\"t\":\"bye\"}");
    net_pump(w);
    th_err(net_th(w, 0), a, 3, "PEER_GONE");
    net_free(w);
}

static void call_all_spans_instances(void **state) {
    (void)state;
    net *w = net_new(3, NULL, 0);
    plx_conn_id s[3];
    const char *names[3] = {"s0", "s1", "s2"};
    for (size_t k = 0; k < 3; k++) {
        s[k] = net_client(w, k, names[k], "\"groups\":[\"g\"]");
        reg(w, k, s[k], "who");
    }
    plx_conn_id a = net_client(w, 0, "alice", NULL);
    net_sendf(w, 0, a, "{\"t\":\"call_all\",\"id\":4,\"route\":\"who\",\"timeout_ms\":1000}");
    for (size_t k = 0; k < 3; k++) {
        uint64_t sid = take_call(w, k, s[k], "who", NULL);
        assert_int_equal(th_count(net_th(w, 0), a, "reply"), 0);
        if (k == 2) continue; /* s2 never answers: its entry is CALL_TIMEOUT */
        net_sendf(w, k, s[k], "{\"t\":\"reply\",\"id\":%llu,\"result\":\"%s\"}",
                  (unsigned long long)sid, names[k]);
    }
    net_advance(w, 1100);
    th_sent *r = th_ok(net_th(w, 0), a, 4);
    cJSON *res = cJSON_GetObjectItem(r->json, "result");
    assert_int_equal(cJSON_GetArraySize(res), 3);
    assert_string_equal(cJSON_GetObjectItem(th_get(res, "s0"), "result")->valuestring, "s0");
    assert_string_equal(cJSON_GetObjectItem(th_get(res, "s1"), "result")->valuestring, "s1");
    assert_string_equal(th_str(th_get(res, "s2.error"), "name"), "CALL_TIMEOUT");
    th_sent_free(r);
    /* Restricted to a group whose members are on other instances. */
    net_sendf(w, 1, s[1], "{\"t\":\"leave\",\"id\":5,\"group\":\"g\"}");
    net_sendf(w, 0, a, "{\"t\":\"call_all\",\"id\":6,\"route\":\"who\",\"group\":\"g\"}");
    assert_int_equal(th_count(net_th(w, 1), s[1], "call"), 0);
    uint64_t sid0 = take_call(w, 0, s[0], "who", NULL);
    uint64_t sid2 = take_call(w, 2, s[2], "who", NULL);
    net_sendf(w, 2, s[2], "{\"t\":\"reply\",\"id\":%llu,\"result\":2}", (unsigned long long)sid2);
    net_sendf(w, 0, s[0], "{\"t\":\"reply\",\"id\":%llu,\"result\":0}", (unsigned long long)sid0);
    r = th_ok(net_th(w, 0), a, 6);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r->json, "result")), 2);
    th_sent_free(r);
    net_free(w);
}

/* Takes the event to c on node k and checks its name and from. */
static void take_event(net *w, size_t k, plx_conn_id c, const char *event, const char *from) {
    th_sent *e = th_take(net_th(w, k), c, "event");
    assert_non_null(e);
    assert_string_equal(th_str(e->json, "event"), event);
    assert_string_equal(th_str(e->json, "from"), from);
    th_sent_free(e);
}

static void events_across_instances(void **state) {
    (void)state;
    net *w = net_new(3, NULL, 0);
    plx_conn_id a = net_client(w, 0, "alice", "\"groups\":[\"team\"]");
    plx_conn_id b = net_client(w, 1, "bob", "\"groups\":[\"team\"]");
    plx_conn_id c = net_client(w, 2, "carol", NULL);
    /* To a client of another instance, with an attachment. */
    uint8_t blob[2] = {0, 7};
    plx_bytes att = {blob, 2};
    th_send_att(net_th(w, 2), c,
                "{\"t\":\"send\",\"id\":1,\"to\":\"client:bob\",\"event\":\"hi\","
                "\"data\":{\"$bin\":0}}",
                &att, 1);
    net_pump(w);
    th_sent *r = th_ok(net_th(w, 2), c, 1);
    assert_int_equal(th_num(th_get(r->json, "result"), "delivered"), 1);
    th_sent_free(r);
    th_sent *e = th_take(net_th(w, 1), b, "event");
    assert_non_null(e);
    assert_string_equal(th_str(e->json, "from"), "carol");
    assert_string_equal(th_str(e->json, "to"), "client:bob");
    assert_int_equal(e->natt, 1);
    assert_memory_equal(e->att[0].data, blob, 2);
    th_sent_free(e);
    /* To a group: members on two other instances, once each. */
    net_sendf(w, 2, c, "{\"t\":\"send\",\"id\":2,\"to\":\"group:team\",\"event\":\"g\"}");
    r = th_ok(net_th(w, 2), c, 2);
    assert_int_equal(th_num(th_get(r->json, "result"), "delivered"), 2);
    th_sent_free(r);
    take_event(w, 0, a, "g", "carol");
    take_event(w, 1, b, "g", "carol");
    assert_int_equal(th_count(net_th(w, 0), a, "event"), 0);
    assert_int_equal(th_count(net_th(w, 1), b, "event"), 0);
    /* To all, sender excluded. */
    net_sendf(w, 0, a, "{\"t\":\"send\",\"id\":3,\"to\":\"all\",\"event\":\"x\"}");
    r = th_ok(net_th(w, 0), a, 3);
    assert_int_equal(th_num(th_get(r->json, "result"), "delivered"), 2);
    th_sent_free(r);
    take_event(w, 1, b, "x", "alice");
    take_event(w, 2, c, "x", "alice");
    assert_int_equal(th_count(net_th(w, 0), a, "event"), 0);
    /* Recipients on one instance share one bus message. */
    plx_conn_id m[3];
    for (size_t i = 0; i < 3; i++)
        m[i] = net_client(w, 1, NULL, "\"groups\":[\"many\"]");
    plx_cluster_stats before, after;
    plx_cluster_stats_get(w->n[0].cl, &before);
    net_sendf(w, 0, a, "{\"t\":\"send\",\"to\":\"group:many\",\"event\":\"m\"}");
    plx_cluster_stats_get(w->n[0].cl, &after);
    assert_int_equal(after.published - before.published, 1);
    for (size_t i = 0; i < 3; i++)
        take_event(w, 1, m[i], "m", "alice");
    /* An unknown client is unknown everywhere. */
    net_sendf(w, 0, a, "{\"t\":\"send\",\"id\":4,\"to\":\"client:zed\",\"event\":\"x\"}");
    th_err(net_th(w, 0), a, 4, "UNKNOWN_CLIENT");
    net_free(w);
}

static void adapter_on_other_instance(void **state) {
    (void)state;
    net *w = net_new(2, NULL, 0);
    plx_conn_id o = net_client(w, 1, "owner", NULL);
    net_sendf(w, 1, o, "{\"t\":\"adapt\",\"id\":1,\"key\":\"cfg\"}");
    th_sent_free(th_ok(net_th(w, 1), o, 1));
    plx_conn_id a = net_client(w, 0, "alice", NULL);
    /* The key is owned on every instance. */
    net_sendf(w, 0, a, "{\"t\":\"adapt\",\"id\":2,\"key\":\"cfg\"}");
    th_err(net_th(w, 0), a, 2, "KEY_OWNED");
    net_sendf(w, 0, a, "{\"t\":\"cmd\",\"id\":3,\"argv\":[\"SET\",\"cfg\",\"v\"]}");
    th_err(net_th(w, 0), a, 3, "READ_ONLY");
    /* A read goes to the owner on the other instance and its answer comes back. */
    net_sendf(w, 0, a, "{\"t\":\"cmd\",\"id\":4,\"argv\":[\"GET\",\"cfg\"]}");
    th_sent *rd = th_take(net_th(w, 1), o, "read");
    assert_non_null(rd);
    assert_string_equal(th_str(rd->json, "key"), "cfg");
    assert_string_equal(cJSON_GetArrayItem(th_get(rd->json, "argv"), 0)->valuestring, "GET");
    uint64_t sid = (uint64_t)th_num(rd->json, "id");
    th_sent_free(rd);
    net_sendf(w, 1, o, "{\"t\":\"reply\",\"id\":%llu,\"result\":\"served\"}",
              (unsigned long long)sid);
    th_sent *r = th_ok(net_th(w, 0), a, 4);
    assert_string_equal(cJSON_GetObjectItem(r->json, "result")->valuestring, "served");
    th_sent_free(r);
    /* Unadapt: the key is free on every instance. */
    net_sendf(w, 1, o, "{\"t\":\"unadapt\",\"id\":5,\"key\":\"cfg\"}");
    net_sendf(w, 0, a, "{\"t\":\"adapt\",\"id\":6,\"key\":\"cfg\"}");
    th_sent_free(th_ok(net_th(w, 0), a, 6));
    /* ...and now owned by alice on node 1. */
    net_sendf(w, 1, o, "{\"t\":\"adapt\",\"id\":7,\"key\":\"cfg\"}");
    th_err(net_th(w, 1), o, 7, "KEY_OWNED");
    net_free(w);
}

static void binary_key_adapted_remotely(void **state) {
    (void)state;
    net *w = net_new(2, NULL, 0);
    uint8_t key[3] = {0xff, 0, 1};
    plx_bytes att = {key, 3};
    plx_conn_id o = net_client(w, 1, "owner", NULL);
    th_send_att(net_th(w, 1), o, "{\"t\":\"adapt\",\"id\":1,\"key\":{\"$bin\":0}}", &att, 1);
    th_sent_free(th_ok(net_th(w, 1), o, 1));
    net_pump(w);
    plx_conn_id a = net_client(w, 0, "alice", NULL);
    th_send_att(net_th(w, 0), a, "{\"t\":\"cmd\",\"id\":2,\"argv\":[\"GET\",{\"$bin\":0}]}", &att,
                1);
    net_pump(w);
    th_sent *rd = th_take(net_th(w, 1), o, "read");
    assert_non_null(rd);
    assert_int_equal(rd->natt, 1);
    assert_memory_equal(rd->att[0].data, key, 3);
    th_sent_free(rd);
    net_free(w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(call_remote_route),
        cmocka_unit_test(call_timeout_and_late_reply),
        cmocka_unit_test(call_server_leaves),
        cmocka_unit_test(call_all_spans_instances),
        cmocka_unit_test(events_across_instances),
        cmocka_unit_test(adapter_on_other_instance),
        cmocka_unit_test(binary_key_adapted_remotely),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
