/*
 * test_rpc.c - routes and calls: register/unregister, call by route (round robin) and by
 * name, built-in plexus.* routes, call_all with results and errors, many calls in flight
 * answered out of order, attachments both ways, and every RPC error: UNKNOWN_ROUTE,
 * UNKNOWN_CLIENT, ROUTE_FAILED (detail), CALL_TIMEOUT, PEER_GONE, UNKNOWN_CALL,
 * DUPLICATE_ID, RESERVED_ROUTE, LIMIT_REACHED, BAD_NAME.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"

static void reg(th *t, plx_conn_id c, const char *route) {
    th_sendf(t, c, "{\"t\":\"register\",\"id\":900,\"routes\":[\"%s\"]}", route);
    th_sent *r = th_ok(t, c, 900);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r->json, "result")));
    th_sent_free(r);
}

/* Takes the call forwarded to server and returns its server-chosen id. */
static uint64_t forwarded(th *t, plx_conn_id server, const char *route) {
    th_sent *f = th_take(t, server, "call");
    assert_non_null(f);
    assert_string_equal(th_str(f->json, "route"), route);
    uint64_t sid = (uint64_t)th_num(f->json, "id");
    th_sent_free(f);
    return sid;
}

static void call_by_route_and_name(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id s = th_client(t, "srv", NULL), c = th_client(t, "cli", NULL);
    reg(t, s, "math.add");
    th_send(t, c, "{\"t\":\"call\",\"id\":1,\"route\":\"math.add\",\"args\":[2,3]}");
    th_sent *f = th_take(t, s, "call");
    assert_non_null(f);
    assert_string_equal(th_str(f->json, "from"), "cli");
    assert_int_equal(th_num(f->json, "timeout_ms"), 30000);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(f->json, "args")), 2);
    uint64_t sid = (uint64_t)th_num(f->json, "id");
    th_sent_free(f);
    assert_int_equal(th_count(t, c, NULL), 0); /* nothing yet for the caller */
    th_sendf(t, s, "{\"t\":\"reply\",\"id\":%llu,\"result\":5}", (unsigned long long)sid);
    th_sent *r = th_ok(t, c, 1);
    assert_int_equal(th_num(r->json, "result"), 5);
    th_sent_free(r);
    /* By name. */
    th_send(t, c, "{\"t\":\"call\",\"id\":2,\"route\":\"math.add\",\"to\":\"srv\"}");
    sid = forwarded(t, s, "math.add");
    th_sendf(t, s, "{\"t\":\"reply\",\"id\":%llu,\"result\":null}", (unsigned long long)sid);
    th_sent_free(th_ok(t, c, 2));
    th_send(t, c, "{\"t\":\"call\",\"id\":3,\"route\":\"math.add\",\"to\":\"nobody\"}");
    th_err(t, c, 3, "UNKNOWN_CLIENT");
    th_send(t, c, "{\"t\":\"call\",\"id\":4,\"route\":\"math.add\",\"to\":\"cli\"}");
    th_err(t, c, 4, "UNKNOWN_ROUTE");
    th_send(t, c, "{\"t\":\"call\",\"id\":5,\"route\":\"math.sub\"}");
    th_err(t, c, 5, "UNKNOWN_ROUTE");
    /* Unregister: the route is gone. */
    th_send(t, s, "{\"t\":\"unregister\",\"id\":6,\"routes\":[\"math.add\",\"never\"]}");
    th_sent_free(th_ok(t, s, 6));
    th_send(t, c, "{\"t\":\"call\",\"id\":7,\"route\":\"math.add\"}");
    th_err(t, c, 7, "UNKNOWN_ROUTE");
    th_free(t);
}

