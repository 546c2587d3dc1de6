/*
 * test_sendq.c - the transport's bounded send queue: the byte bound, frames of different
 * messages interleaved round-robin (at most max_active in progress, the rest FIFO), a frame
 * never interleaved with another once started, partial writes, the stream binding's prefix,
 * truncation for a slow reader (LIM-4: messages not started are dropped), and the gathering
 * of small frames into one write (with WebSocket headers, or raw with stream prefixes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <plexus/codec.h>

#include "sendq.h"

#define HEADROOM 8 /* like LWS_PRE: bytes before the frames the writer may overwrite */
#define MAX_SEEN 256

static int fill_byte(uint32_t id, uint32_t offset) {
    return (int)((id * 31 + offset) & 0xff);
}

/* A message of nframes frames of payload bytes each (the last may be shorter: last_len),
 * msg_id id, each frame preceded by prefix bytes (a stream prefix when prefix is 4). Every
 * payload byte is fill_byte(id, offset), so a reader can check it. *len: the bytes after the
 * headroom. */
static uint8_t *make_msg(uint32_t id, unsigned nframes, uint32_t payload, uint32_t last_len,
                         size_t prefix, size_t *len) {
    size_t total = 0;
    uint8_t *buf, *p;

    for (unsigned i = 0; i < nframes; i++)
        total += prefix + PLX_FRAME_HEADER_LEN + (i + 1 == nframes ? last_len : payload);
    buf = malloc(HEADROOM + total);
    assert_non_null(buf);
    p = buf + HEADROOM;
    for (unsigned i = 0; i < nframes; i++) {
        uint32_t n = i + 1 == nframes ? last_len : payload;
        plx_frame_header h = {1, i + 1 < nframes ? PLX_FLAG_MORE : 0, 0, id, i * payload, n};
        if (prefix) {
            plx_stream_prefix(PLX_FRAME_HEADER_LEN + n, p);
            p += prefix;
        }
        assert_int_equal(plx_frame_header_encode(&h, p), 0);
        p += PLX_FRAME_HEADER_LEN;
        memset(p, fill_byte(id, i * payload), n);
        p += n;
    }
    *len = total;
    return buf;
}

static void push(plx_sendq *q, uint32_t id, unsigned nframes, uint32_t payload, uint32_t last,
                 size_t prefix) {
    size_t len;
    uint8_t *buf = make_msg(id, nframes, payload, last, prefix, &len);

    assert_true(plx_sendq_fits(q, len));
    assert_int_equal(plx_sendq_push(q, buf, HEADROOM, len), 0);
}

typedef struct seen_frame {
    uint32_t id, offset, len;
} seen_frame;

/* Writes everything out, at most max bytes per piece, checking that a frame's pieces are
 * contiguous and whole (first ... last, payload intact) and that the byte count goes down
 * by exactly what was written. Returns the frames in the order written. */
static size_t drain(plx_sendq *q, size_t max, size_t prefix, seen_frame *out) {
    uint8_t frame[64 << 10];
    size_t have = 0, n = 0;
    plx_piece p;

    while (plx_sendq_peek(q, max, &p)) {
        uint64_t before = plx_sendq_bytes(q);
        assert_true(p.len > 0 && p.len <= max);
        assert_int_equal(p.first, have == 0);
        assert_true(have + p.len <= sizeof(frame));
        memcpy(frame + have, p.data, p.len);
        have += p.len;
        plx_sendq_advance(q, p.len);
        assert_int_equal(plx_sendq_bytes(q), before - p.len);
        if (!p.last) continue;
        plx_frame f;
        if (prefix) {
            uint32_t fl = (uint32_t)frame[0] << 24 | (uint32_t)frame[1] << 16 |
                          (uint32_t)frame[2] << 8 | frame[3];
            assert_int_equal(fl, have - prefix);
        }
        assert_int_equal(plx_frame_decode(frame + prefix, have - prefix, PLX_MAX_MAX_FRAME, &f), 0);
        for (uint32_t i = 0; i < f.h.length; i++)
            assert_int_equal(f.payload[i], fill_byte(f.h.msg_id, f.h.offset));
        assert_true(n < MAX_SEEN);
        out[n++] = (seen_frame){f.h.msg_id, f.h.offset, f.h.length};
        have = 0;
    }
    assert_int_equal(have, 0); /* never stopped inside a frame */
    assert_int_equal(plx_sendq_bytes(q), 0);
    return n;
}

