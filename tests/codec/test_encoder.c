/*
 * test_encoder.c - the encoder: seeded random round trips (encoder -> frames or stream ->
 * deframer -> assembler -> body decoder) across the size edges (0, 1, threshold +-1,
 * max_frame +-1, several MB), with gzip on and off; frame layout rules; zero copy of
 * attachments; coalescing of many small segments; compress only when smaller; the
 * compressibility sample of large bodies (GZ-3); the JSON text equals cJSON's; errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <plexus/codec.h>

#define THRESHOLD 1024u

static uint32_t rnd(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 33);
}

/* n bytes: random noise, or text-like bytes that compress well. */
static uint8_t *make_bytes(size_t n, int noise, uint64_t seed) {
    uint8_t *b = malloc(n ? n : 1);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++)
        b[i] = noise ? (uint8_t)rnd(&seed) : (uint8_t)("abcabd"[rnd(&seed) % 6]);
    return b;
}

static cJSON *make_json(uint32_t id, int with_bin) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "t", "call");
    cJSON_AddNumberToObject(j, "id", id);
    cJSON_AddStringToObject(j, "route", "store");
    if (with_bin) {
        cJSON *ref = cJSON_CreateObject();
        cJSON_AddNumberToObject(ref, "$bin", 0);
        cJSON_AddItemToObject(j, "args", ref);
    }
    return j;
}

/* Collected frames of one message: all bytes, and each frame's header. */
typedef struct wire {
    uint8_t *buf;
    size_t len;
    plx_frame_header h[4096];
    size_t nframes;
} wire;

/* Pulls every frame, checking segment rules; appends the bytes to w. */
static void pull(plx_encoder *e, wire *w, int stream_prefix) {
    plx_bytes iov[PLX_ENCODER_MAX_IOV];
    size_t niov, total = plx_encoder_total(e);
    w->buf = malloc(total ? total : 1);
    assert_non_null(w->buf);
    w->len = 0;
    w->nframes = 0;
    while (plx_encoder_next(e, iov, &niov) == 1) {
        assert_true(niov >= 1 && niov <= PLX_ENCODER_MAX_IOV);
        assert_int_equal(iov[0].len, stream_prefix ? 20 : 16);
        size_t start = w->len;
        for (size_t i = 0; i < niov; i++) {
            assert_true(w->len + iov[i].len <= total);
            memcpy(w->buf + w->len, iov[i].data, iov[i].len);
            w->len += iov[i].len;
        }
        const uint8_t *hp = w->buf + start + (stream_prefix ? 4 : 0);
        assert_int_equal(plx_frame_header_decode(hp, 16, UINT32_MAX, &w->h[w->nframes]), 0);
        if (stream_prefix) {
            const uint8_t *p = w->buf + start;
            uint32_t fl = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | p[2] << 8 | p[3];
            assert_int_equal(fl, 16 + w->h[w->nframes].length);
        }
        assert_int_equal(w->len - start, iov[0].len + w->h[w->nframes].length);
        w->nframes++;
    }
    assert_int_equal(w->len, total);
    assert_int_equal(plx_encoder_next(e, iov, &niov), 0);
}

/* Checks the frame layout rules: sizes, offsets, MORE and GZIP flags. */
static void check_layout(const wire *w, uint32_t max_frame, int gz, uint32_t msg_id) {
    size_t off = 0;
    for (size_t i = 0; i < w->nframes; i++) {
        const plx_frame_header *h = &w->h[i];
        int last = i + 1 == w->nframes;
        assert_int_equal(h->msg_id, msg_id);
        assert_int_equal(h->offset, off);
        if (!last) assert_int_equal(h->length, max_frame);
        assert_true(h->length <= max_frame && h->length > 0);
        assert_int_equal(!!(h->flags & PLX_FLAG_MORE), !last);
        assert_int_equal(!!(h->flags & PLX_FLAG_GZIP), gz);
        off += h->length;
    }
}

