/*
 * clientcase.c - loading and checking the client cases of conformance/client-cases/
 * (FORMAT.md section 10): the case object as for server cases, client-mode steps, ids
 * `cl-<layer>-NNN` in files `<layer>/cl-<layer>-NNN-<slug>.json`.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plexus/codec.h>

#include "clientrun.h"
#include "json.h"
#include "match.h"

static const char *const layers[] = {"transport", "frame",   "chunk",  "gzip",      "body",
                                     "message",   "session", "limits", "storage",   "pipeline",
                                     "watch",     "adapter", "rpc",    "messaging", "errors",
                                     "security",  NULL};

/* Every client-mode step action and the members it allows besides the action, conn, note. */
static const struct {
    const char *action;
    const char *members[8];
} kinds[] = {
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

static int in_list(const char *s, const char *const *l) {
    for (; *l; l++)
        if (!strcmp(s, *l)) return 1;
    return 0;
}

static int is_uint(const cJSON *v, double max) {
    return cf_json_is_int(v) && v->valuedouble >= 0 && v->valuedouble <= max;
}

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

static int check_atts(const cJSON *a, int matchers, char *err, size_t errlen) {
    const cJSON *c;

    if (!a) return 0;
    if (!cJSON_IsArray(a)) {
        snprintf(err, errlen, "attachments: an array expected");
        return -1;
    }
    cJSON_ArrayForEach(c, a) if (cf_bytes_check(c, matchers, err, errlen)) return -1;
    return 0;
}

/* Options of send steps, as in FORMAT.md section 4.2. */
static int check_send(const cJSON *s, const cJSON *a, char *err, size_t errlen) {
    const cJSON *m;

    if (!cJSON_IsObject(a) || cf_subst_check(a, err, errlen)) return -1;
    if (check_atts(cJSON_GetObjectItemCaseSensitive(s, "attachments"), 0, err, errlen)) return -1;
    m = cJSON_GetObjectItemCaseSensitive(s, "msg_id");
    if (m && !is_uint(m, 4294967295.0)) return -1;
    m = cJSON_GetObjectItemCaseSensitive(s, "max_frame");
    if (m && !(is_uint(m, 4294967295.0) && m->valuedouble >= 1)) return -1;
    m = cJSON_GetObjectItemCaseSensitive(s, "gzip");
    if (m && !cJSON_IsBool(m) && !(cJSON_IsString(m) && !strcmp(m->valuestring, "auto"))) return -1;
    m = cJSON_GetObjectItemCaseSensitive(s, "frames");
    if (m && (!cJSON_IsArray(m) || cJSON_GetArraySize(m) != 2 || !is_uint(m->child, 1e9) ||
              !(cJSON_IsNull(m->child->next) || is_uint(m->child->next, 1e9)) ||
              !cJSON_GetObjectItemCaseSensitive(s, "msg_id")))
        return -1;
    m = cJSON_GetObjectItemCaseSensitive(s, "ws_fragments");
    if (m && !(is_uint(m, 1000) && m->valuedouble >= 1)) return -1;
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
        if (m && !is_uint(m, 4999)) return -1;
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
    if (!strcmp(k, "send")) return check_send(s, a, err, errlen);
    if (!strcmp(k, "send_frame") || !strcmp(k, "send_raw")) {
        m = cJSON_GetObjectItemCaseSensitive(s, "ws_fragments");
        if (m && !(is_uint(m, 1000) && m->valuedouble >= 1)) return -1;
        return cf_bytes_check(a, 0, err, errlen);
    }
    if (!strcmp(k, "send_text")) return cJSON_IsString(a) ? 0 : -1;
    if (!strcmp(k, "expect")) {
        m = cJSON_GetObjectItemCaseSensitive(s, "frame");
        if (m && cf_match_check(m, err, errlen)) return -1;
        if (check_atts(cJSON_GetObjectItemCaseSensitive(s, "attachments"), 1, err, errlen))
            return -1;
        return cf_match_check(a, err, errlen);
    }
    if (!strcmp(k, "expect_close")) {
        if (!cJSON_IsObject(a)) return -1;
        cJSON_ArrayForEach(m, a) {
            if (!strcmp(m->string, "error")) {
                if (!cJSON_IsString(m) || !plx_error_by_name(m->valuestring)) return -1;
            } else if (strcmp(m->string, "code") || !is_uint(m, 4999)) {
                return -1;
            }
        }
        return 0;
    }
    if (!strcmp(k, "expect_silence") || !strcmp(k, "wait") || !strcmp(k, "driver_silence"))
        return is_uint(a, 600000) ? 0 : -1;
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
    size_t k;

    if (!cJSON_IsObject(s) || !s->child) {
        snprintf(err, errlen, "a step must be an object");
        return -1;
    }
    a = s->child;
    for (k = 0; k < NKINDS; k++)
        if (!strcmp(a->string, kinds[k].action)) break;
    if (k == NKINDS) {
        snprintf(err, errlen, "unknown step action '%s'", a->string);
        return -1;
    }
    cJSON_ArrayForEach(m, s) {
        if (m == a || !strcmp(m->string, "note")) continue;
        if (!strcmp(m->string, "conn")) {
            if (!known_conn(conns, m, !strcmp(a->string, "expect_silence"))) {
                snprintf(err, errlen, "%s: unknown connection", a->string);
                return -1;
            }
            continue;
        }
        if (!in_list(m->string, kinds[k].members)) {
            snprintf(err, errlen, "%s: unknown member '%s'", a->string, m->string);
            return -1;
        }
    }
    m = cJSON_GetObjectItemCaseSensitive(s, "timeout_ms");
    *err = 0;
    if ((m && !is_uint(m, 600000)) || check_action(s, a, conns, err, errlen)) {
        char tmp[400];

        snprintf(tmp, sizeof(tmp), "%s: %s", a->string, *err ? err : "bad value");
        snprintf(err, errlen, "%s", tmp);
        return -1;
    }
    return 0;
}

static int known_req(const cJSON *reqs, const char *id) {
    const cJSON *r;

    cJSON_ArrayForEach(r, reqs) {
        const char *x = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "id"));

        if (x && !strcmp(x, id)) return 1;
    }
    return 0;
}

