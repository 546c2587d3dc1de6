/*
 * clientcase.c - loading and checking the client cases of conformance/client-cases/
 * (FORMAT.md section 10): the case object as for server cases, client-mode steps, ids
 * `cl-<layer>-NNN` in files `<layer>/cl-<layer>-NNN-<slug>.json`.
 */
#include <stdio.h>
#include <string.h>

#include <plexus/codec.h>

#include "clientrun.h"
#include "json.h"
#include "match.h"

/* Every client-mode step action and the members it allows besides the action, conn, note. */
static const cf_step_kind kinds[] = {
    {"accept", {"subprotocol", "request", "timeout_ms", NULL}},
    {"welcome", {"hello", "frame", "timeout_ms", NULL}},
    {"send", {"attachments", "msg_id", "max_frame", "gzip", "frames", "ws_fragments", NULL}},
    {"send_frame", {"ws_fragments", NULL}},
    {"send_raw", {NULL}},
    {"send_text", {NULL}},
    {"expect", {"attachments", "frame", "timeout_ms", NULL}},
    {"expect_close", {"timeout_ms", NULL}},
    {"expect_silence", {NULL}},
    {"wait", {NULL}},
    {"close", {"code", "abrupt", NULL}},
    {"driver", {"as", NULL}},
    {"driver_expect", {"of", "timeout_ms", NULL}},
    {"driver_silence", {NULL}},
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static int is_name(const char *s) {
    size_t n = strlen(s);

    return n && n < 64 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n &&
           ((s[0] | 32) >= 'a' && (s[0] | 32) <= 'z');
}

static int known_conn(const cJSON *conns, const cJSON *v, int allow_star) {
    const cJSON *c;

    if (!cJSON_IsString(v)) return 0;
    if (allow_star && !strcmp(v->valuestring, "*")) return 1;
    cJSON_ArrayForEach(c, conns) if (!strcmp(c->valuestring, v->valuestring)) return 1;
    return 0;
}

/* The value checks of one action (members already known to be allowed). */
static int check_action(const cJSON *s, const cJSON *a, const cJSON *conns, char *err,
                        size_t errlen) {
    const char *k = a->string;
    const cJSON *m;

    if (!strcmp(k, "accept") || !strcmp(k, "close")) {
        if (!known_conn(conns, a, 0) || cJSON_GetObjectItemCaseSensitive(s, "conn")) return -1;
        m = cJSON_GetObjectItemCaseSensitive(s, "subprotocol");
        if (m && !cJSON_IsString(m) && !cJSON_IsNull(m)) return -1;
        m = cJSON_GetObjectItemCaseSensitive(s, "request");
        if (m && cf_match_check(m, err, errlen)) return -1;
        m = cJSON_GetObjectItemCaseSensitive(s, "code");
        if (m && !cf_is_uint(m, 4999)) return -1;
        m = cJSON_GetObjectItemCaseSensitive(s, "abrupt");
        return m && !cJSON_IsBool(m) ? -1 : 0;
    }
    if (!strcmp(k, "welcome")) {
        if (!cJSON_IsObject(a) || cf_subst_check(a, err, errlen)) return -1;
        m = cJSON_GetObjectItemCaseSensitive(s, "hello");
        if (m && (!cJSON_IsObject(m) || cf_match_check(m, err, errlen))) return -1;
        m = cJSON_GetObjectItemCaseSensitive(s, "frame");
        return m && cf_match_check(m, err, errlen) ? -1 : 0;
    }
    if (!strcmp(k, "send")) return cf_check_send(s, a, err, errlen) ? -1 : 0;
    if (!strcmp(k, "send_frame") || !strcmp(k, "send_raw")) {
        m = cJSON_GetObjectItemCaseSensitive(s, "ws_fragments");
        if (m && !(cf_is_uint(m, 1000) && m->valuedouble >= 1)) return -1;
        return cf_bytes_check(a, 0, err, errlen);
    }
    if (!strcmp(k, "send_text")) return cJSON_IsString(a) ? 0 : -1;
    if (!strcmp(k, "expect")) {
        m = cJSON_GetObjectItemCaseSensitive(s, "frame");
        if (m && cf_match_check(m, err, errlen)) return -1;
        if (cf_check_atts(cJSON_GetObjectItemCaseSensitive(s, "attachments"), 1, err, errlen))
            return -1;
        return cf_match_check(a, err, errlen);
    }
    if (!strcmp(k, "expect_close")) {
        if (!cJSON_IsObject(a)) return -1;
        cJSON_ArrayForEach(m, a) {
            if (!strcmp(m->string, "error")) {
                if (!cJSON_IsString(m) || !plx_error_by_name(m->valuestring)) return -1;
            } else if (strcmp(m->string, "code") || !cf_is_uint(m, 4999)) {
                return -1;
            }
        }
        return 0;
    }
    if (!strcmp(k, "expect_silence") || !strcmp(k, "wait") || !strcmp(k, "driver_silence"))
        return cf_is_uint(a, 600000) ? 0 : -1;
    if (!strcmp(k, "driver")) {
        const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(a, "cmd");

        m = cJSON_GetObjectItemCaseSensitive(s, "as");
        if (m && (!cJSON_IsString(m) || !is_name(m->valuestring))) return -1;
        if (!cJSON_IsObject(a) || !cJSON_IsString(cmd) || cJSON_GetObjectItemCaseSensitive(a, "id"))
            return -1;
        return cf_subst_check(a, err, errlen);
    }
    if (!strcmp(k, "driver_expect")) {
        m = cJSON_GetObjectItemCaseSensitive(s, "of");
        if (m && (!cJSON_IsString(m) || !is_name(m->valuestring))) return -1;
        return cf_match_check(a, err, errlen);
    }
    return -1;
}

static int check_step(const cJSON *s, const cJSON *conns, char *err, size_t errlen) {
    const cJSON *m, *a;

    if (cf_step_kind_check(s, kinds, NKINDS, err, errlen) < 0) return -1;
    a = s->child;
    m = cJSON_GetObjectItemCaseSensitive(s, "conn");
    if (m && !known_conn(conns, m, !strcmp(a->string, "expect_silence"))) {
        snprintf(err, errlen, "%s: unknown connection", a->string);
        return -1;
    }
    m = cJSON_GetObjectItemCaseSensitive(s, "timeout_ms");
    *err = 0;
    if ((m && !cf_is_uint(m, 600000)) || check_action(s, a, conns, err, errlen)) {
        char tmp[400];

        snprintf(tmp, sizeof(tmp), "%s: %s", a->string, *err ? err : "bad value");
        snprintf(err, errlen, "%s", tmp);
        return -1;
    }
    return 0;
}

/* The case object's members other than steps. */
static int check_head(const cJSON *root, const cJSON *known_reqs, char *err, size_t errlen) {
    static const char *const members[] = {
        "id",         "title",     "requirements", "level", "needs", "connections",
        "timeout_ms", "auto_pong", "steps",        "notes", NULL};
    const cJSON *m, *r;

    if (cf_case_check_common(root, members, "cl-", known_reqs, err, errlen)) return -1;
    m = cJSON_GetObjectItemCaseSensitive(root, "needs");
    if (m && !cJSON_IsArray(m)) {
        snprintf(err, errlen, "needs: an array expected");
        return -1;
    }
    cJSON_ArrayForEach(r,
                       m) if (!cJSON_IsString(r) || (strcmp(r->valuestring, "binding:websocket") &&
                                                     strcmp(r->valuestring, "binding:stream"))) {
        snprintf(err, errlen, "needs: binding:websocket or binding:stream expected");
        return -1;
    }
    m = cJSON_GetObjectItemCaseSensitive(root, "connections");
    if (!cJSON_IsArray(m) || cJSON_GetArraySize(m) > CF_MAX_CONNS) {
        snprintf(err, errlen, "connections: an array of up to %d names expected", CF_MAX_CONNS);
        return -1;
    }
    cJSON_ArrayForEach(r, m) if (!cJSON_IsString(r) || !is_name(r->valuestring) ||
                                 !strcmp(r->valuestring, "driver")) {
        snprintf(err, errlen, "connections: names ([A-Za-z][A-Za-z0-9_]*, not 'driver') expected");
        return -1;
    }
    return 0;
}

int cf_client_case_check(const cJSON *root, const cJSON *known_reqs, char *err, size_t errlen) {
    if (check_head(root, known_reqs, err, errlen)) return -1;
    return cf_case_check_steps(root, check_step, err, errlen);
}

int cf_client_cases_load(const char *dir, const cJSON *known_reqs, cf_caselist *out,
                         cf_buf *errors) {
    return cf_cases_load_kind(dir, "cl-", cf_client_case_check, known_reqs, out, errors);
}
