/*
 * test_directory.c - the replicated directory: names unique across instances (hello, rename,
 * assigned names), presence across instances exactly once (join with groups, regroup,
 * rename, leave), an instance going silent (its names, routes and keys released within the
 * bound, pending calls PEER_GONE), an instance saying bye, a late instance getting the
 * directory, a lost broadcast repaired by a resync, the name race resolved the same way on
 * every instance, a name taken over with the override key, malformed bus messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

static const plx_hub_config override_cfg = {.gzip = 1, .override_key = "ov"};

static void hello_fails(net *w, size_t k, const char *name, const char *error) {
    th *t = net_th(w, k);
    plx_conn_id c = th_open(t);
    char buf[200];
    snprintf(buf, sizeof(buf), "{\"t\":\"hello\",\"version\":1,\"name\":\"%s\"}", name);
    th_send(t, c, buf);
    th_errmsg(t, c, error);
    th_send(t, c, "{\"t\":\"bye\"}");
    net_pump(w);
}

static void names_unique(void **state) {
    (void)state;
    net *w = net_new(3, NULL, 0);
    char buf[256];
    plx_conn_id a = net_client(w, 0, "alice", NULL);
    net_client(w, 1, "bob", NULL);
    hello_fails(w, 1, "alice", "NAME_TAKEN");
    hello_fails(w, 2, "bob", "NAME_TAKEN");
    assert_string_equal(net_clients(w, 2, buf, sizeof(buf)), "alice,bob");
    /* Rename: the old name is free everywhere, the new one taken everywhere. */
    net_sendf(w, 0, a, "{\"t\":\"rename\",\"id\":1,\"name\":\"bob\"}");
    th_err(net_th(w, 0), a, 1, "NAME_TAKEN");
    net_sendf(w, 0, a, "{\"t\":\"rename\",\"id\":2,\"name\":\"ann\"}");
    th_sent_free(th_ok(net_th(w, 0), a, 2));
    hello_fails(w, 2, "ann", "NAME_TAKEN");
    net_client(w, 2, "alice", NULL);
    assert_string_equal(net_clients(w, 1, buf, sizeof(buf)), "alice,ann,bob");
    /* Assigned names carry the instance: two instances never assign the same one. */
    th *t0 = net_th(w, 0), *t1 = net_th(w, 1);
    plx_conn_id x = th_open(t0), y = th_open(t1);
    th_send(t0, x, "{\"t\":\"hello\",\"version\":1}");
    th_send(t1, y, "{\"t\":\"hello\",\"version\":1}");
    th_sent *wx = th_take(t0, x, "welcome"), *wy = th_take(t1, y, "welcome");
    assert_non_null(wx);
    assert_non_null(wy);
    assert_string_not_equal(th_str(wx->json, "name"), th_str(wy->json, "name"));
    assert_string_equal(th_str(wx->json, "name"), "client-00000001-1");
    th_sent_free(wx);
    th_sent_free(wy);
    net_pump(w);
    net_free(w);
}

/* Takes the presence event to c on node k: checks kind and name; returns it. */
static th_sent *take_presence(net *w, size_t k, plx_conn_id c, const char *kind, const char *name) {
    th_sent *p = th_take(net_th(w, k), c, "presence");
    assert_non_null(p);
    assert_string_equal(th_str(p->json, "kind"), kind);
    assert_string_equal(th_str(p->json, "name"), name);
    return p;
}

