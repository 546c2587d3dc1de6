/*
 * session.c - the session: hello (version, auth, limits, name, override), welcome, ping and
 * pong, the hello timeout and the keepalive.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int hub_secret_equal(const char *given, const char *expected) {
    size_t glen = given ? strlen(given) : 0, elen = strlen(expected);
    volatile unsigned char diff = (unsigned char)(glen != elen);
    /* Time depends only on the expected secret's length. */
    for (size_t i = 0; i < elen; i++) {
        unsigned char g = i < glen ? (unsigned char)given[i] : 0;
        diff |= (unsigned char)(g ^ (unsigned char)expected[i]);
    }
    return diff == 0;
}

/* Reads an optional uint limit from hello into *v within [lo, hi]: 0 ok, else BAD_VALUE. */
static int hello_limit(const cJSON *m, const char *field, uint32_t lo, uint32_t hi, uint32_t *v,
                       int *present) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(m, field);
    *present = 0;
    if (!item) return 0;
    uint64_t x;
    if (!hub_get_uint(m, field, &x) || x < lo || x > hi) return PLX_E_BAD_VALUE;
    *v = (uint32_t)x;
    *present = 1;
    return 0;
}

/* The effective limits of hello against the server's; 0 or BAD_VALUE with *field. */
static int negotiate(const plx_hub *h, const cJSON *m, plx_conn_limits *l, const char **field) {
    uint32_t v = 0;
    int present;
    *l =
        (plx_conn_limits){h->cfg.max_frame, h->cfg.max_message, h->cfg.gzip_threshold, h->cfg.gzip};
    *field = "max_frame";
    if (hello_limit(m, "max_frame", PLX_MIN_MAX_FRAME, PLX_MAX_MAX_FRAME, &v, &present))
        return PLX_E_BAD_VALUE;
    if (present && v < l->max_frame) l->max_frame = v;
    *field = "max_message";
    if (hello_limit(m, "max_message", PLX_MIN_MAX_MESSAGE, PLX_MAX_MAX_MESSAGE, &v, &present))
        return PLX_E_BAD_VALUE;
    if (present && v < l->max_message) l->max_message = v;
    *field = "gzip_threshold";
    if (hello_limit(m, "gzip_threshold", 0, UINT32_MAX, &v, &present)) return PLX_E_BAD_VALUE;
    if (present && v > l->gzip_threshold) l->gzip_threshold = v;
    const cJSON *gz = cJSON_GetObjectItemCaseSensitive(m, "gzip");
    if (cJSON_IsFalse(gz)) l->gzip = 0;
    return 0;
}

/* Validates hello.groups: 0, BAD_FIELD_TYPE, BAD_NAME or LIMIT_REACHED (distinct groups
 * past max_groups). */
static int hello_groups(const plx_hub *h, const cJSON *groups) {
    if (!groups) return 0;
    if (!cJSON_IsArray(groups)) return PLX_E_BAD_FIELD_TYPE;
    size_t n = 0;
    for (const cJSON *g = groups->child; g; g = g->next) {
        if (!cJSON_IsString(g)) return PLX_E_BAD_FIELD_TYPE;
        if (!hub_name_valid(g->valuestring, strlen(g->valuestring), 0)) return PLX_E_BAD_NAME;
        int dup = 0;
        for (const cJSON *p = groups->child; p != g && !dup; p = p->next)
            dup = strcmp(p->valuestring, g->valuestring) == 0;
        n += !dup;
    }
    return n > h->cfg.max_groups ? PLX_E_LIMIT_REACHED : 0;
}

static void send_welcome(plx_hub *h, hub_conn *c) {
    cJSON *w = hub_msg_new("welcome");
    if (!w) {
        hub_fail(h, c, PLX_E_INTERNAL, "out of memory");
        return;
    }
    cJSON_AddNumberToObject(w, "version", PLX_PROTOCOL_VERSION);
    cJSON_AddStringToObject(w, "name", c->name);
    cJSON_AddStringToObject(w, "server", h->cfg.server_name);
    cJSON_AddNumberToObject(w, "max_frame", c->limits.max_frame);
    cJSON_AddNumberToObject(w, "max_message", c->limits.max_message);
    cJSON_AddBoolToObject(w, "gzip", c->limits.gzip);
    cJSON_AddNumberToObject(w, "gzip_threshold", c->limits.gzip_threshold);
    cJSON_AddNumberToObject(w, "ping_interval_ms",
                            h->cfg.ping_interval_ms == PLX_HUB_PING_OFF ? 0
                                                                        : h->cfg.ping_interval_ms);
    cJSON_AddNumberToObject(w, "call_timeout_ms", h->cfg.call_timeout_ms);
    cJSON_AddNumberToObject(w, "history", h->cfg.history);
    /* VER-6: "change-by" when changes come from the hub's own store (WAT-3..5 in full: by,
     * every op name, FLUSHALL per key); no features member otherwise. */
    if (h->store) {
        cJSON *f = cJSON_AddArrayToObject(w, "features");
        if (f) cJSON_AddItemToArray(f, cJSON_CreateString("change-by"));
    }
    hub_send(h, c, w, NULL, 0);
    cJSON_Delete(w);
}

