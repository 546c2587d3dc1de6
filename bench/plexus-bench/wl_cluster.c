/*
 * wl_cluster.c - the cluster workload: kv and rpc across two plexus-server instances sharing
 * one redis-server (--storage redis://), next to one instance with the in-memory store, one
 * instance on Redis, and Redis alone, all in the same run.
 *
 * kv: one client of instance A runs sequential HSET+HGET pairs and a 10,000-HSET pipeline.
 * The four sides (pair A, 1 instance in memory, 1 instance on Redis, a hiredis loop) take
 * turns in blocks of CL_BLOCK pairs, so each sees the same machine (its load drifts).
 * rpc: a client of A calls bench.echo served by a client of B (1, then 16 calls in flight),
 * next to the same on one instance (memory, then Redis) and to request/reply over Redis alone
 * (PUBLISH a request naming the caller's reply channel; a responder PUBLISHes the answer).
 */
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <plexus/client.h>

#include "bench.h"
#include "clients.h"

#define CL_BLOCK     500   /* sequential pairs per block; the sides alternate blocks */
#define CL_PIPELINE  10000 /* commands in one pipeline */
#define CL_PIPE_REPS 3     /* pipelines timed per side; the best counts */
#define CL_MAX_SECS  60.0  /* bound of the alternating sequential loop */
#define CL_RPC_SECS  20.0  /* bound of one Redis-alone rpc measurement */
#define CL_THREADS   16    /* calls in flight in the second rpc figure */
#define CL_PAYLOAD   "{\"n\":1,\"s\":\"hello\"}"

enum { SIDE_PAIR, SIDE_MEM, SIDE_SOLO, SIDE_REDIS, NSIDES };
static const char *const side_names[NSIDES] = {"2 on redis", "1 in mem", "1 on redis", "redis"};

typedef struct kv_side {
    plx_client *plx;   /* the Plexus sides */
    redisContext *red; /* the Redis side */
    const char *key;   /* the hash this side writes */
    double secs;       /* sequential time so far */
    double pipe;       /* best pipeline, commands/s */
} kv_side;

int bench_rpc_ready(plx_client *c, const char *route) {
    double end = bench_now() + 10.0;
    cJSON *args = cJSON_Parse(CL_PAYLOAD);
    int rc = -1;

    while (rc < 0 && bench_now() < end) {
        plx_result r;
        rc = plx_client_call(c, route, NULL, args, NULL, 0, 2000, &r);
        plx_result_free(&r);
        if (rc < 0) bench_sleep_ms(50); /* a route served elsewhere is known shortly after */
    }
    cJSON_Delete(args);
    if (rc < 0) fprintf(stderr, "plexus-bench: route %s never answered\n", route);
    return rc < 0 ? -1 : 0;
}

/* Pairs i0..i1 of HSET key fN value, HGET key fN on one side; adds the seconds. 0 or -1. */
static int kv_block(kv_side *s, int i0, int i1) {
    char f[32];
    double t0 = bench_now();

    for (int i = i0; i < i1; i++) {
        snprintf(f, sizeof(f), "f%d", i % 1000);
        if (s->plx) {
            plx_reply *r = NULL;
            int rc = plx_client_cmdv(s->plx, 0, &r, "HSET", s->key, f, "value", NULL);
            plx_reply_free(r);
            r = NULL;
            if (rc >= 0) rc = plx_client_cmdv(s->plx, 0, &r, "HGET", s->key, f, NULL);
            rc = rc < 0 || r->type != PLX_REPLY_STRING ? -1 : 0;
            plx_reply_free(r);
            if (rc < 0) return -1;
        } else {
            redisReply *r = redisCommand(s->red, "HSET %s %s value", s->key, f);
            if (r) freeReplyObject(r);
            r = r ? redisCommand(s->red, "HGET %s %s", s->key, f) : NULL;
            int ok = r && r->type == REDIS_REPLY_STRING;
            if (r) freeReplyObject(r);
            if (!ok) return -1;
        }
    }
    s->secs += bench_now() - t0;
    return 0;
}

