/*
 * list.c - small owned lists of byte strings: a connection's groups, routes, watch
 * patterns and adapted keys (each bounded by the caller against plx_hub_config).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

long hub_strs_find(const hub_strs *l, const void *s, size_t len) {
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].len == len && memcmp(l->v[i].data, s, len) == 0) return (long)i;
    return -1;
}

int hub_strs_add(hub_strs *l, const void *s, size_t len) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        plx_bytes *v = realloc(l->v, cap * sizeof(*v));
        if (!v) return PLX_E_NOMEM;
        l->v = v;
        l->cap = cap;
    }
    uint8_t *copy = malloc(len + 1);
    if (!copy) return PLX_E_NOMEM;
    if (len) memcpy(copy, s, len);
    copy[len] = 0;
    l->v[l->n].data = copy;
    l->v[l->n].len = len;
    l->n++;
    return 0;
}

void hub_strs_remove(hub_strs *l, size_t i) {
    if (i >= l->n) return;
    free((void *)l->v[i].data);
    memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
    l->n--;
}

void hub_strs_clear(hub_strs *l) {
    for (size_t i = 0; i < l->n; i++)
        free((void *)l->v[i].data);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static int cmp_cstr(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

cJSON *hub_strs_sorted_json(const hub_strs *l) {
    const char **v = malloc((l->n ? l->n : 1) * sizeof(*v));
    cJSON *arr = cJSON_CreateArray();
    if (!v || !arr) goto fail;
    for (size_t i = 0; i < l->n; i++)
        v[i] = (const char *)l->v[i].data;
    qsort(v, l->n, sizeof(*v), cmp_cstr);
    for (size_t i = 0; i < l->n; i++) {
        cJSON *s = cJSON_CreateString(v[i]);
        if (!s) goto fail;
        cJSON_AddItemToArray(arr, s);
    }
    free(v);
    return arr;
fail:
    free(v);
    cJSON_Delete(arr);
    return NULL;
}
