/*
 * fuzz_assembler.c - fuzzes chunk reassembly over a sequence of frames, with a fake clock.
 *
 * Input: one config byte (bit 0: gzip negotiated), then records, each starting with an op
 * byte:
 *   0xF0..0xFF  tick: the clock advances (op & 15) * 111 ms and plx_assembler_expire runs;
 *   0x80..0xEF  gzip message: u8 repeat, u8 chunk size, u8 n, n bytes; the bytes repeated
 *               `repeat`+1 times are gzipped and fed as chunks of message id op & 3;
 *   0x00..0x7F  one frame: id op & 3, MORE if bit 2, GZIP if bit 3, offset: bits 4-5 == 3
 *               take a u16, else the bytes the model has for that id; length: bit 6 set
 *               takes a u16 & 0x7FF else a u8; then the payload bytes.
 * The clock moves in steps of 111 ms against an expiry of 1000 ms, so no message is ever
 * exactly at its expiry boundary.
 *
 * A model of SPEC.md's assembly rules predicts each feed: the error (EXPIRED first, then
 * CHK-9 or CHK-10 in their order; the codec must return exactly it), the body of a
 * completed message (wire bytes, inflated when GZIP), the number of incomplete messages and
 * the next expiry. Invariants: all of those, plus plx_assembler_held <= max_partial *
 * max_message and the assembler's live heap bytes (counting allocator) near that bound.
 */
#include <stdlib.h>
#include <string.h>

#include "support.h"

#define MAX_MESSAGE 1024u
#define MAX_PARTIAL 3u
#define EXPIRY_MS   1000u
#define NIDS        4u
#define MAX_OPS     256 /* bounds the work per input */

typedef struct model_msg {
    int used;
    int gzip;
    uint8_t buf[MAX_MESSAGE];
    size_t len;
    uint64_t last_ms;
} model_msg;

typedef struct harness {
    plx_assembler *as;
    plx_counting heap;
    model_msg msg[NIDS];
    size_t partials;
    int allow_gzip;
    uint64_t now;
    int dead; /* a fatal error happened: the connection is gone */
} harness;

static int model_expired(const harness *h) {
    for (size_t i = 0; i < NIDS; i++)
        if (h->msg[i].used && h->now - h->msg[i].last_ms > EXPIRY_MS) return 1;
    return 0;
}

static void check_state(harness *h) {
    FUZZ_CHECK(plx_assembler_partials(h->as) == h->partials);
    FUZZ_CHECK(plx_assembler_held(h->as) <= (size_t)MAX_PARTIAL * MAX_MESSAGE);
    /* slots, the last body and zlib's inflate state (~7 KiB + 32 KiB window) aside */
    FUZZ_CHECK(h->heap.peak <= (size_t)(MAX_PARTIAL + 1) * MAX_MESSAGE + (64u << 10));
    uint64_t oldest = UINT64_MAX;
    for (size_t i = 0; i < NIDS; i++)
        if (h->msg[i].used && h->msg[i].last_ms < oldest) oldest = h->msg[i].last_ms;
    uint64_t next = plx_assembler_next_expiry(h->as);
    if (oldest == UINT64_MAX)
        FUZZ_CHECK(next == UINT64_MAX);
    else
        FUZZ_CHECK(next > oldest + EXPIRY_MS && next <= oldest + EXPIRY_MS + 1);
}

/* The error SPEC.md CHK-9 (new id) or CHK-10 (incomplete id) gives for the frame, or 0. */
static int expected_error(const harness *h, const plx_frame *f) {
    const model_msg *m = &h->msg[f->h.msg_id];
    int gzip = (f->h.flags & PLX_FLAG_GZIP) != 0;
    if (!m->used) {
        if (f->h.offset != 0) return PLX_E_OFFSET_GAP;
        if (gzip && !h->allow_gzip) return PLX_E_GZIP_NOT_NEGOTIATED;
        if (f->h.length > MAX_MESSAGE) return PLX_E_TOO_LARGE;
        if ((f->h.flags & PLX_FLAG_MORE) && h->partials == MAX_PARTIAL)
            return PLX_E_TOO_MANY_PARTIAL;
        return 0;
    }
    if (f->h.offset > m->len) return PLX_E_OFFSET_GAP;
    if (f->h.offset < m->len) return PLX_E_OFFSET_OVERLAP;
    if (gzip != m->gzip) return PLX_E_FLAGS_MISMATCH;
    if ((uint64_t)m->len + f->h.length > MAX_MESSAGE) return PLX_E_TOO_LARGE;
    return 0;
}

/* Checks a completed body against the model's wire bytes (inflated when gzip). Returns the
 * expected result code: 1, or the inflate error. */
static int expected_body(const uint8_t *wire, size_t len, int gzip, uint8_t **out,
                         size_t *out_len) {
    if (!gzip) {
        *out = NULL;
        *out_len = len;
        return 1;
    }
    int rc = plx_gzip_inflate(NULL, wire, len, MAX_MESSAGE, out, out_len);
    return rc == PLX_OK ? 1 : rc;
}

