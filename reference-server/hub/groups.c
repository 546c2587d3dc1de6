/*
 * groups.c - groups: membership (bounded per connection by max_groups), join and leave
 * requests with presence regroup; a group and its history exist while it has members.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

hub_group *hub_group_get(const plx_hub *h, const char *name) {
    return hub_map_gets(&h->groups, name);
}

void hub_group_free(hub_group *g) {
    if (!g) return;
    hub_hist_free(g->hist);
    free(g->members);
    free(g->name);
    free(g);
}

static hub_group *group_create(plx_hub *h, const char *name) {
    hub_group *g = calloc(1, sizeof(*g));
    size_t len = strlen(name);
    if (!g || !(g->name = malloc(len + 1))) goto fail;
    memcpy(g->name, name, len + 1);
    if (h->cfg.history && !(g->hist = hub_hist_new(h->cfg.history))) goto fail;
    if (hub_map_put(&h->groups, name, len, g) != 0) goto fail;
    return g;
fail:
    hub_group_free(g);
    return NULL;
}

int hub_group_add(plx_hub *h, hub_conn *c, const char *name) {
    size_t len = strlen(name);
    if (hub_strs_find(&c->groups, name, len) >= 0) return 1;
    if (c->groups.n >= h->cfg.max_groups) return PLX_E_LIMIT_REACHED;
    hub_group *g = hub_group_get(h, name);
    int created = 0;
    if (!g) {
        if (!(g = group_create(h, name))) return PLX_E_NOMEM;
        created = 1;
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 4;
        hub_conn **v = realloc(g->members, cap * sizeof(*v));
        if (!v) goto fail;
        g->members = v;
        g->cap = cap;
    }
    if (hub_strs_add(&c->groups, name, len) != 0) goto fail;
    g->members[g->n++] = c;
    return 0;
fail:
    if (created) {
        hub_map_del(&h->groups, name, len);
        hub_group_free(g);
    }
    return PLX_E_NOMEM;
}

int hub_group_remove(plx_hub *h, hub_conn *c, const char *name) {
    size_t len = strlen(name);
    long i = hub_strs_find(&c->groups, name, len);
    if (i < 0) return 0;
    hub_strs_remove(&c->groups, (size_t)i);
    hub_group *g = hub_group_get(h, name);
    if (!g) return 1;
    for (size_t k = 0; k < g->n; k++) {
        if (g->members[k] == c) {
            memmove(&g->members[k], &g->members[k + 1], (g->n - k - 1) * sizeof(*g->members));
            g->n--;
            break;
        }
    }
    if (g->n == 0) {
        hub_map_del(&h->groups, name, len);
        hub_group_free(g);
    }
    return 1;
}

void hub_groups_release(plx_hub *h, hub_conn *c) {
    while (c->groups.n) {
        char name[HUB_NAME_MAX + 1];
        size_t len = c->groups.v[c->groups.n - 1].len;
        memcpy(name, c->groups.v[c->groups.n - 1].data, len + 1);
        hub_group_remove(h, c, name);
    }
}

/* Common checks of join and leave: the group name, or NULL once answered. */
static const char *group_field(plx_hub *h, hub_conn *c, const cJSON *m, uint64_t *rid) {
    hub_get_uint(m, "id", rid);
    const char *g = hub_get_str(m, "group");
    if (!g) {
        int code = cJSON_GetObjectItemCaseSensitive(m, "group") ? PLX_E_BAD_FIELD_TYPE
                                                                : PLX_E_MISSING_FIELD;
        hub_reply_error(h, c, *rid, code, "group", NULL);
        return NULL;
    }
    if (!hub_name_valid(g, strlen(g), 0)) {
        hub_reply_error(h, c, *rid, PLX_E_BAD_NAME, NULL, NULL);
        return NULL;
    }
    return g;
}

void hub_on_join(plx_hub *h, hub_conn *c, const cJSON *m) {
    uint64_t rid = 0;
    const char *g = group_field(h, c, m, &rid);
    if (!g) return;
    int rc = hub_group_add(h, c, g);
    if (rc < 0) {
        hub_reply_error(h, c, rid, rc == PLX_E_NOMEM ? PLX_E_INTERNAL : rc, NULL, NULL);
        return;
    }
    hub_reply(h, c, rid, cJSON_CreateTrue(), NULL);
    if (rc != 0) return;
    hub_presence(h, c, "regroup", NULL);
    hub_observe_str(h, c, PLX_HUB_JOIN, g);
}

void hub_on_leave(plx_hub *h, hub_conn *c, const cJSON *m) {
    uint64_t rid = 0;
    const char *g = group_field(h, c, m, &rid);
    if (!g) return;
    int was_in = hub_group_remove(h, c, g);
    hub_reply(h, c, rid, cJSON_CreateTrue(), NULL);
    if (!was_in) return;
    hub_presence(h, c, "regroup", NULL);
    hub_observe_str(h, c, PLX_HUB_LEAVE, g);
}
