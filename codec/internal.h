/*
 * internal.h - helpers shared by the codec's modules: the allocator wrapper and big-endian
 * integer access. Not installed.
 */
#ifndef PLX_CODEC_INTERNAL_H
#define PLX_CODEC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <plexus/codec.h>

/* Copies *a into *out, or installs libc's malloc family when a is NULL. */
void plx_alloc_init(plx_allocator *out, const plx_allocator *a);
void *plx_alloc(const plx_allocator *a, size_t size);
void *plx_realloc(const plx_allocator *a, void *ptr, size_t size);
void plx_free(const plx_allocator *a, void *ptr);

/* Bytes zlib allocates for one inflate (state + 32 KiB window), through the same allocator:
 * plx_gzip_inflate never holds more than max_out + 1 + this many bytes at once. */
#define PLX_GZIP_INFLATE_OVERHEAD (64u << 10)

/* Changes the payload bound applied to the next frame header the deframer reads. */
void plx_deframer_set_max_frame(plx_deframer *d, uint32_t max_frame);
/* Replaces an assembler's limits (0 members: defaults). PLX_E_INVAL if more messages are
 * incomplete than the new max_partial allows; PLX_E_NOMEM. */
int plx_assembler_set_limits(plx_assembler *as, const plx_assembler_limits *limits);

static inline uint32_t plx_be32_read(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint16_t plx_be16_read(const uint8_t *p) {
    return (uint16_t)(((uint16_t)p[0] << 8) | p[1]);
}

static inline void plx_be32_write(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void plx_be16_write(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

#endif