/* Writes k whole frames, as a writer taking whole frames would. */
static void write_frames(plx_sendq *q, int k) {
    plx_piece p;

    for (int i = 0; i < k; i++) {
        assert_int_equal(plx_sendq_peek(q, SIZE_MAX, &p), 1);
        assert_true(p.first && p.last);
        plx_sendq_advance(q, p.len);
    }
}

static void expect_order(const seen_frame *s, size_t n, const uint32_t (*want)[2], size_t nwant) {
    assert_int_equal(n, nwant);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(s[i].id, want[i][0]);
        assert_int_equal(s[i].offset, want[i][1]);
    }
}

static void test_empty_queue(void **state) {
    plx_sendq *q = plx_sendq_new(1000, 0, 16);
    plx_piece p;

    (void)state;
    assert_non_null(q);
    assert_int_equal(plx_sendq_bytes(q), 0);
    assert_int_equal(plx_sendq_peek(q, 100, &p), 0);
    plx_sendq_advance(q, 10); /* nothing peeked: no effect */
    assert_int_equal(plx_sendq_bytes(q), 0);
    assert_int_equal(plx_sendq_truncate(q), 0);
    /* a message of no bytes is accepted and leaves nothing queued */
    assert_int_equal(plx_sendq_push(q, malloc(4), 4, 0), 0);
    assert_int_equal(plx_sendq_peek(q, 100, &p), 0);
    plx_sendq_free(q);
    plx_sendq_free(NULL);
}

static void test_byte_bound(void **state) {
    plx_sendq *q = plx_sendq_new(100, 0, 16);
    size_t len;
    uint8_t *buf;
    plx_piece p;

    (void)state;
    assert_true(plx_sendq_fits(q, 100));
    assert_false(plx_sendq_fits(q, 101));
    assert_false(plx_sendq_fits(q, UINT64_MAX)); /* no overflow in the check */
    buf = make_msg(1, 1, 0, 24, 0, &len);        /* 16 + 24 = 40 bytes */
    assert_int_equal(len, 40);
    assert_int_equal(plx_sendq_push(q, buf, HEADROOM, len), 0);
    assert_int_equal(plx_sendq_bytes(q), 40);
    assert_true(plx_sendq_fits(q, 60));
    assert_false(plx_sendq_fits(q, 61));
    buf = make_msg(2, 1, 0, 44, 0, &len); /* 60 bytes: exactly up to the bound */
    assert_int_equal(plx_sendq_push(q, buf, HEADROOM, len), 0);
    assert_int_equal(plx_sendq_bytes(q), 100);
    assert_false(plx_sendq_fits(q, 1));
    assert_true(plx_sendq_fits(q, 0));
    /* writing frees room, byte by byte */
    assert_int_equal(plx_sendq_peek(q, 10, &p), 1);
    plx_sendq_advance(q, 10);
    assert_int_equal(plx_sendq_bytes(q), 90);
    assert_true(plx_sendq_fits(q, 10));
    assert_false(plx_sendq_fits(q, 11));
    plx_sendq_free(q); /* frees the queued buffers (ASan checks) */
}

static void test_round_robin_interleaving(void **state) {
    plx_sendq *q = plx_sendq_new(1 << 20, 0, 16);
    seen_frame s[MAX_SEEN];
    size_t n;
    static const uint32_t want[][2] = {{1, 0},  {2, 0},   {3, 0},   {1, 100},
                                       {2, 50}, {1, 200}, {2, 100}, {2, 150}};

    (void)state;
    push(q, 1, 3, 100, 30, 0); /* A: 3 frames */
    push(q, 2, 4, 50, 50, 0);  /* B: 4 frames */
    push(q, 3, 1, 0, 5, 0);    /* C: 1 small frame: goes out second round-robin turn */
    n = drain(q, SIZE_MAX, 0, s);
    expect_order(s, n, want, sizeof(want) / sizeof(want[0]));
    plx_sendq_free(q);
}

