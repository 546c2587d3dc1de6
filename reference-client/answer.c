/*
 * answer.c - a handler's answer to a route call or an adapter read: a result with
 * attachments (copied in) or an error, and sending it as the reply to the server's request
 * on the session the request came on.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int plx_answer_result(plx_answer *a, cJSON *value) {
    if (!a) {
        cJSON_Delete(value);
        return PLX_E_INVAL;
    }
    cJSON_Delete(a->result);
    a->result = value;
    return 0;
}

cJSON *plx_answer_bin(plx_answer *a, const void *data, size_t len) {
    uint8_t *copy;
    cJSON *ref;

    if (!a || a->natt >= PLX_MAX_ATTACHMENTS) return NULL;
    if (a->natt == a->cap) {
        size_t ncap = a->cap ? 2 * a->cap : 4;
        plx_bytes *na = realloc(a->att, ncap * sizeof(*na));
        if (!na) return NULL;
        a->att = na;
        a->cap = ncap;
    }
    copy = malloc(len ? len : 1);
    ref = cJSON_CreateObject();
    if (!copy || !ref || !cJSON_AddNumberToObject(ref, "$bin", (double)a->natt)) {
        free(copy);
        cJSON_Delete(ref);
        return NULL;
    }
    if (len) memcpy(copy, data, len);
    a->att[a->natt].data = copy;
    a->att[a->natt].len = len;
    a->natt++;
    return ref;
}

int plx_answer_error(plx_answer *a, int code, const char *message, cJSON *detail) {
    if (!a) {
        cJSON_Delete(detail);
        return code;
    }
    free(a->message);
    cJSON_Delete(a->detail);
    a->has_error = 1;
    a->code = code;
    a->message = message ? strdup(message) : NULL;
    a->detail = detail;
    return code;
}

void plx_answer_clear(plx_answer *a) {
    cJSON_Delete(a->result);
    for (size_t i = 0; i < a->natt; i++)
        free((void *)a->att[i].data);
    free(a->att);
    free(a->message);
    cJSON_Delete(a->detail);
    memset(a, 0, sizeof(*a));
}

void plx_answer_send(plx_client *c, uint64_t gen, uint64_t id, plx_answer *a, int rc) {
    cJSON *r = cJSON_CreateObject(), *v;
    uint64_t deadline;
    int timeout, err;

    if (!r) return;
    cJSON_AddStringToObject(r, "t", "reply");
    cJSON_AddNumberToObject(r, "id", (double)id);
    if (rc < 0 || a->has_error) {
        err = a->has_error && a->code < 0 ? a->code : (rc < 0 ? rc : PLX_E_INTERNAL);
        v = plx_error_json(err, a->message, a->detail);
    } else {
        v = a->result ? a->result : cJSON_CreateNull();
        a->result = NULL;
    }
    if (!v || !cJSON_AddItemToObject(r, rc < 0 || a->has_error ? "error" : "result", v)) {
        cJSON_Delete(v);
        cJSON_Delete(r);
        return;
    }
    pthread_mutex_lock(&c->mu);
    timeout = plx_client_timeout(c, 0);
    pthread_mutex_unlock(&c->mu);
    deadline = plx_client_now_ms() + (uint64_t)timeout;
    if (plx_send(c, gen, r, rc < 0 || a->has_error ? NULL : a->att,
                 rc < 0 || a->has_error ? 0 : a->natt, 0, deadline) == PLX_E_TOO_LARGE) {
        /* A result over max_message: the caller gets an error rather than silence. */
        cJSON_DeleteItemFromObjectCaseSensitive(r, "result");
        cJSON_AddItemToObject(
            r, "error", plx_error_json(PLX_E_LIMIT_REACHED, "reply exceeds max_message", NULL));
        plx_send(c, gen, r, NULL, 0, 0, deadline);
    }
    cJSON_Delete(r);
}
