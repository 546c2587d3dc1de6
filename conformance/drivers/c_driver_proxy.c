/*
 * c_driver_proxy.c - the fault-injecting proxy of plexus-conform-driver-c --broken FAULT (see
 * c_driver.h). One thread accepts connections on 127.0.0.1 and relays each to the runner:
 * server bytes verbatim; client bytes frame by frame (WebSocket: after the handshake, each
 * masked frame is unmasked, given to the fault and masked again; stream: each prefixed frame),
 * so the real libplexus-client runs and only the fault's change reaches the wire.
 *
 * Bounds: one relayed WebSocket frame or stream frame is at most 16 + 16 MiB + 14 bytes
 * (larger input ends the relay); one connection at a time; every poll has a 100 ms slice so
 * stop is seen promptly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <plexus/codec.h>

#include "c_driver.h"

#define FRAME_MAX (PLX_FRAME_HEADER_LEN + PLX_MAX_MAX_FRAME + 14)

static const struct {
    const char *name, *what;
} faults[] = {
    {"chunk-offsets", "every chunk after the first of a message has its offset one too high "
                      "(breaks CHK-1)"},
    {"no-pong", "pong messages are dropped (breaks SES-15)"},
    {"no-reply", "reply messages are dropped (breaks RPC-8, MSG-9, ADP-4)"},
};

#define NFAULTS (sizeof(faults) / sizeof(faults[0]))

struct cd_proxy {
    int lfd;
    int stream;
    char host[256];
    int port;
    const char *fault;
    _Atomic int stop;
    pthread_t thread;
};

typedef struct buf {
    uint8_t *data;
    size_t len, cap;
} buf;

int cd_fault_known(const char *name) {
    for (size_t i = 0; i < NFAULTS; i++)
        if (!strcmp(faults[i].name, name)) return 1;
    return 0;
}

void cd_fault_list(void) {
    for (size_t i = 0; i < NFAULTS; i++)
        printf("%-14s %s\n", faults[i].name, faults[i].what);
}

static int add(buf *b, const void *p, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        uint8_t *q;

        while (cap < b->len + n)
            cap *= 2;
        q = realloc(b->data, cap);
        if (!q) return -1;
        b->data = q;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static void consume(buf *b, size_t n) {
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

static int write_all(int fd, const uint8_t *p, size_t n) {
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The `t` of a whole, uncompressed single-frame message, into t (len tl); "" otherwise. */
static void frame_type(const uint8_t *f, size_t n, char *t, size_t tl) {
    plx_msg m;
    const cJSON *v;

    *t = 0;
    if (n < PLX_FRAME_HEADER_LEN || f[1] != 0 || be32(f + 8) != 0) return;
    memset(&m, 0, sizeof(m));
    if (plx_body_decode(NULL, (plx_bytes){f + PLX_FRAME_HEADER_LEN, n - PLX_FRAME_HEADER_LEN}, &m))
        return;
    v = cJSON_GetObjectItemCaseSensitive(m.json, "t");
    if (cJSON_IsString(v)) snprintf(t, tl, "%s", v->valuestring);
    plx_msg_clear(&m);
}

/* Applies the fault to one client frame (header + payload) in place. Returns 1 to drop it. */
static int apply(const char *fault, uint8_t *f, size_t n) {
    char t[32];

    if (n < PLX_FRAME_HEADER_LEN) return 0;
    if (!strcmp(fault, "chunk-offsets")) {
        uint32_t off = be32(f + 8);

        if (off > 0) {
            off++;
            f[8] = (uint8_t)(off >> 24);
            f[9] = (uint8_t)(off >> 16);
            f[10] = (uint8_t)(off >> 8);
            f[11] = (uint8_t)off;
        }
        return 0;
    }
    frame_type(f, n, t, sizeof(t));
    if (!strcmp(fault, "no-pong")) return !strcmp(t, "pong");
    if (!strcmp(fault, "no-reply")) return !strcmp(t, "reply");
    return 0;
}

/* Relays complete client WebSocket frames from in to fd. -1 to end the relay. */
static int relay_ws(const char *fault, buf *in, int fd) {
    for (;;) {
        uint8_t *p = in->data;
        size_t hl = 2, i;
        uint64_t plen;

        if (in->len < 2) return 0;
        plen = p[1] & 0x7f;
        if (plen == 126) {
            if (in->len < 4) return 0;
            plen = (uint64_t)p[2] << 8 | p[3];
            hl = 4;
        } else if (plen == 127) {
            if (in->len < 10) return 0;
            for (plen = 0, i = 0; i < 8; i++)
                plen = plen << 8 | p[2 + i];
            hl = 10;
        }
        if (plen > FRAME_MAX) return -1;
        if (p[1] & 0x80) hl += 4;
        if (in->len < hl + plen) return 0;
        if ((p[0] & 0x8f) == 0x82 && (p[1] & 0x80)) { /* a whole binary message, masked */
            uint8_t *mask = p + hl - 4, *pl = p + hl;
            int drop;

            for (i = 0; i < plen; i++)
                pl[i] ^= mask[i & 3];
            drop = apply(fault, pl, (size_t)plen);
            for (i = 0; i < plen; i++)
                pl[i] ^= mask[i & 3];
            if (!drop && write_all(fd, p, hl + (size_t)plen)) return -1;
        } else if (write_all(fd, p, hl + (size_t)plen)) {
            return -1;
        }
        consume(in, hl + (size_t)plen);
    }
}

