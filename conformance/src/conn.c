/*
 * conn.c - a runner connection to the server: opening, pauses, pumping and waiting (see
 * conn.h; the rest is link.c).
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"

void cf_conn_pause(cf_conn *c, int paused) {
    cJSON *e = cf_link_log(c, "send", paused ? "pause" : "resume");
    int size = paused ? CF_CONN_PAUSED_RCVBUF : CF_CONN_RESUMED_RCVBUF;

    if (e) cJSON_AddStringToObject(e, "what", paused ? "stops reading" : "reads again");
    c->paused = paused;
    /* a small fixed receive buffer (no autotuning) makes the server's writes back up soon */
    if (c->fd >= 0) setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

int cf_conn_pump(cf_conn *c, int timeout_ms) {
    cf_link_parse(c);
    if (c->head) return 0;
    if (c->fd < 0 || c->remote_closed || c->broken) return -1;
    if (c->paused) {
        if (timeout_ms > 0) cf_sleep_ms((uint64_t)timeout_ms);
        return 0;
    }
    return cf_link_read(c, timeout_ms);
}

int cf_conns_wait(cf_conn **conns, size_t n, int timeout_ms) {
    uint64_t deadline = cf_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);

    for (;;) {
        struct pollfd p[64];
        cf_conn *live[64];
        size_t i, np = 0;
        uint64_t now;

        for (i = 0; i < n; i++) {
            cf_link_parse(conns[i]);
            if (conns[i]->head) return 1;
        }
        for (i = 0; i < n && np < 64; i++) {
            cf_conn *c = conns[i];

            if (c->fd < 0 || c->remote_closed || c->broken || c->paused) continue;
            p[np].fd = c->fd;
            p[np].events = POLLIN;
            p[np].revents = 0;
            live[np++] = c;
        }
        now = cf_now_ms();
        if (np == 0 || now >= deadline) return 0;
        if (poll(p, np, (int)(deadline - now)) <= 0) continue;
        for (i = 0; i < np; i++)
            if (p[i].revents) cf_conn_pump(live[i], 0);
    }
}

cf_event *cf_conn_next(cf_conn *c, int timeout_ms) {
    cf_conn *one[1] = {c};

    cf_conns_wait(one, 1, timeout_ms);
    return cf_link_pop(c);
}

int cf_conn_open(cf_conn *c, const char *name, const cf_url *u, const char *const *protocols,
                 int nproto, int timeout_ms, cJSON *log, uint64_t t0, int *status, char *err,
                 size_t errlen) {
    static const char *const plexus_proto[] = {PLX_SUBPROTOCOL};
    char selected[128];
    cJSON *e;
    int rc;

    *status = 0;
    if (!protocols) {
        protocols = plexus_proto;
        nproto = 1;
    }
    if (cf_link_init(c, name, -1, u->stream, 0, log, t0)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    c->fd = cf_tcp_connect(u->host, u->port, timeout_ms, err, errlen);
    if (c->fd < 0) return -1;
    if (!u->stream) {
        rc =
            cf_ws_handshake(c->fd, u, protocols, (size_t)nproto, cf_now_ms() + (uint64_t)timeout_ms,
                            status, selected, sizeof(selected), &c->in, err, errlen);
        if (rc) {
            e = cf_link_log(c, "recv", "refused");
            if (e) cJSON_AddNumberToObject(e, "status", *status);
            close(c->fd);
            c->fd = -1;
            return rc;
        }
        if (nproto && strcmp(selected, PLX_SUBPROTOCOL) != 0 &&
            !(nproto == 1 && strcmp(protocols[0], PLX_SUBPROTOCOL) != 0)) {
            snprintf(err, errlen, "the server selected subprotocol '%s', not '%s' (TRN-1)",
                     selected, PLX_SUBPROTOCOL);
            close(c->fd);
            c->fd = -1;
            return -1;
        }
    }
    c->open = 1;
    e = cf_link_log(c, "send", "open");
    if (e) cJSON_AddStringToObject(e, "binding", u->stream ? "stream" : "websocket");
    return 0;
}
