/*
 * fuzz_encoder.c - fuzzes the encoder against the decoder: a message decoded from the input,
 * encoded into frames and read back, must come back equal.
 *
 * The input is a body (as for fuzz_body). When it decodes, the message is encoded with a
 * configuration drawn from a PRNG seeded by the input (chunk size 512, 1000 or 64 KiB; gzip
 * off or on with threshold 0 or 1024; sampling on or off; stream prefix or not). Invariants:
 *  - the body the encoder lays out equals plx_body_encode's (its own JSON printer, jsonout.c,
 *    prints what cJSON_PrintUnformatted prints);
 *  - the frames pulled segment by segment equal plx_encode_all's bytes, add up to
 *    plx_encoder_total, every frame but the last carries exactly max_frame payload bytes, MORE
 *    is set on all but the last and GZIP on all or none;
 *  - gzip is used only when the body reaches the threshold and the result is smaller;
 *  - plx_reader (WebSocket binding: one frame per call; stream binding: the bytes in one
 *    piece) gives back the message: an equal JSON tree and equal attachments (or the same
 *    catalogue error plx_msg_validate gives).
 */
#include <stdlib.h>
#include <string.h>

#include "json_ref.h"
#include "support.h"

#define MSG_ID 77u

static uint32_t be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

typedef struct encoded {
    uint8_t *bytes; /* every frame, each with its prefix when stream_prefix */
    size_t len;
    size_t nframes;
} encoded;

/* Pulls every frame segment by segment and checks the framing. */
static void pull(const plx_encoder_config *cfg, const plx_msg *m, encoded *out) {
    plx_encoder *e = plx_encoder_new(NULL, cfg);
    FUZZ_CHECK(e != NULL);
    FUZZ_CHECK_EQ(plx_encoder_begin(e, MSG_ID, m->json, m->att, m->natt), 0);
    size_t total = plx_encoder_total(e);
    out->bytes = malloc(total ? total : 1);
    FUZZ_CHECK(out->bytes != NULL);
    out->len = 0;
    out->nframes = 0;
    int gzip = -1, last = 0;
    uint32_t offset = 0;
    plx_bytes iov[PLX_ENCODER_MAX_IOV];
    size_t niov;
    while (plx_encoder_next(e, iov, &niov) == 1) {
        FUZZ_CHECK(!last && niov >= 1 && niov <= PLX_ENCODER_MAX_IOV);
        size_t start = out->len;
        for (size_t i = 0; i < niov; i++) {
            FUZZ_CHECK(out->len + iov[i].len <= total);
            if (iov[i].len) memcpy(out->bytes + out->len, iov[i].data, iov[i].len);
            out->len += iov[i].len;
        }
        const uint8_t *f = out->bytes + start;
        size_t flen = out->len - start;
        if (cfg->stream_prefix) {
            FUZZ_CHECK(flen >= 4 && be32(f) == flen - 4);
            f += 4;
            flen -= 4;
        }
        plx_frame fr;
        FUZZ_CHECK_EQ(plx_frame_decode(f, flen, cfg->max_frame, &fr), 0);
        FUZZ_CHECK(fr.h.msg_id == MSG_ID && fr.h.offset == offset);
        int g = (fr.h.flags & PLX_FLAG_GZIP) != 0;
        FUZZ_CHECK(gzip < 0 || g == gzip);
        gzip = g;
        last = !(fr.h.flags & PLX_FLAG_MORE);
        if (!last) FUZZ_CHECK(fr.h.length == cfg->max_frame);
        offset += fr.h.length;
        out->nframes++;
    }
    FUZZ_CHECK(last && out->len == total);
    plx_encoder_free(e);
}

/* The wire payload (all frames' payloads) of an encoded message. */
static uint8_t *payload_of(const plx_encoder_config *cfg, const encoded *enc, size_t *len) {
    uint8_t *p = malloc(enc->len + 1);
    FUZZ_CHECK(p != NULL);
    *len = 0;
    for (size_t pos = 0; pos < enc->len;) {
        if (cfg->stream_prefix) pos += 4;
        uint32_t n = be32(enc->bytes + pos + 12);
        memcpy(p + *len, enc->bytes + pos + 16, n);
        *len += n;
        pos += 16 + (size_t)n;
    }
    return p;
}

