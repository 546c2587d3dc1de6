/*
 * builtin.c - the routes the server serves itself: plexus.info, plexus.clients,
 * plexus.groups, plexus.routes, plexus.history. Lists are sorted by name.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int cmp_name(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static cJSON *info(plx_hub *h, uint64_t now) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "server", h->cfg.server_name);
    cJSON_AddNumberToObject(o, "version", PLX_PROTOCOL_VERSION);
    cJSON_AddNumberToObject(o, "uptime_ms", (double)(now - h->started_ms));
    cJSON_AddNumberToObject(o, "connections", (double)h->nconns);
    cJSON_AddNumberToObject(o, "history", h->cfg.history);
    cJSON_AddStringToObject(o, "storage",
                            h->store         ? "memory"
                            : HUB_BACKEND(h) ? h->backend.name
                                             : "none");
    return o;
}

/* The names of READY clients, sorted; *n of them. malloc'd array of borrowed strings. */
static const char **sorted_names(plx_hub *h, size_t *n) {
    const char **v = malloc((h->nconns + h->nproxies + 1) * sizeof(*v));
    *n = 0;
    if (!v) return NULL;
    for (hub_conn *c = h->head; c; c = c->next)
        if (c->state == HUB_READY && c->name) v[(*n)++] = c->name;
    qsort(v, *n, sizeof(*v), cmp_name);
    return v;
}

static cJSON *clients(plx_hub *h) {
    size_t n;
    const char **names = sorted_names(h, &n);
    cJSON *arr = cJSON_CreateArray();
    if (!names || !arr) goto fail;
    for (size_t i = 0; i < n; i++) {
        hub_conn *c = hub_name_lookup(h, names[i]);
        cJSON *o = cJSON_CreateObject();
        if (!o) goto fail;
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "name", names[i]);
        cJSON *g = hub_strs_sorted_json(&c->groups), *r = hub_strs_sorted_json(&c->routes);
        if (!g || !r) {
            cJSON_Delete(g);
            cJSON_Delete(r);
            goto fail;
        }
        cJSON_AddItemToObject(o, "groups", g);
        cJSON_AddItemToObject(o, "routes", r);
    }
    free(names);
    return arr;
fail:
    free(names);
    cJSON_Delete(arr);
    return NULL;
}

/* {key: [member names sorted]} over a map of groups or routes (keys sorted). */
static cJSON *membership(const hub_map *map, int routes) {
    const char **keys = malloc((map->count ? map->count : 1) * sizeof(*keys));
    cJSON *o = cJSON_CreateObject();
    size_t n = 0;
    if (!keys || !o) goto fail;
    hub_map_iter it = {0};
    hub_map_node *node;
    while ((node = hub_map_next(map, &it)))
        keys[n++] = (const char *)node->key;
    qsort(keys, n, sizeof(*keys), cmp_name);
    for (size_t i = 0; i < n; i++) {
        hub_strs names = {0};
        hub_conn **members;
        size_t count;
        if (routes) {
            hub_route *r = hub_map_gets(map, keys[i]);
            members = r->servers;
            count = r->n;
        } else {
            hub_group *g = hub_map_gets(map, keys[i]);
            members = g->members;
            count = g->n;
        }
        for (size_t k = 0; k < count; k++)
            if (members[k]->name &&
                hub_strs_add(&names, members[k]->name, strlen(members[k]->name)) != 0) {
                hub_strs_clear(&names);
                goto fail;
            }
        cJSON *arr = hub_strs_sorted_json(&names);
        hub_strs_clear(&names);
        if (!arr) goto fail;
        cJSON_AddItemToObject(o, keys[i], arr);
    }
    free(keys);
    return o;
fail:
    free(keys);
    cJSON_Delete(o);
    return NULL;
}

static void history(plx_hub *h, hub_conn *c, uint64_t rid, const cJSON *args) {
    if (!h->cfg.history) {
        hub_reply_error(h, c, rid, PLX_E_HISTORY_DISABLED, NULL, NULL);
        return;
    }
    /* RPC-17: args must be {"group": string, "limit": uint (optional)}, else BAD_VALUE. */
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(args, "group");
    uint64_t limit = h->cfg.history;
    if (!cJSON_IsObject(args) || !cJSON_IsString(g) ||
        (cJSON_GetObjectItemCaseSensitive(args, "limit") && !hub_get_uint(args, "limit", &limit))) {
        hub_reply_error(h, c, rid, PLX_E_BAD_VALUE,
                        "args must be {\"group\": string, \"limit\": uint (optional)}", NULL);
        return;
    }
    hub_group *grp = hub_group_get(h, g->valuestring);
    cJSON *arr = cJSON_CreateArray();
    hub_att att = {0};
    int rc = arr ? 0 : PLX_E_NOMEM;
    if (!rc && grp && grp->hist) rc = hub_hist_dump(grp->hist, (size_t)limit, arr, &att);
    if (rc) {
        cJSON_Delete(arr);
        hub_reply_error(h, c, rid, rc == PLX_E_LIMIT_REACHED ? rc : PLX_E_INTERNAL, NULL, NULL);
    } else {
        hub_reply(h, c, rid, arr, &att);
    }
    hub_att_clear(&att);
}

void hub_builtin_call(plx_hub *h, hub_conn *c, uint64_t rid, const char *route, const cJSON *args,
                      uint64_t now) {
    cJSON *r;
    if (strcmp(route, "plexus.info") == 0)
        r = info(h, now);
    else if (strcmp(route, "plexus.clients") == 0)
        r = clients(h);
    else if (strcmp(route, "plexus.groups") == 0)
        r = membership(&h->groups, 0);
    else if (strcmp(route, "plexus.routes") == 0)
        r = membership(&h->routes, 1);
    else if (strcmp(route, "plexus.history") == 0) {
        history(h, c, rid, args);
        return;
    } else {
        hub_reply_error(h, c, rid, PLX_E_UNKNOWN_ROUTE, NULL, NULL);
        return;
    }
    if (!r)
        hub_reply_error(h, c, rid, PLX_E_INTERNAL, "out of memory", NULL);
    else
        hub_reply(h, c, rid, r, NULL);
}
