/*
 * reply.c - building and sending the hub's answers: reply{id, result|error}, error
 * messages, error objects, and typed reads of request fields.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

int hub_send(plx_hub *h, hub_conn *c, const cJSON *json, const plx_bytes *att, size_t natt) {
    if (!c || c->state == HUB_CLOSING || !json) return PLX_E_INVAL;
    if (c->remote) /* a proxy: the cluster carries it; a failure leaves the proxy open */
        return h->peer.send(h->peer.ud, c->id, json, att, natt) < 0 ? PLX_E_TOO_LARGE : 0;
    /* The transport measures the encoded body against c's max_message (hub.h). */
    int rc = h->io.send(h->io.ud, c->id, json, att, natt);
    if (rc == PLX_E_TOO_LARGE) return rc; /* LIM-5: not sent, c lives on */
    if (rc < 0) {
        /* The queue is over its bound: the error message could not be queued either. */
        c->state = HUB_CLOSING;
        c->close_code = PLX_E_SLOW_READER;
        h->reap_needed = 1;
    }
    return rc;
}

cJSON *hub_msg_new(const char *t) {
    cJSON *o = cJSON_CreateObject();
    if (o && !cJSON_AddStringToObject(o, "t", t)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* For field-level codes given a bare field name, the text MSG-8 asks for
 * ("missing field \"route\""); else message itself. */
static const char *field_text(int code, const char *message, char *buf, size_t size) {
    if (!message || strpbrk(message, " '\"") || strlen(message) > 64) return message;
    if (code == PLX_E_MISSING_FIELD)
        snprintf(buf, size, "missing field \"%s\"", message);
    else if (code == PLX_E_BAD_FIELD_TYPE)
        snprintf(buf, size, "field \"%s\" has the wrong type", message);
    else if (code == PLX_E_BAD_VALUE || code == PLX_E_BAD_NAME)
        snprintf(buf, size, "field \"%s\" has a bad value", message);
    else
        return message;
    return buf;
}

cJSON *hub_error_obj(int code, const char *message, cJSON *detail) {
    char buf[128];
    message = field_text(code, message, buf, sizeof(buf));
    cJSON *e = cJSON_CreateObject();
    const char *name = plx_error_name(code);
    if (!e || !cJSON_AddNumberToObject(e, "code", code < 0 ? -code : code) ||
        !cJSON_AddStringToObject(e, "name", name ? name : "INTERNAL") ||
        !cJSON_AddStringToObject(e, "message", message ? message : plx_strerror(code))) {
        cJSON_Delete(e);
        cJSON_Delete(detail);
        return NULL;
    }
    if (detail) cJSON_AddItemToObject(e, "detail", detail);
    return e;
}

void hub_reply(plx_hub *h, hub_conn *c, uint64_t id, cJSON *result, const hub_att *att) {
    cJSON *r = hub_msg_new("reply");
    if (!r || !cJSON_AddNumberToObject(r, "id", (double)id)) {
        cJSON_Delete(r);
        cJSON_Delete(result);
        return;
    }
    cJSON_AddItemToObject(r, "result", result ? result : cJSON_CreateNull());
    if (hub_send(h, c, r, att ? att->v : NULL, att ? att->n : 0) == PLX_E_TOO_LARGE)
        hub_reply_error(h, c, id, PLX_E_LIMIT_REACHED, "reply exceeds max_message", NULL);
    cJSON_Delete(r);
}

void hub_reply_error(plx_hub *h, hub_conn *c, uint64_t id, int code, const char *message,
                     cJSON *detail) {
    hub_reply_error_att(h, c, id, code, message, detail, NULL);
}

void hub_reply_error_att(plx_hub *h, hub_conn *c, uint64_t id, int code, const char *message,
                         cJSON *detail, const hub_att *att) {
    hub_reply_error_obj(h, c, id, hub_error_obj(code, message, detail), att);
}

void hub_reply_error_obj(plx_hub *h, hub_conn *c, uint64_t id, cJSON *e, const hub_att *att) {
    cJSON *r = hub_msg_new("reply");
    if (!e || !r || !cJSON_AddNumberToObject(r, "id", (double)id)) {
        cJSON_Delete(e);
        cJSON_Delete(r);
        return;
    }
    cJSON_AddItemToObject(r, "error", e);
    hub_send(h, c, r, att ? att->v : NULL, att ? att->n : 0);
    cJSON_Delete(r);
}

void hub_error_msg(plx_hub *h, hub_conn *c, int code, const char *message, int64_t re) {
    char buf[128];
    message = field_text(code, message, buf, sizeof(buf));
    const char *name = plx_error_name(code);
    cJSON *r = hub_msg_new("error");
    if (!r || !cJSON_AddNumberToObject(r, "code", code < 0 ? -code : code) ||
        !cJSON_AddStringToObject(r, "name", name ? name : "INTERNAL") ||
        !cJSON_AddStringToObject(r, "message", message ? message : plx_strerror(code)) ||
        (re >= 0 && !cJSON_AddNumberToObject(r, "re", (double)re))) {
        cJSON_Delete(r);
        return;
    }
    hub_send(h, c, r, NULL, 0);
    cJSON_Delete(r);
}

void hub_req_error(plx_hub *h, hub_conn *c, int has_id, uint64_t id, int code,
                   const char *message) {
    if (has_id)
        hub_reply_error(h, c, id, code, message, NULL);
    else
        hub_error_msg(h, c, code, message, -1);
}

int hub_get_uint(const cJSON *obj, const char *field, uint64_t *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble;
    if (!(d >= 0) || d > 9007199254740991.0 || floor(d) != d) return 0;
    *out = (uint64_t)d;
    return 1;
}

const char *hub_get_str(const cJSON *obj, const char *field) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int hub_get_bool(const cJSON *obj, const char *field) {
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, field));
}