static void round_robin(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id a = th_client(t, "a", NULL), b = th_client(t, "b", NULL);
    plx_conn_id c = th_client(t, "c", NULL);
    reg(t, a, "work");
    reg(t, b, "work");
    for (int i = 1; i <= 4; i++)
        th_sendf(t, c, "{\"t\":\"call\",\"id\":%d,\"route\":\"work\"}", i);
    assert_int_equal(th_count(t, a, "call"), 2);
    assert_int_equal(th_count(t, b, "call"), 2);
    th_free(t);
}

static void many_in_flight_out_of_order(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id s = th_client(t, "s", NULL), c = th_client(t, "c", NULL);
    reg(t, s, "echo");
    uint64_t sids[50];
    for (int i = 0; i < 50; i++) {
        th_sendf(t, c, "{\"t\":\"call\",\"id\":%d,\"route\":\"echo\",\"args\":%d}", 100 + i, i);
        th_sent *f = th_take(t, s, "call");
        assert_int_equal(th_num(f->json, "args"), i);
        sids[i] = (uint64_t)th_num(f->json, "id");
        th_sent_free(f);
    }
    for (int i = 49; i >= 0; i--)
        th_sendf(t, s, "{\"t\":\"reply\",\"id\":%llu,\"result\":%d}", (unsigned long long)sids[i],
                 i * 10);
    for (int i = 0; i < 50; i++) {
        th_sent *r = th_ok(t, c, 100 + i);
        assert_int_equal(th_num(r->json, "result"), i * 10);
        th_sent_free(r);
    }
    th_free(t);
}

static void route_failed_with_detail(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id s = th_client(t, "s", NULL), c = th_client(t, "c", NULL);
    reg(t, s, "boom");
    th_send(t, c, "{\"t\":\"call\",\"id\":1,\"route\":\"boom\"}");
    uint64_t sid = forwarded(t, s, "boom");
    th_sendf(t, s,
             "{\"t\":\"reply\",\"id\":%llu,\"error\":{\"code\":42,\"name\":\"APP\","
             "\"message\":\"divide by zero\"}}",
             (unsigned long long)sid);
    th_sent *r = th_take(t, c, "reply");
    cJSON *e = cJSON_GetObjectItem(r->json, "error");
    assert_string_equal(th_str(e, "name"), "ROUTE_FAILED");
    assert_int_equal(th_num(e, "code"), 703);
    cJSON *d = cJSON_GetObjectItem(e, "detail");
    assert_string_equal(th_str(d, "message"), "divide by zero");
    assert_int_equal(th_num(d, "code"), 42);
    th_sent_free(r);
    th_free(t);
}

static void timeout_then_late_reply(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id s = th_client(t, "s", NULL), c = th_client(t, "c", NULL);
    reg(t, s, "slow");
    th_send(t, c, "{\"t\":\"call\",\"id\":1,\"route\":\"slow\",\"timeout_ms\":500}");
    th_sent *f = th_take(t, s, "call");
    assert_int_equal(th_num(f->json, "timeout_ms"), 500);
    uint64_t sid = (uint64_t)th_num(f->json, "id");
    th_sent_free(f);
    uint64_t next = th_tick(t, 499);
    assert_true(next <= t->now + 1);
    assert_int_equal(th_count(t, c, "reply"), 0);
    th_tick(t, 1);
    th_err(t, c, 1, "CALL_TIMEOUT");
    th_sendf(t, s, "{\"t\":\"reply\",\"id\":%llu,\"result\":1}", (unsigned long long)sid);
    th_sent *e = th_take(t, s, "error");
    assert_string_equal(th_str(e->json, "name"), "UNKNOWN_CALL");
    assert_int_equal(th_num(e->json, "re"), (double)sid);
    th_sent_free(e);
    assert_int_equal(th_closed(t, s), 0);
    /* A reply from someone who is not the serving client is UNKNOWN_CALL too. */
    th_send(t, c, "{\"t\":\"call\",\"id\":2,\"route\":\"slow\"}");
    sid = forwarded(t, s, "slow");
    th_sendf(t, c, "{\"t\":\"reply\",\"id\":%llu,\"result\":1}", (unsigned long long)sid);
    th_errmsg(t, c, "UNKNOWN_CALL");
    /* The timeout is clamped to the maximum. */
    th_send(t, c, "{\"t\":\"call\",\"id\":3,\"route\":\"slow\",\"timeout_ms\":999999999}");
    f = th_take(t, s, "call");
    assert_int_equal(th_num(f->json, "timeout_ms"), 300000);
    th_sent_free(f);
    th_free(t);
}