/* Relays complete prefixed stream frames from in to fd. -1 to end the relay. */
static int relay_stream(const char *fault, buf *in, int fd) {
    while (in->len >= 4) {
        uint32_t n = be32(in->data);

        if (n > FRAME_MAX) return -1;
        if (in->len < 4 + (size_t)n) return 0;
        if (!apply(fault, in->data + 4, n) && write_all(fd, in->data, 4 + (size_t)n)) return -1;
        consume(in, 4 + (size_t)n);
    }
    return 0;
}

static int connect_upstream(cd_proxy *p) {
    struct addrinfo hints, *res = NULL, *ai;
    char port[16];
    int fd = -1;

    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof(port), "%d", p->port);
    if (getaddrinfo(p->host, port, &hints, &res)) return -1;
    for (ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen)) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

/* Relays one client connection until either side ends it or the proxy stops. */
static void relay(cd_proxy *p, int cfd) {
    int sfd = connect_upstream(p), handshake = !p->stream;
    buf in = {0};

    while (sfd >= 0 && !p->stop) {
        struct pollfd pf[2] = {{cfd, POLLIN, 0}, {sfd, POLLIN, 0}};
        uint8_t tmp[65536];
        ssize_t n;

        if (poll(pf, 2, 100) <= 0) continue;
        if (pf[1].revents) {
            n = recv(sfd, tmp, sizeof(tmp), 0);
            if (n <= 0 || write_all(cfd, tmp, (size_t)n)) break;
        }
        if (!pf[0].revents) continue;
        n = recv(cfd, tmp, sizeof(tmp), 0);
        if (n <= 0 || add(&in, tmp, (size_t)n)) break;
        if (handshake) { /* the HTTP request goes through unchanged */
            uint8_t *end = NULL;

            for (size_t i = 0; i + 4 <= in.len && !end; i++)
                if (!memcmp(in.data + i, "\r\n\r\n", 4)) end = in.data + i + 4;
            if (!end) continue;
            if (write_all(sfd, in.data, (size_t)(end - in.data))) break;
            consume(&in, (size_t)(end - in.data));
            handshake = 0;
        }
        if ((p->stream ? relay_stream(p->fault, &in, sfd) : relay_ws(p->fault, &in, sfd)) < 0)
            break;
    }
    free(in.data);
    if (sfd >= 0) close(sfd);
    close(cfd);
}

static void *proxy_main(void *arg) {
    cd_proxy *p = arg;

    while (!p->stop) {
        struct pollfd pf = {p->lfd, POLLIN, 0};
        int cfd;

        if (poll(&pf, 1, 100) <= 0) continue;
        cfd = accept(p->lfd, NULL, NULL);
        if (cfd >= 0) relay(p, cfd);
    }
    return NULL;
}

cd_proxy *cd_proxy_start(const char *url, const char *fault, char *local_url, size_t len) {
    cd_proxy *p = calloc(1, sizeof(*p));
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    const char *rest, *path;
    int one = 1;

    if (!p) return NULL;
    p->fault = fault;
    p->stream = !strncmp(url, "plexus://", 9);
    rest = url + (p->stream ? 9 : !strncmp(url, "ws://", 5) ? 5 : 0);
    path = strchr(rest, '/');
    if (rest == url || sscanf(rest, "%255[^:]:%d", p->host, &p->port) != 2) {
        free(p);
        return NULL;
    }
    p->lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(p->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (p->lfd < 0 || bind(p->lfd, (struct sockaddr *)&a, sizeof(a)) || listen(p->lfd, 4) ||
        getsockname(p->lfd, (struct sockaddr *)&a, &al) ||
        pthread_create(&p->thread, NULL, proxy_main, p)) {
        if (p->lfd >= 0) close(p->lfd);
        free(p);
        return NULL;
    }
    snprintf(local_url, len, "%s://127.0.0.1:%d%s", p->stream ? "plexus" : "ws", ntohs(a.sin_port),
             path && !p->stream ? path : "");
    return p;
}

void cd_proxy_stop(cd_proxy *p) {
    if (!p) return;
    p->stop = 1;
    pthread_join(p->thread, NULL);
    close(p->lfd);
    free(p);
}
