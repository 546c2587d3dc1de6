/*
 * bench_codec.c - plexus-bench-codec: throughput of the codec's send and receive paths.
 *
 * One message carrying an 8 MiB attachment is encoded into 1 MiB frames (plx_encoder) and fed
 * back through a reader (plx_reader: assembler, gzip, body, catalogue), with gzip off
 * (random data) and on (compressible numeric data). Beside it: memcpy of the same bytes and
 * raw zlib deflate/inflate at the same level. Each figure is the best of --iterations runs.
 * MB/s means 10^6 attachment bytes per second. Targets: the plain path (encode + decode)
 * reaches at least 0.5x memcpy; the gzip path is within 10% of raw zlib.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include <plexus/codec.h>

#define ATT_SIZE     (8u << 20) /* attachment bytes */
#define FRAME_SIZE   (1u << 20) /* max_frame */
#define MAX_FRAMES   64         /* bound on frames of one encoded message */
#define GZIP_LEVEL   6
#define PLAIN_ROUNDS 20 /* the plain ops take about 1 ms: run them this many times more */

/* Target ratios. */
#define PLAIN_VS_MEMCPY_TARGET 0.5
#define GZIP_VS_ZLIB_TARGET    0.9

/* Encoded frames laid out back to back in one buffer. */
typedef struct wire {
    uint8_t *buf;
    size_t cap, len;
    size_t off[MAX_FRAMES], flen[MAX_FRAMES];
    size_t n;
} wire;

/* Everything one benchmark run needs; buffers are allocated and touched once. */
typedef struct bench {
    uint8_t *random;  /* ATT_SIZE uncompressible bytes */
    uint8_t *numeric; /* ATT_SIZE compressible bytes */
    uint8_t *dst;     /* ATT_SIZE scratch for memcpy and inflate */
    uint8_t *zbuf;    /* deflateBound(ATT_SIZE) scratch for deflate */
    size_t zcap, zlen;
    uint8_t *framebuf; /* one frame, as a transport would gather it */
    wire w;
    cJSON *json;
    plx_bytes att;
    plx_encoder *enc;
    plx_reader *rd;
} bench;

typedef int (*bench_op)(bench *b);

static double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *xmalloc(size_t n) {
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "plexus-bench-codec: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    memset(p, 0, n); /* touch every page before timing */
    return p;
}