static void peer_gone_at_once(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id s = th_client(t, "s", NULL), c = th_client(t, "c", NULL);
    reg(t, s, "r");
    th_send(t, c, "{\"t\":\"call\",\"id\":1,\"route\":\"r\"}");
    th_send(t, c, "{\"t\":\"call\",\"id\":2,\"route\":\"r\"}");
    plx_hub_closed(t->hub, s, t->now);
    th_err(t, c, 1, "PEER_GONE");
    th_err(t, c, 2, "PEER_GONE");
    /* The route left with its server. */
    th_send(t, c, "{\"t\":\"call\",\"id\":3,\"route\":\"r\"}");
    th_err(t, c, 3, "UNKNOWN_ROUTE");
    th_free(t);
}

static void caller_leaves(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id s = th_client(t, "s", NULL), c = th_client(t, "c", NULL);
    reg(t, s, "r");
    th_send(t, c, "{\"t\":\"call\",\"id\":1,\"route\":\"r\"}");
    uint64_t sid = forwarded(t, s, "r");
    plx_hub_closed(t->hub, c, t->now);
    /* The answer is discarded without complaint. */
    th_sendf(t, s, "{\"t\":\"reply\",\"id\":%llu,\"result\":1}", (unsigned long long)sid);
    assert_int_equal(t->nout, 0);
    th_free(t);
}

static void duplicate_id(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id s = th_client(t, "s", NULL), c = th_client(t, "c", NULL);
    reg(t, s, "r");
    th_send(t, c, "{\"t\":\"call\",\"id\":7,\"route\":\"r\"}");
    uint64_t sid = forwarded(t, s, "r");
    th_send(t, c, "{\"t\":\"call\",\"id\":7,\"route\":\"r\"}");
    /* RPC-3, ERR-3: an error message with re, never a reply (it would answer call 7). */
    th_errmsg_re(t, c, "DUPLICATE_ID", 7);
    th_send(t, c, "{\"t\":\"join\",\"id\":7,\"group\":\"g\"}"); /* any request type */
    th_errmsg_re(t, c, "DUPLICATE_ID", 7);
    assert_int_equal(th_count(t, c, "reply"), 0);
    assert_int_equal(th_count(t, s, "call"), 0);
    th_sendf(t, s, "{\"t\":\"reply\",\"id\":%llu,\"result\":1}", (unsigned long long)sid);
    th_sent_free(th_ok(t, c, 7));
    /* Once answered the id is free again. */
    th_send(t, c, "{\"t\":\"join\",\"id\":7,\"group\":\"g\"}");
    th_sent_free(th_ok(t, c, 7));
    th_free(t);
}

static void register_errors(void **state) {
    (void)state;
    plx_hub_config cfg = {.max_routes = 2, .gzip = 1};
    th *t = th_new(&cfg);
    plx_conn_id s = th_client(t, "s", NULL);
    th_send(t, s, "{\"t\":\"register\",\"id\":1,\"routes\":[\"plexus.mine\"]}");
    th_err(t, s, 1, "RESERVED_ROUTE");
    th_send(t, s, "{\"t\":\"register\",\"id\":2,\"routes\":[\"\"]}");
    th_err(t, s, 2, "BAD_NAME");
    th_send(t, s, "{\"t\":\"register\",\"id\":3,\"routes\":[\"a\",\"b\",\"c\"]}");
    th_err(t, s, 3, "LIMIT_REACHED");
    /* Nothing of a refused register is kept. */
    th_send(t, s, "{\"t\":\"call\",\"id\":4,\"route\":\"plexus.routes\"}");
    th_sent *r = th_ok(t, s, 4);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r->json, "result")), 0);
    th_sent_free(r);
    th_send(t, s, "{\"t\":\"register\",\"id\":5,\"routes\":[\"a\",\"b\",\"a\"]}");
    th_sent_free(th_ok(t, s, 5));
    th_send(t, s, "{\"t\":\"register\",\"id\":6,\"routes\":[\"a\"]}"); /* already served */
    th_sent_free(th_ok(t, s, 6));
    th_send(t, s, "{\"t\":\"register\",\"id\":7,\"routes\":[\"c\"]}");
    th_err(t, s, 7, "LIMIT_REACHED");
    th_free(t);
}

