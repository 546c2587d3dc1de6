/*
 * sendq.c - bounded per-connection send queue with round-robin frame interleaving.
 */
#include <stdlib.h>
#include <string.h>

#include <plexus/codec.h>

#include "sendq.h"

#define SENDQ_MAX_ACTIVE 64

typedef struct sq_msg {
    struct sq_msg *next; /* FIFO link while waiting */
    uint8_t *buf;        /* owned */
    size_t start;        /* first byte, index into buf */
    size_t pos;          /* next byte to write */
    size_t end;          /* one past the last byte */
    size_t frame_start;  /* start of the frame being written (valid while in_frame) */
    size_t frame_end;
    int in_frame;
} sq_msg;

struct plx_sendq {
    uint64_t bound;
    uint64_t bytes;
    size_t prefix;
    unsigned max_active;
    sq_msg *active[SENDQ_MAX_ACTIVE]; /* round-robin over these */
    unsigned nactive;
    unsigned rr;  /* index in active of the message to write next */
    sq_msg *head; /* waiting, FIFO */
    sq_msg *tail;
};

plx_sendq *plx_sendq_new(uint64_t bound, size_t prefix, unsigned max_active) {
    plx_sendq *q = calloc(1, sizeof(*q));

    if (!q) return NULL;
    q->bound = bound;
    q->prefix = prefix;
    if (max_active == 0) max_active = 1;
    q->max_active = max_active < SENDQ_MAX_ACTIVE ? max_active : SENDQ_MAX_ACTIVE;
    return q;
}

static void msg_free(sq_msg *m) {
    free(m->buf);
    free(m);
}

void plx_sendq_free(plx_sendq *q) {
    if (!q) return;
    for (unsigned i = 0; i < q->nactive; i++)
        msg_free(q->active[i]);
    while (q->head) {
        sq_msg *m = q->head;
        q->head = m->next;
        msg_free(m);
    }
    free(q);
}

int plx_sendq_fits(const plx_sendq *q, uint64_t n) {
    return n <= q->bound && q->bytes <= q->bound - n;
}

int plx_sendq_push(plx_sendq *q, uint8_t *buf, size_t off, size_t len) {
    sq_msg *m;

    if (len == 0) {
        free(buf);
        return 0;
    }
    m = calloc(1, sizeof(*m));
    if (!m) {
        free(buf);
        return -1;
    }
    m->buf = buf;
    m->start = off;
    m->pos = off;
    m->end = off + len;
    if (q->tail)
        q->tail->next = m;
    else
        q->head = m;
    q->tail = m;
    q->bytes += len;
    return 0;
}

/* Moves waiting messages into free active slots, oldest first. */
static void fill_active(plx_sendq *q) {
    while (q->nactive < q->max_active && q->head) {
        sq_msg *m = q->head;
        q->head = m->next;
        if (!q->head) q->tail = NULL;
        m->next = NULL;
        q->active[q->nactive++] = m;
    }
}

/* Starts the frame at m->pos: its length comes from the header's length field. */
static void begin_frame(const plx_sendq *q, sq_msg *m) {
    size_t hdr = m->pos + q->prefix;
    size_t flen = m->end - m->pos;

    if (hdr + PLX_FRAME_HEADER_LEN <= m->end) {
        const uint8_t *l = m->buf + hdr + 12;
        size_t plen = ((size_t)l[0] << 24) | ((size_t)l[1] << 16) | ((size_t)l[2] << 8) | l[3];
        if (q->prefix + PLX_FRAME_HEADER_LEN + plen < flen)
            flen = q->prefix + PLX_FRAME_HEADER_LEN + plen;
    }
    m->frame_start = m->pos;
    m->frame_end = m->pos + flen;
    m->in_frame = 1;
}

int plx_sendq_peek(plx_sendq *q, size_t max, plx_piece *p) {
    sq_msg *m;
    size_t n;

    fill_active(q);
    if (q->nactive == 0) return 0;
    if (q->rr >= q->nactive) q->rr = 0;
    m = q->active[q->rr];
    if (!m->in_frame) begin_frame(q, m);
    n = m->frame_end - m->pos;
    if (n > max) n = max;
    p->data = m->buf + m->pos;
    p->len = n;
    p->first = m->pos == m->frame_start;
    p->last = m->pos + n == m->frame_end;
    return 1;
}

void plx_sendq_advance(plx_sendq *q, size_t n) {
    sq_msg *m;

    if (q->nactive == 0 || q->rr >= q->nactive) return;
    m = q->active[q->rr];
    if (n > m->frame_end - m->pos) n = m->frame_end - m->pos;
    m->pos += n;
    q->bytes -= n;
    if (m->pos < m->frame_end) return;
    m->in_frame = 0;
    if (m->pos >= m->end) {
        msg_free(m);
        for (unsigned i = q->rr + 1; i < q->nactive; i++)
            q->active[i - 1] = q->active[i];
        q->nactive--;
        fill_active(q); /* rr now names the message after the finished one */
    } else {
        fill_active(q);
        q->rr++;
    }
    if (q->rr >= q->nactive) q->rr = 0;
}

/* The header of an unmasked binary WebSocket message of len bytes (RFC 6455 5.2) into out.
 * Returns its length. */
static size_t ws_header(size_t len, uint8_t *out) {
    out[0] = 0x82; /* FIN, binary */
    if (len < 126) {
        out[1] = (uint8_t)len;
        return 2;
    }
    if (len <= 0xffff) {
        out[1] = 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    return 10;
}

size_t plx_sendq_batch(plx_sendq *q, uint8_t *buf, size_t cap, size_t small, int ws) {
    size_t n = 0, h;
    plx_piece p;
    uint8_t hdr[PLX_SENDQ_WS_HEADER];

    while (plx_sendq_peek(q, SIZE_MAX, &p) && p.len <= small) {
        h = ws ? ws_header(p.len, hdr) : 0;
        if (h + p.len > cap - n) break;
        memcpy(buf + n, hdr, h);
        memcpy(buf + n + h, p.data, p.len);
        n += h + p.len;
        plx_sendq_advance(q, p.len);
    }
    return n;
}

uint64_t plx_sendq_bytes(const plx_sendq *q) {
    return q->bytes;
}

uint64_t plx_sendq_truncate(plx_sendq *q) {
    uint64_t before = q->bytes;
    sq_msg *cur = q->nactive ? q->active[q->rr < q->nactive ? q->rr : 0] : NULL;
    unsigned kept = 0;

    for (unsigned i = 0; i < q->nactive; i++) {
        sq_msg *m = q->active[i];
        if (m->pos > m->start) {
            if (m == cur) q->rr = kept;
            q->active[kept++] = m;
        } else {
            q->bytes -= m->end - m->pos;
            msg_free(m);
        }
    }
    q->nactive = kept;
    if (q->rr >= q->nactive) q->rr = 0;
    while (q->head) {
        sq_msg *m = q->head;
        q->head = m->next;
        q->bytes -= m->end - m->pos;
        msg_free(m);
    }
    q->tail = NULL;
    return before - q->bytes;
}
