/*
 * list.h - the list value: a growable ring buffer of byte strings (plx_str *).
 *
 * Push and pop at both ends are amortized O(1), indexing is O(1), insert and remove in the
 * middle move the shorter side (O(n)). Items are owned by the list.
 */
#ifndef PLX_LIST_H
#define PLX_LIST_H

#include <stddef.h>

struct plx_str;

typedef struct plx_store_list {
    struct plx_str **items;
    size_t cap;  /* a power of two, 0 when empty-allocated */
    size_t head; /* index of the first item */
    size_t len;
} plx_store_list;

plx_store_list *plx_store_list_new(void);
/* Frees the list and its items. */
void plx_store_list_free(plx_store_list *l);
/* The i-th item (0 <= i < len). */
struct plx_str *plx_store_list_get(const plx_store_list *l, size_t i);
/* Replaces the i-th item (freeing the old one). */
void plx_store_list_set(plx_store_list *l, size_t i, struct plx_str *item);
/* Inserts item (owned on success) so it becomes the i-th (0 <= i <= len). 0 or -1 on no
 * memory (item not taken). */
int plx_store_list_insert(plx_store_list *l, size_t i, struct plx_str *item);
/* Unlinks the i-th item and returns it (the caller owns it). */
struct plx_str *plx_store_list_remove(plx_store_list *l, size_t i);

/* Removes items equal to data[0..len): the first count from the head (count > 0), the last
 * -count from the tail (count < 0) or all (0), in one O(n) pass. Returns how many. */
size_t plx_store_list_rem(plx_store_list *l, const void *data, size_t len, long long count);

#endif