static void pending_limit(void **state) {
    (void)state;
    plx_hub_config cfg = {.max_pending = 2, .gzip = 1};
    th *t = th_new(&cfg);
    plx_conn_id s = th_client(t, "s", NULL), c = th_client(t, "c", NULL);
    reg(t, s, "r");
    th_send(t, c, "{\"t\":\"call\",\"id\":1,\"route\":\"r\"}");
    th_send(t, c, "{\"t\":\"call\",\"id\":2,\"route\":\"r\"}");
    th_send(t, c, "{\"t\":\"call\",\"id\":3,\"route\":\"r\"}");
    th_err(t, c, 3, "LIMIT_REACHED");
    assert_int_equal(th_count(t, s, "call"), 2);
    /* LIM-3: every request is refused at once while the bound is reached, whatever it is. */
    th_send(t, c, "{\"t\":\"join\",\"id\":4,\"group\":\"g\"}");
    th_err(t, c, 4, "LIMIT_REACHED");
    th_send(t, c, "{\"t\":\"call\",\"id\":5,\"route\":\"nobody\"}");
    th_err(t, c, 5, "LIMIT_REACHED");
    th_send(t, c, "{\"t\":\"send\",\"id\":6,\"to\":\"all\",\"event\":\"e\"}");
    th_err(t, c, 6, "LIMIT_REACHED");
    assert_int_equal(th_count(t, s, "event"), 0);
    th_send(t, c, "{\"t\":\"send\",\"to\":\"all\",\"event\":\"e\"}"); /* no id: no request */
    assert_int_equal(th_count(t, s, "event"), 1);
    th_free(t);
}

static void attachments_both_ways(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id s = th_client(t, "s", NULL), c = th_client(t, "c", NULL);
    reg(t, s, "blob");
    uint8_t a0[3] = {1, 2, 3}, a1[4] = {0, 0xff, 0, 0xfe};
    plx_bytes att[2] = {{a0, 3}, {a1, 4}};
    /* RPC-7, BODY-10: the forwarded call carries the caller's whole list unchanged. */
    th_send_att(t, c,
                "{\"t\":\"call\",\"id\":1,\"route\":\"blob\",\"args\":{\"x\":{\"$bin\":1},"
                "\"y\":[{\"$bin\":1}]}}",
                att, 2);
    th_sent *f = th_take(t, s, "call");
    assert_int_equal(f->natt, 2);
    assert_memory_equal(f->att[0].data, a0, 3);
    assert_int_equal(f->att[1].len, 4);
    assert_memory_equal(f->att[1].data, a1, 4);
    assert_int_equal(th_num(th_get(f->json, "args.x"), "$bin"), 1);
    uint64_t sid = (uint64_t)th_num(f->json, "id");
    th_sent_free(f);
    /* The reply's attachment goes to the caller. */
    th_send_att(t, s, "{\"t\":\"reply\",\"id\":0,\"result\":{\"data\":{\"$bin\":1}}}", att, 2);
    th_errmsg(t, s, "UNKNOWN_CALL"); /* id 0 is not pending */
    char buf[128];
    snprintf(buf, sizeof(buf), "{\"t\":\"reply\",\"id\":%llu,\"result\":{\"data\":{\"$bin\":1}}}",
             (unsigned long long)sid);
    th_send_att(t, s, buf, att, 2);
    th_sent *r = th_ok(t, c, 1); /* RPC-9: the serving reply's list, unchanged */
    assert_int_equal(r->natt, 2);
    assert_memory_equal(r->att[1].data, a1, 4);
    assert_int_equal(th_num(th_get(r->json, "result.data"), "$bin"), 1);
    th_sent_free(r);
    th_free(t);
}