static void check_gzip_rule(const plx_encoder_config *cfg, const encoded *enc, const uint8_t *body,
                            size_t body_len) {
    size_t wire_len;
    uint8_t *wire = payload_of(cfg, enc, &wire_len);
    size_t first = cfg->stream_prefix ? 4 : 0;
    int gz = (enc->bytes[first + 1] & PLX_FLAG_GZIP) != 0;
    if (!gz) {
        FUZZ_CHECK(wire_len == body_len && memcmp(wire, body, body_len) == 0);
    } else {
        FUZZ_CHECK(cfg->gzip && body_len >= cfg->gzip_threshold && wire_len < body_len);
        uint8_t *plain = NULL;
        size_t plain_len = 0;
        FUZZ_CHECK_EQ(plx_gzip_inflate(NULL, wire, wire_len, body_len, &plain, &plain_len), 0);
        FUZZ_CHECK(plain_len == body_len && memcmp(plain, body, body_len) == 0);
        free(plain);
    }
    free(wire);
}

/* Reads the frames back with plx_reader and compares the message. */
static void read_back(const plx_encoder_config *cfg, const encoded *enc, const plx_msg *m) {
    plx_reader_config rc = {
        .limits = {0, 0, 0, 1}, .max_frame = cfg->max_frame, .dir = PLX_DIR_C2S};
    plx_reader *r = plx_reader_new(NULL, &rc);
    FUZZ_CHECK(r != NULL);
    plx_msg got;
    plx_msg_error err;
    int rc_read = 0;
    if (cfg->stream_prefix) {
        size_t consumed = 0;
        rc_read = plx_reader_stream(r, enc->bytes, enc->len, &consumed, 1, &got, &err);
        FUZZ_CHECK(consumed == enc->len);
        FUZZ_CHECK_EQ(plx_reader_end(r), 0);
    } else {
        for (size_t pos = 0; pos < enc->len;) {
            size_t flen = 16 + (size_t)be32(enc->bytes + pos + 12);
            rc_read = plx_reader_frame(r, enc->bytes + pos, flen, 1, &got, &err);
            pos += flen;
            if (pos < enc->len) FUZZ_CHECK_EQ(rc_read, 0);
        }
    }
    int valid = plx_msg_validate(m->json, m->natt, PLX_DIR_C2S, NULL);
    if (valid == 0) {
        FUZZ_CHECK_EQ(rc_read, 1);
        FUZZ_CHECK(json_ref_msg_equal(m, &got));
    } else {
        FUZZ_CHECK_EQ(rc_read, valid);
    }
    plx_msg_clear(&got);
    plx_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *copy = malloc(size ? size : 1);
    FUZZ_CHECK(copy != NULL);
    if (size) memcpy(copy, data, size);
    plx_msg m;
    if (plx_body_decode(NULL, (plx_bytes){copy, size}, &m) != 0) {
        free(copy);
        return 0;
    }
    plx_rng rng;
    plx_rng_seed(&rng, data, size);
    static const uint32_t frames[] = {512, 1000, 65536};
    plx_encoder_config cfg = {
        .max_frame = frames[plx_rng_below(&rng, 3)],
        .max_message = PLX_DEFAULT_MAX_MESSAGE,
        .gzip_threshold = plx_rng_below(&rng, 2) ? 0 : PLX_DEFAULT_GZIP_THRESHOLD,
        .gzip = (int)plx_rng_below(&rng, 2),
        .gzip_level = 0,
        .stream_prefix = (int)plx_rng_below(&rng, 2),
        .gzip_sample = plx_rng_below(&rng, 2) ? PLX_GZIP_SAMPLE_OFF : 256,
    };

    uint8_t *body = NULL;
    size_t body_len = 0;
    FUZZ_CHECK_EQ(plx_body_encode(NULL, m.json, m.att, m.natt, &body, &body_len), 0);
    encoded enc;
    pull(&cfg, &m, &enc);
    uint8_t *all = NULL;
    size_t all_len = 0;
    FUZZ_CHECK_EQ(plx_encode_all(NULL, &cfg, MSG_ID, m.json, m.att, m.natt, &all, &all_len), 0);
    FUZZ_CHECK(all_len == enc.len && memcmp(all, enc.bytes, all_len) == 0);
    check_gzip_rule(&cfg, &enc, body, body_len);
    read_back(&cfg, &enc, &m);

    free(all);
    free(enc.bytes);
    free(body);
    plx_msg_clear(&m);
    free(copy);
    return 0;
}