/* Decodes w back (deframer in random chops for the stream binding) into one message. */
static void decode(const wire *w, int stream_prefix, uint32_t max_frame, uint64_t seed,
                   plx_msg *m) {
    plx_assembler_limits l = {PLX_MAX_MAX_MESSAGE, 4, 1000, 1};
    plx_assembler *as = plx_assembler_new(NULL, &l);
    plx_deframer *d = plx_deframer_new(NULL, max_frame);
    size_t pos = 0, frames = 0;
    int done = 0;
    while (!done) {
        plx_frame f;
        if (stream_prefix) {
            size_t n = 1 + rnd(&seed) % (2 * max_frame + 64), used;
            if (n > w->len - pos) n = w->len - pos;
            int rc = plx_deframer_feed(d, w->buf + pos, n, &used, &f);
            assert_true(rc >= 0);
            pos += used;
            if (rc == 0) continue;
        } else {
            size_t flen = 16 + w->h[frames].length;
            assert_int_equal(plx_frame_decode(w->buf + pos, flen, max_frame, &f), 0);
            pos += flen;
        }
        frames++;
        plx_bytes body;
        uint32_t id;
        int rc = plx_assembler_feed(as, &f, 0, &body, &id);
        assert_true(rc == 0 || rc == 1);
        if (rc == 1) {
            assert_int_equal(pos, w->len);
            assert_int_equal(plx_body_decode(NULL, body, m), 0);
            assert_int_equal(plx_msg_own(m), 0);
            done = 1;
        }
    }
    assert_int_equal(frames, w->nframes);
    plx_deframer_free(d);
    plx_assembler_free(as);
}

/* One round trip of a message whose body is exactly body_len bytes when that is possible
 * (else one attachment of body_len bytes). */
static void round_trip(size_t body_len, int gzip, int stream_prefix, uint32_t max_frame,
                       uint64_t seed) {
    cJSON *json = make_json((uint32_t)seed, 1);
    char *js = cJSON_PrintUnformatted(json);
    size_t fixed = 4 + strlen(js) + 4;
    cJSON_free(js);
    size_t att_len = body_len >= fixed ? body_len - fixed : body_len;
    int noise = (int)(seed & 1);
    uint8_t *data = make_bytes(att_len, noise, seed);
    plx_bytes att = {data, att_len};
    plx_encoder_config cfg = {max_frame, PLX_MAX_MAX_MESSAGE, THRESHOLD, gzip,
                              0,         stream_prefix,       0,         0};
    plx_encoder *e = plx_encoder_new(NULL, &cfg);
    assert_non_null(e);
    uint32_t msg_id = (uint32_t)rnd(&seed);
    assert_int_equal(plx_encoder_begin(e, msg_id, json, &att, 1), 0);
    wire w;
    pull(e, &w, stream_prefix);
    size_t body = fixed + att_len;
    size_t payload = 0;
    for (size_t i = 0; i < w.nframes; i++)
        payload += w.h[i].length;
    int gz = w.nframes && (w.h[0].flags & PLX_FLAG_GZIP);
    if (!gzip || body < THRESHOLD) assert_false(gz);
    if (gzip && body >= THRESHOLD && !noise) assert_true(gz); /* compressible: it shrinks */
    if (gz)
        assert_true(payload < body);
    else
        assert_int_equal(payload, body);
    check_layout(&w, max_frame, gz, msg_id);
    assert_int_equal(w.nframes, (payload + max_frame - 1) / max_frame);

    plx_msg m;
    decode(&w, stream_prefix, max_frame, seed, &m);
    assert_true(cJSON_Compare(m.json, json, 1));
    assert_int_equal(m.natt, 1);
    assert_int_equal(m.att[0].len, att_len);
    if (att_len) assert_memory_equal(m.att[0].data, data, att_len);
    plx_msg_clear(&m);

    /* plx_encode_all gives the same bytes */
    uint8_t *all;
    size_t all_len;
    cfg.stream_prefix = stream_prefix;
    assert_int_equal(plx_encode_all(NULL, &cfg, msg_id, json, &att, 1, &all, &all_len), 0);
    assert_int_equal(all_len, w.len);
    assert_memory_equal(all, w.buf, w.len);
    free(all);
    free(w.buf);
    plx_encoder_free(e);
    free(data);
    cJSON_Delete(json);
}

static void test_round_trips_small_frames(void **state) {
    (void)state;
    const uint32_t mf = 4096;
    const size_t sizes[] = {0,      1,  THRESHOLD - 1, THRESHOLD, THRESHOLD + 1,
                            mf - 1, mf, mf + 1,        3 * mf,    (3u << 20) + 7};
    uint64_t seed = 1;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        for (int gzip = 0; gzip < 2; gzip++)
            for (int sp = 0; sp < 2; sp++)
                for (int k = 0; k < 2; k++)
                    round_trip(sizes[i], gzip, sp, mf, seed++);
}

