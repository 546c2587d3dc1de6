/*
 * fuzz_reader.c - fuzzes the whole receive path (plx_reader): frames or stream bytes in,
 * validated messages out, with a fake clock.
 *
 * Input: a config byte (bit 0: stream binding, else WebSocket frames; bits 1-2: the
 * direction received, 0 meaning c2s; bit 3: gzip negotiated), then records: u16 length then
 * that many bytes (one frame, or a piece of the stream), or the length 0xFFFF then a u8
 * step: the clock advances step * 111 ms and plx_reader_tick runs.
 *
 * Invariants: a delivered message is a JSON object that passes catalogue validation for the
 * reader's direction, with readable attachments; a message made to own its attachments
 * (plx_msg_own) keeps them intact across later calls; a catalogue error (5xx) leaves the
 * reader usable and keeps the JSON exactly when the message has an integer id; any other
 * error is a frame/chunk/gzip/body error and is sticky for frames, stream bytes and ticks;
 * at the end of a stream plx_reader_end reports TRUNCATED exactly when the stream stops inside
 * a prefix or a frame (TRN-18);
 * err->code always equals the result; no call reads past its input; the reader's heap stays
 * within its documented bounds and is all freed.
 */
#include <stdlib.h>
#include <string.h>

#include "support.h"

#define MAX_FRAME   1024u
#define MAX_MESSAGE (64u << 10)
#define MAX_PARTIAL 4u
#define EXPIRY_MS   1000u
#define MAX_RECORDS 512

typedef struct harness {
    plx_reader *r;
    plx_counting heap;
    plx_dir dir;
    uint64_t now;
    int fatal;          /* the sticky error, once there is one */
    plx_msg kept;       /* the last message made to own its attachments */
    uint8_t *kept_copy; /* its attachment bytes, concatenated, to compare later */
    size_t kept_len;
    uint8_t *stream; /* stream binding: every byte fed so far, to find where it ends */
    size_t stream_len;
} harness;

static int is_fatal_code(int rc) {
    return (rc <= PLX_E_TRUNCATED && rc >= PLX_E_EMPTY_CHUNK) ||
           (rc <= PLX_E_OFFSET_GAP && rc >= PLX_E_EXPIRED) ||
           (rc <= PLX_E_BAD_GZIP && rc >= PLX_E_GZIP_NOT_NEGOTIATED) ||
           (rc <= PLX_E_BODY_TRUNCATED && rc >= PLX_E_TOO_MANY_ATTACHMENTS);
}

/* Catalogue errors: the only non-fatal ones (BAD_ATTACHMENT_REF is a body error here). */
static int is_message_code(int rc) {
    return rc <= PLX_E_MISSING_TYPE && rc >= PLX_E_WRONG_DIRECTION;
}

/* The JSON of a message refused by the catalogue is kept only when a reply can name it. */
static int has_id(const cJSON *json) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(json, "id");
    return cJSON_IsNumber(id) && id->valuedouble >= 0;
}

static void check_kept(const harness *h) {
    size_t off = 0;
    for (size_t i = 0; i < h->kept.natt; i++) {
        FUZZ_CHECK(off + h->kept.att[i].len <= h->kept_len);
        FUZZ_CHECK(h->kept.att[i].len == 0 ||
                   memcmp(h->kept.att[i].data, h->kept_copy + off, h->kept.att[i].len) == 0);
        off += h->kept.att[i].len;
    }
    FUZZ_CHECK(off == h->kept_len);
}

static void drop_kept(harness *h) {
    plx_msg_clear(&h->kept);
    free(h->kept_copy);
    h->kept_copy = NULL;
    h->kept_len = 0;
}

/* Makes m own its attachments and keeps it (with a copy of its bytes) until the next one. */
static void keep(harness *h, plx_msg *m) {
    drop_kept(h);
    FUZZ_CHECK(plx_msg_own(m) == PLX_OK);
    size_t total = 0;
    for (size_t i = 0; i < m->natt; i++)
        total += m->att[i].len;
    h->kept_copy = malloc(total ? total : 1);
    FUZZ_CHECK(h->kept_copy != NULL);
    for (size_t i = 0, off = 0; i < m->natt; off += m->att[i].len, i++)
        if (m->att[i].len) memcpy(h->kept_copy + off, m->att[i].data, m->att[i].len);
    h->kept_len = total;
    h->kept = *m;
    memset(m, 0, sizeof(*m));
}

/* Checks one result of plx_reader_frame / plx_reader_stream. */
static void on_result(harness *h, int rc, plx_msg *m, const plx_msg_error *err) {
    FUZZ_CHECK(rc <= 1);
    if (rc == 1) {
        FUZZ_CHECK_EQ(err->code, 0);
        FUZZ_CHECK(cJSON_IsObject(m->json));
        FUZZ_CHECK(plx_msg_validate(m->json, m->natt, h->dir, NULL) == PLX_OK);
        FUZZ_CHECK(m->natt == 0 || m->att != NULL);
        unsigned sum = 0;
        for (size_t i = 0; i < m->natt; i++)
            for (size_t k = 0; k < m->att[i].len; k++)
                sum += m->att[i].data[k];
        (void)sum;
        if (m->natt && (h->now / 111) % 2 == 0) {
            keep(h, m);
            return;
        }
    } else if (rc == 0) {
        FUZZ_CHECK(m->json == NULL && m->natt == 0);
    } else if (is_message_code(rc)) {
        FUZZ_CHECK_EQ(err->code, rc);
        if (m->json) FUZZ_CHECK(has_id(m->json));
    } else {
        FUZZ_CHECK(is_fatal_code(rc));
        FUZZ_CHECK_EQ(err->code, rc);
        FUZZ_CHECK(m->json == NULL);
        h->fatal = rc;
    }
    plx_msg_clear(m);
}