/* One pipeline of CL_PIPELINE HSET on one side; keeps the best rate. 0 or -1. */
static int kv_pipeline(kv_side *s, plx_pipeline *p) {
    double t0 = bench_now(), t;

    if (s->plx) {
        plx_reply *r = NULL;
        int rc = plx_client_pipeline(s->plx, p, 0, 0, &r);
        rc = rc < 0 || r->type != PLX_REPLY_ARRAY || r->elements != CL_PIPELINE ? -1 : 0;
        plx_reply_free(r);
        if (rc < 0) return -1;
    } else {
        for (int i = 0; i < CL_PIPELINE; i++)
            redisAppendCommand(s->red, "HSET %s f%d value", s->key, i);
        for (int i = 0; i < CL_PIPELINE; i++) {
            redisReply *r;
            if (redisGetReply(s->red, (void **)&r) != REDIS_OK) return -1;
            freeReplyObject(r);
        }
    }
    t = bench_now() - t0;
    if (CL_PIPELINE / t > s->pipe) s->pipe = CL_PIPELINE / t;
    return 0;
}

/* Sequential rates (commands/s) into seq[], pipeline rates into pipe[]. 0 or -1. */
static int kv_run(kv_side side[NSIDES], int n, int reps, double seq[NSIDES], double pipe[NSIDES]) {
    plx_pipeline *p = plx_pipeline_new();
    double t0 = bench_now();
    int done = 0, rc = p ? 0 : -1;
    char f[32];

    for (int i = 0; p && i < CL_PIPELINE; i++) {
        snprintf(f, sizeof(f), "f%d", i);
        plx_pipeline_addv(p, "HSET", "cl:p", f, "value", NULL);
    }
    for (int i = 0; rc == 0 && i < n && bench_now() - t0 < CL_MAX_SECS; i += CL_BLOCK) {
        int end = i + CL_BLOCK < n ? i + CL_BLOCK : n;
        for (int s = 0; rc == 0 && s < NSIDES; s++)
            rc = kv_block(&side[s], i, end);
        done += 2 * (end - i);
    }
    for (int k = 0; rc == 0 && k < reps; k++)
        for (int s = 0; rc == 0 && s < NSIDES; s++)
            rc = kv_pipeline(&side[s], p);
    for (int s = 0; rc == 0 && s < NSIDES; s++) {
        seq[s] = done / side[s].secs;
        pipe[s] = side[s].pipe;
    }
    plx_pipeline_free(p);
    return rc;
}

/* ---- rpc over Redis alone: PUBLISH "reply-channel|payload" on cl.req, answer on the
 * caller's channel. */

typedef struct red_job {
    int port;
    int calls;
    int index; /* the caller's reply channel cl.rep.<index> */
    int done;
    int failed;
} red_job;

static redisContext *red_connect(int port) {
    struct timeval tv = {10, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);

    if (!c || c->err) {
        if (c) redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    return c;
}

static int red_cmd_ok(redisReply *r) {
    int ok = r && r->type != REDIS_REPLY_ERROR;
    if (r) freeReplyObject(r);
    return ok;
}

/* The next pub/sub message's payload (owned by *keep, freed by the caller), or NULL. */
static const char *red_message(redisContext *sub, redisReply **keep) {
    redisReply *r;

    if (redisGetReply(sub, (void **)&r) != REDIS_OK) return NULL;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
        r->element[2]->type != REDIS_REPLY_STRING) {
        freeReplyObject(r);
        return NULL;
    }
    *keep = r;
    return r->element[2]->str;
}

static void *red_responder(void *arg) {
    red_job *j = arg;
    redisContext *sub = red_connect(j->port), *pub = red_connect(j->port);
    redisReply *r = NULL;
    const char *msg;

    if (sub && pub && red_cmd_ok(redisCommand(sub, "SUBSCRIBE cl.req"))) {
        j->done = 1; /* subscribed */
        while ((msg = red_message(sub, &r)) != NULL && strcmp(msg, "stop") != 0) {
            const char *bar = strchr(msg, '|');
            if (bar) {
                redisReply *x =
                    redisCommand(pub, "PUBLISH %b %s", msg, (size_t)(bar - msg), bar + 1);
                if (x) freeReplyObject(x);
            }
            freeReplyObject(r);
            r = NULL;
        }
    }
    if (r) freeReplyObject(r);
    j->failed = !j->done;
    if (sub) redisFree(sub);
    if (pub) redisFree(pub);
    return NULL;
}

