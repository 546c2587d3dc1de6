/*
 * connmap.h - hash map from a hub connection id to the transport's connection object.
 *
 * Open addressing with linear probing; grows by doubling, so lookups stay O(1) for a
 * broadcast to every connection. Bounded by the number of live connections.
 */
#ifndef PLX_CONNMAP_H
#define PLX_CONNMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct plx_connmap plx_connmap;

/* Makes an empty map. NULL on no memory. */
plx_connmap *plx_connmap_new(void);
/* Frees the map (not the values). */
void plx_connmap_free(plx_connmap *m);
/* Maps id (> 0) to v, replacing any previous value. 0, or -1 on no memory. */
int plx_connmap_put(plx_connmap *m, uint64_t id, void *v);
/* The value for id, or NULL. */
void *plx_connmap_get(const plx_connmap *m, uint64_t id);
/* Removes id if present. */
void plx_connmap_del(plx_connmap *m, uint64_t id);
/* Number of entries. */
size_t plx_connmap_count(const plx_connmap *m);
/* Calls fn on every value. fn must not add or remove entries. */
void plx_connmap_each(const plx_connmap *m, void (*fn)(void *v, void *ud), void *ud);

#endif