static void test_round_trips_default_frames(void **state) {
    (void)state;
    const uint32_t mf = PLX_DEFAULT_MAX_FRAME;
    const size_t sizes[] = {mf - 1, mf, mf + 1, (5u << 20) + 3};
    uint64_t seed = 100;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        for (int gzip = 0; gzip < 2; gzip++)
            for (int k = 0; k < 2; k++)
                round_trip(sizes[i], gzip, (int)(k ^ gzip), mf, seed++);
}

/* Without gzip the payload segments point into the caller's attachment. */
static void test_zero_copy(void **state) {
    (void)state;
    size_t n = 100000;
    uint8_t *data = make_bytes(n, 1, 7);
    plx_bytes att = {data, n};
    cJSON *json = make_json(1, 1);
    plx_encoder_config cfg = {4096, PLX_DEFAULT_MAX_MESSAGE, THRESHOLD, 0, 0, 0, 0, 0};
    plx_encoder *e = plx_encoder_new(NULL, &cfg);
    assert_int_equal(plx_encoder_begin(e, 1, json, &att, 1), 0);
    plx_bytes iov[PLX_ENCODER_MAX_IOV];
    size_t niov, in_att = 0, frames = 0;
    while (plx_encoder_next(e, iov, &niov) == 1) {
        for (size_t i = 1; i < niov; i++) {
            if (iov[i].data >= data && iov[i].data + iov[i].len <= data + n) in_att += iov[i].len;
        }
        frames++;
    }
    assert_int_equal(in_att, n);
    assert_int_equal(frames, (n + 100 + 4095) / 4096);
    /* begin again after the last frame: allowed, and the encoder is reusable */
    assert_int_equal(plx_encoder_begin(e, 2, json, &att, 1), 0);
    assert_int_equal(plx_encoder_next(e, iov, &niov), 1);
    assert_int_equal(plx_encoder_begin(e, 3, json, &att, 1), PLX_E_INVAL); /* in progress */
    plx_encoder_free(e);
    cJSON_Delete(json);
    free(data);
}

/* Many small attachments in one frame are coalesced; bytes equal plx_body_encode's. */
static void test_coalesce(void **state) {
    (void)state;
    for (size_t natt = 0; natt <= 40; natt++) {
        plx_bytes att[40];
        uint8_t store[40][5];
        for (size_t i = 0; i < natt; i++) {
            memset(store[i], (int)i, sizeof(store[i]));
            att[i].data = store[i];
            att[i].len = i % 3 == 2 ? 0 : 1 + i % 5;
        }
        cJSON *json = make_json(9, 0);
        plx_encoder_config cfg = {
            PLX_DEFAULT_MAX_FRAME, PLX_DEFAULT_MAX_MESSAGE, THRESHOLD, 0, 0, 0, 0, 0};
        plx_encoder *e = plx_encoder_new(NULL, &cfg);
        assert_int_equal(plx_encoder_begin(e, 9, json, att, natt), 0);
        plx_bytes iov[PLX_ENCODER_MAX_IOV];
        size_t niov;
        assert_int_equal(plx_encoder_next(e, iov, &niov), 1);
        size_t segs = 1; /* head, then prefix and (when non-empty) bytes per attachment */
        for (size_t i = 0; i < natt; i++)
            segs += 1 + (att[i].len > 0);
        if (segs <= PLX_ENCODER_MAX_IOV - 1) {
            assert_int_equal(niov, 1 + segs);
            size_t s = 2; /* iov[0] header, iov[1] json head */
            for (size_t i = 0; i < natt; i++) {
                s++; /* the length prefix */
                if (att[i].len) assert_ptr_equal(iov[s++].data, att[i].data);
            }
            assert_int_equal(s, niov);
        } else {
            assert_int_equal(niov, 2);
        }
        uint8_t *body;
        size_t body_len;
        assert_int_equal(plx_body_encode(NULL, json, att, natt, &body, &body_len), 0);
        size_t got = 0;
        for (size_t i = 1; i < niov; i++) {
            assert_true(got + iov[i].len <= body_len);
            assert_memory_equal(iov[i].data, body + got, iov[i].len);
            got += iov[i].len;
        }
        assert_int_equal(got, body_len);
        assert_int_equal(plx_encoder_next(e, iov, &niov), 0);
        free(body);
        plx_encoder_free(e);
        cJSON_Delete(json);
    }
}