/* Takes the name from its holder (override): the holder gets fatal REPLACED at once. */
static void replace_holder(plx_hub *h, hub_conn *holder) {
    hub_fail(h, holder, PLX_E_REPLACED, NULL);
    hub_reap(h); /* releases the name and emits its presence leave before the new join */
}

void hub_on_hello(plx_hub *h, hub_conn *c, const plx_msg *msg, uint64_t now) {
    const cJSON *m = msg->json;
    uint64_t version = 0;
    if (!hub_get_uint(m, "version", &version) || version != PLX_PROTOCOL_VERSION) {
        hub_fail(h, c, PLX_E_UNSUPPORTED_VERSION, NULL);
        return;
    }
    if (h->cfg.secret && !hub_secret_equal(hub_get_str(m, "secret"), h->cfg.secret)) {
        hub_fail(h, c, PLX_E_AUTH_FAILED, NULL);
        return;
    }
    const char *key = hub_get_str(m, "override");
    if (key && (!h->cfg.override_key || !hub_secret_equal(key, h->cfg.override_key))) {
        hub_fail(h, c, PLX_E_AUTH_FAILED, "wrong override key");
        return;
    }
    plx_conn_limits limits;
    const char *field;
    if (negotiate(h, m, &limits, &field) != 0) {
        hub_error_msg(h, c, PLX_E_BAD_VALUE, field, -1);
        return;
    }
    const char *name = hub_get_str(m, "name");
    if (name && !hub_name_valid(name, strlen(name), 0)) {
        hub_error_msg(h, c, PLX_E_BAD_NAME, "name", -1);
        return;
    }
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(m, "groups");
    int rc = hello_groups(h, groups);
    if (rc) {
        hub_error_msg(h, c, rc, rc == PLX_E_LIMIT_REACHED ? "too many groups" : "groups", -1);
        return;
    }
    if (name) {
        hub_conn *holder = hub_name_lookup(h, name);
        if (holder) {
            if (!key) {
                hub_error_msg(h, c, PLX_E_NAME_TAKEN, NULL, -1);
                return;
            }
            replace_holder(h, holder);
        }
        if (hub_name_set(h, c, name) != 0) {
            hub_fail(h, c, PLX_E_INTERNAL, "out of memory");
            return;
        }
    } else {
        char *auto_name = hub_name_auto(h);
        if (!auto_name || hub_name_set(h, c, auto_name) != 0) {
            free(auto_name);
            hub_fail(h, c, PLX_E_INTERNAL, "out of memory");
            return;
        }
        free(auto_name);
    }
    c->state = HUB_READY;
    c->limits = limits;
    c->presence = hub_get_bool(m, "presence");
    c->next_ping_ms =
        h->cfg.ping_interval_ms == PLX_HUB_PING_OFF ? UINT64_MAX : now + h->cfg.ping_interval_ms;
    c->unanswered = 0;
    for (const cJSON *g = groups ? groups->child : NULL; g; g = g->next)
        if (hub_group_add(h, c, g->valuestring) < 0) {
            hub_fail(h, c, PLX_E_INTERNAL, "out of memory");
            return;
        }
    send_welcome(h, c);
    if (c->state != HUB_READY) return;
    hub_presence(h, c, "join", NULL);
    hub_observe(h, c, PLX_HUB_READY, (plx_bytes){0});
}

void hub_on_ping(plx_hub *h, hub_conn *c, const cJSON *m) {
    cJSON *p = hub_msg_new("pong");
    uint64_t n;
    if (!p) return;
    if (hub_get_uint(m, "n", &n)) cJSON_AddNumberToObject(p, "n", (double)n);
    hub_send(h, c, p, NULL, 0);
    cJSON_Delete(p);
}

void hub_on_pong(plx_hub *h, hub_conn *c, const cJSON *m) {
    (void)h;
    (void)m;
    c->unanswered = 0;
}

uint64_t hub_session_tick(plx_hub *h, hub_conn *c, uint64_t now) {
    if (c->remote) return UINT64_MAX; /* its own instance keeps it alive */
    if (c->state == HUB_CONNECTED) {
        uint64_t deadline = c->opened_ms + h->cfg.hello_timeout_ms;
        if (now < deadline) return deadline;
        hub_fail(h, c, PLX_E_HELLO_TIMEOUT, NULL);
        return UINT64_MAX;
    }
    if (h->cfg.ping_interval_ms == PLX_HUB_PING_OFF) return UINT64_MAX; /* SES-16: 0 = off */
    if (now < c->next_ping_ms) return c->next_ping_ms;
    if (c->unanswered >= h->cfg.missed_pongs) {
        hub_fail(h, c, PLX_E_PING_TIMEOUT, NULL);
        return UINT64_MAX;
    }
    cJSON *p = hub_msg_new("ping");
    if (p) {
        cJSON_AddNumberToObject(p, "n", (double)++c->ping_n);
        hub_send(h, c, p, NULL, 0);
        cJSON_Delete(p);
    }
    c->unanswered++;
    c->next_ping_ms = now + h->cfg.ping_interval_ms;
    return c->next_ping_ms;
}
