/*
 * outq.c - the send queue: messages encoded into owned frames (each with headroom for the
 * WebSocket header and the stream prefix), written frame by frame. Up to
 * PLX_DEFAULT_MAX_PARTIAL messages are in progress at once and take turns per frame, so a
 * reply or a pong is never stuck behind a large transfer (CHK-5, CHK-6); the others wait
 * in order.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void plx_outmsg_free(plx_outmsg *m) {
    if (!m) return;
    for (size_t i = 0; i < m->nframes; i++)
        free(m->frames[i].buf);
    free(m->frames);
    free(m);
}

/* Copies the segments of one frame into a new buffer with headroom. */
static int copy_frame(plx_outmsg *m, const plx_bytes *iov, size_t niov) {
    size_t len = 0, at = PLX_CLIENT_HEADROOM;
    plx_outframe *f;

    for (size_t i = 0; i < niov; i++)
        len += iov[i].len;
    f = &m->frames[m->nframes];
    f->buf = malloc(PLX_CLIENT_HEADROOM + len);
    if (!f->buf) return PLX_E_NOMEM;
    for (size_t i = 0; i < niov; i++) {
        if (iov[i].len) memcpy(f->buf + at, iov[i].data, iov[i].len);
        at += iov[i].len;
    }
    f->len = len;
    m->bytes += len;
    m->nframes++;
    return 0;
}

static int same_config(const plx_encoder_config *a, const plx_encoder_config *b) {
    return a->max_frame == b->max_frame && a->max_message == b->max_message &&
           a->gzip_threshold == b->gzip_threshold && a->gzip == b->gzip &&
           a->gzip_level == b->gzip_level && a->stream_prefix == b->stream_prefix &&
           a->gzip_sample == b->gzip_sample && a->gzip_margin == b->gzip_margin;
}

plx_encoder *plx_outenc_take(plx_outenc *s, const plx_encoder_config *cfg) {
    plx_encoder_config ec = *cfg;
    plx_encoder *e = s->enc;

    ec.stream_prefix = 1;
    if (e && same_config(&ec, &s->cfg)) {
        s->enc = NULL;
        return e;
    }
    return plx_encoder_new(NULL, &ec);
}

void plx_outenc_give(plx_outenc *s, const plx_encoder_config *cfg, plx_encoder *e, int reuse) {
    if (!e) return;
    if (!reuse || s->enc) {
        plx_encoder_free(e);
        return;
    }
    s->enc = e;
    s->cfg = *cfg;
    s->cfg.stream_prefix = 1;
}

void plx_outenc_clear(plx_outenc *s) {
    plx_encoder_free(s->enc);
    s->enc = NULL;
}

int plx_outmsg_encode(plx_encoder *e, uint32_t msg_id, const cJSON *json, const plx_bytes *att,
                      size_t natt, uint32_t max_frame, plx_outmsg **out) {
    plx_outmsg *m;
    plx_bytes iov[PLX_ENCODER_MAX_IOV];
    size_t niov, cap;
    int rc;

    *out = NULL;
    m = calloc(1, sizeof(*m));
    if (!e || !m) {
        rc = PLX_E_NOMEM;
        goto fail;
    }
    rc = plx_encoder_begin(e, msg_id, json, att, natt);
    if (rc) goto fail;
    /* Frames: ceil(payload / max_frame), at least one; the total includes headers. */
    cap = plx_encoder_total(e) / (max_frame ? max_frame : PLX_DEFAULT_MAX_FRAME) + 2;
    m->frames = calloc(cap, sizeof(*m->frames));
    if (!m->frames) {
        rc = PLX_E_NOMEM;
        goto fail;
    }
    while (plx_encoder_next(e, iov, &niov) == 1) {
        if (m->nframes == cap) {
            plx_outframe *nf = realloc(m->frames, 2 * cap * sizeof(*nf));
            if (!nf) {
                rc = PLX_E_NOMEM;
                goto fail;
            }
            m->frames = nf;
            cap *= 2;
        }
        rc = copy_frame(m, iov, niov);
        if (rc) goto fail;
    }
    *out = m;
    return 0;
fail:
    plx_outmsg_free(m);
    return rc;
}

static void append(plx_outmsg **head, plx_outmsg **tail, plx_outmsg *m) {
    m->next = NULL;
    if (*tail)
        (*tail)->next = m;
    else
        *head = m;
    *tail = m;
}

static plx_outmsg *pop(plx_outmsg **head, plx_outmsg **tail) {
    plx_outmsg *m = *head;
    if (!m) return NULL;
    *head = m->next;
    if (!*head) *tail = NULL;
    m->next = NULL;
    return m;
}

void plx_outq_push(plx_outq *q, plx_outmsg *m) {
    q->bytes += m->bytes;
    if (q->nactive < PLX_DEFAULT_MAX_PARTIAL && !q->wait) {
        append(&q->active, &q->active_tail, m);
        q->nactive++;
    } else {
        append(&q->wait, &q->wait_tail, m);
    }
}

int plx_outq_peek(plx_outq *q, size_t max, plx_piece *p) {
    plx_outmsg *m = q->active;
    const plx_outframe *f;
    size_t skip, left;

    if (!m) return 0;
    f = &m->frames[m->frame];
    skip = q->skip_prefix ? PLX_STREAM_PREFIX_LEN : 0;
    left = f->len - skip - m->off;
    p->data = f->buf + PLX_CLIENT_HEADROOM + skip + m->off;
    p->len = left < max ? left : max;
    p->first = m->off == 0;
    p->last = p->len == left;
    p->left = left;
    return 1;
}

void plx_outq_advance(plx_outq *q, size_t n) {
    plx_outmsg *m = q->active;
    const plx_outframe *f;
    size_t skip;

    if (!m || n == 0) return;
    f = &m->frames[m->frame];
    skip = q->skip_prefix ? PLX_STREAM_PREFIX_LEN : 0;
    m->off += n;
    q->bytes -= n;
    if (m->off < f->len - skip) return;
    q->bytes -= skip; /* the prefix counted in bytes but not written */
    free(m->frames[m->frame].buf);
    m->frames[m->frame].buf = NULL;
    m->frame++;
    m->off = 0;
    pop(&q->active, &q->active_tail);
    if (m->frame < m->nframes) {
        append(&q->active, &q->active_tail, m); /* its turn is over: next message */
        return;
    }
    plx_outmsg_free(m);
    q->nactive--;
    m = pop(&q->wait, &q->wait_tail);
    if (m) {
        append(&q->active, &q->active_tail, m);
        q->nactive++;
    }
}

void plx_outq_clear(plx_outq *q) {
    plx_outmsg *m;

    while ((m = pop(&q->active, &q->active_tail)))
        plx_outmsg_free(m);
    while ((m = pop(&q->wait, &q->wait_tail)))
        plx_outmsg_free(m);
    q->nactive = 0;
    q->bytes = 0;
}
