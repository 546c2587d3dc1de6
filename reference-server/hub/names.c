/*
 * names.c - the name registry: validation (1..128 bytes of UTF-8, no control characters,
 * no ':' in client and group names), lookup, client-N assignment, rename.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int hub_name_valid(const char *s, size_t len, int colon_ok) {
    if (!s || len == 0 || len > HUB_NAME_MAX) return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f || (ch == ':' && !colon_ok)) return 0;
    }
    return plx_utf8_valid((const uint8_t *)s, len);
}

hub_conn *hub_name_lookup(const plx_hub *h, const char *name) {
    return name ? hub_map_gets(&h->names, name) : NULL;
}

int hub_name_set(plx_hub *h, hub_conn *c, const char *name) {
    size_t len = strlen(name);
    char *copy = malloc(len + 1);
    if (!copy) return PLX_E_NOMEM;
    memcpy(copy, name, len + 1);
    if (hub_map_put(&h->names, copy, len, c) != 0) {
        free(copy);
        return PLX_E_NOMEM;
    }
    hub_name_release(h, c);
    c->name = copy;
    return 0;
}

void hub_name_release(plx_hub *h, hub_conn *c) {
    if (!c->name) return;
    if (hub_map_gets(&h->names, c->name) == c) hub_map_del(&h->names, c->name, strlen(c->name));
    free(c->name);
    c->name = NULL;
}

char *hub_name_auto(plx_hub *h) {
    char buf[96];
    do
        snprintf(buf, sizeof(buf), "%s%llu", h->peer.auto_prefix ? h->peer.auto_prefix : "client-",
                 (unsigned long long)++h->next_auto);
    while (hub_name_lookup(h, buf));
    size_t n = strlen(buf) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, buf, n);
    return d;
}

void hub_on_rename(plx_hub *h, hub_conn *c, const cJSON *m) {
    uint64_t rid = 0;
    hub_get_uint(m, "id", &rid);
    const char *name = hub_get_str(m, "name");
    if (!name) {
        hub_reply_error(h, c, rid, PLX_E_MISSING_FIELD, "name", NULL);
        return;
    }
    if (!hub_name_valid(name, strlen(name), 0)) {
        hub_reply_error(h, c, rid, PLX_E_BAD_NAME, NULL, NULL);
        return;
    }
    hub_conn *holder = hub_name_lookup(h, name);
    if (holder == c) {
        hub_reply(h, c, rid, cJSON_CreateTrue(), NULL);
        return;
    }
    if (holder) {
        hub_reply_error(h, c, rid, PLX_E_NAME_TAKEN, NULL, NULL);
        return;
    }
    char *old = c->name;
    c->name = NULL; /* keep the old text for the presence event */
    if (old) hub_map_del(&h->names, old, strlen(old));
    if (hub_name_set(h, c, name) != 0) {
        c->name = old;
        hub_map_put(&h->names, old, strlen(old), c);
        hub_reply_error(h, c, rid, PLX_E_INTERNAL, "out of memory", NULL);
        return;
    }
    hub_reply(h, c, rid, cJSON_CreateTrue(), NULL);
    hub_presence(h, c, "rename", old);
    hub_observe_str(h, c, PLX_HUB_RENAME, name);
    free(old);
}
