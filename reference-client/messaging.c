/*
 * messaging.c - events and groups: send (queued without waiting, or waiting for the
 * delivery count), join / leave (kept in the registry for reconnections) and rename.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int plx_client_send(plx_client *c, const char *to, const char *event, const cJSON *data,
                    const plx_bytes *att, size_t natt, int echo, int timeout_ms,
                    uint64_t *delivered) {
    cJSON *j, *d;
    plx_result r;
    uint64_t gen, deadline;
    int rc, ok, timeout;

    if (!c || !to || !event || (natt && !att)) return PLX_E_INVAL;
    j = cJSON_CreateObject();
    ok = j && cJSON_AddStringToObject(j, "t", "send") && cJSON_AddStringToObject(j, "to", to) &&
         cJSON_AddStringToObject(j, "event", event);
    if (ok && data) ok = cJSON_AddItemToObject(j, "data", cJSON_Duplicate(data, 1));
    if (ok && echo) ok = cJSON_AddTrueToObject(j, "echo") != NULL;
    if (!ok) {
        cJSON_Delete(j);
        return PLX_E_NOMEM;
    }
    if (delivered) {
        rc = plx_request_result(c, j, att, natt, timeout_ms, 0, &r);
        d = r.value ? cJSON_GetObjectItemCaseSensitive(r.value, "delivered") : NULL;
        *delivered = rc == 0 && cJSON_IsNumber(d) ? (uint64_t)d->valuedouble : 0;
        plx_result_free(&r);
        return rc;
    }
    /* Without a delivery count: wait (bounded) for a session, queue, return. */
    pthread_mutex_lock(&c->mu);
    timeout = plx_client_timeout(c, timeout_ms);
    deadline = plx_client_now_ms() + (uint64_t)timeout;
    while (c->state != PLX_ST_READY && !c->closing && c->state != PLX_ST_DEAD &&
           plx_client_now_ms() < deadline)
        plx_cond_wait_until(&c->state_cv, &c->mu, deadline);
    gen = c->gen;
    rc = c->closing                 ? PLX_E_CLOSED
         : c->state == PLX_ST_READY ? plx_send_locked(c, gen, j, att, natt, 0, deadline)
                                    : PLX_E_DISCONNECTED;
    pthread_mutex_unlock(&c->mu);
    cJSON_Delete(j);
    return rc;
}

/* {"t": t, field: value} answered by true. */
static int name_request(plx_client *c, const char *t, const char *field, const char *value,
                        int timeout_ms) {
    cJSON *j = cJSON_CreateObject();

    if (j && (!cJSON_AddStringToObject(j, "t", t) || !cJSON_AddStringToObject(j, field, value))) {
        cJSON_Delete(j);
        j = NULL;
    }
    return plx_simple_request(c, j, NULL, 0, timeout_ms);
}

int plx_client_join(plx_client *c, const char *group, int timeout_ms) {
    int rc;

    if (!c || !group) return PLX_E_INVAL;
    rc = name_request(c, "join", "group", group, timeout_ms);
    if (rc) return rc;
    pthread_mutex_lock(&c->mu);
    rc = plx_registry_group_add(&c->reg, group);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int plx_client_leave(plx_client *c, const char *group, int timeout_ms) {
    int rc;

    if (!c || !group) return PLX_E_INVAL;
    rc = name_request(c, "leave", "group", group, timeout_ms);
    if (rc) return rc;
    pthread_mutex_lock(&c->mu);
    plx_registry_group_del(&c->reg, group);
    pthread_mutex_unlock(&c->mu);
    return 0;
}

int plx_client_rename(plx_client *c, const char *name, int timeout_ms) {
    char *copy;
    int rc;

    if (!c || !name) return PLX_E_INVAL;
    rc = name_request(c, "rename", "name", name, timeout_ms);
    if (rc) return rc;
    copy = strdup(name);
    if (!copy) return PLX_E_NOMEM;
    pthread_mutex_lock(&c->mu);
    free(c->name);
    c->name = copy;
    pthread_mutex_unlock(&c->mu);
    return 0;
}
