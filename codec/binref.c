/*
 * binref.c - attachment references {"$bin": i}: an object whose only member is "$bin" refers
 * to attachment i, which must be an integer in [0, natt). An object with "$bin" and other
 * members is a plain object.
 */
#include <string.h>

#include "binref.h"
#include "internal.h"

int plx_bin_is_ref(const cJSON *item) {
    return cJSON_IsObject(item) && item->child && !item->child->next && item->child->string &&
           !strcmp(item->child->string, "$bin");
}

int plx_bin_ref_ok(const cJSON *ref, size_t natt) {
    const cJSON *v = ref->child;
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble; /* NaN fails both comparisons */
    return d >= 0 && d < (double)natt && d == (double)(size_t)d;
}

/* level: the nesting level of item, 1 for the top-level value. */
static int check_tree(const cJSON *item, size_t natt, int level) {
    if (!cJSON_IsObject(item) && !cJSON_IsArray(item)) return 0;
    if (level > PLX_JSON_MAX_DEPTH) return PLX_E_INVAL;
    if (plx_bin_is_ref(item)) return plx_bin_ref_ok(item, natt) ? 0 : PLX_E_BAD_ATTACHMENT_REF;
    for (const cJSON *c = item->child; c; c = c->next) {
        int rc = check_tree(c, natt, level + 1);
        if (rc) return rc;
    }
    return 0;
}

int plx_bin_check_tree(const cJSON *item, size_t natt) {
    return check_tree(item, natt, 1);
}
