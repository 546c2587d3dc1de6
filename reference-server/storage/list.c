/*
 * list.c - the ring-buffer list of list.h.
 */
#include "list.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define LIST_MIN_CAP 8

plx_store_list *plx_store_list_new(void) {
    return calloc(1, sizeof(plx_store_list));
}

void plx_store_list_free(plx_store_list *l) {
    if (!l) return;
    for (size_t i = 0; i < l->len; i++)
        plx_str_free(plx_store_list_get(l, i));
    free(l->items);
    free(l);
}

static size_t slot(const plx_store_list *l, size_t i) {
    return (l->head + i) & (l->cap - 1);
}

plx_str *plx_store_list_get(const plx_store_list *l, size_t i) {
    return l->items[slot(l, i)];
}

void plx_store_list_set(plx_store_list *l, size_t i, plx_str *item) {
    size_t k = slot(l, i);
    plx_str_free(l->items[k]);
    l->items[k] = item;
}

/* Makes room for one more item: doubles the ring, unrolling it to start at 0. */
static int list_grow(plx_store_list *l) {
    if (l->len < l->cap) return 0;
    size_t ncap = l->cap ? l->cap * 2 : LIST_MIN_CAP;
    if (ncap > SIZE_MAX / sizeof(plx_str *)) return -1;
    plx_str **n = malloc(ncap * sizeof(*n));
    if (!n) return -1;
    for (size_t i = 0; i < l->len; i++)
        n[i] = plx_store_list_get(l, i);
    free(l->items);
    l->items = n;
    l->cap = ncap;
    l->head = 0;
    return 0;
}

/* Shrinks the ring when it is at most a quarter full. */
static void list_shrink(plx_store_list *l) {
    if (l->cap <= LIST_MIN_CAP || l->len > l->cap / 4) return;
    size_t ncap = l->cap / 2;
    plx_str **n = malloc(ncap * sizeof(*n));
    if (!n) return;
    for (size_t i = 0; i < l->len; i++)
        n[i] = plx_store_list_get(l, i);
    free(l->items);
    l->items = n;
    l->cap = ncap;
    l->head = 0;
}

int plx_store_list_insert(plx_store_list *l, size_t i, plx_str *item) {
    if (list_grow(l) != 0) return -1;
    if (i < l->len - i) {
        /* Shift the first i items one slot left. */
        l->head = (l->head + l->cap - 1) & (l->cap - 1);
        for (size_t k = 0; k < i; k++)
            l->items[slot(l, k)] = l->items[slot(l, k + 1)];
    } else {
        for (size_t k = l->len; k > i; k--)
            l->items[slot(l, k)] = l->items[slot(l, k - 1)];
    }
    l->items[slot(l, i)] = item;
    l->len++;
    return 0;
}

plx_str *plx_store_list_remove(plx_store_list *l, size_t i) {
    plx_str *item = plx_store_list_get(l, i);
    if (i < l->len - 1 - i) {
        for (size_t k = i; k > 0; k--)
            l->items[slot(l, k)] = l->items[slot(l, k - 1)];
        l->head = (l->head + 1) & (l->cap - 1);
    } else {
        for (size_t k = i; k + 1 < l->len; k++)
            l->items[slot(l, k)] = l->items[slot(l, k + 1)];
    }
    l->len--;
    list_shrink(l);
    return item;
}

static int item_eq(const plx_str *s, const void *data, size_t len) {
    return s->len == len && (len == 0 || memcmp(s->data, data, len) == 0);
}

size_t plx_store_list_rem(plx_store_list *l, const void *data, size_t len, long long count) {
    unsigned long long limit =
        count < 0 ? 0ULL - (unsigned long long)count : (unsigned long long)count;
    size_t removed = 0, n = l->len, w;
    if (count >= 0) {
        /* Compact towards the head: w is the next slot to keep an item in. */
        w = 0;
        for (size_t r = 0; r < n; r++) {
            plx_str *item = plx_store_list_get(l, r);
            if (item_eq(item, data, len) && (limit == 0 || removed < limit)) {
                plx_str_free(item);
                removed++;
            } else {
                l->items[slot(l, w++)] = item;
            }
        }
    } else {
        /* Compact towards the tail, then move the head up to the first kept item. */
        w = n;
        for (size_t r = n; r-- > 0;) {
            plx_str *item = plx_store_list_get(l, r);
            if (item_eq(item, data, len) && removed < limit) {
                plx_str_free(item);
                removed++;
            } else {
                l->items[slot(l, --w)] = item;
            }
        }
        if (l->cap) l->head = slot(l, w);
    }
    l->len = n - removed;
    list_shrink(l);
    return removed;
}