/* The case object's members other than steps. */
static int check_head(const cJSON *root, const cJSON *known_reqs, char *err, size_t errlen) {
    static const char *const members[] = {
        "id",         "title",     "requirements", "level", "needs", "connections",
        "timeout_ms", "auto_pong", "steps",        "notes", NULL};
    const cJSON *m, *r;
    const char *id;
    char layer[32];
    size_t n;

    cJSON_ArrayForEach(m, root) if (!in_list(m->string, members)) {
        snprintf(err, errlen, "unknown member '%s'", m->string);
        return -1;
    }
    id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "id"));
    n = id && !strncmp(id, "cl-", 3) && strrchr(id, '-') ? (size_t)(strrchr(id, '-') - id) : 0;
    if (n < 4 || n - 3 >= sizeof(layer) || strlen(id + n + 1) != 3 ||
        strspn(id + n + 1, "0123456789") != 3) {
        snprintf(err, errlen, "id: cl-<layer>-<NNN> expected");
        return -1;
    }
    memcpy(layer, id + 3, n - 3);
    layer[n - 3] = 0;
    if (!in_list(layer, layers)) {
        snprintf(err, errlen, "id '%s': unknown layer '%s'", id, layer);
        return -1;
    }
    m = cJSON_GetObjectItemCaseSensitive(root, "level");
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "title")) || !cJSON_IsString(m) ||
        (strcmp(m->valuestring, "MUST") && strcmp(m->valuestring, "SHOULD"))) {
        snprintf(err, errlen, "title (a string) and level (MUST or SHOULD) expected");
        return -1;
    }
    m = cJSON_GetObjectItemCaseSensitive(root, "requirements");
    if (!cJSON_IsArray(m) || !m->child) {
        snprintf(err, errlen, "requirements: a non-empty array expected");
        return -1;
    }
    cJSON_ArrayForEach(r, m) if (!cJSON_IsString(r) ||
                                 (known_reqs && !known_req(known_reqs, r->valuestring))) {
        snprintf(err, errlen, "requirements: unknown requirement %s",
                 cJSON_IsString(r) ? r->valuestring : "(not a string)");
        return -1;
    }
    m = cJSON_GetObjectItemCaseSensitive(root, "needs");
    cJSON_ArrayForEach(r,
                       m) if (!cJSON_IsString(r) || (strcmp(r->valuestring, "binding:websocket") &&
                                                     strcmp(r->valuestring, "binding:stream"))) {
        snprintf(err, errlen, "needs: binding:websocket or binding:stream expected");
        return -1;
    }
    if (m && !cJSON_IsArray(m)) return -1;
    m = cJSON_GetObjectItemCaseSensitive(root, "timeout_ms");
    if (m && !is_uint(m, 600000)) {
        snprintf(err, errlen, "timeout_ms: 0..600000 expected");
        return -1;
    }
    m = cJSON_GetObjectItemCaseSensitive(root, "auto_pong");
    if (m && !cJSON_IsBool(m)) {
        snprintf(err, errlen, "auto_pong: a bool expected");
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
    const cJSON *steps, *s;
    int i = 0;

    *err = 0;
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "a case is a JSON object");
        return -1;
    }
    if (check_head(root, known_reqs, err, errlen)) {
        if (!*err) snprintf(err, errlen, "needs: an array expected");
        return -1;
    }
    steps = cJSON_GetObjectItemCaseSensitive(root, "steps");
    if (!cJSON_IsArray(steps) || !steps->child) {
        snprintf(err, errlen, "steps: a non-empty array expected");
        return -1;
    }
    cJSON_ArrayForEach(s, steps) {
        i++;
        if (check_step(s, cJSON_GetObjectItemCaseSensitive(root, "connections"), err, errlen)) {
            char tmp[500];

            snprintf(tmp, sizeof(tmp), "step %d: %s", i, err);
            snprintf(err, errlen, "%s", tmp);
            return -1;
        }
    }
    return 0;
}

