/*
 * reply_build.c - comparison-form reply constructors and free (reply_build.h).
 */
#include "reply_build.h"

#include <stdlib.h>
#include <string.h>

#include "store.h"

void plx_diff_reply_free(void *p) {
    plx_store_reply *r = p;
    if (!r) return;
    for (size_t i = 0; i < r->nelem; i++)
        plx_diff_reply_free(r->elem[i]);
    free(r->elem);
    free(r->str);
    free(r);
}

static plx_store_reply *reply_new(plx_store_reply_type t) {
    plx_store_reply *r = calloc(1, sizeof(*r));
    if (r) r->type = t;
    return r;
}

void *plx_diff_nil(void) {
    return reply_new(PLX_STORE_REPLY_NIL);
}

void *plx_diff_int(long long v) {
    plx_store_reply *r = reply_new(PLX_STORE_REPLY_INT);
    if (r) r->integer = v;
    return r;
}

void *plx_diff_text_reply(plx_diff_text kind, const void *data, size_t len, int code) {
    plx_store_reply *r = reply_new(kind == PLX_DIFF_STATUS ? PLX_STORE_REPLY_STATUS
                                   : kind == PLX_DIFF_BULK ? PLX_STORE_REPLY_BULK
                                                           : PLX_STORE_REPLY_ERROR);
    if (!r) return NULL;
    if (!(r->str = malloc(len + 1))) {
        free(r);
        return NULL;
    }
    if (len) memcpy(r->str, data, len);
    r->str[len] = 0;
    r->len = len;
    if (kind == PLX_DIFF_ERROR) r->code = code;
    return r;
}

void *plx_diff_array(size_t n) {
    plx_store_reply *r = reply_new(PLX_STORE_REPLY_ARRAY);
    if (!r) return NULL;
    if (!(r->elem = calloc(n ? n : 1, sizeof(*r->elem)))) {
        free(r);
        return NULL;
    }
    r->nelem = n;
    return r;
}

int plx_diff_array_set(void *arr, size_t i, void *elem) {
    plx_store_reply *a = arr;
    if (!a || a->type != PLX_STORE_REPLY_ARRAY || i >= a->nelem) {
        plx_diff_reply_free(elem);
        return -1;
    }
    a->elem[i] = elem;
    return 0;
}
