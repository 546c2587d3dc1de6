/*
 * wl_connections.c - the connections workload: 10,000 idle sessions held open (WebSocket
 * handshake and hello/welcome done by raw non-blocking sockets under epoll, at most 256
 * handshakes at a time), and the server's resident memory per connection from
 * /proc/PID/status VmRSS before and after. Peer: redis-server with 10,000 connections that
 * each answered a PING.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <plexus/codec.h>

#include "bench.h"

#define CONN_TARGET    10000
#define CONN_INFLIGHT  256   /* handshakes at once */
#define CONN_MAX_SECS  120.0 /* bound of opening them all */
#define CONN_SETTLE_MS 1000  /* wait before reading RSS */
#define CONN_MAX_KIB   16.0  /* target: server memory per idle connection */

enum { ST_CONNECTING, ST_UPGRADE, ST_WELCOME, ST_DONE, ST_FAILED };

typedef struct conn {
    int fd;
    int state;
    size_t got; /* bytes of the current answer */
    char buf[512];
} conn;

typedef struct proto {
    const char *request; /* sent once connected */
    size_t request_len;
    const uint8_t *hello; /* sent after the 101 (WebSocket); NULL: none */
    size_t hello_len;
} proto;

static int open_one(int port, int ep, conn *c) {
    struct sockaddr_in a;
    struct epoll_event ev;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd < 0) return -1;
    if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) return -1;
    c->state = ST_CONNECTING;
    ev.events = EPOLLOUT | EPOLLIN;
    ev.data.ptr = c;
    return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

/* Advances one connection; returns 1 when it reached ST_DONE now, -1 on failure, else 0. */
static int step(conn *c, const proto *p, int ep) {
    struct epoll_event ev;
    ssize_t n;

    if (c->state == ST_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) return -1;
        if (write(c->fd, p->request, p->request_len) != (ssize_t)p->request_len) return -1;
        c->state = ST_UPGRADE;
        c->got = 0;
        ev.events = EPOLLIN;
        ev.data.ptr = c;
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        return 0;
    }
    n = read(c->fd, c->buf + c->got, sizeof(c->buf) - 1 - c->got);
    if (n == 0 || (n < 0 && errno != EAGAIN)) return -1;
    if (n < 0) return 0;
    c->got += (size_t)n;
    c->buf[c->got] = '\0';
    if (c->state == ST_UPGRADE) {
        if (!p->hello) { /* redis: +PONG */
            if (strstr(c->buf, "\r\n")) goto done;
            return 0;
        }
        if (!strstr(c->buf, "\r\n\r\n")) return c->got + 1 >= sizeof(c->buf) ? -1 : 0;
        if (strncmp(c->buf, "HTTP/1.1 101", 12) != 0) return -1;
        if (write(c->fd, p->hello, p->hello_len) != (ssize_t)p->hello_len) return -1;
        c->state = ST_WELCOME;
        c->got = 0;
        return 0;
    }
    if (c->state == ST_WELCOME && c->got >= 2) {
        if ((uint8_t)c->buf[0] != 0x82) return -1; /* a binary message: the welcome */
        goto done;
    }
    return 0;
done:
    c->state = ST_DONE;
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    return 1;
}

/* Opens CONN_TARGET connections and completes their handshakes. Returns how many are done. */
static int open_all(int port, const proto *p, conn *conns) {
    int ep = epoll_create1(0), started = 0, done = 0, inflight = 0, failed = 0;
    double t0 = bench_now();
    struct epoll_event evs[256];

    if (ep < 0) return 0;
    while (done < CONN_TARGET && bench_now() - t0 < CONN_MAX_SECS && !failed) {
        while (inflight < CONN_INFLIGHT && started < CONN_TARGET) {
            if (open_one(port, ep, &conns[started]) < 0) {
                failed = 1;
                break;
            }
            started++;
            inflight++;
        }
        int n = epoll_wait(ep, evs, 256, 100);
        for (int i = 0; i < n; i++) {
            int r = step(evs[i].data.ptr, p, ep);
            if (r != 0) inflight--;
            if (r > 0) done++;
            if (r < 0) failed = 1;
        }
    }
    if (failed) fprintf(stderr, "plexus-bench: connections: a handshake failed after %d\n", done);
    close(ep);
    return done;
}

