/*
 * link.c - the transport of both bindings over one non-blocking TCP socket: plexus:// writes
 * the queued frames with their u32 prefixes, ws:// wraps each in a masked WebSocket frame
 * (ws.c). Any thread may write (the writer role, taken under mu: a blocking call sends its
 * own request without waking the I/O thread); whoever holds the reader role polls the
 * socket and a self-pipe that other threads use to interrupt the poll.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "link.h"

static int nonblocking(int fd) {
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void drain_wake(plx_link *l) {
    char buf[64];
    while (read(l->wake[0], buf, sizeof(buf)) > 0) {
    }
}

int plx_link_poll(plx_link *l, int want_out, int timeout_ms) {
    struct pollfd p[2];

    p[0].fd = l->fd;
    p[0].events = POLLIN | (want_out ? POLLOUT : 0);
    p[0].revents = 0;
    p[1].fd = l->wake[0];
    p[1].events = POLLIN;
    p[1].revents = 0;
    if (poll(p, 2, timeout_ms) < 0) return errno == EINTR ? 0 : -1;
    if (p[1].revents) drain_wake(l);
    return p[0].revents;
}

/* Connects one address by the deadline. */
static int connect_one(plx_client *c, plx_link *l, const struct addrinfo *ai,
                       uint64_t deadline_ms) {
    int err = 0, one = 1, ev;
    socklen_t elen = sizeof(err);
    uint64_t now;

    l->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (l->fd < 0) return PLX_E_CONNECT;
    if (nonblocking(l->fd) || (connect(l->fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS))
        goto fail;
    for (;;) {
        now = plx_client_now_ms();
        if (now >= deadline_ms) {
            close(l->fd);
            l->fd = -1;
            return PLX_E_CALL_TIMEOUT;
        }
        ev = plx_link_poll(l, 1, (int)(deadline_ms - now));
        if (ev < 0 || c->closing) break;
        if (ev & (POLLOUT | POLLERR | POLLHUP)) {
            if (getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &err, &elen) || err) break;
            setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            return 0;
        }
    }
fail:
    close(l->fd);
    l->fd = -1;
    return c->closing ? PLX_E_CLOSED : PLX_E_CONNECT;
}

int plx_link_connect(plx_client *c, plx_link *l, uint64_t deadline_ms) {
    struct addrinfo hints, *res = NULL, *ai;
    char port[16];
    int rc = PLX_E_CONNECT;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof(port), "%d", c->url.port);
    if (getaddrinfo(c->url.host, port, &hints, &res) || !res) return PLX_E_CONNECT;
    for (ai = res; ai; ai = ai->ai_next) {
        rc = connect_one(c, l, ai, deadline_ms);
        if (rc == 0 || rc == PLX_E_CLOSED) break;
    }
    freeaddrinfo(res);
    return rc;
}

static int link_open(plx_client *c, int timeout_ms) {
    plx_link *l = c->tstate;
    uint64_t deadline = plx_client_now_ms() + (uint64_t)timeout_ms;
    int rc;

    l->hdr_left = 0;
    l->in_frame = 0;
    l->close_sent = 0;
    l->ctrl_len = l->ctrl_off = 0;
    plx_ws_rx_free(&l->wsr);
    rc = plx_link_connect(c, l, deadline);
    if (!rc && l->ws) rc = plx_ws_handshake(c, l, deadline);
    return rc;
}

/* The next bytes to write (mu held): a pending control frame between data frames, else the
 * queue's next piece (a WebSocket frame's header is built, and its payload masked, when the
 * frame starts). 0 when nothing is waiting. */
static int next_bytes(plx_client *c, plx_link *l, const uint8_t **data, size_t *len, int *ctrl,
                      int *last) {
    plx_piece p;

    *ctrl = 0;
    *last = 0;
    if (l->ctrl_off < l->ctrl_len && !l->in_frame) {
        *ctrl = 1;
        *data = l->ctrl + l->ctrl_off;
        *len = l->ctrl_len - l->ctrl_off;
        return 1;
    }
    if (!plx_outq_peek(&c->q, PLX_WRITE_PIECE, &p)) return 0;
    if (l->ws && p.first && !l->in_frame) {
        /* p.data has PLX_CLIENT_HEADROOM + prefix bytes of room before it; the frame's
         * bytes are the queue's own and written by this role only. */
        l->hdr_left = plx_ws_frame_start(l, (uint8_t *)p.data, p.left);
        l->in_frame = 1;
    }
    *data = p.data - l->hdr_left;
    *len = p.len + l->hdr_left;
    *last = p.last;
    return 1;
}

/* Marks n written bytes (mu held). */
static void advance(plx_client *c, plx_link *l, size_t n, int ctrl, int frame_end) {
    if (ctrl) {
        l->ctrl_off += n;
        if (l->ctrl_off == l->ctrl_len) l->ctrl_off = l->ctrl_len = 0;
        return;
    }
    if (n <= l->hdr_left) {
        l->hdr_left -= n;
        return;
    }
    n -= l->hdr_left;
    l->hdr_left = 0;
    if (frame_end) l->in_frame = 0;
    plx_outq_advance(&c->q, n);
}