static void presence_across(void **state) {
    (void)state;
    net *w = net_new(3, NULL, 0);
    plx_conn_id s0 = net_client(w, 0, "w0", "\"presence\":true");
    plx_conn_id s2 = net_client(w, 2, "w2", "\"presence\":true");
    th_clear(net_th(w, 0));
    plx_conn_id b = net_client(w, 1, "bob", "\"groups\":[\"g1\"]");
    for (size_t k = 0; k <= 2; k += 2) {
        plx_conn_id s = k ? s2 : s0;
        th_sent *p = take_presence(w, k, s, "join", "bob");
        cJSON *g = cJSON_GetObjectItem(p->json, "groups");
        assert_int_equal(cJSON_GetArraySize(g), 1);
        assert_string_equal(cJSON_GetArrayItem(g, 0)->valuestring, "g1");
        th_sent_free(p);
        assert_int_equal(th_count(net_th(w, k), s, "presence"), 0); /* once */
    }
    net_sendf(w, 1, b, "{\"t\":\"join\",\"id\":1,\"group\":\"g2\"}");
    th_sent *p = take_presence(w, 0, s0, "regroup", "bob");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(p->json, "groups")), 2);
    th_sent_free(p);
    th_sent_free(take_presence(w, 2, s2, "regroup", "bob"));
    net_sendf(w, 1, b, "{\"t\":\"rename\",\"id\":2,\"name\":\"robert\"}");
    for (size_t k = 0; k <= 2; k += 2) {
        p = take_presence(w, k, k ? s2 : s0, "rename", "robert");
        assert_string_equal(th_str(p->json, "old"), "bob");
        th_sent_free(p);
    }
    net_sendf(w, 1, b, "{\"t\":\"bye\"}");
    th_sent_free(take_presence(w, 0, s0, "leave", "robert"));
    th_sent_free(take_presence(w, 2, s2, "leave", "robert"));
    assert_int_equal(th_count(net_th(w, 0), s0, "presence"), 0);
    assert_int_equal(th_count(net_th(w, 2), s2, "presence"), 0);
    net_free(w);
}

static void silent_instance_released(void **state) {
    (void)state;
    net *w = net_new(3, NULL, 0);
    plx_conn_id d = net_client(w, 1, "dave", NULL);
    net_sendf(w, 1, d, "{\"t\":\"register\",\"id\":1,\"routes\":[\"r\"]}");
    net_sendf(w, 1, d, "{\"t\":\"adapt\",\"id\":2,\"key\":\"k\"}");
    plx_conn_id a = net_client(w, 0, "alice", "\"presence\":true");
    net_sendf(w, 0, a, "{\"t\":\"call\",\"id\":3,\"route\":\"r\",\"timeout_ms\":60000}");
    assert_int_equal(th_count(net_th(w, 1), d, "call"), 1);
    w->n[1].down = 1; /* node 1 stops: no heartbeat, nothing received */
    net_advance(w, 2500);
    assert_int_equal(th_count(net_th(w, 0), a, "reply"), 0); /* not yet: the bound is 3 s */
    net_advance(w, 600);
    th_err(net_th(w, 0), a, 3, "PEER_GONE");
    th_sent_free(take_presence(w, 0, a, "leave", "dave"));
    net_sendf(w, 0, a, "{\"t\":\"call\",\"id\":4,\"route\":\"r\"}");
    th_err(net_th(w, 0), a, 4, "UNKNOWN_ROUTE");
    net_sendf(w, 0, a, "{\"t\":\"adapt\",\"id\":5,\"key\":\"k\"}");
    th_sent_free(th_ok(net_th(w, 0), a, 5));
    net_client(w, 2, "dave", NULL);
    plx_cluster_stats st;
    plx_cluster_stats_get(w->n[2].cl, &st);
    assert_int_equal(st.instances, 1);
    assert_int_equal(st.dead, 1);
    net_free(w);
}

static void bye_releases_at_once(void **state) {
    (void)state;
    net *w = net_new(2, NULL, 0);
    net_client(w, 1, "dave", NULL);
    plx_conn_id a = net_client(w, 0, "alice", "\"presence\":true");
    plx_cluster_stop(w->n[1].cl, w->now);
    net_pump(w);
    th_sent_free(take_presence(w, 0, a, "leave", "dave"));
    assert_int_equal(plx_hub_proxies(net_th(w, 0)->hub), 0);
    net_free(w);
}