static void test_small_reply_overtakes_a_transfer(void **state) {
    plx_sendq *q = plx_sendq_new(1 << 20, 0, 16);
    seen_frame s[MAX_SEEN];
    size_t n;

    (void)state;
    push(q, 1, 10, 1000, 1000, 0);
    /* two frames of the transfer are written, then a small reply arrives */
    write_frames(q, 2);
    push(q, 2, 1, 0, 10, 0);
    n = drain(q, SIZE_MAX, 0, s);
    assert_int_equal(n, 9);
    assert_int_equal(s[0].id, 1);
    assert_int_equal(s[1].id, 2); /* after one more frame of the transfer, not after all */
    for (size_t i = 2; i < n; i++)
        assert_int_equal(s[i].id, 1);
    plx_sendq_free(q);
}

static void test_max_active_keeps_fifo_order(void **state) {
    plx_sendq *q = plx_sendq_new(1 << 20, 0, 2);
    seen_frame s[MAX_SEEN];
    size_t n;
    /* at most 2 messages in progress: 3 starts when 1 or 2 is finished */
    static const uint32_t want[][2] = {{1, 0}, {2, 0}, {3, 0}, {1, 10}, {3, 10}, {1, 20}};

    (void)state;
    push(q, 1, 3, 10, 10, 0);
    push(q, 2, 1, 0, 10, 0);
    push(q, 3, 2, 10, 10, 0);
    n = drain(q, SIZE_MAX, 0, s);
    expect_order(s, n, want, sizeof(want) / sizeof(want[0]));
    plx_sendq_free(q);

    q = plx_sendq_new(1 << 20, 0, 1); /* one at a time: strictly FIFO */
    push(q, 1, 2, 10, 10, 0);
    push(q, 2, 2, 10, 10, 0);
    n = drain(q, SIZE_MAX, 0, s);
    static const uint32_t fifo[][2] = {{1, 0}, {1, 10}, {2, 0}, {2, 10}};
    expect_order(s, n, fifo, 4);
    plx_sendq_free(q);

    q = plx_sendq_new(1 << 20, 0, 0); /* 0 means 1 */
    push(q, 1, 2, 10, 10, 0);
    push(q, 2, 1, 0, 10, 0);
    n = drain(q, SIZE_MAX, 0, s);
    static const uint32_t one[][2] = {{1, 0}, {1, 10}, {2, 0}};
    expect_order(s, n, one, 3);
    plx_sendq_free(q);
}

static void test_partial_writes_finish_the_frame_first(void **state) {
    plx_sendq *q = plx_sendq_new(1 << 20, 0, 16);
    seen_frame s[MAX_SEEN];
    size_t n;
    static const uint32_t want[][2] = {{1, 0}, {2, 0}, {1, 500}, {2, 300}};

    (void)state;
    push(q, 1, 2, 500, 123, 0);
    push(q, 2, 2, 300, 7, 0);
    n = drain(q, 37, 0, s); /* pieces of at most 37 bytes; drain checks contiguity */
    expect_order(s, n, want, 4);
    assert_int_equal(s[2].len, 123);
    assert_int_equal(s[3].len, 7);
    plx_sendq_free(q);
}