static void builtins(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id b = th_client(t, "bob", "\"groups\":[\"g2\",\"g1\"]");
    plx_conn_id a = th_client(t, "alice", "\"groups\":[\"g1\"]");
    reg(t, b, "z.route");
    reg(t, a, "z.route");
    reg(t, a, "a.route");
    th_tick(t, 250);
    th_send(t, a, "{\"t\":\"call\",\"id\":1,\"route\":\"plexus.info\"}");
    th_sent *r = th_ok(t, a, 1);
    cJSON *info = cJSON_GetObjectItem(r->json, "result");
    assert_int_equal(th_num(info, "connections"), 2);
    assert_int_equal(th_num(info, "version"), 1);
    assert_int_equal(th_num(info, "uptime_ms"), 250);
    assert_int_equal(th_num(info, "history"), 0);
    assert_string_equal(th_str(info, "storage"), "memory");
    assert_non_null(th_str(info, "server"));
    th_sent_free(r);

    th_send(t, a, "{\"t\":\"call\",\"id\":2,\"route\":\"plexus.clients\"}");
    r = th_ok(t, a, 2);
    char *txt = cJSON_PrintUnformatted(cJSON_GetObjectItem(r->json, "result"));
    assert_string_equal(txt, "[{\"name\":\"alice\",\"groups\":[\"g1\"],\"routes\":[\"a.route\","
                             "\"z.route\"]},{\"name\":\"bob\",\"groups\":[\"g1\",\"g2\"],"
                             "\"routes\":[\"z.route\"]}]");
    cJSON_free(txt);
    th_sent_free(r);

    th_send(t, a, "{\"t\":\"call\",\"id\":3,\"route\":\"plexus.groups\"}");
    r = th_ok(t, a, 3);
    txt = cJSON_PrintUnformatted(cJSON_GetObjectItem(r->json, "result"));
    assert_string_equal(txt, "{\"g1\":[\"alice\",\"bob\"],\"g2\":[\"bob\"]}");
    cJSON_free(txt);
    th_sent_free(r);

    th_send(t, a, "{\"t\":\"call\",\"id\":4,\"route\":\"plexus.routes\"}");
    r = th_ok(t, a, 4);
    txt = cJSON_PrintUnformatted(cJSON_GetObjectItem(r->json, "result"));
    assert_string_equal(txt, "{\"a.route\":[\"alice\"],\"z.route\":[\"alice\",\"bob\"]}");
    cJSON_free(txt);
    th_sent_free(r);

    th_send(t, a, "{\"t\":\"call\",\"id\":5,\"route\":\"plexus.nothing\"}");
    th_err(t, a, 5, "UNKNOWN_ROUTE");
    th_send(t, a,
            "{\"t\":\"call\",\"id\":6,\"route\":\"plexus.history\",\"args\":{\"group\":\"g1\"}}");
    th_err(t, a, 6, "HISTORY_DISABLED");
    th_free(t);
}

/* Finds the call forwarded to c and answers it with text (a result or error member). */
static void answer(th *t, plx_conn_id c, const char *member) {
    th_sent *f = th_take(t, c, "call");
    assert_non_null(f);
    th_sendf(t, c, "{\"t\":\"reply\",\"id\":%llu,%s}", (unsigned long long)th_num(f->json, "id"),
             member);
    th_sent_free(f);
}

