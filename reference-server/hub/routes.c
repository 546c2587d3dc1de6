/*
 * routes.c - the route table: register and unregister (bounded per connection by
 * max_routes; plexus.* is the server's), lookup and round-robin choice of a server.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

hub_route *hub_route_get(const plx_hub *h, const char *name) {
    return hub_map_gets(&h->routes, name);
}

hub_conn *hub_route_pick(hub_route *r) {
    if (!r || r->n == 0) return NULL;
    hub_conn *c = r->servers[r->rr % r->n];
    r->rr = (r->rr + 1) % r->n;
    return c;
}

int hub_route_served(const plx_hub *h, const hub_conn *c, const char *name) {
    (void)h;
    return hub_strs_find(&c->routes, name, strlen(name)) >= 0;
}

static void route_free(hub_route *r) {
    if (!r) return;
    free(r->servers);
    free(r->name);
    free(r);
}

int hub_route_add(plx_hub *h, hub_conn *c, const char *name) {
    size_t len = strlen(name);
    if (hub_strs_find(&c->routes, name, len) >= 0) return 0;
    hub_route *r = hub_route_get(h, name);
    int created = 0;
    if (!r) {
        r = calloc(1, sizeof(*r));
        if (!r || !(r->name = malloc(len + 1)) || hub_map_put(&h->routes, name, len, r) != 0) {
            route_free(r);
            return PLX_E_NOMEM;
        }
        memcpy(r->name, name, len + 1);
        created = 1;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 4;
        hub_conn **v = realloc(r->servers, cap * sizeof(*v));
        if (!v) goto fail;
        r->servers = v;
        r->cap = cap;
    }
    if (hub_strs_add(&c->routes, name, len) != 0) goto fail;
    r->servers[r->n++] = c;
    return 0;
fail:
    if (created) {
        hub_map_del(&h->routes, name, len);
        route_free(r);
    }
    return PLX_E_NOMEM;
}

void hub_route_remove(plx_hub *h, hub_conn *c, const char *name) {
    size_t len = strlen(name);
    long i = hub_strs_find(&c->routes, name, len);
    if (i < 0) return;
    hub_strs_remove(&c->routes, (size_t)i);
    hub_route *r = hub_route_get(h, name);
    if (!r) return;
    for (size_t k = 0; k < r->n; k++) {
        if (r->servers[k] == c) {
            memmove(&r->servers[k], &r->servers[k + 1], (r->n - k - 1) * sizeof(*r->servers));
            r->n--;
            if (r->rr > k) r->rr--;
            break;
        }
    }
    if (r->n == 0) {
        hub_map_del(&h->routes, name, len);
        route_free(r);
    } else {
        r->rr %= r->n;
    }
}

void hub_routes_release(plx_hub *h, hub_conn *c) {
    while (c->routes.n) {
        char name[HUB_NAME_MAX + 1];
        size_t len = c->routes.v[c->routes.n - 1].len;
        memcpy(name, c->routes.v[c->routes.n - 1].data, len + 1);
        hub_route_remove(h, c, name);
    }
}

/* Checks register/unregister's routes; returns the array or NULL after answering. */
static const cJSON *routes_field(plx_hub *h, hub_conn *c, const cJSON *m, uint64_t rid, int reg) {
    const cJSON *routes = cJSON_GetObjectItemCaseSensitive(m, "routes");
    if (!routes) {
        hub_reply_error(h, c, rid, PLX_E_MISSING_FIELD, "routes", NULL);
        return NULL;
    }
    if (!cJSON_IsArray(routes)) {
        hub_reply_error(h, c, rid, PLX_E_BAD_FIELD_TYPE, "routes", NULL);
        return NULL;
    }
    size_t fresh = 0;
    for (const cJSON *r = routes->child; r; r = r->next) {
        if (!cJSON_IsString(r)) {
            hub_reply_error(h, c, rid, PLX_E_BAD_FIELD_TYPE, "routes", NULL);
            return NULL;
        }
        size_t len = strlen(r->valuestring);
        if (!hub_name_valid(r->valuestring, len, 1)) {
            hub_reply_error(h, c, rid, PLX_E_BAD_NAME, NULL, NULL);
            return NULL;
        }
        if (reg && strncmp(r->valuestring, "plexus.", 7) == 0) {
            hub_reply_error(h, c, rid, PLX_E_RESERVED_ROUTE, NULL, NULL);
            return NULL;
        }
        if (hub_strs_find(&c->routes, r->valuestring, len) >= 0) continue;
        int dup = 0; /* the same new route twice in one request counts once */
        for (const cJSON *p = routes->child; p != r; p = p->next)
            if (strcmp(p->valuestring, r->valuestring) == 0) dup = 1;
        fresh += !dup;
    }
    if (reg && c->routes.n + fresh > h->cfg.max_routes) {
        hub_reply_error(h, c, rid, PLX_E_LIMIT_REACHED, NULL, NULL);
        return NULL;
    }
    return routes;
}

void hub_on_register(plx_hub *h, hub_conn *c, const cJSON *m) {
    uint64_t rid = 0;
    hub_get_uint(m, "id", &rid);
    const cJSON *routes = routes_field(h, c, m, rid, 1);
    if (!routes) return;
    for (const cJSON *r = routes->child; r; r = r->next) {
        if (hub_route_add(h, c, r->valuestring) != 0) {
            hub_reply_error(h, c, rid, PLX_E_INTERNAL, "out of memory", NULL);
            return;
        }
        hub_observe_str(h, c, PLX_HUB_REGISTER, r->valuestring);
    }
    hub_reply(h, c, rid, cJSON_CreateTrue(), NULL);
}

void hub_on_unregister(plx_hub *h, hub_conn *c, const cJSON *m) {
    uint64_t rid = 0;
    hub_get_uint(m, "id", &rid);
    const cJSON *routes = routes_field(h, c, m, rid, 0);
    if (!routes) return;
    for (const cJSON *r = routes->child; r; r = r->next) {
        int served = hub_route_served(h, c, r->valuestring);
        hub_route_remove(h, c, r->valuestring);
        if (served) hub_observe_str(h, c, PLX_HUB_UNREGISTER, r->valuestring);
    }
    hub_reply(h, c, rid, cJSON_CreateTrue(), NULL);
}
