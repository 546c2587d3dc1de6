/*
 * call_all.c - call_all: one call per client serving the route (optionally only a group's
 * members), answered through an aggregate (agg.c) once every part replied, timed out or
 * lost its client, with {name: {"result": v} | {"error": e}}.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void hub_on_call_all(plx_hub *h, hub_conn *c, const plx_msg *m, uint64_t now) {
    uint64_t rid = 0;
    hub_get_uint(m->json, "id", &rid);
    const char *route = hub_get_str(m->json, "route");
    const char *group = hub_get_str(m->json, "group");
    if (!route) {
        hub_reply_error(h, c, rid, PLX_E_MISSING_FIELD, "route", NULL);
        return;
    }
    if (strncmp(route, "plexus.", 7) == 0) { /* RPC-13 */
        hub_reply_error(h, c, rid, PLX_E_RESERVED_ROUTE, NULL, NULL);
        return;
    }
    if (hub_timeout_zero(m->json)) {
        hub_reply_error(h, c, rid, PLX_E_BAD_VALUE, "timeout_ms must not be 0", NULL);
        return;
    }
    if (cJSON_GetObjectItemCaseSensitive(m->json, "group") &&
        (!group || !hub_name_valid(group, strlen(group), 0))) {
        hub_reply_error(h, c, rid, group ? PLX_E_BAD_NAME : PLX_E_BAD_FIELD_TYPE, "group", NULL);
        return;
    }
    hub_route *r = hub_route_get(h, route);
    hub_conn **targets = malloc(((r && r->n) ? r->n : 1) * sizeof(*targets));
    size_t n = 0;
    if (!targets) {
        hub_reply_error(h, c, rid, PLX_E_INTERNAL, "out of memory", NULL);
        return;
    }
    for (size_t i = 0; r && i < r->n; i++) {
        hub_conn *s = r->servers[i];
        if (s->state != HUB_READY) continue;
        if (group && hub_strs_find(&s->groups, group, strlen(group)) < 0) continue;
        targets[n++] = s;
    }
    if (n == 0) {
        free(targets);
        hub_reply(h, c, rid, cJSON_CreateObject(), NULL);
        return;
    }
    hub_agg *a = hub_agg_new(c, rid, 0, n);
    if (!a) {
        free(targets);
        hub_reply_error(h, c, rid, PLX_E_INTERNAL, "out of memory", NULL);
        return;
    }
    a->remaining = n + 1; /* held until every part went out (a part may fail at once) */
    uint32_t timeout = hub_call_timeout(h, m->json);
    for (size_t i = 0; i < n; i++) {
        hub_call *k = NULL;
        if (hub_agg_name(a, i, targets[i]->name) == 0)
            k = hub_call_start(h, HUB_PART, c, rid, targets[i], now + timeout);
        if (!k) {
            hub_agg_fill(a, i, NULL);
            a->remaining--; /* stays >= 1: the hold */
            continue;
        }
        k->agg = a;
        k->slot = i;
        hub_call_forward(h, k, targets[i], route, m, c->name, timeout);
    }
    free(targets);
    hub_agg_release(h, a);
}
