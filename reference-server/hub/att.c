/*
 * att.c - attachments of outgoing messages: {"$bin": i} references renumbered when a JSON
 * value moves from a received message to a forwarded one, and byte strings turned into JSON
 * strings or attachments. Bound: PLX_MAX_ATTACHMENTS per message (LIMIT_REACHED past it).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void hub_att_clear(hub_att *a) {
    if (a->owned)
        for (size_t i = 0; i < a->n; i++)
            free((void *)a->v[i].data);
    free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}

int hub_att_add(hub_att *a, plx_bytes b) {
    if (a->n >= PLX_MAX_ATTACHMENTS) return PLX_E_LIMIT_REACHED;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4;
        plx_bytes *v = realloc(a->v, cap * sizeof(*v));
        if (!v) return PLX_E_NOMEM;
        a->v = v;
        a->cap = cap;
    }
    if (a->owned) {
        uint8_t *copy = malloc(b.len ? b.len : 1);
        if (!copy) return PLX_E_NOMEM;
        if (b.len) memcpy(copy, b.data, b.len);
        b.data = copy;
    }
    a->v[a->n] = b;
    return (int)a->n++;
}

long hub_att_ref(const cJSON *v) {
    if (!cJSON_IsObject(v) || !v->child || v->child->next) return -1;
    const cJSON *b = v->child;
    if (!b->string || strcmp(b->string, "$bin") != 0 || !cJSON_IsNumber(b)) return -1;
    double d = b->valuedouble;
    if (d < 0 || d >= (double)PLX_MAX_ATTACHMENTS * 4 || d != (double)(long)d) return -1;
    return (long)d;
}

static cJSON *bin_ref(int i) {
    cJSON *o = cJSON_CreateObject();
    if (o && !cJSON_AddNumberToObject(o, "$bin", i)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* How a copy renumbers reference i: the new index, or a negative error. */
typedef int (*ref_fn)(size_t i, void *ctx);

/* The recursive copy of src; every reference below nin goes through fn. */
static cJSON *copy_tree(const cJSON *src, size_t nin, ref_fn fn, void *ctx, int *err) {
    long ref = hub_att_ref(src);
    if (ref >= 0 && (size_t)ref < nin) {
        int idx = fn((size_t)ref, ctx);
        if (idx < 0) {
            *err = idx;
            return NULL;
        }
        cJSON *o = bin_ref(idx);
        if (!o) *err = PLX_E_NOMEM;
        return o;
    }
    if (!cJSON_IsArray(src) && !cJSON_IsObject(src)) {
        cJSON *o = cJSON_Duplicate(src, 0);
        if (!o) *err = PLX_E_NOMEM;
        return o;
    }
    cJSON *dst = cJSON_IsArray(src) ? cJSON_CreateArray() : cJSON_CreateObject();
    if (!dst) {
        *err = PLX_E_NOMEM;
        return NULL;
    }
    for (const cJSON *ch = src->child; ch; ch = ch->next) {
        cJSON *c = copy_tree(ch, nin, fn, ctx, err);
        if (!c) {
            cJSON_Delete(dst);
            return NULL;
        }
        if (cJSON_IsArray(src))
            cJSON_AddItemToArray(dst, c);
        else
            cJSON_AddItemToObject(dst, ch->string ? ch->string : "", c);
    }
    return dst;
}

/* hub_att_copy: in[i] is added to out at its first reference; map[i] caches its index. */
typedef struct by_ref {
    const plx_bytes *in;
    hub_att *out;
    int *map;
} by_ref;

static int add_at_first_ref(size_t i, void *ctx) {
    by_ref *b = ctx;
    if (b->map[i] < 0) b->map[i] = hub_att_add(b->out, b->in[i]);
    return b->map[i];
}

cJSON *hub_att_copy(const cJSON *src, const plx_bytes *in, size_t nin, hub_att *out, int *err) {
    int local[16];
    int *map = nin <= 16 ? local : malloc(nin * sizeof(int));
    if (!map) {
        *err = PLX_E_NOMEM;
        return NULL;
    }
    for (size_t i = 0; i < nin; i++)
        map[i] = -1;
    *err = 0;
    by_ref b = {in, out, map};
    cJSON *dst = copy_tree(src, nin, add_at_first_ref, &b, err);
    if (map != local) free(map);
    return dst;
}

static int shifted(size_t i, void *ctx) {
    return (int)(i + *(size_t *)ctx);
}

cJSON *hub_att_append(const cJSON *src, const plx_bytes *in, size_t nin, hub_att *out, int *err) {
    size_t base = out->n;
    *err = 0;
    if (base + nin > PLX_MAX_ATTACHMENTS) {
        *err = PLX_E_LIMIT_REACHED;
        return NULL;
    }
    cJSON *dst = copy_tree(src, nin, shifted, &base, err);
    for (size_t i = 0; dst && i < nin; i++) {
        int rc = hub_att_add(out, in[i]);
        if (rc < 0) {
            *err = rc;
            cJSON_Delete(dst);
            dst = NULL;
        }
    }
    if (!dst) /* leave out as it was */
        while (out->n > base) {
            out->n--;
            if (out->owned) free((void *)out->v[out->n].data);
        }
    return dst;
}

cJSON *hub_att_bytes_json(plx_bytes b, hub_att *out, int *err) {
    int inline_ok = b.len == 0 || (b.len < HUB_INLINE_STR_MAX && memchr(b.data, 0, b.len) == NULL &&
                                   plx_utf8_valid(b.data, b.len));
    cJSON *o;
    if (inline_ok) {
        char buf[HUB_INLINE_STR_MAX];
        if (b.len) memcpy(buf, b.data, b.len);
        buf[b.len] = 0;
        o = cJSON_CreateString(buf);
    } else {
        int idx = hub_att_add(out, b);
        if (idx < 0) {
            *err = idx;
            return NULL;
        }
        o = bin_ref(idx);
    }
    if (!o) *err = PLX_E_NOMEM;
    return o;
}

int hub_att_json_bytes(const cJSON *v, const plx_bytes *in, size_t nin, plx_bytes *out) {
    if (cJSON_IsString(v) && v->valuestring) {
        out->data = (const uint8_t *)v->valuestring;
        out->len = strlen(v->valuestring);
        return 0;
    }
    long ref = hub_att_ref(v);
    if (ref < 0 || (size_t)ref >= nin) return PLX_E_INVAL;
    *out = in[ref];
    return 0;
}