static void feed(harness *h, const plx_frame *f) {
    if (model_expired(h)) {
        plx_bytes body;
        FUZZ_CHECK_EQ(plx_assembler_feed(h->as, f, h->now, &body, NULL), PLX_E_EXPIRED);
        h->dead = 1;
        return;
    }
    int want_error = expected_error(h, f);
    model_msg *m = &h->msg[f->h.msg_id];
    plx_bytes body = {NULL, 0};
    uint32_t id = UINT32_MAX;
    int rc = plx_assembler_feed(h->as, f, h->now, &body, &id);
    if (want_error) {
        FUZZ_CHECK_EQ(rc, want_error);
        h->dead = 1;
        return;
    }
    int gzip = (f->h.flags & PLX_FLAG_GZIP) != 0;
    if (!m->used) m->len = 0;
    if (f->h.length) memcpy(m->buf + m->len, f->payload, f->h.length);
    m->len += f->h.length;
    m->last_ms = h->now;
    if (f->h.flags & PLX_FLAG_MORE) {
        FUZZ_CHECK_EQ(rc, 0);
        if (!m->used) h->partials++;
        m->used = 1;
        m->gzip = gzip;
        return;
    }
    if (m->used) h->partials--;
    m->used = 0;
    uint8_t *want = NULL;
    size_t want_len = 0;
    int want_rc = expected_body(m->buf, m->len, gzip, &want, &want_len);
    FUZZ_CHECK_EQ(rc, want_rc);
    if (rc == 1) {
        FUZZ_CHECK(id == f->h.msg_id);
        FUZZ_CHECK(body.len == want_len);
        FUZZ_CHECK(body.len == 0 || memcmp(body.data, want ? want : m->buf, body.len) == 0);
    } else {
        h->dead = 1;
    }
    free(want);
}

static void tick(harness *h, unsigned steps) {
    h->now += (uint64_t)steps * 111u;
    int expired = model_expired(h);
    int rc = plx_assembler_expire(h->as, h->now);
    FUZZ_CHECK_EQ(rc, expired ? PLX_E_EXPIRED : PLX_OK);
    if (expired) h->dead = 1; /* EXPIRED is fatal for the connection */
}

static void raw_frame(harness *h, uint8_t op, plx_cursor *in) {
    plx_frame f;
    memset(&f, 0, sizeof(f));
    f.h.version = PLX_PROTOCOL_VERSION;
    f.h.msg_id = op & 3u;
    f.h.flags = (uint8_t)(((op & 4) ? PLX_FLAG_MORE : 0) | ((op & 8) ? PLX_FLAG_GZIP : 0));
    const model_msg *m = &h->msg[f.h.msg_id];
    f.h.offset = ((op >> 4) & 3) == 3 ? plx_take_u16(in) : (m->used ? (uint32_t)m->len : 0);
    size_t want = (op & 0x40) ? (plx_take_u16(in) & 0x7FFu) : plx_take_u8(in);
    f.h.length = (uint32_t)plx_take_bytes(in, want, &f.payload);
    if (f.h.length == 0) f.h.flags &= (uint8_t)~PLX_FLAG_MORE; /* an empty MORE never decodes */
    feed(h, &f);
}

/* A well-formed gzip message cut into chunks (the fuzzer cannot easily write deflate). */
static void gzip_message(harness *h, uint8_t op, plx_cursor *in) {
    size_t repeat = (size_t)plx_take_u8(in) + 1;
    size_t chunk = (size_t)plx_take_u8(in) + 1;
    const uint8_t *src;
    size_t n = plx_take_bytes(in, plx_take_u8(in), &src);
    uint8_t *plain = malloc(n * repeat + 1);
    FUZZ_CHECK(plain != NULL);
    for (size_t i = 0; i < repeat; i++)
        memcpy(plain + i * n, src, n);
    uint8_t *gz = NULL;
    size_t gz_len = 0;
    FUZZ_CHECK(plx_gzip_compress(NULL, plain, n * repeat, 6, &gz, &gz_len) == PLX_OK);
    free(plain);
    const model_msg *m = &h->msg[op & 3u];
    uint32_t base = m->used ? (uint32_t)m->len : 0; /* continue a partial one: FLAGS rules */
    for (size_t off = 0; off < gz_len && !h->dead; off += chunk) {
        plx_frame f;
        memset(&f, 0, sizeof(f));
        f.h.version = PLX_PROTOCOL_VERSION;
        f.h.msg_id = op & 3u;
        f.h.length = (uint32_t)(gz_len - off < chunk ? gz_len - off : chunk);
        f.h.flags = (uint8_t)(PLX_FLAG_GZIP | (off + f.h.length < gz_len ? PLX_FLAG_MORE : 0));
        f.h.offset = base + (uint32_t)off;
        f.payload = gz + off;
        feed(h, &f);
        if (!h->dead) check_state(h);
    }
    free(gz);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    plx_cursor in;
    plx_cursor_init(&in, data, size);
    harness *h = calloc(1, sizeof(*h));
    FUZZ_CHECK(h != NULL);
    h->allow_gzip = plx_take_u8(&in) & 1;
    h->now = 1000000;
    plx_counting_init(&h->heap);
    plx_assembler_limits lim = {MAX_MESSAGE, MAX_PARTIAL, EXPIRY_MS, h->allow_gzip};
    h->as = plx_assembler_new(&h->heap.alloc, &lim);
    FUZZ_CHECK(h->as != NULL);
    for (int ops = 0; in.left > 0 && !h->dead && ops < MAX_OPS; ops++) {
        uint8_t op = plx_take_u8(&in);
        if (op >= 0xF0)
            tick(h, op & 0x0Fu);
        else if (op & 0x80)
            gzip_message(h, op, &in);
        else
            raw_frame(h, op, &in);
        if (!h->dead) check_state(h);
    }
    plx_assembler_free(h->as);
    FUZZ_CHECK(h->heap.live == 0 && h->heap.count == 0); /* nothing leaked or lost */
    free(h);
    return 0;
}