/* Coalescing across frame boundaries with tiny frames still reproduces the body. */
static void test_coalesce_chunked(void **state) {
    (void)state;
    plx_bytes att[200];
    uint8_t store[200];
    for (size_t i = 0; i < 200; i++) {
        store[i] = (uint8_t)i;
        att[i].data = &store[i];
        att[i].len = 1;
    }
    cJSON *json = make_json(4, 0);
    uint8_t *body, *all;
    size_t body_len, all_len;
    assert_int_equal(plx_body_encode(NULL, json, att, 200, &body, &body_len), 0);
    plx_encoder_config cfg = {PLX_MIN_MAX_FRAME, PLX_DEFAULT_MAX_MESSAGE, THRESHOLD, 0, 0, 0, 0, 0};
    assert_int_equal(plx_encode_all(NULL, &cfg, 4, json, att, 200, &all, &all_len), 0);
    size_t pos = 0, got = 0;
    while (pos < all_len) {
        plx_frame f;
        size_t flen = 16 + ((size_t)all[pos + 12] << 24 | (size_t)all[pos + 13] << 16 |
                            (size_t)all[pos + 14] << 8 | all[pos + 15]);
        assert_int_equal(plx_frame_decode(all + pos, flen, PLX_MIN_MAX_FRAME, &f), 0);
        assert_int_equal(f.h.offset, got);
        assert_memory_equal(f.payload, body + got, f.h.length);
        got += f.h.length;
        pos += flen;
    }
    assert_int_equal(got, body_len);
    free(all);
    free(body);
    cJSON_Delete(json);
}

/* gzip is used only when the body reaches the threshold and the result is smaller. */
static void test_gzip_only_if_smaller(void **state) {
    (void)state;
    cJSON *json = make_json(1, 1);
    size_t n = 20000;
    uint8_t *noise = make_bytes(n, 1, 3), *text = make_bytes(n, 0, 3), *out, *body;
    size_t out_len, body_len;
    plx_encoder_config cfg = {
        PLX_DEFAULT_MAX_FRAME, PLX_DEFAULT_MAX_MESSAGE, THRESHOLD, 1, 0, 0, 0, 0};
    plx_bytes att = {noise, n};
    assert_int_equal(plx_encode_all(NULL, &cfg, 1, json, &att, 1, &out, &out_len), 0);
    assert_int_equal(out[1] & PLX_FLAG_GZIP, 0); /* incompressible: sent plain */
    assert_int_equal(plx_body_encode(NULL, json, &att, 1, &body, &body_len), 0);
    assert_int_equal(out_len, 16 + body_len);
    assert_memory_equal(out + 16, body, body_len);
    free(out);
    free(body);

    att.data = text;
    assert_int_equal(plx_encode_all(NULL, &cfg, 1, json, &att, 1, &out, &out_len), 0);
    assert_int_equal(out[1], PLX_FLAG_GZIP);
    assert_int_equal(plx_body_encode(NULL, json, &att, 1, &body, &body_len), 0);
    assert_true(out_len < 16 + body_len / 2);
    uint8_t *gz;
    size_t gz_len;
    assert_int_equal(plx_gzip_compress(NULL, body, body_len, 6, &gz, &gz_len), 0);
    assert_int_equal(out_len, 16 + gz_len); /* level 6 and the fixed header: identical */
    assert_memory_equal(out + 16, gz, gz_len);
    free(gz);
    free(out);

    cfg.gzip_threshold = (uint32_t)body_len + 1; /* just below the threshold: plain */
    assert_int_equal(plx_encode_all(NULL, &cfg, 1, json, &att, 1, &out, &out_len), 0);
    assert_int_equal(out[1], 0);
    assert_int_equal(out_len, 16 + body_len);
    free(out);
    cfg.gzip_threshold = (uint32_t)body_len; /* exactly the threshold: compressed */
    assert_int_equal(plx_encode_all(NULL, &cfg, 1, json, &att, 1, &out, &out_len), 0);
    assert_int_equal(out[1], PLX_FLAG_GZIP);
    free(out);
    free(body);
    free(noise);
    free(text);
    cJSON_Delete(json);
}

/* An allocator that counts the bytes it hands out and the largest single block. */
typedef struct counting {
    size_t total, largest;
} counting;

