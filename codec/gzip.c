/*
 * gzip.c - RFC 1952 gzip through zlib: deterministic compression (mtime 0, XFL 0, OS 255,
 * no name) and inflation with a hard output bound. zlib's own state is allocated through the
 * caller's allocator too, so the bound covers everything: max_out + 1 bytes of output plus
 * zlib's inflate state and 32 KiB window (PLX_GZIP_INFLATE_OVERHEAD in internal.h).
 */
#include <limits.h>
#include <string.h>

#include <zlib.h>

#include "internal.h"

#define GZIP_WINDOW_BITS (15 + 16)   /* 32 KiB window, gzip wrapper only */
#define INFLATE_FIRST    (64u << 10) /* first output buffer when the bound is larger */

static voidpf z_alloc(voidpf opaque, uInt items, uInt size) {
    const plx_allocator *a = opaque;
    if (size && items > SIZE_MAX / size) return Z_NULL;
    return plx_alloc(a, (size_t)items * size);
}

static void z_free(voidpf opaque, voidpf ptr) {
    plx_free(opaque, ptr);
}

static void z_init(z_stream *zs, plx_allocator *al) {
    memset(zs, 0, sizeof(*zs));
    zs->zalloc = z_alloc;
    zs->zfree = z_free;
    zs->opaque = al;
}

int plx_gzip_compress(const plx_allocator *a, const uint8_t *in, size_t len, int level,
                      uint8_t **out, size_t *out_len) {
    plx_allocator al;
    plx_alloc_init(&al, a);
    *out = NULL;
    *out_len = 0;
    if ((!in && len) || level < -1 || level > 9) return PLX_E_INVAL;
    if (level <= 0) level = 6;
    if (len > UINT_MAX) return PLX_E_INVAL; /* bodies are bounded by max_message <= 1 GiB */

    z_stream zs;
    z_init(&zs, &al);
    int zrc = deflateInit2(&zs, level, Z_DEFLATED, GZIP_WINDOW_BITS, 8, Z_DEFAULT_STRATEGY);
    if (zrc == Z_MEM_ERROR) return PLX_E_NOMEM;
    if (zrc != Z_OK) return PLX_E_INTERNAL;
    gz_header gh;
    memset(&gh, 0, sizeof(gh));
    gh.os = 255; /* unknown; mtime, xflags, name, comment, extra all absent or 0 */
    gh.done = 0;
    if (deflateSetHeader(&zs, &gh) != Z_OK) {
        deflateEnd(&zs);
        return PLX_E_INTERNAL;
    }
    uLong bound = deflateBound(&zs, (uLong)len);
    uint8_t *buf = plx_alloc(&al, bound);
    if (!buf) {
        deflateEnd(&zs);
        return PLX_E_NOMEM;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = buf;
    zs.avail_out = (uInt)bound;
    zrc = deflate(&zs, Z_FINISH);
    size_t n = zs.total_out;
    deflateEnd(&zs);
    if (zrc != Z_STREAM_END) {
        plx_free(&al, buf);
        return zrc == Z_MEM_ERROR ? PLX_E_NOMEM : PLX_E_INTERNAL;
    }
    *out = buf;
    *out_len = n;
    return PLX_OK;
}

/* Grows *buf to the next size: double, but never past limit. 0 or NOMEM. */
static int grow(plx_allocator *al, uint8_t **buf, size_t *cap, size_t limit) {
    size_t ncap = *cap * 2;
    if (ncap > limit || ncap < *cap) ncap = limit;
    uint8_t *nb = plx_realloc(al, *buf, ncap);
    if (!nb) return PLX_E_NOMEM;
    *buf = nb;
    *cap = ncap;
    return PLX_OK;
}

static int inflate_error(int zrc) {
    return zrc == Z_MEM_ERROR ? PLX_E_NOMEM : PLX_E_BAD_GZIP;
}

int plx_gzip_inflate(const plx_allocator *a, const uint8_t *in, size_t len, size_t max_out,
                     uint8_t **out, size_t *out_len) {
    plx_allocator al;
    plx_alloc_init(&al, a);
    *out = NULL;
    *out_len = 0;
    if (!in && len) return PLX_E_INVAL;
    if (len > UINT_MAX || max_out >= UINT_MAX) return PLX_E_INVAL;
    if (len == 0) return PLX_E_BAD_GZIP;

    /* One byte past the bound: inflate filling it means the output is too large. */
    size_t limit = max_out + 1;
    size_t cap = limit < INFLATE_FIRST ? limit : INFLATE_FIRST;
    if (cap < limit && cap < len * 4 && len * 4 <= limit) cap = len * 4;
    uint8_t *buf = plx_alloc(&al, cap);
    if (!buf) return PLX_E_NOMEM;

    z_stream zs;
    z_init(&zs, &al);
    int zrc = inflateInit2(&zs, GZIP_WINDOW_BITS);
    if (zrc != Z_OK) {
        plx_free(&al, buf);
        return zrc == Z_MEM_ERROR ? PLX_E_NOMEM : PLX_E_INTERNAL;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    int rc = PLX_OK;
    for (;;) {
        zs.next_out = buf + zs.total_out;
        zs.avail_out = (uInt)(cap - zs.total_out);
        zrc = inflate(&zs, Z_NO_FLUSH);
        if (zrc == Z_STREAM_END) break;
        if (zs.total_out > max_out) {
            rc = PLX_E_TOO_LARGE;
            break;
        }
        if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
            rc = inflate_error(zrc);
            break;
        }
        if (zs.avail_out == 0) { /* output full: grow toward the bound */
            rc = grow(&al, &buf, &cap, limit);
            if (rc != PLX_OK) break;
            continue;
        }
        rc = PLX_E_BAD_GZIP; /* input used up (truncated) or no progress possible */
        break;
    }
    if (rc == PLX_OK && zs.total_out > max_out) rc = PLX_E_TOO_LARGE;
    if (rc == PLX_OK && zs.avail_in != 0) rc = PLX_E_BAD_GZIP; /* trailing bytes */
    size_t n = zs.total_out;
    inflateEnd(&zs);
    if (rc != PLX_OK) {
        plx_free(&al, buf);
        return rc;
    }
    *out = buf;
    *out_len = n;
    return PLX_OK;
}
