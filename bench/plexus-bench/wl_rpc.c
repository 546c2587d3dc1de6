/*
 * wl_rpc.c - the rpc workload: a client calls a route served by a second client through the
 * server and waits for the answer; round trips/s with 1 and with 16 calls in flight (16
 * threads sharing the calling client). Peer: nats-server request/reply with libnats (one
 * responder connection, one requesting connection, send-ASAP on).
 */
#include <nats/nats.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <plexus/client.h>

#include "bench.h"
#include "clients.h"

#define RPC_MAX_SECS 20.0 /* bound of one measurement */
#define RPC_PAYLOAD  "{\"n\":1,\"s\":\"hello\"}"

typedef struct rpc_job {
    plx_client *plx;
    natsConnection *nats;
    int calls; /* per thread */
    int done;
    int failed;
} rpc_job;

static int echo(plx_client *c, const plx_request *req, plx_answer *a, void *ud) {
    (void)c;
    (void)ud;
    return plx_answer_result(a, req->args ? cJSON_Duplicate(req->args, 1) : cJSON_CreateNull());
}

static void *plexus_caller(void *arg) {
    rpc_job *j = arg;
    cJSON *args = cJSON_Parse(RPC_PAYLOAD);
    double t0 = bench_now();

    for (int i = 0; i < j->calls; i++) {
        plx_result r;
        int rc = plx_client_call(j->plx, "bench.echo", NULL, args, NULL, 0, 0, &r);
        plx_result_free(&r);
        if (rc < 0) {
            j->failed = 1;
            break;
        }
        j->done++;
        if ((i & 63) == 0 && bench_now() - t0 > RPC_MAX_SECS) break;
    }
    cJSON_Delete(args);
    return NULL;
}

static void *nats_caller(void *arg) {
    rpc_job *j = arg;
    double t0 = bench_now();

    for (int i = 0; i < j->calls; i++) {
        natsMsg *reply = NULL;
        if (natsConnection_RequestString(&reply, j->nats, "bench.echo", RPC_PAYLOAD, 10000) !=
            NATS_OK) {
            j->failed = 1;
            break;
        }
        natsMsg_Destroy(reply);
        j->done++;
        if ((i & 63) == 0 && bench_now() - t0 > RPC_MAX_SECS) break;
    }
    return NULL;
}

/* Runs nthreads callers of calls each; round trips/s, or -1. */
static double run(void *(*fn)(void *), plx_client *p, natsConnection *n, int nthreads, int calls) {
    pthread_t th[16];
    rpc_job jobs[16];
    double t0 = bench_now(), t;
    int done = 0, failed = 0;

    for (int i = 0; i < nthreads; i++) {
        memset(&jobs[i], 0, sizeof(jobs[i]));
        jobs[i].plx = p;
        jobs[i].nats = n;
        jobs[i].calls = calls;
        pthread_create(&th[i], NULL, fn, &jobs[i]);
    }
    for (int i = 0; i < nthreads; i++) {
        pthread_join(th[i], NULL);
        done += jobs[i].done;
        failed |= jobs[i].failed;
    }
    t = bench_now() - t0;
    return failed ? -1 : done / t;
}

static void on_nats_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *ud) {
    (void)sub;
    (void)ud;
    natsConnection_Publish(nc, natsMsg_GetReply(msg), natsMsg_GetData(msg),
                           natsMsg_GetDataLength(msg));
    natsMsg_Destroy(msg);
}

static int nats_figures(int port, int n, double out[2]) {
    natsOptions *o = NULL;
    natsConnection *srv = NULL, *cli = NULL;
    natsSubscription *sub = NULL;
    char url[64];
    int ok = 0;

    snprintf(url, sizeof(url), "nats://127.0.0.1:%d", port);
    if (natsOptions_Create(&o) == NATS_OK && natsOptions_SetURL(o, url) == NATS_OK &&
        natsOptions_SetSendAsap(o, true) == NATS_OK && natsConnection_Connect(&srv, o) == NATS_OK &&
        natsConnection_Connect(&cli, o) == NATS_OK &&
        natsConnection_Subscribe(&sub, srv, "bench.echo", on_nats_msg, NULL) == NATS_OK &&
        natsConnection_Flush(srv) == NATS_OK) {
        out[0] = run(nats_caller, NULL, cli, 1, n);
        out[1] = run(nats_caller, NULL, cli, 16, n / 4);
        ok = out[0] > 0 && out[1] > 0;
    }
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(cli);
    natsConnection_Destroy(srv);
    natsOptions_Destroy(o);
    nats_Close();
    return ok ? 0 : -1;
}

int bench_rpc_plexus(int serve_port, int call_port, int n, double out[2]) {
    plx_client *srv = bench_connect(serve_port, "bench-server", 0);
    plx_client *cli = srv ? bench_connect(call_port, "bench-caller", 0) : NULL;
    int ok = 0;

    if (cli && plx_client_serve(srv, "bench.echo", echo, NULL, 0) == 0 &&
        bench_rpc_ready(cli, "bench.echo") == 0) {
        out[0] = run(plexus_caller, cli, NULL, 1, n);
        out[1] = run(plexus_caller, cli, NULL, 16, n / 4);
        ok = out[0] > 0 && out[1] > 0;
    }
    plx_client_close(cli);
    plx_client_close(srv);
    return ok ? 0 : -1;
}

int wl_rpc(bench *b) {
    bench_proc srv, nats;
    int n = b->quick ? 2000 : 20000, rc;
    double p[2] = {-1, -1}, q[2] = {-1, -1};

    if (bench_start_plexus(b, &srv, NULL) < 0) {
        bench_report_skip(b, "rpc", "plexus-server did not start");
        return -1;
    }
    rc = bench_rpc_plexus(srv.port, srv.port, n, p);
    bench_stop(&srv);
    if (rc == 0 && bench_start_nats(b, &nats) == 0) {
        rc = nats_figures(nats.port, n, q);
        bench_stop(&nats);
    } else {
        rc = -1;
    }
    if (rc < 0) {
        bench_report_skip(b, "rpc", "a client or server failed");
        return -1;
    }
    bench_report(b, "rpc", "round trips, 1 in flight", "calls/s", p[0], q[0], "nats", 1, 1.0);
    bench_report(b, "rpc", "round trips, 16 in flight", "calls/s", p[1], q[1], "nats", 1, 1.0);
    return 0;
}