static void count(counting *c, size_t size) {
    c->total += size;
    if (size > c->largest) c->largest = size;
}

static void *count_alloc(size_t size, void *ud) {
    count(ud, size);
    return malloc(size);
}

static void *count_realloc(void *p, size_t size, void *ud) {
    count(ud, size);
    return realloc(p, size);
}

static void count_free(void *p, void *ud) {
    (void)ud;
    free(p);
}

/* Encodes json + att with a counting allocator; returns the first frame's flags and fills
 * *c with what begin allocated. */
static uint8_t encode_counted(const plx_encoder_config *cfg, const cJSON *json,
                              const plx_bytes *att, counting *c, size_t *payload) {
    plx_allocator a = {count_alloc, count_realloc, count_free, c};
    plx_encoder *e = plx_encoder_new(&a, cfg);
    assert_non_null(e);
    memset(c, 0, sizeof(*c));
    assert_int_equal(plx_encoder_begin(e, 5, json, att, 1), 0);
    counting during = *c;
    wire w;
    pull(e, &w, 0);
    *payload = 0;
    for (size_t i = 0; i < w.nframes; i++)
        *payload += w.h[i].length;
    uint8_t flags = w.nframes ? w.h[0].flags : 0;
    free(w.buf);
    plx_encoder_free(e);
    *c = during;
    return flags;
}

/* GZ-3: above gzip_sample bytes, an incompressible body is judged on its leading sample and
 * sent uncompressed without deflating it whole (the encoder never allocates anything near
 * the body's size: no copy for deflate, no deflate output buffer); a compressible one is
 * gzipped; at or below the sample size (and with sampling off) the whole body is tried,
 * as before. */
static void test_gzip_sample(void **state) {
    (void)state;
    cJSON *json = make_json(1, 1);
    const size_t n = 1u << 20;
    uint8_t *noise = make_bytes(n, 1, 11), *text = make_bytes(n, 0, 11);
    plx_encoder_config cfg = {
        PLX_DEFAULT_MAX_FRAME, PLX_DEFAULT_MAX_MESSAGE, THRESHOLD, 1, 0, 0, 0, 0};
    plx_bytes att = {noise, n};
    counting c;
    char *js = cJSON_PrintUnformatted(json);
    size_t payload, body = 4 + strlen(js) + 4 + n; /* over 64 KiB: sampled */
    cJSON_free(js);

    assert_int_equal(encode_counted(&cfg, json, &att, &c, &payload) & PLX_FLAG_GZIP, 0);
    assert_true(payload > n);
    assert_true(c.largest < PLX_DEFAULT_GZIP_SAMPLE + (PLX_DEFAULT_GZIP_SAMPLE / 8));
    assert_true(c.total < n / 2); /* the sample's deflate only */

    /* sampling off: the whole body is deflated (a copy and an output buffer of its size) */
    cfg.gzip_sample = PLX_GZIP_SAMPLE_OFF;
    assert_int_equal(encode_counted(&cfg, json, &att, &c, &payload) & PLX_FLAG_GZIP, 0);
    assert_true(payload > n);
    assert_true(c.largest >= n);
    assert_true(c.total >= 2 * n);

    /* compressible above the sample: gzipped, as small as whole-body deflate makes it */
    cfg.gzip_sample = 0;
    att.data = text;
    assert_int_equal(encode_counted(&cfg, json, &att, &c, &payload) & PLX_FLAG_GZIP, PLX_FLAG_GZIP);
    assert_true(payload < body / 2);

    /* a sample that saves less than the margin: not compressed. The text compresses to
     * about 30 % (level 6): an 80 % margin refuses it, 50 % accepts it. */
    cfg.gzip_margin = 80;
    assert_int_equal(encode_counted(&cfg, json, &att, &c, &payload) & PLX_FLAG_GZIP, 0);
    assert_int_equal(payload, body);
    cfg.gzip_margin = 50;
    assert_int_equal(encode_counted(&cfg, json, &att, &c, &payload) & PLX_FLAG_GZIP, PLX_FLAG_GZIP);

    /* at or below the sample size: the whole body is tried, whatever the margin says */
    cfg.gzip_margin = 80;
    cfg.gzip_sample = (uint32_t)body;
    assert_int_equal(encode_counted(&cfg, json, &att, &c, &payload) & PLX_FLAG_GZIP, PLX_FLAG_GZIP);
    cfg.gzip_sample = (uint32_t)body - 1; /* one byte over: sampled, refused */
    assert_int_equal(encode_counted(&cfg, json, &att, &c, &payload) & PLX_FLAG_GZIP, 0);

    /* a small incompressible body is deflated whole (and sent plain): unchanged behaviour */
    cfg.gzip_sample = 0;
    cfg.gzip_margin = 0;
    att.data = noise;
    att.len = 20000;
    assert_int_equal(encode_counted(&cfg, json, &att, &c, &payload) & PLX_FLAG_GZIP, 0);
    assert_true(c.total >= 2 * 20000);
    free(noise);
    free(text);
    cJSON_Delete(json);
}

