/*
 * bus.c - bus envelopes: {"v": 1, "t": kind, "from": <16 hex digits>[, "seq": n], ...}
 * encoded as a Plexus body (plx_body_encode: JSON then length-prefixed attachments), so a
 * carried message's attachments cross instances as raw bytes. Broadcasts carry the sender's
 * sequence number; direct messages do not (CLUSTER.md, "Bus messages").
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

cJSON *cl_env(const plx_cluster *cl, const char *t) {
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddNumberToObject(o, "v", 1) || !cJSON_AddStringToObject(o, "t", t) ||
        !cJSON_AddStringToObject(o, "from", cl->hex)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int cl_publish(plx_cluster *cl, const char *channel, cJSON *env, const plx_bytes *att,
               size_t natt) {
    if (cl->ev) cl_flush_events(cl); /* held events first: the bus keeps the hub's order */
    uint8_t *out = NULL;
    size_t len = 0;
    int rc = env ? plx_body_encode(NULL, env, att, natt, &out, &len) : PLX_E_NOMEM;
    cJSON_Delete(env);
    if (rc == 0 && len > cl->cfg.max_bus_message) rc = PLX_E_TOO_LARGE;
    if (rc == 0) rc = cl->cfg.publish(cl->cfg.ud, channel, out, len);
    free(out);
    if (rc == 0)
        cl->st.published++;
    else
        cl->st.publish_failed++;
    return rc;
}

int cl_broadcast(plx_cluster *cl, cJSON *env, const plx_bytes *att, size_t natt) {
    /* The seq is spent even when the publish fails: the receivers see the gap and resync. */
    if (env && !cJSON_AddNumberToObject(env, "seq", (double)++cl->seq)) {
        cJSON_Delete(env);
        env = NULL;
    }
    return cl_publish(cl, PLX_CLUSTER_BROADCAST, env, att, natt);
}

int cl_get_u64(const cJSON *o, const char *field, uint64_t *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, field);
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble;
    if (!(d >= 0) || d > 9007199254740991.0 || floor(d) != d) return 0;
    *out = (uint64_t)d;
    return 1;
}

int cl_parse_hex(const char *s, uint64_t *out) {
    uint64_t v = 0;
    if (!s || strlen(s) != 16) return 0;
    for (int i = 0; i < 16; i++) {
        char ch = s[i];
        int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
        if (d < 0) return 0;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return v != 0;
}

void cl_channel_of(uint64_t id, char *buf, size_t size) {
    snprintf(buf, size, PLX_CLUSTER_CHANNEL_PREFIX "%016llx", (unsigned long long)id);
}