static void test_stream_prefix(void **state) {
    plx_sendq *q = plx_sendq_new(1 << 20, PLX_STREAM_PREFIX_LEN, 16);
    seen_frame s[MAX_SEEN];
    plx_piece p;
    size_t n;
    static const uint32_t want[][2] = {{7, 0}, {8, 0}, {7, 64}};

    (void)state;
    push(q, 7, 2, 64, 1, PLX_STREAM_PREFIX_LEN);
    push(q, 8, 1, 0, 0, PLX_STREAM_PREFIX_LEN); /* an empty last frame: header only */
    assert_int_equal(plx_sendq_bytes(q), 4 + 16 + 64 + 4 + 16 + 1 + 4 + 16);
    assert_int_equal(plx_sendq_peek(q, SIZE_MAX, &p), 1);
    assert_int_equal(p.len, 4 + 16 + 64); /* the prefix travels with its frame */
    n = drain(q, 5, PLX_STREAM_PREFIX_LEN, s);
    expect_order(s, n, want, 3);
    plx_sendq_free(q);
}

static void test_first_piece_has_headroom(void **state) {
    plx_sendq *q = plx_sendq_new(1 << 20, 0, 16);
    size_t len;
    uint8_t *buf = make_msg(1, 2, 40, 40, 0, &len);
    plx_piece p;

    (void)state;
    assert_int_equal(plx_sendq_push(q, buf, HEADROOM, len), 0);
    assert_int_equal(plx_sendq_peek(q, SIZE_MAX, &p), 1);
    assert_ptr_equal(p.data, buf + HEADROOM); /* no copy: the writer may use the headroom */
    assert_int_equal(p.len, 56);
    plx_sendq_advance(q, p.len);
    assert_int_equal(plx_sendq_peek(q, SIZE_MAX, &p), 1);
    assert_ptr_equal(p.data, buf + HEADROOM + 56);
    plx_sendq_free(q);
}

static void test_truncate_drops_what_has_not_started(void **state) {
    plx_sendq *q = plx_sendq_new(1 << 20, 0, 16);
    seen_frame s[MAX_SEEN];
    plx_piece p;
    size_t n;

    (void)state;
    push(q, 1, 3, 100, 100, 0); /* 348 bytes */
    push(q, 2, 2, 100, 100, 0); /* 232 bytes */
    push(q, 3, 1, 0, 10, 0);    /* 26 bytes, waiting */
    /* message 1 has started: half of its first frame is written */
    assert_int_equal(plx_sendq_peek(q, 50, &p), 1);
    plx_sendq_advance(q, 50);
    assert_int_equal(plx_sendq_bytes(q), 348 + 232 + 26 - 50);
    assert_int_equal(plx_sendq_truncate(q), 232 + 26);
    assert_int_equal(plx_sendq_bytes(q), 348 - 50);
    /* the SLOW_READER error is queued after the started message and goes out after it,
     * round-robin, without breaking the frame in progress */
    push(q, 9, 1, 0, 20, 0);
    assert_int_equal(plx_sendq_peek(q, SIZE_MAX, &p), 1);
    assert_false(p.first); /* the rest of the frame in progress comes first */
    assert_int_equal(p.len, 116 - 50);
    plx_sendq_advance(q, p.len);
    n = drain(q, SIZE_MAX, 0, s);
    static const uint32_t want[][2] = {{9, 0}, {1, 100}, {1, 200}};
    expect_order(s, n, want, 3);
    plx_sendq_free(q);
}

static void test_truncate_keeps_every_started_message(void **state) {
    plx_sendq *q = plx_sendq_new(1 << 20, 0, 16);
    seen_frame s[MAX_SEEN];
    plx_piece p;
    size_t n;

    (void)state;
    push(q, 1, 2, 10, 10, 0);
    push(q, 2, 2, 10, 10, 0);
    push(q, 3, 2, 10, 10, 0);
    /* frames 1/0 and 2/0 written: 1 and 2 have started, 3 has not */
    write_frames(q, 2);
    assert_int_equal(plx_sendq_truncate(q), 52);
    n = drain(q, SIZE_MAX, 0, s);
    static const uint32_t want[][2] = {{1, 10}, {2, 10}};
    expect_order(s, n, want, 2);
    /* nothing started at all: everything goes */
    push(q, 4, 2, 10, 10, 0);
    assert_int_equal(plx_sendq_truncate(q), 52);
    assert_int_equal(plx_sendq_bytes(q), 0);
    assert_int_equal(plx_sendq_peek(q, SIZE_MAX, &p), 0);
    plx_sendq_free(q);
}

