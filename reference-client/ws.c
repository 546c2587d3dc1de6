/*
 * ws.c - the WebSocket binding's framing (RFC 6455, client side) on the link's socket: the
 * opening handshake (subprotocol plexus.v1 offered and required, TRN-2), masked binary
 * frames out (one WebSocket frame per Plexus frame), and the receive parser: fragments of a
 * binary message reassembled up to 16 + max_frame bytes (TRN-9) and decoded as one frame,
 * pings answered, a close echoed, a text message closed with 1003 (TRN-6), a masked or
 * reserved-bit frame closed with 1002. SHA-1 and base64 of the handshake are libwebsockets'.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <libwebsockets.h>

#include "link.h"

#define WS_GUID       "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_ANSWER_MAX 8192 /* bytes of the handshake answer accepted */

enum { OP_CONT = 0, OP_TEXT = 1, OP_BINARY = 2, OP_CLOSE = 8, OP_PING = 9, OP_PONG = 10 };

static uint32_t next_key(plx_link *l) {
    l->rng ^= l->rng >> 12;
    l->rng ^= l->rng << 25;
    l->rng ^= l->rng >> 27;
    return (uint32_t)((l->rng * 0x2545F4914F6CDD1Dull) >> 32);
}

/* XORs p[0..len) with the 4-byte key, starting at key byte 0. */
static void mask(uint8_t *p, size_t len, const uint8_t key[4]) {
    uint64_t k8;
    size_t i = 0;

    memcpy(&k8, key, 4);
    memcpy((uint8_t *)&k8 + 4, key, 4);
    for (; i + 8 <= len; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        v ^= k8;
        memcpy(p + i, &v, 8);
    }
    for (; i < len; i++)
        p[i] ^= key[i & 3];
}

/* Writes a client frame header (FIN, opcode, mask bit, length, key) to h. Returns its size. */
static size_t header(uint8_t *h, int opcode, size_t len, const uint8_t key[4]) {
    size_t n = 2;

    h[0] = (uint8_t)(0x80 | opcode);
    if (len < 126) {
        h[1] = (uint8_t)(0x80 | len);
    } else if (len <= 0xffff) {
        h[1] = 0x80 | 126;
        h[2] = (uint8_t)(len >> 8);
        h[3] = (uint8_t)len;
        n = 4;
    } else {
        h[1] = 0x80 | 127;
        for (int i = 0; i < 8; i++)
            h[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
        n = 10;
    }
    memcpy(h + n, key, 4);
    return n + 4;
}

size_t plx_ws_frame_start(plx_link *l, uint8_t *payload, size_t len) {
    uint8_t h[14], key[4];
    uint32_t k = next_key(l);
    size_t n;

    memcpy(key, &k, 4);
    n = header(h, OP_BINARY, len, key);
    memcpy(payload - n, h, n);
    mask(payload, len, key);
    return n;
}

void plx_ws_ctrl(plx_link *l, int opcode, const uint8_t *payload, size_t len) {
    uint8_t key[4];
    uint32_t k = next_key(l);
    size_t n;

    if (len > PLX_WS_CTRL_MAX) len = PLX_WS_CTRL_MAX;
    memcpy(key, &k, 4);
    n = header(l->ctrl, opcode, len, key);
    if (len) memcpy(l->ctrl + n, payload, len);
    mask(l->ctrl + n, len, key);
    l->ctrl_len = n + len;
    l->ctrl_off = 0;
}

void plx_ws_rx_free(plx_ws_rx *r) {
    free(r->msg);
    memset(r, 0, sizeof(*r));
}

/* ---------------------------------------------------------------- handshake */

/* The value of header name in the answer's header lines (case-insensitive name), copied
 * into out without surrounding blanks. 1 when found. */
static int answer_header(const char *ans, const char *name, char *out, size_t outlen) {
    size_t nlen = strlen(name), k;
    const char *line = strstr(ans, "\r\n"), *v, *end;

    while (line && line[2] != '\r') {
        line += 2;
        end = strstr(line, "\r\n");
        if (!end) return 0;
        if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
            for (v = line + nlen + 1; v < end && (*v == ' ' || *v == '\t'); v++) {
            }
            for (k = (size_t)(end - v); k && (v[k - 1] == ' ' || v[k - 1] == '\t'); k--) {
            }
            if (k >= outlen) return 0;
            memcpy(out, v, k);
            out[k] = 0;
            return 1;
        }
        line = end;
    }
    return 0;
}