static void *red_caller(void *arg) {
    red_job *j = arg;
    redisContext *sub = red_connect(j->port), *pub = red_connect(j->port);
    char chan[32];
    double t0;

    snprintf(chan, sizeof(chan), "cl.rep.%d", j->index);
    j->failed = 1;
    if (!sub || !pub || !red_cmd_ok(redisCommand(sub, "SUBSCRIBE %s", chan))) goto out;
    t0 = bench_now();
    for (int i = 0; i < j->calls; i++) {
        redisReply *r = redisCommand(pub, "PUBLISH cl.req %s|%s", chan, CL_PAYLOAD), *m = NULL;
        int ok = r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
        if (r) freeReplyObject(r);
        const char *msg = ok ? red_message(sub, &m) : NULL;
        ok = msg && strcmp(msg, CL_PAYLOAD) == 0;
        if (m) freeReplyObject(m);
        if (!ok) goto out;
        j->done++;
        if ((i & 63) == 0 && bench_now() - t0 > CL_RPC_SECS) break;
    }
    j->failed = 0;
out:
    if (sub) redisFree(sub);
    if (pub) redisFree(pub);
    return NULL;
}

/* Round trips/s with nthreads callers of calls each against the responder, or -1. */
static double red_rpc(int port, int nthreads, int calls) {
    pthread_t th[CL_THREADS];
    red_job jobs[CL_THREADS];
    double t0, t;
    int done = 0, failed = 0;

    for (int i = 0; i < nthreads; i++) {
        memset(&jobs[i], 0, sizeof(jobs[i]));
        jobs[i].port = port;
        jobs[i].calls = calls;
        jobs[i].index = i;
    }
    t0 = bench_now();
    for (int i = 0; i < nthreads; i++)
        pthread_create(&th[i], NULL, red_caller, &jobs[i]);
    for (int i = 0; i < nthreads; i++) {
        pthread_join(th[i], NULL);
        done += jobs[i].done;
        failed |= jobs[i].failed;
    }
    t = bench_now() - t0;
    return failed ? -1 : done / t;
}

static int red_rpc_figures(int port, int n, double out[2]) {
    red_job resp = {.port = port};
    pthread_t th;
    redisContext *c;
    double end = bench_now() + 10.0;

    pthread_create(&th, NULL, red_responder, &resp);
    while (!resp.done && bench_now() < end)
        bench_sleep_ms(10);
    bench_sleep_ms(50); /* the SUBSCRIBE is in effect once its reply was read */
    out[0] = red_rpc(port, 1, n);
    out[1] = red_rpc(port, CL_THREADS, n / 4);
    if ((c = red_connect(port)) != NULL) {
        redisReply *r = redisCommand(c, "PUBLISH cl.req stop");
        if (r) freeReplyObject(r);
        redisFree(c);
    }
    pthread_join(th, NULL);
    return out[0] > 0 && out[1] > 0 ? 0 : -1;
}

/* ---- the workload */

typedef struct cl_procs {
    bench_proc red_pair, red_solo; /* the pair's Redis; the solo instance's (and hiredis's) */
    bench_proc a, b, mem, solo;
} cl_procs;

static void stop_all(cl_procs *p) {
    bench_stop(&p->a);
    bench_stop(&p->b);
    bench_stop(&p->mem);
    bench_stop(&p->solo);
    bench_stop(&p->red_pair);
    bench_stop(&p->red_solo);
}