/* A random JSON value for the printer comparison: tricky numbers, strings with every kind of
 * byte cJSON escapes or passes through, nested arrays and objects, raw text. */
static cJSON *random_value(uint64_t *seed, int depth) {
    static const double nums[] = {0.0,
                                  -0.0,
                                  1,
                                  -1,
                                  2147483647,
                                  2147483648.0,
                                  -2147483649.0,
                                  999999999999999.0,
                                  1e15,
                                  -1e15,
                                  9007199254740991.0,
                                  1e16,
                                  0.1,
                                  1.0 / 3,
                                  -2.5e-7,
                                  1e300,
                                  -1e-300,
                                  123456.789,
                                  5e-324,
                                  4503599627370497.5};
    unsigned k = rnd(seed) % (depth > 4 ? 5 : 8);
    switch (k) {
    case 0:
        return cJSON_CreateNull();
    case 1:
        return cJSON_CreateBool(rnd(seed) & 1);
    case 2:
        return cJSON_CreateNumber(rnd(seed) & 1 ? nums[rnd(seed) % (sizeof(nums) / sizeof(nums[0]))]
                                                : (double)(int32_t)rnd(seed) * (rnd(seed) % 3));
    case 3:
    case 4: {
        char str[40];
        size_t n = rnd(seed) % sizeof(str);
        for (size_t i = 0; i < n; i++) {
            unsigned b = rnd(seed) % 6;
            str[i] = (char)(b == 0   ? 1 + rnd(seed) % 31
                            : b == 1 ? (uint32_t)(uint8_t) "\"\\/\x7f"[rnd(seed) % 4]
                            : b == 2 ? 0x80 + rnd(seed) % 128
                                     : 'a' + rnd(seed) % 26);
        }
        str[n] = 0;
        return k == 4 && (rnd(seed) % 4) == 0 ? cJSON_CreateRaw("[1,2]") : cJSON_CreateString(str);
    }
    default: {
        int obj = k == 6;
        cJSON *c = obj ? cJSON_CreateObject() : cJSON_CreateArray();
        unsigned n = rnd(seed) % 5;
        for (unsigned i = 0; i < n; i++) {
            char key[8] = {(char)('a' + i), i == 2 ? '\n' : 'k', i == 3 ? '"' : 'e', 0};
            if (obj)
                cJSON_AddItemToObject(c, key, random_value(seed, depth + 1));
            else
                cJSON_AddItemToArray(c, random_value(seed, depth + 1));
        }
        return c;
    }
    }
}

/* 1 if the parsed trees a and b are the same with every number exactly equal (cJSON_Compare
 * allows an epsilon). */
static int exact_equal(const cJSON *a, const cJSON *b) {
    if (!a || !b || (a->type & 0xff) != (b->type & 0xff)) return 0;
    if (a->string || b->string) {
        if (!a->string || !b->string || strcmp(a->string, b->string) != 0) return 0;
    }
    if (cJSON_IsNumber(a)) return a->valuedouble == b->valuedouble;
    if (cJSON_IsString(a)) return strcmp(a->valuestring, b->valuestring) == 0;
    const cJSON *x = a->child, *y = b->child;
    for (; x && y; x = x->next, y = y->next)
        if (!exact_equal(x, y)) return 0;
    return !x && !y;
}

/* The encoder's JSON printer gives cJSON_PrintUnformatted's bytes (the vectors and every
 * peer's expectations rest on them) for random trees and for one nested deeper than the
 * printer goes (cJSON's printer takes over), except where cJSON's text loses a number's
 * value (its 15-digit form reads back only within an epsilon, e.g. 9007199254740001): there
 * the printer's text must read back exactly (printing it again gives the same bytes) and
 * cJSON's must not. */