static void late_instance_gets_directory(void **state) {
    (void)state;
    net *w = net_new(3, NULL, 4u);
    plx_conn_id d = net_client(w, 1, "dave", "\"groups\":[\"g\"]");
    net_sendf(w, 1, d, "{\"t\":\"register\",\"id\":1,\"routes\":[\"r\"]}");
    net_client(w, 0, "alice", NULL);
    plx_cluster_stats st;
    plx_cluster_stats_get(w->n[0].cl, &st);
    assert_int_equal(st.synced, 1); /* node 1's directory; node 2 not started */
    net_start(w, 2);
    /* plexus-server's readiness (CLUSTER.md, "Startup"): once the newcomer holds every other
     * directory, every other instance holds the newcomer's. */
    for (size_t k = 0; k < 3; k++) {
        plx_cluster_stats_get(w->n[k].cl, &st);
        assert_int_equal(st.instances, 2);
        assert_int_equal(st.synced, 2);
    }
    char buf[256];
    assert_string_equal(net_clients(w, 2, buf, sizeof(buf)), "alice,dave");
    plx_conn_id c = net_client(w, 2, "carol", NULL);
    net_sendf(w, 2, c, "{\"t\":\"call\",\"id\":2,\"route\":\"r\"}");
    assert_int_equal(th_count(net_th(w, 1), d, "call"), 1);
    /* ...and the others learn of the late one's clients. */
    assert_string_equal(net_clients(w, 0, buf, sizeof(buf)), "alice,carol,dave");
    net_free(w);
}

static void lost_broadcast_resynced(void **state) {
    (void)state;
    net *w = net_new(2, NULL, 0);
    char buf[256];
    w->lose_broadcasts = 1;
    w->lose_from = 1;
    plx_conn_id d = net_client(w, 1, "dave", NULL); /* its announce is lost */
    assert_string_equal(net_clients(w, 0, buf, sizeof(buf)), "");
    net_sendf(w, 1, d, "{\"t\":\"join\",\"id\":1,\"group\":\"g\"}"); /* seq gap seen */
    assert_string_equal(net_clients(w, 0, buf, sizeof(buf)), "dave");
    plx_cluster_stats st;
    plx_cluster_stats_get(w->n[0].cl, &st);
    assert_true(st.resyncs >= 2); /* the start's and the gap's */
    assert_int_equal(st.synced, 1);
    /* A lost heartbeat is repaired the same way (no change, nothing lost). */
    w->lose_broadcasts = 1;
    net_advance(w, 2100);
    assert_string_equal(net_clients(w, 0, buf, sizeof(buf)), "dave");
    net_free(w);
}

static void name_race(void **state) {
    (void)state;
    net *w = net_new(3, NULL, 0);
    th *t0 = net_th(w, 0), *t1 = net_th(w, 1);
    plx_conn_id p = th_open(t0), q = th_open(t1);
    plx_conn_id watch = net_client(w, 2, "w", "\"presence\":true");
    /* Both instances accept "x" before either hears of the other. */
    th_send(t1, q, "{\"t\":\"hello\",\"version\":1,\"name\":\"x\"}");
    th_send(t0, p, "{\"t\":\"hello\",\"version\":1,\"name\":\"x\"}");
    th_sent *wel = th_take(t0, p, "welcome");
    assert_non_null(wel);
    th_sent_free(wel);
    net_pump(w);
    /* Instance 1 (node 0) has the lower id: its claim wins; node 1's client is replaced. */
    assert_int_equal(th_closed(t0, p), 0);
    th_errmsg(t1, q, "REPLACED");
    assert_int_equal(th_closed(t1, q), plx_error_close_code(PLX_E_REPLACED));
    for (size_t k = 0; k < 3; k++) {
        plx_conn_id h = plx_hub_name_holder(net_th(w, k)->hub, "x");
        plx_hub_client view;
        assert_int_equal(plx_hub_client_get(net_th(w, k)->hub, h, &view), 0);
        assert_int_equal(view.remote, k != 0);
    }
    /* The watcher saw x join (node 1's claim first), then the winner. */
    th_sent *j;
    size_t joins = 0;
    while ((j = th_take(net_th(w, 2), watch, "presence"))) {
        joins += strcmp(th_str(j->json, "kind"), "join") == 0;
        th_sent_free(j);
    }
    assert_true(joins >= 1);
    assert_int_equal(plx_hub_proxies(net_th(w, 2)->hub), 1);
    net_free(w);
}

