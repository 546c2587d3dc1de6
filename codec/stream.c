/*
 * stream.c - the stream binding: a u32 big-endian length before each frame. The deframer
 * turns a byte stream into frames; a frame wholly inside the caller's input is returned
 * without a copy, otherwise its bytes are buffered (at most one frame: 20 bytes of prefix and
 * header plus max_frame payload bytes). Any error leaves the deframer unusable.
 */
#include <string.h>

#include "internal.h"

#define HEAD_LEN (PLX_STREAM_PREFIX_LEN + PLX_FRAME_HEADER_LEN)

struct plx_deframer {
    plx_allocator a;
    uint32_t max_frame;
    int error;              /* sticky: once set every feed returns it */
    uint8_t head[HEAD_LEN]; /* prefix + header of the frame being read */
    size_t nhead;           /* bytes of head collected */
    plx_frame_header h;     /* valid once nhead == HEAD_LEN */
    uint8_t *buf;           /* payload of a frame that arrived in pieces */
    size_t cap;             /* allocated bytes of buf, at most max_frame */
    size_t npay;            /* payload bytes collected in buf */
};

void plx_stream_prefix(uint32_t frame_len, uint8_t out[PLX_STREAM_PREFIX_LEN]) {
    plx_be32_write(out, frame_len);
}

plx_deframer *plx_deframer_new(const plx_allocator *a, uint32_t max_frame) {
    plx_allocator al;
    plx_alloc_init(&al, a);
    plx_deframer *d = plx_alloc(&al, sizeof(*d));
    if (!d) return NULL;
    memset(d, 0, sizeof(*d));
    d->a = al;
    d->max_frame = max_frame;
    return d;
}

void plx_deframer_free(plx_deframer *d) {
    if (!d) return;
    plx_free(&d->a, d->buf);
    plx_free(&d->a, d);
}

void plx_deframer_set_max_frame(plx_deframer *d, uint32_t max_frame) {
    d->max_frame = max_frame;
}

size_t plx_deframer_buffered(const plx_deframer *d) {
    return d->nhead + d->npay;
}

/* Validates a complete prefix + header in p: prefix, header fields, then their agreement. */
static int check_head(plx_deframer *d, const uint8_t *p) {
    uint32_t frame_len = plx_be32_read(p);
    if (frame_len < PLX_FRAME_HEADER_LEN) return PLX_E_TRUNCATED;
    int rc = plx_frame_header_decode(p + PLX_STREAM_PREFIX_LEN, PLX_FRAME_HEADER_LEN, d->max_frame,
                                     &d->h);
    if (rc != PLX_OK) return rc;
    if ((uint64_t)frame_len != (uint64_t)PLX_FRAME_HEADER_LEN + d->h.length)
        return PLX_E_LENGTH_MISMATCH;
    return PLX_OK;
}

/* Makes room in buf for the current frame's payload; grows geometrically up to max_frame. */
static int reserve(plx_deframer *d, size_t need) {
    if (d->cap >= need) return PLX_OK;
    size_t cap = d->cap * 2;
    if (cap < need) cap = need;
    if (cap > d->max_frame) cap = d->max_frame > need ? d->max_frame : need;
    uint8_t *nb = plx_realloc(&d->a, d->buf, cap);
    if (!nb) return PLX_E_NOMEM;
    d->buf = nb;
    d->cap = cap;
    return PLX_OK;
}

static int fail(plx_deframer *d, int rc) {
    d->error = rc;
    return rc;
}

/* Hands out the current frame with its payload at p and starts over. */
static int emit(plx_deframer *d, const uint8_t *p, plx_frame *f) {
    f->h = d->h;
    f->payload = p;
    d->nhead = 0;
    d->npay = 0;
    return 1;
}

int plx_deframer_feed(plx_deframer *d, const uint8_t *data, size_t len, size_t *consumed,
                      plx_frame *f) {
    size_t pos = 0;
    *consumed = 0;
    if (d->error) return d->error;
    if (!data && len) return fail(d, PLX_E_INVAL);

    /* Fast path: the whole frame is in the input. */
    if (d->nhead == 0 && len >= HEAD_LEN) {
        int rc = check_head(d, data);
        if (rc != PLX_OK) return fail(d, rc);
        if (len - HEAD_LEN >= d->h.length) {
            *consumed = HEAD_LEN + (size_t)d->h.length;
            return emit(d, data + HEAD_LEN, f);
        }
    }

    while (pos < len) {
        if (d->nhead < HEAD_LEN) {
            size_t take = HEAD_LEN - d->nhead;
            if (take > len - pos) take = len - pos;
            memcpy(d->head + d->nhead, data + pos, take);
            d->nhead += take;
            pos += take;
            *consumed = pos;
            if (d->nhead >= PLX_STREAM_PREFIX_LEN && plx_be32_read(d->head) < PLX_FRAME_HEADER_LEN)
                return fail(d, PLX_E_TRUNCATED);
            if (d->nhead < HEAD_LEN) continue;
            int rc = check_head(d, d->head);
            if (rc != PLX_OK) return fail(d, rc);
            if (d->h.length == 0) return emit(d, d->head + HEAD_LEN, f);
            if (len - pos >= d->h.length) { /* the payload is whole: no copy */
                const uint8_t *p = data + pos;
                *consumed = pos + d->h.length;
                return emit(d, p, f);
            }
            rc = reserve(d, d->h.length);
            if (rc != PLX_OK) return fail(d, rc);
            continue;
        }
        size_t take = d->h.length - d->npay;
        if (take > len - pos) take = len - pos;
        memcpy(d->buf + d->npay, data + pos, take);
        d->npay += take;
        pos += take;
        *consumed = pos;
        if (d->npay == d->h.length) return emit(d, d->buf, f);
    }
    return 0;
}