static void test_many_messages(void **state) {
    plx_sendq *q = plx_sendq_new(1 << 20, 0, 16);
    seen_frame s[MAX_SEEN];
    uint32_t next[41] = {0};
    size_t n;

    (void)state;
    for (uint32_t id = 1; id <= 40; id++)
        push(q, id, 1 + id % 4, 8, 3, 0);
    n = drain(q, 11, 0, s);
    /* every frame of every message, each message's frames in order */
    size_t frames = 0;
    for (uint32_t id = 1; id <= 40; id++)
        frames += 1 + id % 4;
    assert_int_equal(n, frames);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(s[i].offset, next[s[i].id]);
        next[s[i].id] += 8;
    }
    plx_sendq_free(q);
}

/* Parses a batch of WebSocket-framed frames (unmasked binary, FIN) into seen frames, checking
 * every header and payload byte. */
static size_t parse_ws_batch(const uint8_t *b, size_t len, seen_frame *out, size_t n) {
    size_t pos = 0;

    while (pos < len) {
        uint64_t plen;
        plx_frame f;
        assert_int_equal(b[pos], 0x82);
        plen = b[pos + 1];
        pos += 2;
        if (plen == 126) {
            plen = (uint64_t)b[pos] << 8 | b[pos + 1];
            assert_true(plen >= 126); /* the shortest form (RFC 6455 5.2) */
            pos += 2;
        } else if (plen == 127) {
            plen = 0;
            for (int i = 0; i < 8; i++)
                plen = plen << 8 | b[pos + i];
            assert_true(plen > 0xffff);
            pos += 8;
        }
        assert_true(plen <= len - pos);
        assert_int_equal(plx_frame_decode(b + pos, plen, PLX_MAX_MAX_FRAME, &f), 0);
        for (uint32_t i = 0; i < f.h.length; i++)
            assert_int_equal(f.payload[i], fill_byte(f.h.msg_id, f.h.offset));
        assert_true(n < MAX_SEEN);
        out[n++] = (seen_frame){f.h.msg_id, f.h.offset, f.h.length};
        pos += plen;
    }
    return n;
}

static void test_batch_websocket(void **state) {
    plx_sendq *q = plx_sendq_new(1 << 20, 0, 16);
    static uint8_t buf[1 << 18];
    seen_frame s[MAX_SEEN];
    uint64_t before;
    size_t n, len, k = 0;
    /* round-robin order, as plx_sendq_peek gives it; the 70,000-byte frame stops a batch */
    static const uint32_t want[][2] = {{1, 0}, {2, 0}, {3, 0}, {1, 100}, {3, 200}, {1, 200}};

    (void)state;
    push(q, 1, 3, 100, 10, 0);    /* 116-byte frames: a 2-byte header each */
    push(q, 2, 1, 0, 200, 0);     /* 216: a 4-byte header */
    push(q, 3, 2, 200, 70000, 0); /* the second frame, 70,016 bytes: a 10-byte header */
    before = plx_sendq_bytes(q);
    len = plx_sendq_batch(q, buf, sizeof(buf), 8192, 1);
    /* 1/0, 2/0, 3/0, 1/100 with their headers; 3/200 is too large for the batch */
    assert_int_equal(len, (2 + 116) + (4 + 216) + (4 + 216) + (2 + 116));
    assert_int_equal(plx_sendq_bytes(q), before - (116 + 216 + 216 + 116));
    k = parse_ws_batch(buf, len, s, k);
    assert_int_equal(k, 4);
    /* the large frame is next: no batch, the writer sends it alone from its buffer */
    assert_int_equal(plx_sendq_batch(q, buf, sizeof(buf), 8192, 1), 0);
    n = plx_sendq_batch(q, buf, sizeof(buf), 1 << 17, 1);
    assert_int_equal(n, (10 + 70016) + (2 + 26)); /* with a larger bound it fits, then 1/200 */
    k = parse_ws_batch(buf, n, s, k);
    expect_order(s, k, want, 6);
    assert_int_equal(plx_sendq_bytes(q), 0);
    assert_int_equal(plx_sendq_batch(q, buf, sizeof(buf), 8192, 1), 0); /* empty */
    plx_sendq_free(q);
}

