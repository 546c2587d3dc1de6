/*
 * error.c - error texts and objects: the client's local codes, error info filled from a
 * wire error object, and wire error objects built from a code.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct local_error {
    int code;
    const char *name;
    const char *text;
} local_error;

static const local_error local_errors[] = {
    {PLX_E_DISCONNECTED, "DISCONNECTED", "not connected to the server"},
    {PLX_E_CLOSED, "CLOSED", "the client is closed"},
    {PLX_E_CONNECT, "CONNECT", "cannot connect to the server"},
    {PLX_E_BAD_URL, "BAD_URL", "URL is not ws://host:port[/path] or plexus://host:port"},
    {PLX_E_BAD_REPLY, "BAD_REPLY", "reply cannot be represented or breaks the protocol"},
};

static const local_error *find_local(int code) {
    for (size_t i = 0; i < sizeof(local_errors) / sizeof(local_errors[0]); i++)
        if (local_errors[i].code == code) return &local_errors[i];
    return NULL;
}

const char *plx_client_strerror(int code) {
    const local_error *l = find_local(code);
    return l ? l->text : plx_strerror(code);
}

const char *plx_client_error_name(int code) {
    const local_error *l = find_local(code);
    const char *n;

    if (l) return l->name;
    n = plx_error_name(code);
    return n ? n : "UNKNOWN";
}

void plx_error_clear(plx_error_info *e) {
    free(e->message);
    cJSON_Delete(e->detail);
    memset(e, 0, sizeof(*e));
}

static void set_name(plx_error_info *e, const char *name) {
    size_t n = strlen(name);

    if (n >= sizeof(e->name)) n = sizeof(e->name) - 1;
    memcpy(e->name, name, n);
    e->name[n] = 0;
}

void plx_error_local(plx_error_info *e, int code, const char *message) {
    plx_error_clear(e);
    e->code = code;
    set_name(e, plx_client_error_name(code));
    e->message = strdup(message ? message : plx_client_strerror(code));
}

void plx_error_from_json(plx_error_info *e, const cJSON *obj) {
    int has;
    uint64_t code = plx_wire_uint(obj, "code", &has);
    const char *name = plx_wire_str(obj, "name");
    const char *msg = plx_wire_str(obj, "message");
    const cJSON *detail = cJSON_GetObjectItemCaseSensitive(obj, "detail");

    plx_error_clear(e);
    e->code = has && code > 0 && code < 1000000 ? -(int)code : PLX_E_BAD_REPLY;
    set_name(e, name ? name : plx_client_error_name(e->code));
    e->message = strdup(msg ? msg : plx_client_strerror(e->code));
    if (detail) e->detail = cJSON_Duplicate(detail, 1);
}

cJSON *plx_error_json(int code, const char *message, const cJSON *detail) {
    cJSON *o = cJSON_CreateObject();
    const char *name;

    if (!o) return NULL;
    /* Local codes never go on the wire (ERR-6): they become INTERNAL with their text. */
    if (code >= 0 || code == PLX_E_NOMEM || code == PLX_E_INVAL || find_local(code)) {
        if (!message) message = plx_client_strerror(code);
        code = PLX_E_INTERNAL;
    }
    name = plx_error_name(code);
    if (!cJSON_AddNumberToObject(o, "code", (double)-code) ||
        !cJSON_AddStringToObject(o, "name", name ? name : "ERROR") ||
        !cJSON_AddStringToObject(o, "message", message ? message : plx_strerror(code)) ||
        (detail && !cJSON_AddItemToObject(o, "detail", cJSON_Duplicate(detail, 1)))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}
