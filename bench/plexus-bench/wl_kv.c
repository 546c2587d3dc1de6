/*
 * wl_kv.c - the kv workload: sequential HSET+HGET round trips from one client, and one
 * pipeline of 10,000 HSET commands; Plexus (libplexus-client over ws://) against
 * redis-server (a hiredis loop, and 10,000 appended commands then their replies). The
 * sequential loops of the two sides alternate in blocks, timed separately.
 */
#include <hiredis/hiredis.h>
#include <stdio.h>

#include <plexus/client.h>

#include "bench.h"
#include "clients.h"

#define KV_PIPELINE  10000 /* commands in one pipeline */
#define KV_MAX_SECS  20.0  /* bound of the sequential loop */
#define KV_PIPE_REPS 5     /* pipelines timed; the best counts */
#define KV_BLOCK     1000  /* sequential pairs per block; the two sides alternate blocks */

/* i0..i1 sequential HSET+HGET pairs. Returns the seconds taken, or -1. */
static double plexus_seq(plx_client *c, int i0, int i1) {
    char f[32];
    double t0 = bench_now();

    for (int i = i0; i < i1; i++) {
        plx_reply *r = NULL;
        snprintf(f, sizeof(f), "f%d", i % 1000);
        if (plx_client_cmdv(c, 0, &r, "HSET", "kv:h", f, "value", NULL) < 0) {
            plx_reply_free(r);
            return -1;
        }
        plx_reply_free(r);
        r = NULL;
        if (plx_client_cmdv(c, 0, &r, "HGET", "kv:h", f, NULL) < 0 || r->type != PLX_REPLY_STRING) {
            plx_reply_free(r);
            return -1;
        }
        plx_reply_free(r);
    }
    return bench_now() - t0;
}

static double plexus_pipeline(plx_client *c, int reps) {
    plx_pipeline *p = plx_pipeline_new();
    double best = 0;
    char f[32];

    if (!p) return -1;
    for (int i = 0; i < KV_PIPELINE; i++) {
        snprintf(f, sizeof(f), "f%d", i);
        plx_pipeline_addv(p, "HSET", "kv:p", f, "value", NULL);
    }
    for (int k = 0; k < reps; k++) {
        plx_reply *r = NULL;
        double t0 = bench_now();
        int rc = plx_client_pipeline(c, p, 0, 0, &r);
        double t = bench_now() - t0;
        if (rc < 0 || r->type != PLX_REPLY_ARRAY || r->elements != KV_PIPELINE) {
            plx_reply_free(r);
            best = -1;
            break;
        }
        plx_reply_free(r);
        if (KV_PIPELINE / t > best) best = KV_PIPELINE / t;
    }
    plx_pipeline_free(p);
    return best;
}

static double redis_seq(redisContext *c, int i0, int i1) {
    double t0 = bench_now();

    for (int i = i0; i < i1; i++) {
        redisReply *r = redisCommand(c, "HSET kv:h f%d value", i % 1000);
        if (!r) return -1;
        freeReplyObject(r);
        r = redisCommand(c, "HGET kv:h f%d", i % 1000);
        if (!r || r->type != REDIS_REPLY_STRING) {
            if (r) freeReplyObject(r);
            return -1;
        }
        freeReplyObject(r);
    }
    return bench_now() - t0;
}

/* The sequential loops of both sides in alternating blocks of KV_BLOCK pairs, so that both
 * see the same machine (its load and its wake-up latency drift by 2x within seconds on a
 * shared host); *ps and *rs: commands per second of each side over all its blocks. */
static void both_seq(plx_client *c, redisContext *rc, int n, double *ps, double *rs) {
    double tp = 0, tr = 0, t0 = bench_now(), t;
    int done = 0;

    *ps = *rs = -1;
    for (int i = 0; i < n && bench_now() - t0 < KV_MAX_SECS; i += KV_BLOCK) {
        int end = i + KV_BLOCK < n ? i + KV_BLOCK : n;
        if ((t = plexus_seq(c, i, end)) < 0) return;
        tp += t;
        if ((t = redis_seq(rc, i, end)) < 0) return;
        tr += t;
        done += 2 * (end - i);
    }
    *ps = done / tp;
    *rs = done / tr;
}

static double redis_pipeline(redisContext *c, int reps) {
    double best = 0;

    for (int k = 0; k < reps; k++) {
        double t0 = bench_now();
        for (int i = 0; i < KV_PIPELINE; i++)
            redisAppendCommand(c, "HSET kv:p f%d value", i);
        for (int i = 0; i < KV_PIPELINE; i++) {
            redisReply *r;
            if (redisGetReply(c, (void **)&r) != REDIS_OK) return -1;
            freeReplyObject(r);
        }
        double t = bench_now() - t0;
        if (KV_PIPELINE / t > best) best = KV_PIPELINE / t;
    }
    return best;
}

int wl_kv(bench *b) {
    bench_proc srv, red;
    int n = b->quick ? 2000 : 20000, reps = b->quick ? 2 : KV_PIPE_REPS;
    double ps = -1, pp = -1, rs = -1, rp = -1;
    struct timeval tv = {10, 0};
    plx_client *c = NULL;
    redisContext *rc = NULL;

    if (bench_start_plexus(b, &srv, NULL) < 0) {
        bench_report_skip(b, "kv", "plexus-server did not start");
        return -1;
    }
    if (bench_start_redis(b, &red) < 0) {
        bench_stop(&srv);
        bench_report_skip(b, "kv", "redis-server did not start");
        return -1;
    }
    c = bench_connect(srv.port, NULL, 0);
    rc = redisConnectWithTimeout("127.0.0.1", red.port, tv);
    if (c && rc && !rc->err) {
        redisSetTimeout(rc, tv);
        both_seq(c, rc, n, &ps, &rs);
        pp = plexus_pipeline(c, reps);
        rp = redis_pipeline(rc, reps);
    }
    if (c) plx_client_close(c);
    if (rc) redisFree(rc);
    bench_stop(&red);
    bench_stop(&srv);
    if (ps < 0 || rs < 0 || pp < 0 || rp < 0) {
        bench_report_skip(b, "kv", "a client failed");
        return -1;
    }
    bench_report(b, "kv", "sequential HSET+HGET", "cmds/s", ps, rs, "redis", 1, 0.7);
    bench_report(b, "kv", "pipeline of 10,000 HSET", "cmds/s", pp, rp, "redis", 1, 0);
    return 0;
}