static int start_all(bench *b, cl_procs *p) {
    char pair_url[64], solo_url[64];

    memset(p, 0, sizeof(*p));
    if (bench_start_redis(b, &p->red_pair) < 0 || bench_start_redis(b, &p->red_solo) < 0) return -1;
    snprintf(pair_url, sizeof(pair_url), "redis://127.0.0.1:%d", p->red_pair.port);
    snprintf(solo_url, sizeof(solo_url), "redis://127.0.0.1:%d", p->red_solo.port);
    if (bench_start_plexus(b, &p->a, "--storage", pair_url, NULL) < 0 ||
        bench_start_plexus(b, &p->b, "--storage", pair_url, NULL) < 0 ||
        bench_start_plexus(b, &p->mem, NULL) < 0 ||
        bench_start_plexus(b, &p->solo, "--storage", solo_url, NULL) < 0)
        return -1;
    return 0;
}

static int kv_figures(cl_procs *p, int n, int reps, double seq[NSIDES], double pipe[NSIDES]) {
    kv_side side[NSIDES];
    int rc = -1;

    memset(side, 0, sizeof(side));
    side[SIDE_PAIR].plx = bench_connect(p->a.port, NULL, 0);
    side[SIDE_MEM].plx = bench_connect(p->mem.port, NULL, 0);
    side[SIDE_SOLO].plx = bench_connect(p->solo.port, NULL, 0);
    side[SIDE_REDIS].red = red_connect(p->red_solo.port);
    side[SIDE_PAIR].key = side[SIDE_MEM].key = side[SIDE_SOLO].key = "cl:h";
    side[SIDE_REDIS].key = "cl:raw"; /* same Redis as the solo instance: another key */
    if (side[SIDE_PAIR].plx && side[SIDE_MEM].plx && side[SIDE_SOLO].plx && side[SIDE_REDIS].red)
        rc = kv_run(side, n, reps, seq, pipe);
    for (int s = 0; s < SIDE_REDIS; s++)
        plx_client_close(side[s].plx);
    if (side[SIDE_REDIS].red) redisFree(side[SIDE_REDIS].red);
    return rc;
}

static void report_vs(bench *b, const char *what, const char *unit, const double v[NSIDES]) {
    char line[64];

    for (int s = SIDE_MEM; s < NSIDES; s++) {
        snprintf(line, sizeof(line), "%s", what);
        bench_report(b, "cluster", line, unit, v[SIDE_PAIR], v[s], side_names[s], 1, 0);
        what = "";
    }
}

int wl_cluster(bench *b) {
    cl_procs p;
    int n = b->quick ? 1000 : 10000, reps = b->quick ? 1 : CL_PIPE_REPS;
    int calls = b->quick ? 2000 : 20000;
    double seq[NSIDES], pipe[NSIDES], rpc1[NSIDES], rpc16[NSIDES], two[2];
    int rc;

    if (start_all(b, &p) < 0) {
        stop_all(&p);
        bench_report_skip(b, "cluster",
                          "a server did not start (redis-server, plexus-server "
                          "--storage redis://)");
        return -1;
    }
    rc = kv_figures(&p, n, reps, seq, pipe);
    struct {
        int serve, call, side;
    } rpc[] = {{p.b.port, p.a.port, SIDE_PAIR},
               {p.mem.port, p.mem.port, SIDE_MEM},
               {p.solo.port, p.solo.port, SIDE_SOLO}};
    for (size_t i = 0; rc == 0 && i < sizeof(rpc) / sizeof(rpc[0]); i++) {
        rc = bench_rpc_plexus(rpc[i].serve, rpc[i].call, calls, two);
        rpc1[rpc[i].side] = two[0];
        rpc16[rpc[i].side] = two[1];
    }
    if (rc == 0 && (rc = red_rpc_figures(p.red_solo.port, calls, two)) == 0) {
        rpc1[SIDE_REDIS] = two[0];
        rpc16[SIDE_REDIS] = two[1];
    }
    stop_all(&p);
    if (rc < 0) {
        bench_report_skip(b, "cluster", "a client failed");
        return -1;
    }
    report_vs(b, "kv seq HSET+HGET, client on A", "cmds/s", seq);
    report_vs(b, "kv pipeline of 10,000 HSET on A", "cmds/s", pipe);
    report_vs(b, "rpc A->B, 1 in flight", "calls/s", rpc1);
    report_vs(b, "rpc A->B, 16 in flight", "calls/s", rpc16);
    return 0;
}