/* 1 when the comma-separated list v holds token (case-insensitive). */
static int has_token(const char *v, const char *token) {
    size_t n = strlen(token);

    while (*v) {
        while (*v == ' ' || *v == '\t' || *v == ',')
            v++;
        size_t k = strcspn(v, ", \t");
        if (k == n && strncasecmp(v, token, n) == 0) return 1;
        v += k;
    }
    return 0;
}

/* 1 when the 101 answer accepts our key and selects plexus.v1. */
static int answer_ok(const char *ans, const char *key) {
    char v[128], want[64], both[128];
    unsigned char md[20];

    if (strncmp(ans, "HTTP/1.1 101", 12) != 0) return 0;
    if (!answer_header(ans, "Upgrade", v, sizeof(v)) || strcasecmp(v, "websocket") != 0) return 0;
    if (!answer_header(ans, "Connection", v, sizeof(v)) || !has_token(v, "upgrade")) return 0;
    snprintf(both, sizeof(both), "%s%s", key, WS_GUID);
    lws_SHA1((const unsigned char *)both, strlen(both), md);
    if (lws_b64_encode_string((const char *)md, 20, want, sizeof(want)) < 0) return 0;
    if (!answer_header(ans, "Sec-WebSocket-Accept", v, sizeof(v)) || strcmp(v, want) != 0) return 0;
    return answer_header(ans, "Sec-WebSocket-Protocol", v, sizeof(v)) &&
           strcmp(v, PLX_SUBPROTOCOL) == 0;
}

/* Sends all of buf by the deadline. */
static int send_all(plx_client *c, plx_link *l, const char *buf, size_t len, uint64_t deadline) {
    while (len) {
        ssize_t n = send(l->fd, buf, len, MSG_NOSIGNAL);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        uint64_t now = plx_client_now_ms();
        if (c->closing) return PLX_E_CLOSED;
        if (now >= deadline) return PLX_E_CALL_TIMEOUT;
        if (plx_link_poll(l, 1, (int)(deadline - now)) < 0) return PLX_E_CONNECT;
    }
    return 0;
}

int plx_ws_handshake(plx_client *c, plx_link *l, uint64_t deadline_ms) {
    unsigned char nonce[16];
    char key[32], req[2048], *ans, *end;
    size_t got = 0;
    uint64_t now;
    int rc, n;

    for (int i = 0; i < 16; i += 4) {
        uint32_t k = next_key(l);
        memcpy(nonce + i, &k, 4);
    }
    if (lws_b64_encode_string((const char *)nonce, 16, key, sizeof(key)) < 0) return PLX_E_CONNECT;
    n = snprintf(req, sizeof(req),
                 "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                 "Sec-WebSocket-Protocol: " PLX_SUBPROTOCOL "\r\nOrigin: http://%s:%d\r\n\r\n",
                 c->url.path, c->url.host, c->url.port, key, c->url.host, c->url.port);
    if (n < 0 || (size_t)n >= sizeof(req)) return PLX_E_CONNECT;
    rc = send_all(c, l, req, (size_t)n, deadline_ms);
    if (rc) return rc;
    ans = malloc(WS_ANSWER_MAX + 1);
    if (!ans) return PLX_E_NOMEM;
    for (;;) {
        ssize_t r = recv(l->fd, ans + got, WS_ANSWER_MAX - got, 0);
        if (r == 0) {
            rc = PLX_E_CONNECT;
            break;
        }
        if (r > 0) {
            got += (size_t)r;
            ans[got] = 0;
            end = strstr(ans, "\r\n\r\n");
            if (end) {
                size_t used = (size_t)(end + 4 - ans);
                end[2] = 0; /* the header lines end with the last "\r\n" */
                rc = answer_ok(ans, key) ? 0 : PLX_E_CONNECT;
                if (!rc && got > used) rc = plx_ws_feed(c, l, (uint8_t *)ans + used, got - used);
                break;
            }
            if (got == WS_ANSWER_MAX) {
                rc = PLX_E_CONNECT;
                break;
            }
            continue;
        }
        now = plx_client_now_ms();
        if (c->closing) {
            rc = PLX_E_CLOSED;
            break;
        }
        if (now >= deadline_ms) {
            rc = PLX_E_CALL_TIMEOUT;
            break;
        }
        if (plx_link_poll(l, 0, (int)(deadline_ms - now)) < 0) {
            rc = PLX_E_CONNECT;
            break;
        }
    }
    free(ans);
    return rc;
}

