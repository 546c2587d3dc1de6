/*
 * alloc.c - the injectable allocator: a copied plx_allocator, or libc when none is given.
 */
#include <stdlib.h>

#include "internal.h"

static void *libc_alloc(size_t size, void *ud) {
    (void)ud;
    return malloc(size);
}

static void *libc_realloc(void *ptr, size_t size, void *ud) {
    (void)ud;
    return realloc(ptr, size);
}

static void libc_free(void *ptr, void *ud) {
    (void)ud;
    free(ptr);
}

void plx_alloc_init(plx_allocator *out, const plx_allocator *a) {
    if (a) {
        *out = *a;
        return;
    }
    out->alloc = libc_alloc;
    out->realloc = libc_realloc;
    out->free = libc_free;
    out->ud = NULL;
}

void *plx_alloc(const plx_allocator *a, size_t size) {
    return a->alloc(size ? size : 1, a->ud);
}

void *plx_realloc(const plx_allocator *a, void *ptr, size_t size) {
    return a->realloc(ptr, size ? size : 1, a->ud);
}

void plx_free(const plx_allocator *a, void *ptr) {
    if (ptr) a->free(ptr, a->ud);
}
