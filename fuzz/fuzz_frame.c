/*
 * fuzz_frame.c - fuzzes the frame header and whole-frame decoders.
 *
 * Invariants: plx_frame_header_decode returns exactly the error a reference model of
 * SPEC.md's check order gives (TRUNCATED, BAD_VERSION, RESERVED_BITS, FRAME_TOO_LARGE,
 * EMPTY_CHUNK) for several max_frame values; a decoded header encodes back to the same 16
 * bytes and re-decodes identically; plx_frame_decode adds the transport length check
 * (TRUNCATED / LENGTH_MISMATCH) and points the payload right after the header; encoding an
 * arbitrary header fails exactly when version, flags or reserved are invalid.
 */
#include <string.h>

#include "support.h"

static uint32_t be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* SPEC.md's header checks, in order. */
static int reference_header(const uint8_t *b, size_t len, uint32_t max_frame) {
    if (len < PLX_FRAME_HEADER_LEN) return PLX_E_TRUNCATED;
    if (b[0] != PLX_PROTOCOL_VERSION) return PLX_E_BAD_VERSION;
    if ((b[1] & ~PLX_FLAGS_KNOWN) || b[2] || b[3]) return PLX_E_RESERVED_BITS;
    uint32_t length = be32(b + 12);
    if (length > max_frame) return PLX_E_FRAME_TOO_LARGE;
    if ((b[1] & PLX_FLAG_MORE) && length == 0) return PLX_E_EMPTY_CHUNK;
    return PLX_OK;
}

static int reference_frame(const uint8_t *b, size_t len, uint32_t max_frame) {
    int rc = reference_header(b, len, max_frame);
    if (rc != PLX_OK) return rc;
    uint64_t want = (uint64_t)PLX_FRAME_HEADER_LEN + be32(b + 12);
    if (len < want) return PLX_E_TRUNCATED;
    if (len > want) return PLX_E_LENGTH_MISMATCH;
    return PLX_OK;
}

static void check_header(const uint8_t *data, size_t size, uint32_t max_frame) {
    plx_frame_header h;
    int rc = plx_frame_header_decode(data, size, max_frame, &h);
    FUZZ_CHECK_EQ(rc, reference_header(data, size, max_frame));
    if (rc != PLX_OK) return;
    FUZZ_CHECK(h.version == data[0] && h.flags == data[1] && h.reserved == 0);
    FUZZ_CHECK(h.msg_id == be32(data + 4) && h.offset == be32(data + 8));
    FUZZ_CHECK(h.length == be32(data + 12) && h.length <= max_frame);

    uint8_t out[PLX_FRAME_HEADER_LEN];
    FUZZ_CHECK(plx_frame_header_encode(&h, out) == PLX_OK);
    FUZZ_CHECK(memcmp(out, data, PLX_FRAME_HEADER_LEN) == 0);
    plx_frame_header again;
    FUZZ_CHECK(plx_frame_header_decode(out, sizeof(out), max_frame, &again) == PLX_OK);
    FUZZ_CHECK(memcmp(&again, &h, sizeof(h)) == 0);
}

static void check_frame(const uint8_t *data, size_t size, uint32_t max_frame) {
    plx_frame f;
    int rc = plx_frame_decode(data, size, max_frame, &f);
    FUZZ_CHECK_EQ(rc, reference_frame(data, size, max_frame));
    if (rc != PLX_OK) return;
    FUZZ_CHECK(f.payload == data + PLX_FRAME_HEADER_LEN);
    FUZZ_CHECK((size_t)PLX_FRAME_HEADER_LEN + f.h.length == size);
}

/* Encodes a header built from raw input bytes: it must fail exactly on invalid fields, and
 * what it writes must decode (unless it is an empty MORE chunk) to the same fields. */
static void check_encode(const uint8_t *data, size_t size) {
    if (size < PLX_FRAME_HEADER_LEN) return;
    plx_frame_header h = {
        .version = data[0],
        .flags = data[1],
        .reserved = (uint16_t)((data[2] << 8) | data[3]),
        .msg_id = be32(data + 4),
        .offset = be32(data + 8),
        .length = be32(data + 12),
    };
    int valid = h.version == PLX_PROTOCOL_VERSION && !(h.flags & ~PLX_FLAGS_KNOWN) && !h.reserved;
    uint8_t out[PLX_FRAME_HEADER_LEN];
    int rc = plx_frame_header_encode(&h, out);
    if (!valid) {
        FUZZ_CHECK_EQ(rc, PLX_E_INVAL);
        return;
    }
    if (rc != PLX_OK) { /* an encoder may refuse an empty MORE chunk, nothing else */
        FUZZ_CHECK(rc == PLX_E_INVAL && (h.flags & PLX_FLAG_MORE) && h.length == 0);
        return;
    }
    FUZZ_CHECK(memcmp(out, data, PLX_FRAME_HEADER_LEN) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const uint32_t max_frames[] = {
        0, 1, PLX_MIN_MAX_FRAME, 65536, PLX_DEFAULT_MAX_FRAME, PLX_MAX_MAX_FRAME, UINT32_MAX};
    for (size_t i = 0; i < sizeof(max_frames) / sizeof(max_frames[0]); i++) {
        check_header(data, size, max_frames[i]);
        check_frame(data, size, max_frames[i]);
    }
    check_encode(data, size);
    return 0;
}