/* ---------------------------------------------------------------- receive */

/* The receive bound in force: the effective max_frame after welcome. */
static uint32_t rx_max_frame(const plx_client *c) {
    return c->state >= PLX_ST_RESTORING && c->max_frame ? c->max_frame : PLX_HELLO_MAX_FRAME;
}

/* Appends payload bytes of a binary message, checking the Plexus header's length as soon
 * as it is in (TRN-9). 0, or the codec error. */
static int msg_append(plx_client *c, plx_ws_rx *r, const uint8_t *in, size_t len) {
    plx_frame_header h;
    int rc;

    if (r->msg_want && r->msg_len + len > r->msg_want) return PLX_E_LENGTH_MISMATCH;
    if (!r->msg_want && r->msg_len + len > PLX_FRAME_HEADER_LEN + (size_t)rx_max_frame(c))
        return PLX_E_FRAME_TOO_LARGE;
    if (r->msg_len + len > r->msg_cap) {
        size_t ncap = r->msg_cap ? r->msg_cap : 4096;
        uint8_t *nb;
        while (ncap < r->msg_len + len)
            ncap *= 2;
        nb = realloc(r->msg, ncap);
        if (!nb) return PLX_E_NOMEM;
        r->msg = nb;
        r->msg_cap = ncap;
    }
    memcpy(r->msg + r->msg_len, in, len);
    r->msg_len += len;
    if (!r->msg_want && r->msg_len >= PLX_FRAME_HEADER_LEN) {
        rc = plx_frame_header_decode(r->msg, r->msg_len, rx_max_frame(c), &h);
        if (rc) return rc;
        r->msg_want = PLX_FRAME_HEADER_LEN + (size_t)h.length;
        if (r->msg_len > r->msg_want) return PLX_E_LENGTH_MISMATCH;
    }
    return 0;
}

/* Queues a close frame with code and ends the session. */
static int close_with(plx_client *c, plx_link *l, int code, const char *reason) {
    uint8_t p[2 + 64];
    size_t rl = strlen(reason);

    if (rl > 64) rl = 64;
    p[0] = (uint8_t)(code >> 8);
    p[1] = (uint8_t)code;
    memcpy(p + 2, reason, rl);
    pthread_mutex_lock(&c->mu);
    if (!l->in_frame) {
        plx_ws_ctrl(l, OP_CLOSE, p, 2 + rl);
        l->close_sent = 1;
        plx_link_flush(c);
    }
    pthread_mutex_unlock(&c->mu);
    return PLX_E_DISCONNECTED;
}

/* A complete control frame. 0, or a negative code when the session ends. */
static int on_control(plx_client *c, plx_link *l) {
    plx_ws_rx *r = &l->wsr;

    if (r->opcode == OP_PING) {
        pthread_mutex_lock(&c->mu);
        if (l->ctrl_off == l->ctrl_len) plx_ws_ctrl(l, OP_PONG, r->ctl, r->ctl_len);
        plx_link_flush(c);
        pthread_mutex_unlock(&c->mu);
        return 0;
    }
    if (r->opcode == OP_CLOSE) {
        pthread_mutex_lock(&c->mu);
        if (!l->in_frame) plx_ws_ctrl(l, OP_CLOSE, r->ctl, r->ctl_len >= 2 ? 2 : 0);
        plx_link_flush(c);
        pthread_mutex_unlock(&c->mu);
        return PLX_E_DISCONNECTED;
    }
    return 0; /* pong */
}