static void test_batch_stops_when_full(void **state) {
    plx_sendq *q = plx_sendq_new(1 << 20, PLX_STREAM_PREFIX_LEN, 16);
    uint8_t buf[100];
    seen_frame s[MAX_SEEN];
    size_t n;

    (void)state;
    for (uint32_t id = 1; id <= 5; id++)
        push(q, id, 1, 0, 20, PLX_STREAM_PREFIX_LEN); /* 40 bytes each, prefix included */
    n = plx_sendq_batch(q, buf, sizeof(buf), 1000, 0);
    assert_int_equal(n, 80); /* two whole frames; a third would not fit */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(buf[40 * i + 3], 36);        /* the stream prefix is copied as it is */
        assert_int_equal(buf[40 * i + 4 + 7], i + 1); /* msg_id's low byte */
    }
    assert_int_equal(plx_sendq_bytes(q), 3 * 40);
    assert_int_equal(plx_sendq_batch(q, buf, 39, 1000, 0), 0); /* nothing fits */
    assert_int_equal(plx_sendq_bytes(q), 3 * 40);
    /* the rest goes out in order, the same bytes a piece-by-piece writer would see */
    n = drain(q, SIZE_MAX, PLX_STREAM_PREFIX_LEN, s);
    static const uint32_t want[][2] = {{3, 0}, {4, 0}, {5, 0}};
    expect_order(s, n, want, 3);
    plx_sendq_free(q);
}

/* A frame partly written piece by piece: the batch continues with the rest of it, raw. */
static void test_batch_after_partial_piece(void **state) {
    plx_sendq *q = plx_sendq_new(1 << 20, PLX_STREAM_PREFIX_LEN, 16);
    uint8_t buf[4096], frame[4096];
    plx_piece p;
    size_t n;
    plx_frame f;

    (void)state;
    push(q, 1, 1, 0, 300, PLX_STREAM_PREFIX_LEN); /* 320 bytes */
    push(q, 2, 1, 0, 10, PLX_STREAM_PREFIX_LEN);  /* 30 bytes */
    assert_int_equal(plx_sendq_peek(q, 100, &p), 1);
    memcpy(frame, p.data, 100);
    plx_sendq_advance(q, 100);
    n = plx_sendq_batch(q, buf, sizeof(buf), 1000, 0);
    assert_int_equal(n, 220 + 30);
    memcpy(frame + 100, buf, 220);
    assert_int_equal(plx_frame_decode(frame + 4, 316, PLX_MAX_MAX_FRAME, &f), 0);
    assert_int_equal(f.h.msg_id, 1);
    assert_int_equal(plx_frame_decode(buf + 220 + 4, 26, PLX_MAX_MAX_FRAME, &f), 0);
    assert_int_equal(f.h.msg_id, 2);
    assert_int_equal(plx_sendq_bytes(q), 0);
    plx_sendq_free(q);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_queue),
        cmocka_unit_test(test_byte_bound),
        cmocka_unit_test(test_round_robin_interleaving),
        cmocka_unit_test(test_small_reply_overtakes_a_transfer),
        cmocka_unit_test(test_max_active_keeps_fifo_order),
        cmocka_unit_test(test_partial_writes_finish_the_frame_first),
        cmocka_unit_test(test_stream_prefix),
        cmocka_unit_test(test_first_piece_has_headroom),
        cmocka_unit_test(test_truncate_drops_what_has_not_started),
        cmocka_unit_test(test_truncate_keeps_every_started_message),
        cmocka_unit_test(test_many_messages),
        cmocka_unit_test(test_batch_websocket),
        cmocka_unit_test(test_batch_stops_when_full),
        cmocka_unit_test(test_batch_after_partial_piece),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
