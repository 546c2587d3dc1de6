/*
 * registry.c - what the client has set up and a reconnection restores: served routes with
 * their handlers, groups, watch patterns, adapted keys with their read handlers. Small
 * arrays (the server bounds each at 256 per connection); callers hold the client's mutex.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Grows an array of n elements of size sz by one. 0 or PLX_E_NOMEM. */
static int grow(void **arr, size_t n, size_t sz) {
    void *na = realloc(*arr, (n + 1) * sz);
    if (!na) return PLX_E_NOMEM;
    *arr = na;
    return 0;
}

static int same(const uint8_t *a, size_t alen, plx_bytes b) {
    return alen == b.len && (alen == 0 || memcmp(a, b.data, alen) == 0);
}

static uint8_t *dup_bytes(plx_bytes b) {
    uint8_t *p = malloc(b.len ? b.len : 1);
    if (p && b.len) memcpy(p, b.data, b.len);
    return p;
}

void plx_registry_free(plx_registry *r) {
    for (size_t i = 0; i < r->nroutes; i++)
        free(r->routes[i].route);
    for (size_t i = 0; i < r->ngroups; i++)
        free(r->groups[i]);
    for (size_t i = 0; i < r->nwatches; i++)
        free(r->watches[i].data);
    for (size_t i = 0; i < r->nadapters; i++)
        free(r->adapters[i].key);
    free(r->routes);
    free(r->groups);
    free(r->watches);
    free(r->adapters);
    memset(r, 0, sizeof(*r));
}

const plx_route_entry *plx_registry_route(const plx_registry *r, const char *route) {
    for (size_t i = 0; i < r->nroutes; i++)
        if (strcmp(r->routes[i].route, route) == 0) return &r->routes[i];
    return NULL;
}

int plx_registry_route_set(plx_registry *r, const char *route, plx_route_fn fn, void *ud) {
    plx_route_entry *e = (plx_route_entry *)plx_registry_route(r, route);
    char *copy;

    if (e) {
        e->fn = fn;
        e->ud = ud;
        return 0;
    }
    copy = strdup(route);
    if (!copy || grow((void **)&r->routes, r->nroutes, sizeof(*r->routes))) {
        free(copy);
        return PLX_E_NOMEM;
    }
    r->routes[r->nroutes].route = copy;
    r->routes[r->nroutes].fn = fn;
    r->routes[r->nroutes].ud = ud;
    r->nroutes++;
    return 0;
}

void plx_registry_route_del(plx_registry *r, const char *route) {
    for (size_t i = 0; i < r->nroutes; i++) {
        if (strcmp(r->routes[i].route, route)) continue;
        free(r->routes[i].route);
        r->routes[i] = r->routes[--r->nroutes];
        return;
    }
}

int plx_registry_group_add(plx_registry *r, const char *group) {
    char *copy;

    for (size_t i = 0; i < r->ngroups; i++)
        if (strcmp(r->groups[i], group) == 0) return 0;
    copy = strdup(group);
    if (!copy || grow((void **)&r->groups, r->ngroups, sizeof(*r->groups))) {
        free(copy);
        return PLX_E_NOMEM;
    }
    r->groups[r->ngroups++] = copy;
    return 0;
}

void plx_registry_group_del(plx_registry *r, const char *group) {
    for (size_t i = 0; i < r->ngroups; i++) {
        if (strcmp(r->groups[i], group)) continue;
        free(r->groups[i]);
        r->groups[i] = r->groups[--r->ngroups];
        return;
    }
}

int plx_registry_watch_add(plx_registry *r, plx_bytes pattern) {
    uint8_t *copy;

    for (size_t i = 0; i < r->nwatches; i++)
        if (same(r->watches[i].data, r->watches[i].len, pattern)) return 0;
    copy = dup_bytes(pattern);
    if (!copy || grow((void **)&r->watches, r->nwatches, sizeof(*r->watches))) {
        free(copy);
        return PLX_E_NOMEM;
    }
    r->watches[r->nwatches].data = copy;
    r->watches[r->nwatches].len = pattern.len;
    r->nwatches++;
    return 0;
}

void plx_registry_watch_del(plx_registry *r, plx_bytes pattern) {
    for (size_t i = 0; i < r->nwatches; i++) {
        if (!same(r->watches[i].data, r->watches[i].len, pattern)) continue;
        free(r->watches[i].data);
        r->watches[i] = r->watches[--r->nwatches];
        return;
    }
}

const plx_adapter_entry *plx_registry_adapter(const plx_registry *r, plx_bytes key) {
    for (size_t i = 0; i < r->nadapters; i++)
        if (same(r->adapters[i].key, r->adapters[i].klen, key)) return &r->adapters[i];
    return NULL;
}

int plx_registry_adapter_set(plx_registry *r, plx_bytes key, plx_read_fn fn, void *ud) {
    plx_adapter_entry *e = (plx_adapter_entry *)plx_registry_adapter(r, key);
    uint8_t *copy;

    if (e) {
        e->fn = fn;
        e->ud = ud;
        return 0;
    }
    copy = dup_bytes(key);
    if (!copy || grow((void **)&r->adapters, r->nadapters, sizeof(*r->adapters))) {
        free(copy);
        return PLX_E_NOMEM;
    }
    r->adapters[r->nadapters].key = copy;
    r->adapters[r->nadapters].klen = key.len;
    r->adapters[r->nadapters].fn = fn;
    r->adapters[r->nadapters].ud = ud;
    r->nadapters++;
    return 0;
}

void plx_registry_adapter_del(plx_registry *r, plx_bytes key) {
    for (size_t i = 0; i < r->nadapters; i++) {
        if (!same(r->adapters[i].key, r->adapters[i].klen, key)) continue;
        free(r->adapters[i].key);
        r->adapters[i] = r->adapters[--r->nadapters];
        return;
    }
}