static uint32_t xorshift(uint32_t *s) {
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* Uncompressible bytes. */
static void fill_random(uint8_t *p, size_t n, uint32_t seed) {
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(xorshift(&seed) >> 24);
}

/* A numeric array: little-endian int32 samples of a slow ramp plus small noise, the kind of
 * sensor series an application ships as an attachment. */
static void fill_numeric(uint8_t *p, size_t n, uint32_t seed) {
    for (size_t i = 0; i + 4 <= n; i += 4) {
        uint32_t v = (uint32_t)(i / 64) + (xorshift(&seed) & 15);
        p[i] = (uint8_t)v;
        p[i + 1] = (uint8_t)(v >> 8);
        p[i + 2] = (uint8_t)(v >> 16);
        p[i + 3] = (uint8_t)(v >> 24);
    }
}

static int fail_code(const char *what, int rc) {
    fprintf(stderr, "plexus-bench-codec: %s: %s (%d)\n", what, plx_strerror(rc), rc);
    return -1;
}

/* ------------------------------------------------------------------ codec set-up */

static int make_codec(bench *b, int gzip) {
    plx_encoder_config ec = {
        FRAME_SIZE, PLX_DEFAULT_MAX_MESSAGE, PLX_DEFAULT_GZIP_THRESHOLD, gzip, GZIP_LEVEL, 0, 0, 0};
    plx_reader_config rc = {
        {PLX_DEFAULT_MAX_MESSAGE, 0, PLX_DEFAULT_EXPIRY_MS, 1}, FRAME_SIZE, PLX_DIR_C2S};
    plx_encoder_free(b->enc);
    plx_reader_free(b->rd);
    b->enc = plx_encoder_new(NULL, &ec);
    b->rd = plx_reader_new(NULL, &rc);
    if (!b->enc || !b->rd) return fail_code("codec set-up", PLX_E_NOMEM);
    return 0;
}

/* ------------------------------------------------------------------ the codec paths */

/* Copies one frame's segments into dst (the gather a WebSocket transport does). */
static size_t gather(const plx_bytes *iov, size_t niov, uint8_t *dst) {
    size_t n = 0;
    for (size_t i = 0; i < niov; i++) {
        memcpy(dst + n, iov[i].data, iov[i].len);
        n += iov[i].len;
    }
    return n;
}

/* Encodes the message into b->w, frames back to back. */
static int op_encode(bench *b) {
    plx_bytes iov[PLX_ENCODER_MAX_IOV];
    size_t niov;
    int rc = plx_encoder_begin(b->enc, 1, b->json, &b->att, 1);
    if (rc < 0) return fail_code("plx_encoder_begin", rc);
    b->w.len = b->w.n = 0;
    while ((rc = plx_encoder_next(b->enc, iov, &niov)) == 1) {
        if (b->w.n == MAX_FRAMES || b->w.len + PLX_FRAME_HEADER_LEN + FRAME_SIZE > b->w.cap)
            return fail_code("encoder output exceeds the bench's bound", PLX_E_INTERNAL);
        b->w.off[b->w.n] = b->w.len;
        b->w.flen[b->w.n] = gather(iov, niov, b->w.buf + b->w.len);
        b->w.len += b->w.flen[b->w.n++];
    }
    return rc < 0 ? fail_code("plx_encoder_next", rc) : 0;
}

/* Checks a decoded message: one attachment equal to b->att. */
static int check_msg(const bench *b, const plx_msg *m) {
    if (m->natt != 1 || m->att[0].len != b->att.len)
        return fail_code("decoded message has the wrong attachments", PLX_E_INTERNAL);
    return 0;
}

/* Feeds one frame; on a complete message checks it (when verify) and clears it. */
static int feed(bench *b, const uint8_t *fr, size_t len, int verify) {
    plx_msg m;
    memset(&m, 0, sizeof(m));
    int rc = plx_reader_frame(b->rd, fr, len, 0, &m, NULL);
    if (rc < 0) return fail_code("plx_reader_frame", rc);
    if (rc == 1) {
        int bad = check_msg(b, &m);
        if (!bad && verify && memcmp(m.att[0].data, b->att.data, b->att.len) != 0)
            bad = fail_code("decoded attachment differs", PLX_E_INTERNAL);
        plx_msg_clear(&m);
        if (bad) return -1;
    }
    return rc;
}

/* Feeds every frame of b->w; the last must complete the message. */
static int decode_wire(bench *b, int verify) {
    int rc = 0;
    for (size_t i = 0; i < b->w.n; i++) {
        rc = feed(b, b->w.buf + b->w.off[i], b->w.flen[i], verify);
        if (rc < 0) return rc;
    }
    return rc == 1 ? 0 : fail_code("frames did not complete the message", PLX_E_INTERNAL);
}

static int op_decode(bench *b) {
    return decode_wire(b, 0);
}

/* Encode and decode interleaved frame by frame, as a sender feeding a receiver would. */
static int op_roundtrip(bench *b) {
    plx_bytes iov[PLX_ENCODER_MAX_IOV];
    size_t niov;
    int rc = plx_encoder_begin(b->enc, 1, b->json, &b->att, 1), last = 0;
    if (rc < 0) return fail_code("plx_encoder_begin", rc);
    while ((rc = plx_encoder_next(b->enc, iov, &niov)) == 1) {
        size_t len = gather(iov, niov, b->framebuf);
        if ((last = feed(b, b->framebuf, len, 0)) < 0) return -1;
    }
    if (rc < 0) return fail_code("plx_encoder_next", rc);
    return last == 1 ? 0 : fail_code("frames did not complete the message", PLX_E_INTERNAL);
}

/* ------------------------------------------------------------------ baselines */

static int op_memcpy(bench *b) {
    memcpy(b->dst, b->att.data, b->att.len);
    return b->dst[b->att.len - 1] == b->att.data[b->att.len - 1] ? 0 : -1;
}

/* Raw zlib at the codec's settings (gzip wrapper, level 6) into b->zbuf. */
static int op_deflate(bench *b) {
    z_stream s;
    memset(&s, 0, sizeof(s));
    if (deflateInit2(&s, GZIP_LEVEL, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
    s.next_in = (Bytef *)b->att.data;
    s.avail_in = (uInt)b->att.len;
    s.next_out = b->zbuf;
    s.avail_out = (uInt)b->zcap;
    int rc = deflate(&s, Z_FINISH);
    b->zlen = b->zcap - s.avail_out;
    deflateEnd(&s);
    return rc == Z_STREAM_END ? 0 : -1;
}

static int op_inflate(bench *b) {
    z_stream s;
    memset(&s, 0, sizeof(s));
    if (inflateInit2(&s, 31) != Z_OK) return -1;
    s.next_in = b->zbuf;
    s.avail_in = (uInt)b->zlen;
    s.next_out = b->dst;
    s.avail_out = ATT_SIZE;
    int rc = inflate(&s, Z_FINISH);
    size_t out = ATT_SIZE - s.avail_out;
    inflateEnd(&s);
    return rc == Z_STREAM_END && out == b->att.len ? 0 : -1;
}

static int op_zlib_both(bench *b) {
    return op_deflate(b) == 0 ? op_inflate(b) : -1;
}

/* ------------------------------------------------------------------ timing and report */

/* One measured operation and its best time so far. */
typedef struct measure {
    const char *label;
    bench_op op;
    double best; /* seconds; negative until measured */
} measure;

/* Runs every op of ms[0..n) once per round for iters rounds, keeping each op's best wall time.
 * Interleaving the ops spreads changes in machine load over all of them alike. */
static int run_rounds(bench *b, measure *ms, size_t n, int iters) {
    for (size_t j = 0; j < n; j++)
        ms[j].best = -1;
    for (int i = 0; i < iters; i++) {
        for (size_t j = 0; j < n; j++) {
            double t0 = now_sec();
            if (ms[j].op(b) != 0) {
                fprintf(stderr, "plexus-bench-codec: %s failed\n", ms[j].label);
                return -1;
            }
            double t = now_sec() - t0;
            if (ms[j].best < 0 || t < ms[j].best) ms[j].best = t;
        }
    }
    return 0;
}

static double mbps(double sec) {
    return (double)ATT_SIZE / sec / 1e6;
}

static void print_rows(const measure *ms, size_t n) {
    for (size_t j = 0; j < n; j++)
        printf("  %-34s %10.1f MB/s %9.2f ms\n", ms[j].label, mbps(ms[j].best), ms[j].best * 1e3);
}

/* Results the summary needs. */
typedef struct results {
    double memcpy_t, plain_t, zlib_t, gzip_t, ratio;
} results;

/* The plain path on random data with gzip off. */
static int run_plain(bench *b, int iters, results *r) {
    measure ms[] = {{"memcpy", op_memcpy, -1},
                    {"encode (frames gathered)", op_encode, -1},
                    {"decode (reader)", op_decode, -1},
                    {"encode + decode", op_roundtrip, -1}};
    size_t n = sizeof(ms) / sizeof(ms[0]);
    b->att.data = b->random;
    if (make_codec(b, 0) || op_encode(b) || decode_wire(b, 1)) return -1;
    if (run_rounds(b, ms, n, iters * PLAIN_ROUNDS)) return -1;
    printf("plain (gzip off, random data, %u frames, best of %d runs):\n", (unsigned)b->w.n,
           iters * PLAIN_ROUNDS);
    print_rows(ms, n);
    r->memcpy_t = ms[0].best;
    r->plain_t = ms[3].best;
    return 0;
}

/* The gzip path on compressible data, and raw zlib on the same bytes. */
static int run_gzip(bench *b, int iters, results *r) {
    measure ms[] = {{"zlib deflate", op_deflate, -1},
                    {"zlib inflate", op_inflate, -1},
                    {"zlib deflate + inflate", op_zlib_both, -1},
                    {"encode (gzip, frames gathered)", op_encode, -1},
                    {"decode (gzip, reader)", op_decode, -1},
                    {"encode + decode (gzip)", op_roundtrip, -1}};
    size_t n = sizeof(ms) / sizeof(ms[0]);
    b->att.data = b->numeric;
    if (make_codec(b, 1) || op_encode(b) || decode_wire(b, 1) || op_deflate(b)) return -1;
    r->ratio = (double)ATT_SIZE / (double)b->zlen;
    if (run_rounds(b, ms, n, iters)) return -1;
    printf("gzip (level %d, numeric data, ratio %.2f:1, %u frames, best of %d runs):\n", GZIP_LEVEL,
           r->ratio, (unsigned)b->w.n, iters);
    print_rows(ms, n);
    r->zlib_t = ms[2].best;
    r->gzip_t = ms[5].best;
    return 0;
}

/* Prints the ratios and the targets line; returns 1 when every target is met. */
static int summary(const results *r) {
    double plain = r->memcpy_t / r->plain_t, gz = r->zlib_t / r->gzip_t;
    int plain_ok = plain >= PLAIN_VS_MEMCPY_TARGET, gz_ok = gz >= GZIP_VS_ZLIB_TARGET;
    printf("ratios:\n");
    printf("  %-34s %10.2fx      (target >= %.2fx) %s\n", "plain path / memcpy", plain,
           PLAIN_VS_MEMCPY_TARGET, plain_ok ? "met" : "NOT MET");
    printf("  %-34s %10.2fx      (target >= %.2fx) %s\n", "gzip path / raw zlib", gz,
           GZIP_VS_ZLIB_TARGET, gz_ok ? "met" : "NOT MET");
    printf("targets: %s (plain %.2fx memcpy, gzip %.2fx raw zlib)\n",
           plain_ok && gz_ok ? "met" : "not met", plain, gz);
    return plain_ok && gz_ok;
}

/* ------------------------------------------------------------------ main */

static void usage(FILE *f) {
    fprintf(f, "usage: plexus-bench-codec [--iterations N] [--help]\n"
               "Encodes an 8 MiB attachment into 1 MiB frames and decodes it back, gzip off\n"
               "and on, beside memcpy and raw zlib (level 6). Prints the best of N runs\n"
               "(default 5; the plain ops, about 1 ms each, run 20 x N times) in MB/s\n"
               "(10^6 bytes/s) and whether the targets are met: plain path >= 0.5x memcpy,\n"
               "gzip path within 10%% of raw zlib.\n"
               "Exit status: 0 when the run completed (targets met or not), 1 on error.\n");
}

static int parse_args(int argc, char **argv, int *iters) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(argv[i], "--iterations") && i + 1 < argc) {
            char *end;
            errno = 0;
            long n = strtol(argv[++i], &end, 10);
            if (errno || *end || n < 1 || n > 1000) {
                fprintf(stderr, "plexus-bench-codec: --iterations wants 1..1000\n");
                return -1;
            }
            *iters = (int)n;
        } else {
            usage(stderr);
            return -1;
        }
    }
    return 0;
}