static void close_all(conn *conns, int n) {
    for (int i = 0; i < n; i++)
        if (conns[i].fd > 0) close(conns[i].fd);
}

/* KiB of server RSS per connection, or -1. */
static double measure(pid_t pid, int port, const proto *p) {
    conn *conns = calloc(CONN_TARGET, sizeof(conn));
    long before, after;
    int done;
    double r = -1;

    if (!conns) return -1;
    bench_sleep_ms(CONN_SETTLE_MS);
    before = bench_rss_kib(pid);
    done = open_all(port, p, conns);
    bench_sleep_ms(CONN_SETTLE_MS);
    after = bench_rss_kib(pid);
    if (done == CONN_TARGET && before > 0 && after > 0)
        r = (double)(after - before) / CONN_TARGET;
    else
        fprintf(stderr, "plexus-bench: connections: %d of %d opened\n", done, CONN_TARGET);
    close_all(conns, CONN_TARGET);
    free(conns);
    return r;
}

/* The client's hello as one masked binary WebSocket message. Owned by the caller. */
static uint8_t *ws_hello(size_t *len) {
    plx_encoder_config cfg;
    cJSON *hello = cJSON_Parse("{\"t\":\"hello\",\"version\":1}");
    uint8_t *frame = NULL, *out;
    size_t flen = 0, h = 0;
    static const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};

    memset(&cfg, 0, sizeof(cfg));
    if (!hello || plx_encode_all(NULL, &cfg, 1, hello, NULL, 0, &frame, &flen) < 0 || flen > 125 ||
        !(out = malloc(flen + 6))) {
        cJSON_Delete(hello);
        free(frame);
        return NULL;
    }
    cJSON_Delete(hello);
    out[h++] = 0x82;
    out[h++] = (uint8_t)(0x80 | flen);
    memcpy(out + h, mask, 4);
    h += 4;
    for (size_t i = 0; i < flen; i++)
        out[h + i] = frame[i] ^ mask[i % 4];
    free(frame);
    *len = h + flen;
    return out;
}

int wl_connections(bench *b) {
    static const char upgrade[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                  "Connection: Upgrade\r\nSec-WebSocket-Key: "
                                  "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                                  "Sec-WebSocket-Protocol: plexus.v1\r\n\r\n";
    static const char ping[] = "PING\r\n";
    bench_proc srv, red;
    size_t hlen = 0;
    uint8_t *hello = ws_hello(&hlen);
    proto ws = {upgrade, sizeof(upgrade) - 1, hello, hlen}, rp = {ping, sizeof(ping) - 1, NULL, 0};
    double p = -1, r = -1;

    if (!hello) return -1;
    if (bench_start_plexus(b, &srv, "--max-connections", "10100", "--ping-interval", "600000",
                           "--hello-timeout", "300000", NULL) == 0) {
        p = measure(srv.pid, srv.port, &ws);
        bench_stop(&srv);
    }
    free(hello);
    if (bench_start_redis(b, &red) == 0) {
        r = measure(red.pid, red.port, &rp);
        bench_stop(&red);
    }
    if (p < 0 || r < 0) {
        bench_report_skip(b, "connections", "could not hold 10,000 connections");
        return -1;
    }
    bench_report(b, "connections", "10,000 idle: server RSS per conn", "KiB", p, r, "redis", 0, 0);
    bench_report_bound(b, "connections", "10,000 idle: server RSS per conn", "KiB", p,
                       CONN_MAX_KIB);
    return 0;
}
