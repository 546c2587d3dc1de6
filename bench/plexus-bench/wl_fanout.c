/*
 * wl_fanout.c - the fanout workload: one sender, a group of 100 receiving clients; each event
 * sent to the group counts 100 deliveries. Figure: deliveries/s from the first send to the
 * last delivery. Peer: mosquitto, QoS 0, 100 subscribers of one topic (libmosquitto, a
 * network thread per client as libplexus-client has an I/O thread per client).
 */
#include <mosquitto.h>
#include <stdatomic.h>
#include <stdio.h>

#include <plexus/client.h>

#include "bench.h"
#include "clients.h"

#define FAN_CLIENTS  100
#define FAN_PAYLOAD  "{\"n\":1,\"s\":\"hello\"}"
#define FAN_MAX_SECS 30.0 /* bound of one measurement */
#define FAN_STALL    3.0  /* no new delivery for this long ends it */

typedef struct fan_count {
    atomic_long n;
    atomic_llong last_ns; /* time of the latest delivery (the receiving threads write it) */
    atomic_int subscribed;
} fan_count;

/* Waits until want deliveries, a stall or the bound; returns deliveries/s, or -1. */
static double wait_all(fan_count *fc, long want, double t0) {
    long seen = -1;
    double progress = bench_now();

    while (atomic_load(&fc->n) < want && bench_now() - t0 < FAN_MAX_SECS) {
        long n = atomic_load(&fc->n);
        if (n != seen) {
            seen = n;
            progress = bench_now();
        } else if (bench_now() - progress > FAN_STALL) {
            break;
        }
        bench_sleep_ms(1);
    }
    long got = atomic_load(&fc->n);
    if (got < want)
        fprintf(stderr, "plexus-bench: fanout: %ld of %ld deliveries arrived\n", got, want);
    return got > 0 ? got / (atomic_load(&fc->last_ns) / 1e9 - t0) : -1;
}

static void on_event(plx_client *c, const plx_event *ev, void *ud) {
    fan_count *fc = ud;
    (void)c;
    (void)ev;
    atomic_fetch_add(&fc->n, 1);
    atomic_store(&fc->last_ns, (long long)(bench_now() * 1e9));
}

static double plexus_fanout(int port, int events) {
    plx_client *rx[FAN_CLIENTS] = {0}, *tx;
    fan_count fc = {0};
    cJSON *data = cJSON_Parse(FAN_PAYLOAD);
    double r = -1, t0;
    int i, ok = 1;

    for (i = 0; i < FAN_CLIENTS && ok; i++) {
        if (!(rx[i] = bench_connect_group(port, NULL, "fan", 0)))
            ok = 0;
        else
            plx_client_on_event(rx[i], on_event, &fc);
    }
    tx = ok ? bench_connect(port, "fan-sender", 0) : NULL;
    if (tx) {
        t0 = bench_now();
        for (i = 0; i < events; i++)
            if (plx_client_send(tx, "group:fan", "tick", data, NULL, 0, 0, 0, NULL) < 0) break;
        r = wait_all(&fc, (long)events * FAN_CLIENTS, t0);
    }
    plx_client_close(tx);
    for (i = 0; i < FAN_CLIENTS; i++)
        plx_client_close(rx[i]);
    cJSON_Delete(data);
    return r;
}

static void on_message(struct mosquitto *m, void *ud, const struct mosquitto_message *msg) {
    fan_count *fc = ud;
    (void)m;
    (void)msg;
    atomic_fetch_add(&fc->n, 1);
    atomic_store(&fc->last_ns, (long long)(bench_now() * 1e9));
}

static void on_subscribe(struct mosquitto *m, void *ud, int mid, int n, const int *qos) {
    fan_count *fc = ud;
    (void)m;
    (void)mid;
    (void)n;
    (void)qos;
    atomic_fetch_add(&fc->subscribed, 1);
}

static double mosquitto_fanout(int port, int events) {
    struct mosquitto *rx[FAN_CLIENTS] = {0}, *tx = NULL;
    fan_count fc = {0};
    double r = -1, t0, end;
    int i, ok = 1;

    mosquitto_lib_init();
    for (i = 0; i < FAN_CLIENTS && ok; i++) {
        rx[i] = mosquitto_new(NULL, true, &fc);
        if (!rx[i]) {
            ok = 0;
            break;
        }
        mosquitto_message_callback_set(rx[i], on_message);
        mosquitto_subscribe_callback_set(rx[i], on_subscribe);
        ok = mosquitto_connect(rx[i], "127.0.0.1", port, 60) == MOSQ_ERR_SUCCESS &&
             mosquitto_subscribe(rx[i], NULL, "bench/fan", 0) == MOSQ_ERR_SUCCESS &&
             mosquitto_loop_start(rx[i]) == MOSQ_ERR_SUCCESS;
    }
    end = bench_now() + 10;
    while (ok && atomic_load(&fc.subscribed) < FAN_CLIENTS && bench_now() < end)
        bench_sleep_ms(5);
    ok = ok && atomic_load(&fc.subscribed) == FAN_CLIENTS;
    if (ok && (tx = mosquitto_new(NULL, true, NULL)) &&
        mosquitto_connect(tx, "127.0.0.1", port, 60) == MOSQ_ERR_SUCCESS &&
        mosquitto_loop_start(tx) == MOSQ_ERR_SUCCESS) {
        t0 = bench_now();
        for (i = 0; i < events; i++)
            if (mosquitto_publish(tx, NULL, "bench/fan", (int)sizeof(FAN_PAYLOAD) - 1, FAN_PAYLOAD,
                                  0, false) != MOSQ_ERR_SUCCESS)
                break;
        r = wait_all(&fc, (long)events * FAN_CLIENTS, t0);
    }
    if (tx) {
        mosquitto_disconnect(tx);
        mosquitto_loop_stop(tx, true);
        mosquitto_destroy(tx);
    }
    for (i = 0; i < FAN_CLIENTS; i++) {
        if (!rx[i]) continue;
        mosquitto_disconnect(rx[i]);
        mosquitto_loop_stop(rx[i], true);
        mosquitto_destroy(rx[i]);
    }
    mosquitto_lib_cleanup();
    return r;
}

int wl_fanout(bench *b) {
    bench_proc srv, mq;
    int events = b->quick ? 200 : 2000;
    double p = -1, m = -1;

    if (bench_start_plexus(b, &srv, NULL) == 0) {
        p = plexus_fanout(srv.port, events);
        bench_stop(&srv);
    }
    if (bench_start_mosquitto(b, &mq) == 0) {
        m = mosquitto_fanout(mq.port, events);
        bench_stop(&mq);
    }
    if (p < 0 || m < 0) {
        bench_report_skip(b, "fanout", "a client or server failed");
        return -1;
    }
    bench_report(b, "fanout", "1 event -> group of 100", "deliv/s", p, m, "mosquitto", 1, 1.0);
    return 0;
}
