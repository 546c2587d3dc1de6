/*
 * object.c - the value types: byte strings, and hash/list/set/zset values wrapped in plx_obj.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---------------------------------------------------------------- plx_str */

static int str_reserve(plx_str *s, size_t need) {
    if (need < s->cap) return 0;
    if (need == SIZE_MAX) return -1;
    size_t cap = s->cap ? s->cap : 16;
    while (cap <= need)
        cap = cap > SIZE_MAX / 2 ? need + 1 : cap * 2;
    uint8_t *d = realloc(s->data, cap);
    if (!d) return -1;
    s->data = d;
    s->cap = cap;
    return 0;
}

plx_str *plx_str_new(const uint8_t *data, size_t len) {
    plx_str *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    if (plx_str_set(s, data, len) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

void plx_str_free(void *p) {
    plx_str *s = p;
    if (!s) return;
    free(s->data);
    free(s);
}

int plx_str_set(plx_str *s, const uint8_t *data, size_t len) {
    /* Exact size for a fresh value; APPEND grows geometrically through plx_str_append. */
    if (len == SIZE_MAX) return -1;
    uint8_t *d = malloc(len + 1);
    if (!d) return -1;
    if (len) memcpy(d, data, len);
    d[len] = 0;
    free(s->data);
    s->data = d;
    s->len = len;
    s->cap = len + 1;
    return 0;
}

int plx_str_append(plx_str *s, const uint8_t *data, size_t len) {
    if (len > SIZE_MAX - s->len - 1 || str_reserve(s, s->len + len) != 0) return -1;
    if (len) memcpy(s->data + s->len, data, len);
    s->len += len;
    s->data[s->len] = 0;
    return 0;
}

/* ---------------------------------------------------------------- plx_obj */

plx_obj *plx_obj_string(const uint8_t *data, size_t len) {
    plx_obj *o = calloc(1, sizeof(*o));
    if (!o) return NULL;
    o->type = PLX_T_STRING;
    if (plx_str_set(&o->u.str, data, len) != 0) {
        free(o);
        return NULL;
    }
    return o;
}

plx_obj *plx_obj_new(plx_store *s, plx_type type) {
    if (type == PLX_T_STRING) return plx_obj_string(NULL, 0);
    plx_obj *o = calloc(1, sizeof(*o));
    if (!o) return NULL;
    o->type = type;
    void *v = NULL;
    switch (type) {
    case PLX_T_HASH:
        v = o->u.hash = plx_dict_new(s->seed);
        break;
    case PLX_T_SET:
        v = o->u.set = plx_dict_new(s->seed);
        break;
    case PLX_T_LIST:
        v = o->u.list = plx_store_list_new();
        break;
    case PLX_T_ZSET:
        v = o->u.zset = plx_zset_new(s->seed);
        break;
    default:
        break;
    }
    if (!v) {
        free(o);
        return NULL;
    }
    return o;
}

void plx_obj_free(void *p) {
    plx_obj *o = p;
    if (!o) return;
    switch (o->type) {
    case PLX_T_STRING:
        free(o->u.str.data);
        break;
    case PLX_T_HASH:
        plx_dict_free(o->u.hash, plx_str_free);
        break;
    case PLX_T_SET:
        plx_dict_free(o->u.set, NULL);
        break;
    case PLX_T_LIST:
        plx_store_list_free(o->u.list);
        break;
    case PLX_T_ZSET:
        plx_zset_free(o->u.zset);
        break;
    }
    free(o);
}

/* Copies the fields (and values) of a hash or the members of a set into an empty dict. */
static int dup_dict(plx_dict *to, const plx_dict *from, int values) {
    plx_dict_iter it;
    plx_dict_iter_init(&it, from);
    for (plx_dict_entry *e; (e = plx_dict_iter_next(&it));) {
        plx_str *v = NULL;
        if (values) {
            const plx_str *src = e->val;
            if (!(v = plx_str_new(src->data, src->len))) return -1;
        }
        if (!plx_dict_add(to, e->key, e->klen, v, NULL)) {
            plx_str_free(v);
            return -1;
        }
    }
    return 0;
}

plx_obj *plx_obj_dup(plx_store *s, const plx_obj *o) {
    if (o->type == PLX_T_STRING) return plx_obj_string(o->u.str.data, o->u.str.len);
    plx_obj *d = plx_obj_new(s, o->type);
    if (!d) return NULL;
    int rc = 0;
    switch (o->type) {
    case PLX_T_HASH:
        rc = dup_dict(d->u.hash, o->u.hash, 1);
        break;
    case PLX_T_SET:
        rc = dup_dict(d->u.set, o->u.set, 0);
        break;
    case PLX_T_LIST:
        for (size_t i = 0; i < o->u.list->len && rc == 0; i++) {
            const plx_str *src = plx_store_list_get(o->u.list, i);
            plx_str *v = plx_str_new(src->data, src->len);
            if (!v || plx_store_list_insert(d->u.list, i, v) != 0) {
                plx_str_free(v);
                rc = -1;
            }
        }
        break;
    case PLX_T_ZSET:
        for (plx_zsl_node *n = o->u.zset->header->level[0].forward; n && rc == 0;
             n = n->level[0].forward) {
            int added;
            rc = plx_zset_put(d->u.zset, n->ele, n->len, n->score, &added);
        }
        break;
    default:
        break;
    }
    if (rc != 0) {
        plx_obj_free(d);
        return NULL;
    }
    return d;
}

size_t plx_obj_count(const plx_obj *o) {
    switch (o->type) {
    case PLX_T_HASH:
        return o->u.hash->used;
    case PLX_T_SET:
        return o->u.set->used;
    case PLX_T_LIST:
        return o->u.list->len;
    case PLX_T_ZSET:
        return o->u.zset->length;
    default:
        return 1;
    }
}

const char *plx_type_name(plx_type t) {
    switch (t) {
    case PLX_T_STRING:
        return "string";
    case PLX_T_HASH:
        return "hash";
    case PLX_T_LIST:
        return "list";
    case PLX_T_SET:
        return "set";
    case PLX_T_ZSET:
        return "zset";
    }
    return "none";
}