static int cmp_case(const void *a, const void *b) {
    return strcmp(((const cf_case *)a)->id, ((const cf_case *)b)->id);
}

/* Loads one file into out (load errors go to errors). */
static void load_one(const char *path, const char *layer, const char *file, const cJSON *reqs,
                     cf_caselist *out, cf_buf *errors) {
    char err[600], want[300];
    cJSON *root = cf_json_load(path, err, sizeof(err));
    const cJSON *m;
    cf_case *c;

    if (!root) {
        cf_buf_printf(errors, "%s\n", err);
        return;
    }
    if (cf_client_case_check(root, reqs, err, sizeof(err))) {
        cf_buf_printf(errors, "%s: %s\n", path, err);
        cJSON_Delete(root);
        return;
    }
    m = cJSON_GetObjectItemCaseSensitive(root, "id");
    snprintf(want, sizeof(want), "cl-%s-", layer);
    if (strncmp(m->valuestring, want, strlen(want)) ||
        strncmp(file, m->valuestring, strlen(m->valuestring)) ||
        file[strlen(m->valuestring)] != '-' || out->n >= CF_MAX_CASES) {
        cf_buf_printf(errors, "%s: the file must be %s/%s-<slug>.json\n", path, layer,
                      m->valuestring);
        cJSON_Delete(root);
        return;
    }
    c = &out->v[out->n++];
    memset(c, 0, sizeof(*c));
    c->path = strdup(path);
    c->root = root;
    c->id = m->valuestring;
    c->title = cJSON_GetObjectItemCaseSensitive(root, "title")->valuestring;
    c->should = !strcmp(cJSON_GetObjectItemCaseSensitive(root, "level")->valuestring, "SHOULD");
    m = cJSON_GetObjectItemCaseSensitive(root, "timeout_ms");
    c->timeout_ms = m ? (int)m->valuedouble : CF_DEFAULT_TIMEOUT_MS;
    c->auto_pong = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(root, "auto_pong"));
    c->requirements = cJSON_GetObjectItemCaseSensitive(root, "requirements");
    c->needs = cJSON_GetObjectItemCaseSensitive(root, "needs");
    c->connections = cJSON_GetObjectItemCaseSensitive(root, "connections");
    c->steps = cJSON_GetObjectItemCaseSensitive(root, "steps");
}

int cf_client_cases_load(const char *dir, const cJSON *known_reqs, cf_caselist *out,
                         cf_buf *errors) {
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t i;

    memset(out, 0, sizeof(*out));
    if (!d) return -1;
    out->v = calloc(CF_MAX_CASES, sizeof(cf_case));
    if (!out->v) {
        closedir(d);
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        struct dirent *f;
        DIR *sub;

        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        sub = opendir(path);
        if (!sub) continue;
        if (!in_list(e->d_name, layers)) cf_buf_printf(errors, "%s: not a layer folder\n", path);
        while (in_list(e->d_name, layers) && (f = readdir(sub)) != NULL) {
            char file[8192];
            size_t n = strlen(f->d_name);

            if (f->d_name[0] == '.' || n < 5 || strcmp(f->d_name + n - 5, ".json")) continue;
            snprintf(file, sizeof(file), "%s/%s", path, f->d_name);
            load_one(file, e->d_name, f->d_name, known_reqs, out, errors);
        }
        closedir(sub);
    }
    closedir(d);
    qsort(out->v, out->n, sizeof(cf_case), cmp_case);
    for (i = 1; i < out->n; i++)
        if (!strcmp(out->v[i].id, out->v[i - 1].id))
            cf_buf_printf(errors, "%s: id %s is also used by %s\n", out->v[i].path, out->v[i].id,
                          out->v[i - 1].path);
    return 0;
}
