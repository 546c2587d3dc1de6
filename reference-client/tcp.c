/*
 * tcp.c - the stream binding over raw TCP (plexus://host:port): a non-blocking socket and
 * a self-pipe that wakes poll(2) when other threads queue frames or the client closes.
 * Reads go to the stream reader; queued frames (with their u32 prefixes) are written as the
 * socket takes them.
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
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

#define TCP_RX_CHUNK (256u << 10) /* bytes read per read(2) */

typedef struct tcp_state {
    int fd;
    int wake[2]; /* self-pipe: [0] polled, [1] written by tcp_wake */
    uint8_t *rx;
} tcp_state;

static int nonblocking(int fd) {
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void drain_wake(tcp_state *t) {
    char buf[64];
    while (read(t->wake[0], buf, sizeof(buf)) > 0) {
    }
}

/* Connects one address within timeout_ms (the wake pipe interrupts a close). */
static int connect_one(plx_client *c, tcp_state *t, const struct addrinfo *ai, int timeout_ms) {
    struct pollfd p[2];
    int fd, err = 0, one = 1;
    socklen_t elen = sizeof(err);

    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) return PLX_E_CONNECT;
    if (nonblocking(fd) || (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS)) {
        close(fd);
        return PLX_E_CONNECT;
    }
    p[0].fd = fd;
    p[0].events = POLLOUT;
    p[1].fd = t->wake[0];
    p[1].events = POLLIN;
    uint64_t deadline = plx_client_now_ms() + (uint64_t)timeout_ms, now;
    for (;;) {
        now = plx_client_now_ms();
        if (now >= deadline) {
            close(fd);
            return PLX_E_CALL_TIMEOUT;
        }
        if (poll(p, 2, (int)(deadline - now)) < 0 && errno != EINTR) break;
        if (p[1].revents) {
            drain_wake(t);
            if (c->closing) break;
        }
        if (p[0].revents) {
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) || err) break;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            t->fd = fd;
            return 0;
        }
    }
    close(fd);
    return c->closing ? PLX_E_CLOSED : PLX_E_CONNECT;
}

static int tcp_open(plx_client *c, int timeout_ms) {
    tcp_state *t = c->tstate;
    struct addrinfo hints, *res = NULL, *ai;
    char port[16];
    int rc = PLX_E_CONNECT;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof(port), "%d", c->url.port);
    if (getaddrinfo(c->url.host, port, &hints, &res) || !res) return PLX_E_CONNECT;
    for (ai = res; ai; ai = ai->ai_next) {
        rc = connect_one(c, t, ai, timeout_ms);
        if (rc == 0 || rc == PLX_E_CLOSED) break;
    }
    freeaddrinfo(res);
    return rc;
}

/* Writes queued frames until the socket would block. 0 or PLX_E_DISCONNECTED. */
static int flush(plx_client *c, tcp_state *t) {
    plx_piece p;
    ssize_t n;
    int more;

    for (;;) {
        pthread_mutex_lock(&c->mu);
        more = plx_outq_peek(&c->q, PLX_WRITE_PIECE, &p);
        pthread_mutex_unlock(&c->mu);
        if (!more) return 0;
        /* Only this thread advances or frees the queue's head: p stays valid unlocked. */
        n = send(t->fd, p.data, p.len, MSG_NOSIGNAL);
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0
                                                                             : PLX_E_DISCONNECTED;
        pthread_mutex_lock(&c->mu);
        plx_outq_advance(&c->q, (size_t)n);
        pthread_cond_broadcast(&c->state_cv); /* room for senders waiting on the bound */
        pthread_mutex_unlock(&c->mu);
        if ((size_t)n < p.len) return 0;
    }
}

static int tcp_service(plx_client *c, int timeout_ms) {
    tcp_state *t = c->tstate;
    struct pollfd p[2];
    ssize_t n;
    int rc, want_out;

    rc = flush(c, t);
    if (rc) return rc;
    pthread_mutex_lock(&c->mu);
    want_out = c->q.bytes > 0;
    pthread_mutex_unlock(&c->mu);
    p[0].fd = t->fd;
    p[0].events = POLLIN | (want_out ? POLLOUT : 0);
    p[1].fd = t->wake[0];
    p[1].events = POLLIN;
    if (poll(p, 2, timeout_ms) < 0) return errno == EINTR ? 0 : PLX_E_DISCONNECTED;
    if (p[1].revents) drain_wake(t);
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        n = recv(t->fd, t->rx, TCP_RX_CHUNK, 0);
        if (n == 0) return PLX_E_DISCONNECTED;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return PLX_E_DISCONNECTED;
        if (n > 0 && plx_io_stream(c, t->rx, (size_t)n)) return c->rx_fatal;
    }
    return flush(c, t);
}

static void tcp_wake(plx_client *c) {
    tcp_state *t = c->tstate;
    ssize_t n = write(t->wake[1], "w", 1);
    (void)n; /* a full pipe already wakes poll */
}

static void tcp_shutdown(plx_client *c) {
    tcp_state *t = c->tstate;

    if (t->fd >= 0) close(t->fd);
    t->fd = -1;
}

static void tcp_destroy(plx_client *c) {
    tcp_state *t = c->tstate;

    if (!t) return;
    tcp_shutdown(c);
    if (t->wake[0] >= 0) close(t->wake[0]);
    if (t->wake[1] >= 0) close(t->wake[1]);
    free(t->rx);
    free(t);
    c->tstate = NULL;
}

static const plx_transport_ops tcp_ops = {tcp_open, tcp_service, tcp_wake, tcp_shutdown,
                                          tcp_destroy};

int plx_tcp_init(plx_client *c) {
    tcp_state *t = calloc(1, sizeof(*t));

    if (!t) return PLX_E_NOMEM;
    t->fd = -1;
    t->wake[0] = t->wake[1] = -1;
    t->rx = malloc(TCP_RX_CHUNK);
    c->tstate = t;
    c->tops = &tcp_ops;
    if (!t->rx || pipe(t->wake) || nonblocking(t->wake[0]) || nonblocking(t->wake[1])) {
        tcp_destroy(c);
        c->tops = NULL;
        return PLX_E_NOMEM;
    }
    fcntl(t->wake[0], F_SETFD, FD_CLOEXEC);
    fcntl(t->wake[1], F_SETFD, FD_CLOEXEC);
    return 0;
}