static void call_all_results_and_errors(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id a = th_client(t, "a", "\"groups\":[\"g\"]");
    plx_conn_id b = th_client(t, "b", "\"groups\":[\"g\"]");
    plx_conn_id c = th_client(t, "c", NULL);
    plx_conn_id d = th_client(t, "d", "\"groups\":[\"g\"]");
    plx_conn_id caller = th_client(t, "caller", NULL);
    reg(t, a, "status");
    reg(t, b, "status");
    reg(t, c, "status");
    reg(t, d, "status");
    th_send(t, caller, "{\"t\":\"call_all\",\"id\":1,\"route\":\"status\",\"timeout_ms\":1000}");
    answer(t, a, "\"result\":\"ok-a\"");
    answer(t, b, "\"error\":{\"code\":1,\"name\":\"E\",\"message\":\"bad\"}");
    plx_hub_closed(t->hub, c, t->now); /* c leaves: PEER_GONE entry */
    assert_int_equal(th_count(t, caller, "reply"), 0);
    th_tick(t, 1000); /* d never answers: CALL_TIMEOUT entry */
    th_sent *r = th_ok(t, caller, 1);
    cJSON *res = cJSON_GetObjectItem(r->json, "result");
    assert_int_equal(cJSON_GetArraySize(res), 4);
    assert_string_equal(th_str(cJSON_GetObjectItem(res, "a"), "result"), "ok-a");
    /* RPC-14: a target's own error object, unchanged (not ROUTE_FAILED). */
    char *txt = cJSON_PrintUnformatted(th_get(res, "b.error"));
    assert_string_equal(txt, "{\"code\":1,\"name\":\"E\",\"message\":\"bad\"}");
    cJSON_free(txt);
    /* Members sorted by name whatever the order the parts ended in. */
    assert_string_equal(res->child->string, "a");
    assert_string_equal(res->child->next->string, "b");
    assert_string_equal(res->child->next->next->next->string, "d");
    assert_string_equal(th_str(th_get(res, "c.error"), "name"), "PEER_GONE");
    assert_string_equal(th_str(th_get(res, "d.error"), "name"), "CALL_TIMEOUT");
    th_sent_free(r);
    th_clear(t);
    /* Only a group's members; the caller's late part answers are UNKNOWN_CALL. */
    th_send(t, caller, "{\"t\":\"call_all\",\"id\":2,\"route\":\"status\",\"group\":\"g\"}");
    assert_int_equal(th_count(t, a, "call"), 1);
    assert_int_equal(th_count(t, b, "call"), 1);
    assert_int_equal(th_count(t, d, "call"), 1);
    answer(t, a, "\"result\":1");
    answer(t, b, "\"result\":2");
    answer(t, d, "\"result\":{\"$bin\":0,\"k\":1}"); /* not a reference: plain */
    r = th_ok(t, caller, 2);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r->json, "result")), 3);
    th_sent_free(r);
    /* No targets: {} at once. */
    th_send(t, caller, "{\"t\":\"call_all\",\"id\":3,\"route\":\"nobody\"}");
    r = th_ok(t, caller, 3);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r->json, "result")), 0);
    th_sent_free(r);
    th_send(t, caller, "{\"t\":\"call_all\",\"id\":4,\"route\":\"status\",\"group\":\"a:b\"}");
    th_err(t, caller, 4, "BAD_NAME");
    th_free(t);
}