static uint32_t be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* plx_reader_end: TRUNCATED exactly when the stream stops inside a prefix or a frame (TRN-18),
 * the sticky error after a fatal one. */
static void check_end(harness *h) {
    size_t pos = 0;
    while (h->stream_len - pos >= 4 && h->stream_len - pos - 4 >= be32(h->stream + pos))
        pos += 4 + (size_t)be32(h->stream + pos);
    int rc = plx_reader_end(h->r);
    if (h->fatal)
        FUZZ_CHECK_EQ(rc, h->fatal);
    else
        FUZZ_CHECK_EQ(rc, pos == h->stream_len ? 0 : PLX_E_TRUNCATED);
}

static void feed_frame(harness *h, const uint8_t *p, size_t len) {
    plx_msg m;
    plx_msg_error err;
    int rc = plx_reader_frame(h->r, p, len, h->now, &m, &err);
    if (h->fatal) {
        FUZZ_CHECK_EQ(rc, h->fatal);
        plx_msg_clear(&m);
        return;
    }
    on_result(h, rc, &m, &err);
}

static void feed_stream(harness *h, const uint8_t *p, size_t len) {
    size_t off = 0;
    do {
        plx_msg m;
        plx_msg_error err;
        size_t consumed = 12345;
        int rc = plx_reader_stream(h->r, p + off, len - off, &consumed, h->now, &m, &err);
        if (h->fatal) {
            FUZZ_CHECK_EQ(rc, h->fatal);
            plx_msg_clear(&m);
            return;
        }
        FUZZ_CHECK(consumed <= len - off);
        if (rc == 0) FUZZ_CHECK(consumed == len - off);
        on_result(h, rc, &m, &err);
        if (h->fatal) return;
        FUZZ_CHECK(consumed > 0 || off == len); /* a message ends on a byte of this call */
        off += consumed;
    } while (off < len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    plx_cursor in;
    plx_cursor_init(&in, data, size);
    uint8_t config = plx_take_u8(&in);
    harness h;
    memset(&h, 0, sizeof(h));
    static const plx_dir dirs[] = {PLX_DIR_C2S, PLX_DIR_C2S, PLX_DIR_S2C, PLX_DIR_BOTH};
    h.dir = dirs[(config >> 1) & 3];
    h.now = 5000000;
    plx_counting_init(&h.heap);
    plx_reader_config cfg = {
        .limits = {MAX_MESSAGE, MAX_PARTIAL, EXPIRY_MS, (config >> 3) & 1},
        .max_frame = MAX_FRAME,
        .dir = h.dir,
    };
    h.r = plx_reader_new(&h.heap.alloc, &cfg);
    FUZZ_CHECK(h.r != NULL);
    for (int n = 0; n < MAX_RECORDS && in.left > 0; n++) {
        uint16_t len = plx_take_u16(&in);
        if (len == 0xFFFF) {
            h.now += (uint64_t)plx_take_u8(&in) * 111u;
            int rc = plx_reader_tick(h.r, h.now);
            if (h.fatal) {
                FUZZ_CHECK_EQ(rc, h.fatal);
            } else if (rc != PLX_OK) {
                FUZZ_CHECK_EQ(rc, PLX_E_EXPIRED);
                h.fatal = rc;
            }
            continue;
        }
        const uint8_t *p;
        size_t n_bytes = plx_take_bytes(&in, len, &p);
        uint8_t *copy = malloc(n_bytes ? n_bytes : 1); /* exact size: overreads are caught */
        FUZZ_CHECK(copy != NULL);
        if (n_bytes) memcpy(copy, p, n_bytes);
        if (config & 1) {
            feed_stream(&h, copy, n_bytes);
            h.stream = realloc(h.stream, h.stream_len + n_bytes + 1);
            FUZZ_CHECK(h.stream != NULL);
            if (n_bytes) memcpy(h.stream + h.stream_len, copy, n_bytes);
            h.stream_len += n_bytes;
        } else {
            feed_frame(&h, copy, n_bytes);
        }
        free(copy);
        if (h.kept.json) check_kept(&h);
    }
    drop_kept(&h);
    if (config & 1) check_end(&h);
    free(h.stream);
    /* bounds: partial messages, one inflated or completed body, one buffered frame, zlib */
    FUZZ_CHECK(h.heap.peak <= (size_t)(MAX_PARTIAL + 2) * MAX_MESSAGE + MAX_FRAME + (128u << 10));
    plx_reader_free(h.r);
    FUZZ_CHECK(h.heap.live == 0 && h.heap.count == 0);
    return 0;
}
