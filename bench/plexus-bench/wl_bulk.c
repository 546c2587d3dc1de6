/*
 * wl_bulk.c - the bulk workload: SET then GET of an 8 MiB random binary value, seconds (the
 * best of several rounds), over both Plexus bindings (ws:// and plexus:// raw TCP), with
 * gzip negotiated (the default) and with the client asking for none (no_gzip);
 * peer: redis-server through hiredis.
 */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plexus/client.h>

#include "bench.h"
#include "clients.h"

#define BULK_SIZE (8u << 20)

typedef struct bulk_times {
    double set, get; /* seconds of the best round (by set + get) */
} bulk_times;

static void keep_best(bulk_times *best, double set, double get) {
    if (best->set < 0 || set + get < best->set + best->get) {
        best->set = set;
        best->get = get;
    }
}

static int plexus_bulk(int port, int tcp, int no_gzip, const uint8_t *value, int rounds,
                       bulk_times *best) {
    plx_client *c = no_gzip ? bench_connect_nogzip(port, tcp) : bench_connect(port, NULL, tcp);
    plx_bytes set[3] = {plx_str("SET"), plx_str("bulk:k"), {value, BULK_SIZE}};
    plx_bytes get[2] = {plx_str("GET"), plx_str("bulk:k")};
    int ok = c != NULL;

    for (int k = 0; ok && k < rounds; k++) {
        plx_reply *r = NULL;
        double t0 = bench_now(), t1, t2;
        ok = plx_client_cmd(c, 3, set, 0, &r) == 0;
        plx_reply_free(r);
        r = NULL;
        t1 = bench_now();
        ok = ok && plx_client_cmd(c, 2, get, 0, &r) == 0 && r->type == PLX_REPLY_STRING &&
             r->len == BULK_SIZE && memcmp(r->str, value, BULK_SIZE) == 0;
        t2 = bench_now();
        plx_reply_free(r);
        if (ok) keep_best(best, t1 - t0, t2 - t1);
    }
    plx_client_close(c);
    return ok ? 0 : -1;
}

static int redis_bulk(int port, const uint8_t *value, int rounds, bulk_times *best) {
    struct timeval tv = {30, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    int ok = c && !c->err;

    if (ok) redisSetTimeout(c, tv);
    for (int k = 0; ok && k < rounds; k++) {
        double t0 = bench_now(), t1, t2;
        redisReply *r = redisCommand(c, "SET bulk:k %b", value, (size_t)BULK_SIZE);
        ok = r && r->type == REDIS_REPLY_STATUS;
        if (r) freeReplyObject(r);
        t1 = bench_now();
        r = ok ? redisCommand(c, "GET bulk:k") : NULL;
        ok = r && r->type == REDIS_REPLY_STRING && r->len == BULK_SIZE &&
             memcmp(r->str, value, BULK_SIZE) == 0;
        t2 = bench_now();
        if (r) freeReplyObject(r);
        if (ok) keep_best(best, t1 - t0, t2 - t1);
    }
    if (c) redisFree(c);
    return ok ? 0 : -1;
}

int wl_bulk(bench *b) {
    bench_proc srv, red;
    int rounds = b->quick ? 2 : 5, rc = -1;
    bulk_times ws = {-1, -1}, tcp = {-1, -1}, rd = {-1, -1}, wsn = {-1, -1}, tcpn = {-1, -1};
    uint8_t *value = malloc(BULK_SIZE);
    uint32_t x = 2463534242u;

    if (!value) return -1;
    for (size_t i = 0; i < BULK_SIZE; i++) { /* xorshift: incompressible, not UTF-8 */
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        value[i] = (uint8_t)x;
    }
    if (bench_start_plexus(b, &srv, NULL) == 0) {
        rc = plexus_bulk(srv.port, 0, 0, value, rounds, &ws);
        if (rc == 0) rc = plexus_bulk(srv.tcp_port, 1, 0, value, rounds, &tcp);
        if (rc == 0) rc = plexus_bulk(srv.port, 0, 1, value, rounds, &wsn);
        if (rc == 0) rc = plexus_bulk(srv.tcp_port, 1, 1, value, rounds, &tcpn);
        bench_stop(&srv);
    }
    if (rc == 0 && bench_start_redis(b, &red) == 0) {
        rc = redis_bulk(red.port, value, rounds, &rd);
        bench_stop(&red);
    } else {
        rc = -1;
    }
    free(value);
    if (rc < 0) {
        bench_report_skip(b, "bulk", "a client or server failed");
        return -1;
    }
    bench_report(b, "bulk", "8 MiB SET+GET, ws://", "s", ws.set + ws.get, rd.set + rd.get, "redis",
                 0, 0.5);
    bench_report(b, "bulk", "8 MiB SET+GET, plexus:// (tcp)", "s", tcp.set + tcp.get,
                 rd.set + rd.get, "redis", 0, 0.5);
    bench_report(b, "bulk", "8 MiB SET+GET, ws://, no gzip", "s", wsn.set + wsn.get,
                 rd.set + rd.get, "redis", 0, 0);
    bench_report(b, "bulk", "8 MiB SET+GET, plexus://, no gzip", "s", tcpn.set + tcpn.get,
                 rd.set + rd.get, "redis", 0, 0);
    bench_report(b, "bulk", "  of which SET, ws://", "s", ws.set, rd.set, "redis", 0, 0);
    bench_report(b, "bulk", "  of which GET, ws://", "s", ws.get, rd.get, "redis", 0, 0);
    bench_report(b, "bulk", "  of which SET, plexus://", "s", tcp.set, rd.set, "redis", 0, 0);
    bench_report(b, "bulk", "  of which GET, plexus://", "s", tcp.get, rd.get, "redis", 0, 0);
    return 0;
}
