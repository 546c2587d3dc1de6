/*
 * fuzz_deframer.c - fuzzes the stream binding's deframer (u32 length prefix + frame).
 *
 * The input is the stream. It is fed three ways: whole, in chops whose sizes come from a PRNG
 * seeded by the input, and one byte at a time. Invariants: every way yields the same frames
 * (headers and payload bytes) as a reference parse of the stream and ends in the same state:
 * the error of SPEC.md TRN-13/TRN-14 (prefix below 16, then the header checks in FRM-5 order,
 * then LENGTH_MISMATCH), or waiting for more bytes; *consumed never exceeds the input and a 0
 * return consumes everything; the deframer never buffers more than 4 + 16 + max_frame bytes
 * (TRN-15); after an error it keeps failing.
 */
#include <stdlib.h>
#include <string.h>

#include "support.h"

#define MAX_FRAME 1024u /* small, so FRAME_TOO_LARGE and long buffering are both reachable */

static uint32_t be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* The reference parse: where each frame starts, and how the stream ends. */
typedef struct reference {
    size_t nframes;
    size_t *starts; /* offset of each frame's prefix */
    int error;      /* 0: the stream ends cleanly or mid-frame */
} reference;

static int first_header_error(const uint8_t *b) {
    if (b[0] != PLX_PROTOCOL_VERSION) return PLX_E_BAD_VERSION;
    if ((b[1] & ~PLX_FLAGS_KNOWN) || b[2] || b[3]) return PLX_E_RESERVED_BITS;
    uint32_t length = be32(b + 12);
    if (length > MAX_FRAME) return PLX_E_FRAME_TOO_LARGE;
    if ((b[1] & PLX_FLAG_MORE) && length == 0) return PLX_E_EMPTY_CHUNK;
    return 0;
}

static void reference_parse(const uint8_t *data, size_t size, reference *ref) {
    memset(ref, 0, sizeof(*ref));
    ref->starts = malloc((size / 20 + 1) * sizeof(size_t));
    FUZZ_CHECK(ref->starts != NULL);
    size_t pos = 0;
    while (size - pos >= PLX_STREAM_PREFIX_LEN) {
        uint32_t frame_len = be32(data + pos);
        size_t left = size - pos - PLX_STREAM_PREFIX_LEN;
        if (frame_len < PLX_FRAME_HEADER_LEN) { /* TRN-13: as soon as the prefix is in */
            ref->error = PLX_E_TRUNCATED;
            return;
        }
        if (left < PLX_FRAME_HEADER_LEN) return;
        const uint8_t *h = data + pos + PLX_STREAM_PREFIX_LEN;
        int herr = first_header_error(h); /* TRN-14: header checks, then the length */
        if (!herr && frame_len != (uint64_t)PLX_FRAME_HEADER_LEN + be32(h + 12))
            herr = PLX_E_LENGTH_MISMATCH;
        if (herr) {
            ref->error = herr;
            return;
        }
        if (left < frame_len) return;
        ref->starts[ref->nframes++] = pos;
        pos += PLX_STREAM_PREFIX_LEN + frame_len;
    }
}

/* Checks one frame the deframer produced against the reference's frame number i. */
static void check_frame(const uint8_t *data, const reference *ref, size_t i, const plx_frame *f) {
    FUZZ_CHECK(i < ref->nframes);
    const uint8_t *h = data + ref->starts[i] + PLX_STREAM_PREFIX_LEN;
    FUZZ_CHECK(f->h.version == h[0] && f->h.flags == h[1] && f->h.reserved == 0);
    FUZZ_CHECK(f->h.msg_id == be32(h + 4) && f->h.offset == be32(h + 8));
    FUZZ_CHECK(f->h.length == be32(h + 12));
    FUZZ_CHECK(f->h.length == 0 || memcmp(f->payload, h + PLX_FRAME_HEADER_LEN, f->h.length) == 0);
}

/* Feeds data[0..size) in pieces (chop == 0: whole; else sizes from rng, or 1 when chop == 1)
 * and checks each frame. Returns the final code (0 when no error). */
static int run(const uint8_t *data, size_t size, const reference *ref, int chop, plx_rng *rng) {
    plx_deframer *d = plx_deframer_new(NULL, MAX_FRAME);
    FUZZ_CHECK(d != NULL);
    size_t frames = 0, pos = 0;
    int rc = 0;
    while (pos < size && rc >= 0) {
        size_t piece = size - pos;
        if (chop == 1) {
            piece = 1;
        } else if (chop) { /* mostly short pieces, sometimes up to the rest */
            size_t most = plx_rng_below(rng, 4) ? 8 : piece;
            size_t want = 1 + plx_rng_below(rng, most);
            if (want < piece) piece = want;
        }
        /* An exactly-sized copy: ASan catches a read past the piece. */
        uint8_t *copy = malloc(piece);
        FUZZ_CHECK(copy != NULL);
        memcpy(copy, data + pos, piece);
        size_t off = 0;
        while (off < piece) {
            size_t consumed = 0;
            plx_frame f;
            rc = plx_deframer_feed(d, copy + off, piece - off, &consumed, &f);
            /* TRN-15 allows 4 + 16 + max_frame (codec.h says 16 + max_frame) */
            FUZZ_CHECK(plx_deframer_buffered(d) <=
                       PLX_STREAM_PREFIX_LEN + PLX_FRAME_HEADER_LEN + MAX_FRAME);
            if (rc < 0) break;
            FUZZ_CHECK(consumed <= piece - off);
            if (rc == 0) FUZZ_CHECK(consumed == piece - off);
            FUZZ_CHECK(rc == 0 || rc == 1);
            if (rc == 1) {
                FUZZ_CHECK(consumed > 0); /* progress: a frame ends on a byte of this call */
                check_frame(data, ref, frames++, &f);
            }
            off += consumed;
        }
        free(copy);
        pos += piece;
    }
    if (rc < 0) { /* sticky */
        size_t consumed = 0;
        plx_frame f;
        uint8_t byte = 0;
        FUZZ_CHECK(plx_deframer_feed(d, &byte, 1, &consumed, &f) < 0);
    }
    plx_deframer_free(d);
    FUZZ_CHECK(frames == ref->nframes);
    return rc < 0 ? rc : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    reference ref;
    reference_parse(data, size, &ref);
    plx_rng rng;
    plx_rng_seed(&rng, data, size);
    FUZZ_CHECK_EQ(run(data, size, &ref, 0, &rng), ref.error);
    FUZZ_CHECK_EQ(run(data, size, &ref, 2, &rng), ref.error);
    if (size <= 4096) FUZZ_CHECK_EQ(run(data, size, &ref, 1, &rng), ref.error);
    free(ref.starts);
    return 0;
}
