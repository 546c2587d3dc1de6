/*
 * map.c - a chained hash map from binary keys to borrowed values (FNV-1a, doubling at load
 * factor 1). The hub's tables: connections, names, groups, routes, calls, adapters.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static uint64_t map_hash(const void *key, size_t klen) {
    const uint8_t *p = key;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < klen; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

void hub_map_init(hub_map *m) {
    m->slots = NULL;
    m->nslots = 0;
    m->count = 0;
}

void hub_map_clear(hub_map *m) {
    for (size_t i = 0; i < m->nslots; i++) {
        hub_map_node *n = m->slots[i];
        while (n) {
            hub_map_node *next = n->next;
            free(n);
            n = next;
        }
    }
    free(m->slots);
    hub_map_init(m);
}

static hub_map_node *map_find(const hub_map *m, const void *key, size_t klen, uint64_t hash) {
    if (!m->nslots) return NULL;
    for (hub_map_node *n = m->slots[hash & (m->nslots - 1)]; n; n = n->next)
        if (n->hash == hash && n->klen == klen && memcmp(n->key, key, klen) == 0) return n;
    return NULL;
}

void *hub_map_get(const hub_map *m, const void *key, size_t klen) {
    hub_map_node *n = map_find(m, key, klen, map_hash(key, klen));
    return n ? n->val : NULL;
}

static int map_grow(hub_map *m) {
    size_t nslots = m->nslots ? m->nslots * 2 : 16;
    hub_map_node **slots = calloc(nslots, sizeof(*slots));
    if (!slots) return PLX_E_NOMEM;
    for (size_t i = 0; i < m->nslots; i++) {
        hub_map_node *n = m->slots[i];
        while (n) {
            hub_map_node *next = n->next;
            size_t s = n->hash & (nslots - 1);
            n->next = slots[s];
            slots[s] = n;
            n = next;
        }
    }
    free(m->slots);
    m->slots = slots;
    m->nslots = nslots;
    return 0;
}

int hub_map_put(hub_map *m, const void *key, size_t klen, void *val) {
    uint64_t hash = map_hash(key, klen);
    hub_map_node *n = map_find(m, key, klen, hash);
    if (n) {
        n->val = val;
        return 0;
    }
    if (m->count >= m->nslots && map_grow(m) != 0) return PLX_E_NOMEM;
    n = malloc(sizeof(*n) + klen + 1);
    if (!n) return PLX_E_NOMEM;
    n->hash = hash;
    n->val = val;
    n->klen = klen;
    if (klen) memcpy(n->key, key, klen);
    n->key[klen] = 0;
    size_t s = hash & (m->nslots - 1);
    n->next = m->slots[s];
    m->slots[s] = n;
    m->count++;
    return 0;
}

void *hub_map_del(hub_map *m, const void *key, size_t klen) {
    if (!m->nslots) return NULL;
    uint64_t hash = map_hash(key, klen);
    hub_map_node **pp = &m->slots[hash & (m->nslots - 1)];
    for (; *pp; pp = &(*pp)->next) {
        hub_map_node *n = *pp;
        if (n->hash == hash && n->klen == klen && memcmp(n->key, key, klen) == 0) {
            void *val = n->val;
            *pp = n->next;
            free(n);
            m->count--;
            return val;
        }
    }
    return NULL;
}

hub_map_node *hub_map_next(const hub_map *m, hub_map_iter *it) {
    if (it->node && it->node->next) return it->node = it->node->next;
    size_t start = it->node ? it->slot + 1 : it->slot;
    for (size_t i = start; i < m->nslots; i++) {
        if (m->slots[i]) {
            it->slot = i;
            return it->node = m->slots[i];
        }
    }
    it->slot = m->nslots;
    it->node = NULL;
    return NULL;
}

void *hub_map_gets(const hub_map *m, const char *key) {
    return hub_map_get(m, key, strlen(key));
}

void *hub_map_getu(const hub_map *m, uint64_t id) {
    return hub_map_get(m, &id, sizeof(id));
}

int hub_map_putu(hub_map *m, uint64_t id, void *val) {
    return hub_map_put(m, &id, sizeof(id), val);
}

void *hub_map_delu(hub_map *m, uint64_t id) {
    return hub_map_del(m, &id, sizeof(id));
}