static void test_json_text(void **state) {
    (void)state;
    uint64_t seed = 77;
    int differ = 0;
    plx_encoder_config cfg = {PLX_MAX_MAX_FRAME, PLX_MAX_MAX_MESSAGE, THRESHOLD, 0, 0, 0, 0, 0};
    for (int round = 0; round < 2000; round++) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "t", "call");
        cJSON_AddItemToObject(j, "v", random_value(&seed, 0));
        if (round == 0) { /* deeper than PLX_JSONOUT_DEPTH (256) */
            cJSON *inner = cJSON_CreateArray(), *top = inner;
            for (int d = 0; d < 300; d++) {
                cJSON *next = cJSON_CreateArray();
                cJSON_AddItemToArray(inner, next);
                inner = next;
            }
            cJSON_AddItemToObject(j, "deep", top);
        }
        if (round == 1) /* 16 digits below 2^53: cJSON prints 9.00719925474e+15 */
            cJSON_AddNumberToObject(j, "big", 9007199254740001.0);
        char *want = cJSON_PrintUnformatted(j);
        uint8_t *out;
        size_t out_len;
        assert_non_null(want);
        assert_int_equal(plx_encode_all(NULL, &cfg, 1, j, NULL, 0, &out, &out_len), 0);
        size_t jl =
            ((size_t)out[16] << 24 | (size_t)out[17] << 16 | (size_t)out[18] << 8 | out[19]);
        assert_int_equal(out_len, 16 + 4 + jl);
        if (jl != strlen(want) || memcmp(out + 20, want, jl) != 0) {
            cJSON *ours = cJSON_ParseWithLength((const char *)out + 20, jl);
            cJSON *theirs = cJSON_Parse(want);
            assert_true(cJSON_Compare(ours, theirs, 1)); /* the same tree, within cJSON's epsilon */
            assert_false(exact_equal(ours, theirs));     /* but cJSON's text lost a value */
            uint8_t *again; /* and ours reads back exactly: printed again, the same bytes */
            size_t again_len;
            assert_int_equal(plx_encode_all(NULL, &cfg, 1, ours, NULL, 0, &again, &again_len), 0);
            assert_int_equal(again_len, out_len);
            assert_memory_equal(again + 20, out + 20, jl);
            free(again);
            cJSON_Delete(ours);
            cJSON_Delete(theirs);
            differ++;
        }
        free(out);
        cJSON_free(want);
        cJSON_Delete(j);
    }
    assert_true(differ >= 1); /* round 1 at least */
}

static void test_errors(void **state) {
    (void)state;
    cJSON *json = make_json(1, 0);
    plx_encoder_config cfg = {PLX_MIN_MAX_FRAME, 2000, THRESHOLD, 0, 0, 0, 0, 0};
    plx_encoder *e = plx_encoder_new(NULL, &cfg);
    static plx_bytes att[PLX_MAX_ATTACHMENTS + 1];
    static uint8_t big[2000];
    att[0].data = big;
    att[0].len = sizeof(big);
    assert_int_equal(plx_encoder_begin(e, 1, json, att, 1), PLX_E_TOO_LARGE);
    assert_int_equal(plx_encoder_total(e), 0);
    att[0].len = 1;
    assert_int_equal(plx_encoder_begin(e, 1, json, att, PLX_MAX_ATTACHMENTS + 1),
                     PLX_E_TOO_MANY_ATTACHMENTS);
    assert_int_equal(plx_encoder_begin(e, 1, NULL, att, 1), PLX_E_INVAL);
    char *js = cJSON_PrintUnformatted(json);
    size_t exact = 2000 - (4 + strlen(js) + 4); /* body of exactly max_message: accepted */
    cJSON_free(js);
    att[0].len = exact;
    assert_int_equal(plx_encoder_begin(e, 1, json, att, 1), 0);
    assert_int_equal(plx_encoder_total(e), 4 * 16 + 2000);
    plx_encoder_free(e);
    cJSON_Delete(json);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips_small_frames),
        cmocka_unit_test(test_round_trips_default_frames),
        cmocka_unit_test(test_zero_copy),
        cmocka_unit_test(test_coalesce),
        cmocka_unit_test(test_coalesce_chunked),
        cmocka_unit_test(test_gzip_only_if_smaller),
        cmocka_unit_test(test_gzip_sample),
        cmocka_unit_test(test_json_text),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
