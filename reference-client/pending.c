/*
 * pending.c - the table of the client's requests in flight. A fixed array of cap slots:
 * a request's id is seq * cap + index + 1, so a reply finds its slot by one division, and
 * a slot reused later gets a new id (a late reply to a timed-out request matches nothing).
 */
#include <stdlib.h>

#include "internal.h"

int plx_pending_init(plx_pending *p, size_t cap) {
    p->slots = calloc(cap, sizeof(*p->slots));
    p->free_idx = malloc(cap * sizeof(*p->free_idx));
    if (!p->slots || !p->free_idx) {
        plx_pending_destroy(p);
        return PLX_E_NOMEM;
    }
    p->cap = cap;
    for (size_t i = 0; i < cap; i++)
        p->free_idx[i] = cap - 1 - i; /* index 0 first */
    p->nfree = cap;
    return 0;
}

void plx_pending_destroy(plx_pending *p) {
    free(p->slots);
    free(p->free_idx);
    p->slots = NULL;
    p->free_idx = NULL;
    p->cap = p->nfree = 0;
}

uint64_t plx_pending_add(plx_pending *p, plx_slot_kind kind, plx_waiter *w) {
    size_t i;
    plx_slot *s;

    if (p->nfree == 0) return 0;
    i = p->free_idx[--p->nfree];
    s = &p->slots[i];
    s->seq++;
    s->kind = kind;
    s->w = w;
    s->id = s->seq * p->cap + i + 1;
    return s->id;
}

plx_slot *plx_pending_find(plx_pending *p, uint64_t id) {
    plx_slot *s;

    if (id == 0 || p->cap == 0) return NULL;
    s = &p->slots[(id - 1) % p->cap];
    if (s->kind == PLX_SLOT_FREE || s->id != id) return NULL;
    return s;
}

void plx_pending_remove(plx_pending *p, uint64_t id) {
    plx_slot *s = plx_pending_find(p, id);

    if (!s) return;
    s->kind = PLX_SLOT_FREE;
    s->w = NULL;
    s->id = 0;
    p->free_idx[p->nfree++] = (size_t)(s - p->slots);
}
