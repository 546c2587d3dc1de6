/*
 * rpc.c - RPC: call and call_all (blocking, with the call timeout sent to the server and
 * waited for locally a little longer), and serving routes (register / unregister, with
 * the handlers kept in the registry so a reconnection registers them again).
 */
#include <string.h>

#include "internal.h"

/* {"t": t, "route": route, name: value?, "args": args?} or NULL. */
static cJSON *call_json(const char *t, const char *route, const char *name, const char *value,
                        const cJSON *args) {
    cJSON *j = cJSON_CreateObject();
    int ok = j && cJSON_AddStringToObject(j, "t", t) && cJSON_AddStringToObject(j, "route", route);

    if (ok && value) ok = cJSON_AddStringToObject(j, name, value) != NULL;
    if (ok && args) ok = cJSON_AddItemToObject(j, "args", cJSON_Duplicate(args, 1));
    if (!ok) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

int plx_client_call(plx_client *c, const char *route, const char *to, const cJSON *args,
                    const plx_bytes *att, size_t natt, int timeout_ms, plx_result *out) {
    if (!c || !route || (natt && !att)) {
        memset(out, 0, sizeof(*out));
        plx_error_local(&out->error, PLX_E_INVAL, NULL);
        return PLX_E_INVAL;
    }
    return plx_request_result(c, call_json("call", route, "to", to, args), att, natt, timeout_ms, 1,
                              out);
}

int plx_client_call_all(plx_client *c, const char *route, const char *group, const cJSON *args,
                        const plx_bytes *att, size_t natt, int timeout_ms, plx_result *out) {
    if (!c || !route || (natt && !att)) {
        memset(out, 0, sizeof(*out));
        plx_error_local(&out->error, PLX_E_INVAL, NULL);
        return PLX_E_INVAL;
    }
    return plx_request_result(c, call_json("call_all", route, "group", group, args), att, natt,
                              timeout_ms, 1, out);
}

/* register / unregister of one route. */
static int routes_request(plx_client *c, const char *t, const char *route, int timeout_ms) {
    cJSON *j = cJSON_CreateObject(), *routes;

    routes = j && cJSON_AddStringToObject(j, "t", t) ? cJSON_AddArrayToObject(j, "routes") : NULL;
    if (!routes || !cJSON_AddItemToArray(routes, cJSON_CreateString(route))) {
        cJSON_Delete(j);
        j = NULL;
    }
    return plx_simple_request(c, j, NULL, 0, timeout_ms);
}

int plx_client_serve(plx_client *c, const char *route, plx_route_fn fn, void *ud, int timeout_ms) {
    int rc, existed;

    if (!c || !route || !fn) return PLX_E_INVAL;
    /* The handler must be known before the server forwards the first call. */
    pthread_mutex_lock(&c->mu);
    existed = plx_registry_route(&c->reg, route) != NULL;
    rc = plx_registry_route_set(&c->reg, route, fn, ud);
    pthread_mutex_unlock(&c->mu);
    if (rc) return rc;
    rc = routes_request(c, "register", route, timeout_ms);
    if (rc && !existed) {
        pthread_mutex_lock(&c->mu);
        plx_registry_route_del(&c->reg, route);
        pthread_mutex_unlock(&c->mu);
    }
    return rc;
}

int plx_client_unserve(plx_client *c, const char *route, int timeout_ms) {
    if (!c || !route) return PLX_E_INVAL;
    pthread_mutex_lock(&c->mu);
    plx_registry_route_del(&c->reg, route);
    pthread_mutex_unlock(&c->mu);
    return routes_request(c, "unregister", route, timeout_ms);
}
