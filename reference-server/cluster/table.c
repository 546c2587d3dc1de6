/*
 * table.c - a chained hash table keyed by a pair of u64 (an instance id and a remote
 * connection id, or 0 and a proxy id); values borrowed. Grows by doubling at load 1.
 */
#include <stdlib.h>

#include "internal.h"

static uint64_t hash(uint64_t a, uint64_t b) {
    uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2));
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    return h;
}

void *cl_table_get(const cl_table *t, uint64_t a, uint64_t b) {
    if (!t->nslots) return NULL;
    for (cl_node *n = t->slots[hash(a, b) & (t->nslots - 1)]; n; n = n->next)
        if (n->a == a && n->b == b) return n->val;
    return NULL;
}

static int grow(cl_table *t) {
    size_t ns = t->nslots ? t->nslots * 2 : 16;
    cl_node **slots = calloc(ns, sizeof(*slots));
    if (!slots) return PLX_E_NOMEM;
    for (size_t i = 0; i < t->nslots; i++) {
        cl_node *n = t->slots[i];
        while (n) {
            cl_node *next = n->next;
            size_t s = hash(n->a, n->b) & (ns - 1);
            n->next = slots[s];
            slots[s] = n;
            n = next;
        }
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = ns;
    return 0;
}

int cl_table_put(cl_table *t, uint64_t a, uint64_t b, void *val) {
    if (t->count >= t->nslots && grow(t) != 0) return PLX_E_NOMEM;
    size_t s = hash(a, b) & (t->nslots - 1);
    for (cl_node *n = t->slots[s]; n; n = n->next)
        if (n->a == a && n->b == b) {
            n->val = val;
            return 0;
        }
    cl_node *n = malloc(sizeof(*n));
    if (!n) return PLX_E_NOMEM;
    *n = (cl_node){t->slots[s], a, b, val};
    t->slots[s] = n;
    t->count++;
    return 0;
}

void *cl_table_del(cl_table *t, uint64_t a, uint64_t b) {
    if (!t->nslots) return NULL;
    for (cl_node **p = &t->slots[hash(a, b) & (t->nslots - 1)]; *p; p = &(*p)->next)
        if ((*p)->a == a && (*p)->b == b) {
            cl_node *n = *p;
            void *val = n->val;
            *p = n->next;
            free(n);
            t->count--;
            return val;
        }
    return NULL;
}

void **cl_table_values(const cl_table *t, size_t *n) {
    *n = 0;
    if (!t->count) return NULL;
    void **v = malloc(t->count * sizeof(*v));
    if (!v) return NULL;
    for (size_t i = 0; i < t->nslots; i++)
        for (cl_node *k = t->slots[i]; k; k = k->next)
            v[(*n)++] = k->val;
    return v;
}

void cl_table_clear(cl_table *t) {
    for (size_t i = 0; i < t->nslots; i++) {
        cl_node *n = t->slots[i];
        while (n) {
            cl_node *next = n->next;
            free(n);
            n = next;
        }
    }
    free(t->slots);
    *t = (cl_table){0};
}
