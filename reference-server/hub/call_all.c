/*
 * call_all.c - call_all: one call per client serving the route (optionally only a group's
 * members), answered once every part replied, timed out or lost its client, with
 * {name: {"result": v} | {"error": e}}. Results' attachments are copied into the aggregate
 * (at most PLX_MAX_ATTACHMENTS in all; past it a part's entry is a LIMIT_REACHED error).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void hub_agg_free(hub_agg *a) {
    if (!a) return;
    cJSON_Delete(a->result);
    hub_att_clear(&a->att);
    free(a);
}

void hub_agg_orphan(plx_hub *h, hub_agg *a) {
    hub_map_iter it = {0};
    hub_map_node *node;
    while ((node = hub_map_next(&h->calls, &it))) {
        hub_call *k = node->val;
        if (k->agg == a) {
            k->agg = NULL;
            k->caller = 0;
        }
    }
    hub_agg_free(a);
}

/* {"result": v} or {"error": e} for one part. */
static cJSON *part_entry(hub_agg *a, const plx_msg *m, int code) {
    cJSON *entry = cJSON_CreateObject();
    if (!entry) return NULL;
    int err = 0;
    const cJSON *error = m ? cJSON_GetObjectItemCaseSensitive(m->json, "error") : NULL;
    if (m && !error) {
        const cJSON *result = cJSON_GetObjectItemCaseSensitive(m->json, "result");
        cJSON *r =
            result ? hub_att_copy(result, m->att, m->natt, &a->att, &err) : cJSON_CreateNull();
        if (r) {
            cJSON_AddItemToObject(entry, "result", r);
            return entry;
        }
        code = err == PLX_E_LIMIT_REACHED ? err : PLX_E_INTERNAL;
    }
    cJSON *detail = NULL;
    if (error) {
        code = PLX_E_ROUTE_FAILED;
        detail = hub_att_copy(error, m->att, m->natt, &a->att, &err);
    }
    cJSON *e = hub_error_obj(code, NULL, detail);
    if (!e) {
        cJSON_Delete(entry);
        return NULL;
    }
    cJSON_AddItemToObject(entry, "error", e);
    return entry;
}

/* Every part is done: the caller gets the aggregate; a is freed. */
static void agg_finish(plx_hub *h, hub_agg *a) {
    hub_conn *caller = hub_conn_get(h, a->caller);
    if (caller) {
        if (hub_map_getu(&caller->pending, a->rid) == a) hub_map_delu(&caller->pending, a->rid);
        hub_reply(h, caller, a->rid, a->result, &a->att);
        a->result = NULL;
    }
    hub_agg_orphan(h, a);
}

void hub_agg_part_done(plx_hub *h, hub_call *k, const plx_msg *m, int code) {
    hub_agg *a = k->agg;
    if (a) {
        cJSON *entry = part_entry(a, m, code);
        if (entry) cJSON_AddItemToObject(a->result, k->target ? k->target : "", entry);
        a->remaining--;
    }
    hub_call_end(h, k);
    if (a && a->remaining == 0) agg_finish(h, a);
}

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
    if (!hub_pending_room(h, c, rid)) {
        free(targets);
        return;
    }
    hub_agg *a = calloc(1, sizeof(*a));
    if (!a || !(a->result = cJSON_CreateObject()) || hub_map_putu(&c->pending, rid, a) != 0) {
        hub_agg_free(a);
        free(targets);
        hub_reply_error(h, c, rid, PLX_E_INTERNAL, "out of memory", NULL);
        return;
    }
    a->caller = c->id;
    a->rid = rid;
    a->att.owned = 1;
    a->remaining = n + 1; /* held until every part went out (a part may fail at once) */
    uint32_t timeout = hub_call_timeout(h, m->json);
    for (size_t i = 0; i < n; i++) {
        hub_call *k = hub_call_start(h, HUB_PART, c, rid, targets[i], now + timeout);
        size_t len = strlen(targets[i]->name);
        if (k && (k->target = malloc(len + 1))) {
            memcpy(k->target, targets[i]->name, len + 1);
            k->agg = a;
            hub_call_forward(h, k, targets[i], route, m, c->name, timeout);
        } else {
            if (k) hub_call_end(h, k);
            cJSON *e = cJSON_CreateObject();
            if (e) {
                cJSON_AddItemToObject(e, "error", hub_error_obj(PLX_E_INTERNAL, NULL, NULL));
                cJSON_AddItemToObject(a->result, targets[i]->name, e);
            }
            a->remaining--;
        }
    }
    free(targets);
    if (--a->remaining == 0) agg_finish(h, a);
}
