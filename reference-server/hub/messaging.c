/*
 * messaging.c - send to client:NAME, group:NAME or all (sender excluded unless echo), event
 * delivery with the send's attachments, history of group events, presence events.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void hub_presence(plx_hub *h, hub_conn *subject, const char *kind, const char *old) {
    cJSON *p = hub_msg_new("presence");
    if (!p || !subject->name) {
        cJSON_Delete(p);
        return;
    }
    cJSON_AddStringToObject(p, "kind", kind);
    cJSON_AddStringToObject(p, "name", subject->name);
    if (old) cJSON_AddStringToObject(p, "old", old);
    if (strcmp(kind, "join") == 0 || strcmp(kind, "regroup") == 0) {
        cJSON *g = hub_strs_sorted_json(&subject->groups);
        if (!g) {
            cJSON_Delete(p);
            return;
        }
        cJSON_AddItemToObject(p, "groups", g);
    }
    for (hub_conn *c = h->head; c; c = c->next)
        if (c != subject && c->state == HUB_READY && c->presence) hub_send(h, c, p, NULL, 0);
    cJSON_Delete(p);
}

/* Delivers ev to c unless c is the sender without echo; counts deliveries. */
static void deliver(plx_hub *h, hub_conn *c, hub_conn *sender, int echo, const cJSON *ev,
                    const hub_att *att, size_t *n) {
    if (c->state != HUB_READY || (c == sender && !echo)) return;
    if (hub_send(h, c, ev, att->v, att->n) == 0) (*n)++;
}

/* Answers a send's error: a reply when it had an id, else an error message. */
static void send_error(plx_hub *h, hub_conn *c, int has_id, uint64_t rid, int code) {
    hub_req_error(h, c, has_id, rid, code, NULL);
}

void hub_on_send(plx_hub *h, hub_conn *c, const plx_msg *m) {
    uint64_t rid = 0;
    int has_id = hub_get_uint(m->json, "id", &rid);
    const char *to = hub_get_str(m->json, "to");
    const char *event = hub_get_str(m->json, "event");
    if (!to || !event) {
        hub_req_error(h, c, has_id, rid, PLX_E_MISSING_FIELD, to ? "event" : "to");
        return;
    }
    int echo = hub_get_bool(m->json, "echo");
    hub_conn *target = NULL;
    hub_group *group = NULL;
    int to_client = strncmp(to, "client:", 7) == 0 && to[7];
    int to_group = strncmp(to, "group:", 6) == 0 && to[6];
    /* EVT-1: the target's form, then the event name (SES-8), then the client (EVT-2). */
    if (!to_client && !to_group && strcmp(to, "all") != 0) {
        send_error(h, c, has_id, rid, PLX_E_BAD_TARGET);
        return;
    }
    if (!hub_name_valid(event, strlen(event), 1)) {
        send_error(h, c, has_id, rid, PLX_E_BAD_NAME);
        return;
    }
    if (to_client && !(target = hub_name_lookup(h, to + 7))) {
        send_error(h, c, has_id, rid, PLX_E_UNKNOWN_CLIENT);
        return;
    }
    if (to_group) group = hub_group_get(h, to + 6); /* NULL: no members, nothing delivered */
    /* EVT-3, BODY-10: data as sent, with the send's attachment list unchanged. */
    hub_att att = HUB_ATT_VIEW(m);
    cJSON *ev = hub_msg_new("event");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(m->json, "data");
    cJSON *d = data ? cJSON_Duplicate(data, 1) : NULL;
    if (!ev || (data && !d)) {
        cJSON_Delete(ev);
        cJSON_Delete(d);
        send_error(h, c, has_id, rid, PLX_E_INTERNAL);
        return;
    }
    cJSON_AddStringToObject(ev, "from", c->name);
    cJSON_AddStringToObject(ev, "to", to);
    cJSON_AddStringToObject(ev, "event", event);
    if (d) cJSON_AddItemToObject(ev, "data", d);
    size_t n = 0;
    if (target) {
        deliver(h, target, c, echo, ev, &att, &n);
    } else if (to_group) {
        if (group && group->hist) {
            cJSON_AddNumberToObject(ev, "seq", (double)++group->seq);
            hub_hist_push(group->hist, ev, att.v, att.n);
        }
        for (size_t i = 0; group && i < group->n; i++)
            deliver(h, group->members[i], c, echo, ev, &att, &n);
    } else {
        for (hub_conn *k = h->head; k; k = k->next)
            deliver(h, k, c, echo, ev, &att, &n);
    }
    if (h->peer.flush) h->peer.flush(h->peer.ud); /* events it held for proxies go out */
    cJSON_Delete(ev);
    if (has_id) {
        cJSON *r = cJSON_CreateObject();
        if (r) cJSON_AddNumberToObject(r, "delivered", (double)n);
        hub_reply(h, c, rid, r, NULL);
    }
}
