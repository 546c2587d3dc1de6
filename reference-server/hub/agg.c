/*
 * agg.c - aggregates: one request of a caller answered from several parts, each part a slot
 * filled now or when a forwarded call or read ends (reply, CALL_TIMEOUT, PEER_GONE).
 *
 *   call_all  slots named by target; the result is {name: entry} with the members sorted by
 *             bytes and the targets' attachment lists concatenated in that order (RPC-14/15).
 *   pipeline  slots in command order; the result is [entry, ...] with the attachments
 *             numbered in the order their references appear (PIPE-2), and the changes its
 *             commands caused held until the reply is queued (PIPE-6).
 *
 * An entry is {"result": v} or {"error": e}; a serving side's error object is kept unchanged
 * (RPC-14, ADP-4). Each slot owns a copy of its attachment list (at most PLX_MAX_ATTACHMENTS
 * in the whole answer: past it an entry becomes a LIMIT_REACHED error).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

hub_agg *hub_agg_new(hub_conn *caller, uint64_t rid, int pipeline, size_t nslots) {
    hub_agg *a = calloc(1, sizeof(*a));
    if (!a || !(a->slots = calloc(nslots ? nslots : 1, sizeof(*a->slots)))) {
        free(a);
        return NULL;
    }
    if (hub_map_putu(&caller->pending, rid, a) != 0) {
        free(a->slots);
        free(a);
        return NULL;
    }
    a->pipeline = pipeline;
    a->caller = caller->id;
    a->rid = rid;
    a->nslots = nslots;
    for (size_t i = 0; i < nslots; i++)
        a->slots[i].att.owned = 1;
    return a;
}

void hub_agg_free(hub_agg *a) {
    if (!a) return;
    for (size_t i = 0; i < a->nslots; i++) {
        free(a->slots[i].name);
        cJSON_Delete(a->slots[i].entry);
        hub_att_clear(&a->slots[i].att);
    }
    free(a->slots);
    hub_notes_free(&a->notes);
    free(a);
}

int hub_agg_name(hub_agg *a, size_t i, const char *name) {
    size_t len = strlen(name);
    if (!(a->slots[i].name = malloc(len + 1))) return PLX_E_NOMEM;
    memcpy(a->slots[i].name, name, len + 1);
    return 0;
}

/* {member: v} (takes v); NULL on no memory. */
static cJSON *wrap(const char *member, cJSON *v) {
    cJSON *o = v ? cJSON_CreateObject() : NULL;
    if (!o) {
        cJSON_Delete(v);
        return NULL;
    }
    cJSON_AddItemToObject(o, member, v);
    return o;
}

cJSON *hub_entry_error(int code, const char *message) {
    return wrap("error", hub_error_obj(code, message, NULL));
}

void hub_agg_fill(hub_agg *a, size_t i, cJSON *entry) {
    hub_slot *s = &a->slots[i];
    cJSON_Delete(s->entry);
    s->entry = entry ? entry : hub_entry_error(PLX_E_INTERNAL, "out of memory");
}

/* Fills slot i from a serving side's reply m (result or error, with a copy of m's whole
 * attachment list), or with the error code when m is NULL. */
static void fill_from(hub_agg *a, size_t i, const plx_msg *m, int code) {
    hub_slot *s = &a->slots[i];
    if (!m) {
        hub_agg_fill(a, i, hub_entry_error(code, NULL));
        return;
    }
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(m->json, "error");
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(m->json, "result");
    cJSON *entry = error ? wrap("error", cJSON_Duplicate(error, 1))
                         : wrap("result", result ? cJSON_Duplicate(result, 1) : cJSON_CreateNull());
    for (size_t k = 0; entry && k < m->natt; k++) {
        int rc = hub_att_add(&s->att, m->att[k]);
        if (rc < 0) {
            cJSON_Delete(entry);
            entry = hub_entry_error(rc == PLX_E_LIMIT_REACHED ? rc : PLX_E_INTERNAL, NULL);
            hub_att_clear(&s->att);
            s->att.owned = 1;
        }
    }
    hub_agg_fill(a, i, entry);
}

static int cmp_slot(const void *x, const void *y) {
    const hub_slot *a = *(const hub_slot *const *)x, *b = *(const hub_slot *const *)y;
    return strcmp(a->name ? a->name : "", b->name ? b->name : "");
}

/* The answer: call_all members sorted, lists concatenated; pipeline entries in order,
 * references renumbered in text order. out borrows the slots' bytes. NULL on no memory. */
static cJSON *build(hub_agg *a, hub_att *out) {
    const hub_slot **order = malloc((a->nslots ? a->nslots : 1) * sizeof(*order));
    cJSON *res = a->pipeline ? cJSON_CreateArray() : cJSON_CreateObject();
    if (!order || !res) {
        free(order);
        cJSON_Delete(res);
        return NULL;
    }
    for (size_t i = 0; i < a->nslots; i++)
        order[i] = &a->slots[i];
    if (!a->pipeline) qsort(order, a->nslots, sizeof(*order), cmp_slot);
    for (size_t i = 0; i < a->nslots; i++) {
        const hub_slot *s = order[i];
        int err = 0;
        cJSON *e = !s->entry     ? hub_entry_error(PLX_E_INTERNAL, NULL)
                   : a->pipeline ? hub_att_copy(s->entry, s->att.v, s->att.n, out, &err)
                                 : hub_att_append(s->entry, s->att.v, s->att.n, out, &err);
        if (!e && err == PLX_E_LIMIT_REACHED)
            e = hub_entry_error(err, "more than 1024 attachments in the answer");
        if (!e) {
            free(order);
            cJSON_Delete(res);
            return NULL;
        }
        if (a->pipeline)
            cJSON_AddItemToArray(res, e);
        else
            cJSON_AddItemToObject(res, s->name ? s->name : "", e);
    }
    free(order);
    return res;
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
    hub_notes_flush(h, &a->notes); /* the changes happened: other watchers learn of them */
    hub_agg_free(a);
}

void hub_agg_release(plx_hub *h, hub_agg *a) {
    if (--a->remaining > 0) return;
    hub_conn *caller = hub_conn_get(h, a->caller);
    if (caller) {
        if (hub_map_getu(&caller->pending, a->rid) == a) hub_map_delu(&caller->pending, a->rid);
        hub_att out = {0};
        cJSON *res = build(a, &out);
        if (res)
            hub_reply(h, caller, a->rid, res, &out);
        else
            hub_reply_error(h, caller, a->rid, PLX_E_INTERNAL, "out of memory", NULL);
        hub_att_clear(&out);
    }
    hub_agg_orphan(h, a);
}

void hub_agg_part_done(plx_hub *h, hub_call *k, const plx_msg *m, int code) {
    hub_agg *a = k->agg;
    if (a) fill_from(a, k->slot, m, code);
    hub_call_end(h, k);
    if (a) hub_agg_release(h, a);
}