/* A complete frame header in r->hdr: checks it. 0, or a negative code. */
static int on_header(plx_client *c, plx_link *l) {
    plx_ws_rx *r = &l->wsr;
    const uint8_t *h = r->hdr;
    int control;

    r->fin = h[0] & 0x80;
    r->opcode = h[0] & 0x0f;
    control = r->opcode >= OP_CLOSE;
    if ((h[0] & 0x70) || (h[1] & 0x80)) return close_with(c, l, 1002, "bad frame");
    if (control && (!r->fin || r->left > PLX_WS_CTRL_MAX || r->opcode > OP_PONG))
        return close_with(c, l, 1002, "bad control frame");
    if (r->opcode == OP_TEXT && !r->in_msg) return close_with(c, l, 1003, "binary messages only");
    if ((r->opcode == OP_CONT && !r->in_msg) || (r->opcode == OP_BINARY && r->in_msg) ||
        (!control && r->opcode != OP_CONT && r->opcode != OP_BINARY))
        return close_with(c, l, 1002, "bad fragment");
    if (control) r->ctl_len = 0;
    if (!control) r->in_msg = 1;
    return 0;
}

/* The current frame's payload is complete. 0, or a negative code. */
static int on_frame_end(plx_client *c, plx_link *l) {
    plx_ws_rx *r = &l->wsr;

    if (r->opcode >= OP_CLOSE) return on_control(c, l);
    if (!r->fin) return 0;
    r->in_msg = 0;
    plx_io_frame(c, r->msg, r->msg_len);
    r->msg_len = 0;
    r->msg_want = 0;
    return c->rx_fatal;
}

/* Header bytes needed so far (2, then 2 + extended length). */
static size_t header_need(const plx_ws_rx *r) {
    if (r->hlen < 2) return 2;
    switch (r->hdr[1] & 0x7f) {
    case 126:
        return 4;
    case 127:
        return 10;
    default:
        return 2;
    }
}

static void header_length(plx_ws_rx *r) {
    uint64_t n = r->hdr[1] & 0x7f;

    if (n == 126) {
        n = (uint64_t)r->hdr[2] << 8 | r->hdr[3];
    } else if (n == 127) {
        n = 0;
        for (int i = 0; i < 8; i++)
            n = n << 8 | r->hdr[2 + i];
    }
    r->left = n;
}

int plx_ws_feed(plx_client *c, plx_link *l, const uint8_t *data, size_t len) {
    plx_ws_rx *r = &l->wsr;
    size_t take, need;
    int rc;

    while (len) {
        if (c->rx_fatal) return c->rx_fatal;
        need = header_need(r);
        if (r->hlen < need) { /* reading the header */
            take = need - r->hlen < len ? need - r->hlen : len;
            memcpy(r->hdr + r->hlen, data, take);
            r->hlen += take;
            data += take;
            len -= take;
            if (r->hlen < header_need(r)) continue;
            header_length(r);
            if ((rc = on_header(c, l))) return rc;
            if (r->left == 0 && (rc = on_frame_end(c, l))) return rc;
            if (r->left == 0) r->hlen = 0;
            continue;
        }
        take = r->left < len ? (size_t)r->left : len;
        if (r->opcode >= OP_CLOSE) {
            memcpy(r->ctl + r->ctl_len, data, take);
            r->ctl_len += take;
        } else if ((rc = msg_append(c, r, data, take))) {
            plx_io_fatal(c, rc); /* the error message goes out, then the session ends */
            return rc;
        }
        data += take;
        len -= take;
        r->left -= take;
        if (r->left == 0) {
            r->hlen = 0;
            if ((rc = on_frame_end(c, l))) return rc;
        }
    }
    return c->rx_fatal;
}