static void timeout_zero_and_reserved(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id s = th_client(t, "s", NULL), c = th_client(t, "c", NULL);
    reg(t, s, "r");
    /* RPC-4 step 1: timeout_ms 0 is BAD_VALUE, for built-in routes too; nothing is sent. */
    th_send(t, c, "{\"t\":\"call\",\"id\":1,\"route\":\"r\",\"timeout_ms\":0}");
    th_err(t, c, 1, "BAD_VALUE");
    th_send(t, c, "{\"t\":\"call\",\"id\":2,\"route\":\"plexus.info\",\"timeout_ms\":0}");
    th_err(t, c, 2, "BAD_VALUE");
    /* RPC-13: call_all of a plexus. route is RESERVED_ROUTE; timeout_ms 0 BAD_VALUE. */
    th_send(t, c, "{\"t\":\"call_all\",\"id\":3,\"route\":\"plexus.info\"}");
    th_err(t, c, 3, "RESERVED_ROUTE");
    th_send(t, c, "{\"t\":\"call_all\",\"id\":4,\"route\":\"r\",\"timeout_ms\":0}");
    th_err(t, c, 4, "BAD_VALUE");
    assert_int_equal(th_count(t, s, "call"), 0);
    th_send(t, c, "{\"t\":\"call\",\"id\":5,\"route\":\"r\",\"timeout_ms\":1}");
    assert_int_equal(th_count(t, s, "call"), 1);
    th_free(t);
}

static void call_all_attachments(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id a = th_client(t, "a", NULL), b = th_client(t, "b", NULL);
    plx_conn_id c = th_client(t, "c", NULL);
    reg(t, a, "get");
    reg(t, b, "get");
    th_send(t, c, "{\"t\":\"call_all\",\"id\":1,\"route\":\"get\"}");
    uint8_t x[2] = {0xff, 0x00}, y[3] = {0xfe, 1, 2}, z[1] = {9};
    plx_bytes ax[2] = {{z, 1}, {x, 2}}, ay = {y, 3};
    char buf[128];
    /* b answers first; a's list (2 attachments, one unreferenced) still comes first. */
    th_sent *f = th_take(t, b, "call");
    snprintf(buf, sizeof(buf), "{\"t\":\"reply\",\"id\":%llu,\"result\":{\"$bin\":0}}",
             (unsigned long long)th_num(f->json, "id"));
    th_sent_free(f);
    th_send_att(t, b, buf, &ay, 1);
    f = th_take(t, a, "call");
    snprintf(buf, sizeof(buf), "{\"t\":\"reply\",\"id\":%llu,\"result\":{\"$bin\":1}}",
             (unsigned long long)th_num(f->json, "id"));
    th_sent_free(f);
    th_send_att(t, a, buf, ax, 2);
    /* RPC-15: the lists concatenated in member order, references shifted. */
    th_sent *r = th_ok(t, c, 1);
    assert_int_equal(r->natt, 3);
    assert_int_equal(th_num(th_get(r->json, "result.a.result"), "$bin"), 1);
    assert_int_equal(th_num(th_get(r->json, "result.b.result"), "$bin"), 2);
    assert_memory_equal(r->att[0].data, z, 1);
    assert_memory_equal(r->att[1].data, x, 2);
    assert_memory_equal(r->att[2].data, y, 3);
    th_sent_free(r);
    /* The caller leaving drops the aggregate; late parts are discarded quietly. */
    th_send(t, c, "{\"t\":\"call_all\",\"id\":2,\"route\":\"get\"}");
    plx_hub_closed(t->hub, c, t->now);
    answer(t, a, "\"result\":1");
    assert_int_equal(th_count(t, a, "error"), 0);
    th_tick(t, 60000);
    th_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(call_by_route_and_name),
        cmocka_unit_test(round_robin),
        cmocka_unit_test(many_in_flight_out_of_order),
        cmocka_unit_test(route_failed_with_detail),
        cmocka_unit_test(timeout_then_late_reply),
        cmocka_unit_test(peer_gone_at_once),
        cmocka_unit_test(caller_leaves),
        cmocka_unit_test(duplicate_id),
        cmocka_unit_test(register_errors),
        cmocka_unit_test(pending_limit),
        cmocka_unit_test(attachments_both_ways),
        cmocka_unit_test(builtins),
        cmocka_unit_test(call_all_results_and_errors),
        cmocka_unit_test(call_all_attachments),
        cmocka_unit_test(timeout_zero_and_reserved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
