/*
 * history.c - a group's history: a ring of the last N events sent to it, each kept as its
 * JSON with owned copies of its whole attachment list (memory: at most N x max_message per
 * group).
 */
#include <stdlib.h>

#include "internal.h"

typedef struct hist_entry {
    cJSON *event;
    hub_att att;
} hist_entry;

struct hub_hist {
    hist_entry *v;
    size_t cap, start, n;
};

hub_hist *hub_hist_new(uint32_t cap) {
    hub_hist *r = calloc(1, sizeof(*r));
    if (!r || !(r->v = calloc(cap ? cap : 1, sizeof(*r->v)))) {
        free(r);
        return NULL;
    }
    r->cap = cap ? cap : 1;
    return r;
}

static void entry_clear(hist_entry *e) {
    cJSON_Delete(e->event);
    hub_att_clear(&e->att);
    e->event = NULL;
}

void hub_hist_free(hub_hist *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n; i++)
        entry_clear(&r->v[(r->start + i) % r->cap]);
    free(r->v);
    free(r);
}

int hub_hist_push(hub_hist *r, const cJSON *event, const plx_bytes *att, size_t natt) {
    hist_entry e = {.att = {.owned = 1}};
    int err = (e.event = cJSON_Duplicate(event, 1)) ? 0 : PLX_E_NOMEM;
    for (size_t i = 0; !err && i < natt; i++) /* the whole list, as delivered (EVT-10) */
        if ((err = hub_att_add(&e.att, att[i])) > 0) err = 0;
    if (err) {
        entry_clear(&e);
        return err;
    }
    if (r->n == r->cap) {
        entry_clear(&r->v[r->start]);
        r->start = (r->start + 1) % r->cap;
        r->n--;
    }
    r->v[(r->start + r->n) % r->cap] = e;
    r->n++;
    return 0;
}

int hub_hist_dump(const hub_hist *r, size_t limit, cJSON *arr, hub_att *out) {
    size_t n = limit < r->n ? limit : r->n;
    for (size_t i = r->n - n; i < r->n; i++) {
        const hist_entry *e = &r->v[(r->start + i) % r->cap];
        int err = 0;
        /* EVT-11: the events' lists concatenated, references shifted (as RPC-15). */
        cJSON *copy = hub_att_append(e->event, e->att.v, e->att.n, out, &err);
        if (!copy) return err;
        cJSON_AddItemToArray(arr, copy);
    }
    return 0;
}
