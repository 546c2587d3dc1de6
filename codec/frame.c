/*
 * frame.c - the 16-byte frame header: encoding, validation in the order of SPEC.md, and
 * decoding of one whole frame (the WebSocket binding: one frame per message).
 */
#include "internal.h"

int plx_frame_header_encode(const plx_frame_header *h, uint8_t out[PLX_FRAME_HEADER_LEN]) {
    if (!h || !out) return PLX_E_INVAL;
    if (h->version != PLX_PROTOCOL_VERSION) return PLX_E_INVAL;
    if ((h->flags & ~PLX_FLAGS_KNOWN) != 0 || h->reserved != 0) return PLX_E_INVAL;
    out[0] = h->version;
    out[1] = h->flags;
    plx_be16_write(out + 2, h->reserved);
    plx_be32_write(out + 4, h->msg_id);
    plx_be32_write(out + 8, h->offset);
    plx_be32_write(out + 12, h->length);
    return PLX_OK;
}

int plx_frame_header_decode(const uint8_t *buf, size_t len, uint32_t max_frame,
                            plx_frame_header *h) {
    if (!h || (!buf && len)) return PLX_E_INVAL;
    if (len < PLX_FRAME_HEADER_LEN) return PLX_E_TRUNCATED;
    h->version = buf[0];
    h->flags = buf[1];
    h->reserved = plx_be16_read(buf + 2);
    h->msg_id = plx_be32_read(buf + 4);
    h->offset = plx_be32_read(buf + 8);
    h->length = plx_be32_read(buf + 12);
    if (h->version != PLX_PROTOCOL_VERSION) return PLX_E_BAD_VERSION;
    if ((h->flags & ~PLX_FLAGS_KNOWN) != 0 || h->reserved != 0) return PLX_E_RESERVED_BITS;
    if (h->length > max_frame) return PLX_E_FRAME_TOO_LARGE;
    if ((h->flags & PLX_FLAG_MORE) && h->length == 0) return PLX_E_EMPTY_CHUNK;
    return PLX_OK;
}

int plx_frame_decode(const uint8_t *buf, size_t len, uint32_t max_frame, plx_frame *f) {
    if (!f) return PLX_E_INVAL;
    int rc = plx_frame_header_decode(buf, len, max_frame, &f->h);
    if (rc != PLX_OK) return rc;
    size_t want = (size_t)PLX_FRAME_HEADER_LEN + f->h.length;
    if (len < want) return PLX_E_TRUNCATED;
    if (len > want) return PLX_E_LENGTH_MISMATCH;
    f->payload = buf + PLX_FRAME_HEADER_LEN;
    return PLX_OK;
}
