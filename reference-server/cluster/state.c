/*
 * state.c - a remote client's state (name, groups, routes, adapted keys) as owned copies, and
 * its JSON form on the bus: names as strings, adapted keys as strings when they are valid
 * UTF-8 without NUL, else {"$bin": i} into the bus message's attachments.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int cl_list_add(cl_list *l, plx_bytes b) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        plx_bytes *v = realloc(l->v, cap * sizeof(*v));
        if (!v) return PLX_E_NOMEM;
        l->v = v;
        l->cap = cap;
    }
    uint8_t *d = malloc(b.len + 1);
    if (!d) return PLX_E_NOMEM;
    if (b.len) memcpy(d, b.data, b.len);
    d[b.len] = 0;
    l->v[l->n++] = (plx_bytes){d, b.len};
    return 0;
}

long cl_list_find(const cl_list *l, plx_bytes b) {
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].len == b.len && (!b.len || memcmp(l->v[i].data, b.data, b.len) == 0))
            return (long)i;
    return -1;
}

void cl_list_remove(cl_list *l, size_t i) {
    free((void *)l->v[i].data);
    memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
    l->n--;
}

void cl_list_clear(cl_list *l) {
    for (size_t i = 0; i < l->n; i++)
        free((void *)l->v[i].data);
    free(l->v);
    *l = (cl_list){0};
}

int cl_list_copy(cl_list *l, const plx_bytes *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (cl_list_add(l, v[i]) != 0) {
            cl_list_clear(l);
            return PLX_E_NOMEM;
        }
    return 0;
}

void cl_state_clear(cl_state *s) {
    free(s->name);
    cl_list_clear(&s->groups);
    cl_list_clear(&s->routes);
    cl_list_clear(&s->adapted);
    s->name = NULL;
}

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

int cl_state_from_view(cl_state *s, const plx_hub_client *c) {
    *s = (cl_state){0};
    if (!(s->name = dup_str(c->name ? c->name : "")) ||
        cl_list_copy(&s->groups, c->groups, c->ngroups) ||
        cl_list_copy(&s->routes, c->routes, c->nroutes) ||
        cl_list_copy(&s->adapted, c->adapted, c->nadapted)) {
        cl_state_clear(s);
        return PLX_E_NOMEM;
    }
    return 0;
}

/* Adds b to l once, or removes it. */
static int set_member(cl_list *l, plx_bytes b, int add) {
    long i = cl_list_find(l, b);
    if (add) return i >= 0 ? 0 : cl_list_add(l, b);
    if (i >= 0) cl_list_remove(l, (size_t)i);
    return 0;
}

int cl_state_apply(cl_state *s, plx_hub_change what, plx_bytes arg) {
    switch (what) {
    case PLX_HUB_RENAME: {
        char *n = malloc(arg.len + 1);
        if (!n) return PLX_E_NOMEM;
        memcpy(n, arg.data, arg.len);
        n[arg.len] = 0;
        free(s->name);
        s->name = n;
        return 0;
    }
    case PLX_HUB_JOIN:
    case PLX_HUB_LEAVE:
        return set_member(&s->groups, arg, what == PLX_HUB_JOIN);
    case PLX_HUB_REGISTER:
    case PLX_HUB_UNREGISTER:
        return set_member(&s->routes, arg, what == PLX_HUB_REGISTER);
    case PLX_HUB_ADAPT:
    case PLX_HUB_UNADAPT:
        return set_member(&s->adapted, arg, what == PLX_HUB_ADAPT);
    default:
        return 0;
    }
}

void cl_att_clear(cl_att *a) {
    free(a->v);
    *a = (cl_att){0};
}

cJSON *cl_bytes_json(plx_bytes b, cl_att *att) {
    if (!memchr(b.data ? (const void *)b.data : "", 0, b.len) && plx_utf8_valid(b.data, b.len)) {
        char *s = malloc(b.len + 1);
        if (!s) return NULL;
        if (b.len) memcpy(s, b.data, b.len);
        s[b.len] = 0;
        cJSON *o = cJSON_CreateString(s);
        free(s);
        return o;
    }
    if (att->n >= PLX_MAX_ATTACHMENTS) return NULL;
    if (att->n == att->cap) {
        size_t cap = att->cap ? att->cap * 2 : 4;
        plx_bytes *v = realloc(att->v, cap * sizeof(*v));
        if (!v) return NULL;
        att->v = v;
        att->cap = cap;
    }
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddNumberToObject(o, "$bin", (double)att->n)) {
        cJSON_Delete(o);
        return NULL;
    }
    att->v[att->n++] = b;
    return o;
}

int cl_json_bytes(const cJSON *v, const plx_bytes *att, size_t natt, plx_bytes *out) {
    if (cJSON_IsString(v) && v->valuestring) {
        *out = (plx_bytes){(const uint8_t *)v->valuestring, strlen(v->valuestring)};
        return 0;
    }
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(v, "$bin");
    if (!cJSON_IsObject(v) || !cJSON_IsNumber(b) || b->valuedouble < 0 ||
        b->valuedouble >= (double)natt || b->valuedouble != (double)(size_t)b->valuedouble)
        return PLX_E_BAD_VALUE;
    *out = att[(size_t)b->valuedouble];
    return 0;
}

/* A JSON array of the spans (strings or $bin); NULL on NOMEM. */
static cJSON *list_json(const plx_bytes *v, size_t n, cl_att *att) {
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++) {
        cJSON *e = cl_bytes_json(v[i], att);
        if (!e) {
            cJSON_Delete(a);
            return NULL;
        }
        cJSON_AddItemToArray(a, e);
    }
    return a;
}

int cl_view_json(cJSON *o, const plx_hub_client *c, cl_att *att) {
    cJSON *g = list_json(c->groups, c->ngroups, att);
    cJSON *r = g ? list_json(c->routes, c->nroutes, att) : NULL;
    cJSON *k = r ? list_json(c->adapted, c->nadapted, att) : NULL;
    if (!k || !cJSON_AddStringToObject(o, "name", c->name ? c->name : "")) {
        cJSON_Delete(g);
        cJSON_Delete(r);
        cJSON_Delete(k);
        return PLX_E_NOMEM;
    }
    cJSON_AddItemToObject(o, "groups", g);
    cJSON_AddItemToObject(o, "routes", r);
    cJSON_AddItemToObject(o, "adapted", k);
    return 0;
}

/* Reads the array field into l. 0, BAD_VALUE or NOMEM. */
static int list_parse(cl_list *l, const cJSON *o, const char *field, const plx_bytes *att,
                      size_t natt) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, field);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > (int)CL_LIST_MAX) return PLX_E_BAD_VALUE;
    for (const cJSON *e = a->child; e; e = e->next) {
        plx_bytes b;
        if (cl_json_bytes(e, att, natt, &b) != 0) return PLX_E_BAD_VALUE;
        if (cl_list_add(l, b) != 0) return PLX_E_NOMEM;
    }
    return 0;
}

int cl_state_parse(cl_state *s, const cJSON *o, const plx_bytes *att, size_t natt) {
    *s = (cl_state){0};
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
    if (!cJSON_IsString(name) || !name->valuestring) return PLX_E_BAD_VALUE;
    int rc = (s->name = dup_str(name->valuestring)) ? 0 : PLX_E_NOMEM;
    if (!rc) rc = list_parse(&s->groups, o, "groups", att, natt);
    if (!rc) rc = list_parse(&s->routes, o, "routes", att, natt);
    if (!rc) rc = list_parse(&s->adapted, o, "adapted", att, natt);
    if (rc) cl_state_clear(s);
    return rc;
}