int plx_link_flush(plx_client *c) {
    plx_link *l = c->tstate;
    const uint8_t *data;
    size_t len, left;
    ssize_t n;
    int ctrl, rc = 0, frame_end;

    if (c->wr_busy || l->fd < 0) return 0;
    c->wr_busy = 1;
    while (next_bytes(c, l, &data, &len, &ctrl, &frame_end)) {
        pthread_mutex_unlock(&c->mu);
        n = send(l->fd, data, len, MSG_NOSIGNAL);
        pthread_mutex_lock(&c->mu);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) rc = PLX_E_DISCONNECTED;
            break;
        }
        left = len - (size_t)n;
        advance(c, l, (size_t)n, ctrl, frame_end && left == 0);
        if (left) break; /* the socket is full: the reader polls for POLLOUT */
    }
    c->wr_busy = 0;
    pthread_cond_broadcast(&c->state_cv); /* room for senders; the writer role is free */
    return rc;
}

/* 1 when bytes wait to be written (mu held). */
static int want_out(const plx_client *c) {
    const plx_link *l = c->tstate;
    return c->q.bytes > 0 || l->ctrl_off < l->ctrl_len;
}

static int link_service(plx_client *c, int timeout_ms) {
    plx_link *l = c->tstate;
    ssize_t n;
    int rc, out, ev;

    if (l->fd < 0) return PLX_E_DISCONNECTED;
    pthread_mutex_lock(&c->mu);
    rc = plx_link_flush(c);
    out = want_out(c);
    pthread_mutex_unlock(&c->mu);
    if (rc) return rc;
    ev = plx_link_poll(l, out, timeout_ms);
    if (ev < 0) return PLX_E_DISCONNECTED;
    if (ev & (POLLIN | POLLHUP | POLLERR)) {
        n = recv(l->fd, l->rx, PLX_LINK_RX, 0);
        if (n == 0) return PLX_E_DISCONNECTED;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return PLX_E_DISCONNECTED;
        if (n > 0) {
            rc = l->ws ? plx_ws_feed(c, l, l->rx, (size_t)n) : plx_io_stream(c, l->rx, (size_t)n);
            if (rc) return rc;
        }
    }
    if (ev & POLLOUT) {
        pthread_mutex_lock(&c->mu);
        rc = plx_link_flush(c);
        pthread_mutex_unlock(&c->mu);
    }
    return rc;
}

static void link_wake(plx_client *c) {
    plx_link *l = c->tstate;
    ssize_t n = write(l->wake[1], "w", 1);
    (void)n; /* a full pipe already wakes poll */
}

static void link_shutdown(plx_client *c) {
    plx_link *l = c->tstate;

    if (l->fd >= 0) {
        if (l->ws && !l->close_sent && !l->in_frame && l->ctrl_off == l->ctrl_len) {
            /* best effort: a close frame if the socket takes it now, with the registry's
             * close code after a fatal error we sent (TRN-10, SES-22), else 1000 */
            int code = plx_error_close_code(c->fatal_sent);
            uint8_t p[2];

            if (!code) code = 1000;
            p[0] = (uint8_t)(code >> 8);
            p[1] = (uint8_t)code;
            plx_ws_ctrl(l, 8, p, sizeof(p));
            ssize_t n = send(l->fd, l->ctrl, l->ctrl_len, MSG_NOSIGNAL | MSG_DONTWAIT);
            (void)n;
        }
        close(l->fd);
    }
    l->fd = -1;
    l->ctrl_len = l->ctrl_off = 0;
    l->hdr_left = 0;
    l->in_frame = 0;
}

static void link_destroy(plx_client *c) {
    plx_link *l = c->tstate;

    if (!l) return;
    link_shutdown(c);
    if (l->wake[0] >= 0) close(l->wake[0]);
    if (l->wake[1] >= 0) close(l->wake[1]);
    plx_ws_rx_free(&l->wsr);
    free(l->rx);
    free(l);
    c->tstate = NULL;
}

static const plx_transport_ops link_ops = {link_open, link_service, link_wake, link_shutdown,
                                           link_destroy};

int plx_link_init(plx_client *c, int ws) {
    plx_link *l = calloc(1, sizeof(*l));

    if (!l) return PLX_E_NOMEM;
    l->fd = -1;
    l->wake[0] = l->wake[1] = -1;
    l->ws = ws;
    l->rx = malloc(PLX_LINK_RX);
    c->tstate = l;
    c->tops = &link_ops;
    if (getrandom(&l->rng, sizeof(l->rng), 0) != sizeof(l->rng) || !l->rng)
        l->rng = plx_client_now_ms() ^ (uint64_t)(uintptr_t)l ^ 0x9e3779b97f4a7c15ull;
    if (!l->rx || pipe(l->wake) || nonblocking(l->wake[0]) || nonblocking(l->wake[1])) {
        link_destroy(c);
        c->tops = NULL;
        return PLX_E_NOMEM;
    }
    fcntl(l->wake[0], F_SETFD, FD_CLOEXEC);
    fcntl(l->wake[1], F_SETFD, FD_CLOEXEC);
    return 0;
}
