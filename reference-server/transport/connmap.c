/*
 * connmap.c - open-addressing hash map from connection id to connection.
 */
#include <stdlib.h>

#include "connmap.h"

typedef struct slot {
    uint64_t id; /* 0: empty */
    void *v;
} slot;

struct plx_connmap {
    slot *slots;
    size_t cap; /* power of two */
    size_t count;
};

static size_t hash_id(uint64_t id, size_t cap) {
    id ^= id >> 33;
    id *= 0xff51afd7ed558ccdULL;
    id ^= id >> 33;
    return (size_t)id & (cap - 1);
}

plx_connmap *plx_connmap_new(void) {
    plx_connmap *m = calloc(1, sizeof(*m));

    if (!m) return NULL;
    m->cap = 64;
    m->slots = calloc(m->cap, sizeof(slot));
    if (!m->slots) {
        free(m);
        return NULL;
    }
    return m;
}

void plx_connmap_free(plx_connmap *m) {
    if (!m) return;
    free(m->slots);
    free(m);
}

static slot *find(const plx_connmap *m, uint64_t id) {
    size_t i = hash_id(id, m->cap);

    while (m->slots[i].id && m->slots[i].id != id)
        i = (i + 1) & (m->cap - 1);
    return &m->slots[i];
}

static int grow(plx_connmap *m) {
    slot *old = m->slots;
    size_t oldcap = m->cap;

    m->slots = calloc(oldcap * 2, sizeof(slot));
    if (!m->slots) {
        m->slots = old;
        return -1;
    }
    m->cap = oldcap * 2;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].id) *find(m, old[i].id) = old[i];
    free(old);
    return 0;
}

int plx_connmap_put(plx_connmap *m, uint64_t id, void *v) {
    slot *s;

    if (id == 0) return -1;
    if ((m->count + 1) * 2 > m->cap && grow(m)) return -1;
    s = find(m, id);
    if (!s->id) {
        s->id = id;
        m->count++;
    }
    s->v = v;
    return 0;
}

void *plx_connmap_get(const plx_connmap *m, uint64_t id) {
    slot *s;

    if (id == 0) return NULL;
    s = find(m, id);
    return s->id ? s->v : NULL;
}

void plx_connmap_del(plx_connmap *m, uint64_t id) {
    size_t i, j;

    if (id == 0) return;
    i = (size_t)(find(m, id) - m->slots);
    if (!m->slots[i].id) return;
    m->slots[i].id = 0;
    m->count--;
    /* Backward-shift deletion: re-place the entries of the probe run after i. */
    for (j = (i + 1) & (m->cap - 1); m->slots[j].id; j = (j + 1) & (m->cap - 1)) {
        slot s = m->slots[j];
        m->slots[j].id = 0;
        *find(m, s.id) = s;
    }
}

size_t plx_connmap_count(const plx_connmap *m) {
    return m->count;
}

void plx_connmap_each(const plx_connmap *m, void (*fn)(void *v, void *ud), void *ud) {
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].id) fn(m->slots[i].v, ud);
}
