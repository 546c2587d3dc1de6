/*
 * fuzz_inflate.c - fuzzes bounded gzip inflation (plx_gzip_inflate).
 *
 * The input is the gzip stream. It is inflated with a small bound (4 KiB) and a larger one
 * (256 KiB) through a counting allocator. Invariants: the result equals a reference built
 * directly on zlib (one gzip member, nothing after it, output above the bound is TOO_LARGE,
 * anything else wrong is BAD_GZIP); the output never exceeds the bound; the peak of live
 * heap bytes stays within the bound + 1 plus zlib's inflate state and window; nothing leaks;
 * a stream that fits the small bound inflates identically under the large one, and one too
 * large for the large bound is too large for the small one.
 */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "support.h"

#define SMALL_BOUND 4096u
#define LARGE_BOUND (256u << 10)
#define ZLIB_STATE  (48u << 10) /* inflate_state (~7 KiB) + 32 KiB window, with slack */
#define INPUT_LIMIT (64u << 10)

/* Reference: inflate with zlib straight into a buffer of bound + 1 bytes. */
static int reference(const uint8_t *in, size_t len, size_t bound, uint8_t *out, size_t *out_len) {
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15 + 16) != Z_OK) return PLX_E_NOMEM;
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)(bound + 1);
    int zrc = inflate(&zs, Z_FINISH);
    *out_len = zs.total_out;
    int ended = zrc == Z_STREAM_END;
    size_t trailing = zs.avail_in;
    inflateEnd(&zs);
    if (*out_len > bound) return PLX_E_TOO_LARGE;
    if (!ended || trailing) return PLX_E_BAD_GZIP;
    return PLX_OK;
}

static int run(const uint8_t *data, size_t size, size_t bound, uint8_t **out, size_t *out_len) {
    plx_counting heap;
    plx_counting_init(&heap);
    int rc = plx_gzip_inflate(&heap.alloc, data, size, bound, out, out_len);
    FUZZ_CHECK(heap.peak <= bound + 1 + ZLIB_STATE);
    if (rc == PLX_OK) {
        FUZZ_CHECK(*out != NULL && *out_len <= bound);
        FUZZ_CHECK(heap.count == 1); /* only the output is left */
    } else {
        FUZZ_CHECK(*out == NULL && heap.count == 0 && heap.live == 0);
    }

    uint8_t *ref = malloc(bound + 1);
    FUZZ_CHECK(ref != NULL);
    size_t ref_len = 0;
    int ref_rc = reference(data, size, bound, ref, &ref_len);
    FUZZ_CHECK_EQ(rc, ref_rc);
    if (rc == PLX_OK)
        FUZZ_CHECK(*out_len == ref_len && (ref_len == 0 || memcmp(*out, ref, ref_len) == 0));
    free(ref);

    /* Hand the output to libc ownership so the caller can compare and free it. */
    if (rc == PLX_OK) {
        uint8_t *copy = malloc(*out_len ? *out_len : 1);
        FUZZ_CHECK(copy != NULL);
        if (*out_len) memcpy(copy, *out, *out_len);
        heap.alloc.free(*out, heap.alloc.ud);
        FUZZ_CHECK(heap.live == 0);
        *out = copy;
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > INPUT_LIMIT) return 0;
    uint8_t *small = NULL, *large = NULL;
    size_t small_len = 0, large_len = 0;
    int rs = run(data, size, SMALL_BOUND, &small, &small_len);
    int rl = run(data, size, LARGE_BOUND, &large, &large_len);
    if (rs == PLX_OK)
        FUZZ_CHECK(rl == PLX_OK && large_len == small_len &&
                   (small_len == 0 || memcmp(small, large, small_len) == 0));
    if (rl == PLX_E_TOO_LARGE) FUZZ_CHECK_EQ(rs, PLX_E_TOO_LARGE);
    free(small);
    free(large);
    return 0;
}