static void bench_init(bench *b) {
    memset(b, 0, sizeof(*b));
    b->random = xmalloc(ATT_SIZE);
    b->numeric = xmalloc(ATT_SIZE);
    b->dst = xmalloc(ATT_SIZE);
    fill_random(b->random, ATT_SIZE, 0x9E3779B9u);
    fill_numeric(b->numeric, ATT_SIZE, 0x2545F491u);
    b->zcap = compressBound(ATT_SIZE) + 64;
    b->zbuf = xmalloc(b->zcap);
    b->framebuf = xmalloc(PLX_FRAME_HEADER_LEN + FRAME_SIZE);
    b->w.cap = (size_t)(ATT_SIZE / FRAME_SIZE + 2) * (PLX_FRAME_HEADER_LEN + FRAME_SIZE);
    b->w.buf = xmalloc(b->w.cap);
    b->json =
        cJSON_Parse("{\"t\":\"send\",\"to\":\"all\",\"event\":\"bench\",\"data\":{\"$bin\":0}}");
    if (!b->json) exit(1);
    b->att.len = ATT_SIZE;
}

static void bench_free(bench *b) {
    plx_encoder_free(b->enc);
    plx_reader_free(b->rd);
    cJSON_Delete(b->json);
    free(b->random);
    free(b->numeric);
    free(b->dst);
    free(b->zbuf);
    free(b->framebuf);
    free(b->w.buf);
}

int main(int argc, char **argv) {
    int iters = 5, rc = 1;
    if (parse_args(argc, argv, &iters)) return 1;
    bench b;
    results r;
    bench_init(&b);
    printf("plexus-bench-codec: %u MiB attachment, %u MiB frames, "
           "MB/s = 10^6 attachment bytes/s\n",
           ATT_SIZE >> 20, FRAME_SIZE >> 20);
    if (run_plain(&b, iters, &r) == 0 && run_gzip(&b, iters, &r) == 0) {
        summary(&r);
        rc = 0;
    }
    bench_free(&b);
    return rc;
}