static void override_takes_remote_name(void **state) {
    (void)state;
    net *w = net_new(2, &override_cfg, 0);
    plx_conn_id old = net_client(w, 1, "x", NULL);
    th *t0 = net_th(w, 0);
    plx_conn_id c = th_open(t0);
    th_send(t0, c, "{\"t\":\"hello\",\"version\":1,\"name\":\"x\",\"override\":\"ov\"}");
    th_sent *wel = th_take(t0, c, "welcome");
    assert_non_null(wel);
    th_sent_free(wel);
    net_pump(w);
    th_errmsg(net_th(w, 1), old, "REPLACED");
    plx_conn_id h = plx_hub_name_holder(net_th(w, 1)->hub, "x");
    plx_hub_client view;
    assert_int_equal(plx_hub_client_get(net_th(w, 1)->hub, h, &view), 0);
    assert_int_equal(view.remote, 1);
    assert_int_equal(plx_hub_name_holder(t0->hub, "x"), c);
    net_free(w);
}

static void bus_outage_rebuilt(void **state) {
    (void)state;
    net *w = net_new(2, NULL, 0);
    char buf[256];
    net_client(w, 1, "dave", NULL);
    plx_conn_id a = net_client(w, 0, "alice", "\"presence\":true");
    w->cut = 1; /* Redis away: both sides see the other go silent */
    net_advance(w, 3200);
    th_sent_free(take_presence(w, 0, a, "leave", "dave"));
    assert_int_equal(plx_hub_proxies(net_th(w, 0)->hub), 0);
    assert_int_equal(plx_hub_proxies(net_th(w, 1)->hub), 0);
    w->cut = 0; /* back: the glue asks every directory again */
    plx_cluster_resync(w->n[0].cl, w->now);
    plx_cluster_resync(w->n[1].cl, w->now);
    net_pump(w);
    th_sent_free(take_presence(w, 0, a, "join", "dave"));
    assert_string_equal(net_clients(w, 0, buf, sizeof(buf)), "alice,dave");
    assert_string_equal(net_clients(w, 1, buf, sizeof(buf)), "alice,dave");
    net_free(w);
}

/* Issue #8: both resync broadcasts are lost (Redis's subscription back before its command
 * connection). Node 0 learns node 1 from its next broadcast and asks it directly; that direct
 * sync, from an instance node 1 had dropped as dead, makes node 1 ask node 0 at once, without
 * waiting for a tick: both directories are whole after one pump, with no time passing. */
static void lost_resync_repaired_by_direct_sync(void **state) {
    (void)state;
    net *w = net_new(2, NULL, 0);
    char buf[256];
    plx_conn_id d = net_client(w, 1, "dave", NULL);
    net_client(w, 0, "alice", NULL);
    w->cut = 1;
    net_advance(w, 3200);
    assert_int_equal(plx_hub_proxies(net_th(w, 0)->hub), 0);
    assert_int_equal(plx_hub_proxies(net_th(w, 1)->hub), 0);
    w->cut = 0;
    w->lose_broadcasts = 2; /* both syncs */
    plx_cluster_resync(w->n[0].cl, w->now);
    plx_cluster_resync(w->n[1].cl, w->now);
    net_pump(w);
    assert_int_equal(plx_hub_proxies(net_th(w, 0)->hub), 0);
    net_sendf(w, 1, d, "{\"t\":\"join\",\"id\":1,\"group\":\"g\"}");
    /* counted before net_clients: its own client's broadcast would make node 1 ask too */
    assert_int_equal(plx_hub_proxies(net_th(w, 0)->hub), 1);
    assert_int_equal(plx_hub_proxies(net_th(w, 1)->hub), 1);
    assert_string_equal(net_clients(w, 0, buf, sizeof(buf)), "alice,dave");
    assert_string_equal(net_clients(w, 1, buf, sizeof(buf)), "alice,dave");
    net_free(w);
}

static void key_race(void **state) {
    (void)state;
    net *w = net_new(3, NULL, 0);
    plx_conn_id p = net_client(w, 0, "p", NULL), q = net_client(w, 1, "q", NULL);
    th_send(net_th(w, 1), q, "{\"t\":\"adapt\",\"id\":1,\"key\":\"k\"}");
    th_send(net_th(w, 0), p, "{\"t\":\"adapt\",\"id\":1,\"key\":\"k\"}");
    th_sent_free(th_ok(net_th(w, 0), p, 1));
    th_sent_free(th_ok(net_th(w, 1), q, 1));
    net_pump(w);
    /* Node 0 (the lower id) keeps it: a read on any node goes to p. */
    plx_conn_id c = net_client(w, 2, "c", NULL);
    for (size_t k = 1; k < 3; k++) {
        plx_conn_id from = k == 1 ? q : c;
        net_sendf(w, k, from, "{\"t\":\"cmd\",\"id\":9,\"argv\":[\"GET\",\"k\"]}");
        th_sent *rd = th_take(net_th(w, 0), p, "read");
        assert_non_null(rd);
        th_sent_free(rd);
    }
    assert_int_equal(th_count(net_th(w, 1), q, "read"), 0);
    net_free(w);
}

static void malformed_bus_messages(void **state) {
    (void)state;
    net *w = net_new(1, NULL, 0);
    plx_cluster *cl = w->n[0].cl;
    const char *bad[] = {
        "{\"v\":2,\"t\":\"hb\",\"from\":\"0000000000000002\",\"seq\":1}",
        "{\"v\":1,\"t\":\"hb\",\"from\":\"xyz\",\"seq\":1}",
        "{\"v\":1,\"t\":\"nope\",\"from\":\"0000000000000002\"}",
        "{\"v\":1,\"t\":\"to\",\"from\":\"0000000000000002\",\"id\":1,\"msg\":{\"t\":\"call\"}}",
        "{\"v\":1,\"t\":\"state\",\"from\":\"0000000000000002\",\"id\":1,\"name\":5}",
        "{\"v\":1,\"t\":\"kick\",\"from\":\"0000000000000002\",\"id\":1,\"code\":1}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t *body;
        size_t len;
        cJSON *j = cJSON_Parse(bad[i]);
        assert_non_null(j);
        assert_int_equal(plx_body_encode(NULL, j, NULL, 0, &body, &len), 0);
        cJSON_Delete(j);
        plx_cluster_receive(cl, PLX_CLUSTER_BROADCAST, body, len, w->now);
        free(body);
    }
    assert_true(plx_cluster_receive(cl, PLX_CLUSTER_BROADCAST, (const uint8_t *)"\0\0", 2, w->now) <
                0);
    plx_cluster_stats st;
    plx_cluster_stats_get(cl, &st);
    assert_int_equal(st.dropped, 7); /* the six, and the body that is no body */
    assert_int_equal(plx_hub_proxies(net_th(w, 0)->hub), 0);
    net_free(w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_unique),
        cmocka_unit_test(presence_across),
        cmocka_unit_test(silent_instance_released),
        cmocka_unit_test(bye_releases_at_once),
        cmocka_unit_test(late_instance_gets_directory),
        cmocka_unit_test(lost_broadcast_resynced),
        cmocka_unit_test(name_race),
        cmocka_unit_test(override_takes_remote_name),
        cmocka_unit_test(bus_outage_rebuilt),
        cmocka_unit_test(lost_resync_repaired_by_direct_sync),
        cmocka_unit_test(key_race),
        cmocka_unit_test(malformed_bus_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
