/*
 * case.c - loading, checking and selecting conformance cases (see case.h, FORMAT.md).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <plexus/codec.h>

#include "case.h"
#include "json.h"
#include "match.h"

static const char *const layers[] = {"transport", "frame",   "chunk",  "gzip",      "body",
                                     "message",   "session", "limits", "storage",   "pipeline",
                                     "watch",     "adapter", "rpc",    "messaging", "errors",
                                     "security",  NULL};

/* The members of the frame description an expect step's "frame" matcher sees (conn.h). */
static const char *const frame_keys[] = {"chunks", "gzip", "msg_id", "max_len", "wire_len", NULL};

/* Every step action and the members it allows besides the action, conn and note. */
static const cf_step_kind step_kinds[] = {
    {"hello", {"welcome", "timeout_ms", NULL}},
    {"send",
     {"attachments", "msg_id", "max_frame", "gzip", "frames", "ws_fragments", "repeat", NULL}},
    {"send_frame", {"ws_fragments", NULL}},
    {"send_raw", {NULL}},
    {"send_text", {NULL}},
    {"expect", {"attachments", "timeout_ms", "frame", NULL}},
    {"expect_set", {"timeout_ms", NULL}},
    {"expect_close", {"timeout_ms", NULL}},
    {"expect_silence", {NULL}},
    {"wait", {NULL}},
    {"open", {"expect_status", NULL}},
    {"close", {"code", NULL}},
    {"pause", {NULL}},
    {"resume", {NULL}},
    {"signal", {NULL}},
    {"server_log_excludes", {NULL}},
};

#define NKINDS (sizeof(step_kinds) / sizeof(step_kinds[0]))

int cf_in_list(const char *s, const char *const *l) {
    for (; *l; l++)
        if (!strcmp(s, *l)) return 1;
    return 0;
}

int cf_is_uint(const cJSON *v, double max) {
    return cf_json_is_int(v) && v->valuedouble >= 0 && v->valuedouble <= max;
}

const cJSON *cf_case_conn(const cJSON *connections, const char *name, const char **real_name) {
    const cJSON *c;

    cJSON_ArrayForEach(c, connections) {
        const char *n = cJSON_IsString(c)
                            ? c->valuestring
                            : cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "name"));

        if (n && (!name || !strcmp(n, name))) {
            if (real_name) *real_name = n;
            return c;
        }
    }
    return NULL;
}

static int check_conns(const cJSON *conns, char *err, size_t errlen) {
    const cJSON *c;
    int n = 0;

    if (!cJSON_IsArray(conns) || cJSON_GetArraySize(conns) < 1 ||
        cJSON_GetArraySize(conns) > CF_MAX_CONNS) {
        snprintf(err, errlen, "connections: 1 to %d names expected", CF_MAX_CONNS);
        return -1;
    }
    cJSON_ArrayForEach(c, conns) {
        const char *name = NULL;
        const cJSON *m;

        if (cJSON_IsString(c)) {
            name = c->valuestring;
        } else if (cJSON_IsObject(c)) {
            cJSON_ArrayForEach(m, c) {
                if (!strcmp(m->string, "name") && cJSON_IsString(m))
                    name = m->valuestring;
                else if (!strcmp(m->string, "open") && cJSON_IsBool(m))
                    continue;
                else if (!strcmp(m->string, "subprotocols") && cJSON_IsArray(m)) {
                    const cJSON *p;

                    cJSON_ArrayForEach(p, m) if (!cJSON_IsString(p)) goto bad;
                } else
                    goto bad;
            }
        }
        if (!name || !*name || strlen(name) >= 64 ||
            strspn(name, "abcdefghijklmnopqrstuvwxyz"
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789_") != strlen(name) ||
            !((name[0] | 32) >= 'a' && (name[0] | 32) <= 'z'))
            goto bad;
        if (cf_case_conn(conns, name, NULL) != c) {
            snprintf(err, errlen, "connections: '%s' declared twice", name);
            return -1;
        }
        n++;
        continue;
    bad:
        snprintf(err, errlen,
                 "connections[%d]: a name or {\"name\", \"open\"?, \"subprotocols\"?} "
                 "expected",
                 n);
        return -1;
    }
    return 0;
}

static int check_conn_ref(const cJSON *conns, const cJSON *v, int allow_star, char *err,
                          size_t errlen) {
    if (!v) return 0;
    if (cJSON_IsString(v) && allow_star && !strcmp(v->valuestring, "*")) return 0;
    if (!cJSON_IsString(v) || !cf_case_conn(conns, v->valuestring, NULL)) {
        snprintf(err, errlen, "unknown connection %s", cJSON_IsString(v) ? v->valuestring : "?");
        return -1;
    }
    return 0;
}

int cf_check_send(const cJSON *s, const cJSON *a, char *err, size_t errlen) {
    const cJSON *m;

    if (!cJSON_IsObject(a) || cf_subst_check(a, err, errlen)) return -1;
    if (cf_check_atts(cJSON_GetObjectItemCaseSensitive(s, "attachments"), 0, err, errlen))
        return -2;
    m = cJSON_GetObjectItemCaseSensitive(s, "msg_id");
    if (m && !cf_is_uint(m, 4294967295.0)) return -1;
    m = cJSON_GetObjectItemCaseSensitive(s, "max_frame");
    if (m && !(cf_is_uint(m, 4294967295.0) && m->valuedouble >= 1)) return -1;
    m = cJSON_GetObjectItemCaseSensitive(s, "gzip");
    if (m && !cJSON_IsBool(m) && !(cJSON_IsString(m) && !strcmp(m->valuestring, "auto"))) return -1;
    m = cJSON_GetObjectItemCaseSensitive(s, "frames");
    if (m && (!cJSON_IsArray(m) || cJSON_GetArraySize(m) != 2 || !cf_is_uint(m->child, 1e9) ||
              !(cJSON_IsNull(m->child->next) || cf_is_uint(m->child->next, 1e9)) ||
              !cJSON_GetObjectItemCaseSensitive(s, "msg_id")))
        return -1;
    m = cJSON_GetObjectItemCaseSensitive(s, "ws_fragments");
    if (m && !(cf_is_uint(m, 1000) && m->valuedouble >= 1)) return -1;
    return 0;
}

int cf_check_atts(const cJSON *a, int matchers, char *err, size_t errlen) {
    const cJSON *c;

    if (!a) return 0;
    if (!cJSON_IsArray(a)) {
        snprintf(err, errlen, "attachments: an array expected");
        return -1;
    }
    cJSON_ArrayForEach(c, a) if (cf_bytes_check(c, matchers, err, errlen)) return -1;
    return 0;
}

int cf_step_kind_check(const cJSON *s, const cf_step_kind *kinds, size_t n, char *err,
                       size_t errlen) {
    const cJSON *m, *a;
    size_t k;

    if (!cJSON_IsObject(s) || !s->child) {
        snprintf(err, errlen, "a step must be an object");
        return -1;
    }
    a = s->child; /* the action is the first member */
    for (k = 0; k < n; k++)
        if (!strcmp(a->string, kinds[k].action)) break;
    if (k == n) {
        snprintf(err, errlen, "unknown step action '%s'", a->string);
        return -1;
    }
    cJSON_ArrayForEach(m, s) {
        if (m == a || !strcmp(m->string, "note") || !strcmp(m->string, "conn")) continue;
        if (!cf_in_list(m->string, kinds[k].members)) {
            snprintf(err, errlen, "%s: unknown member '%s'", a->string, m->string);
            return -1;
        }
    }
    return (int)k;
}

static int check_step(const cJSON *s, const cJSON *conns, char *err, size_t errlen) {
    const cJSON *m, *a;

    if (cf_step_kind_check(s, step_kinds, NKINDS, err, errlen) < 0) return -1;
    a = s->child; /* the action is the first member */
    if (check_conn_ref(conns, cJSON_GetObjectItemCaseSensitive(s, "conn"),
                       !strcmp(a->string, "expect_silence"), err, errlen))
        return -1;
    m = cJSON_GetObjectItemCaseSensitive(s, "timeout_ms");
    if (m && !cf_is_uint(m, 600000)) goto bad;
    if (!strcmp(a->string, "hello")) {
        if (!cJSON_IsObject(a) || cf_subst_check(a, err, errlen)) goto bad;
        m = cJSON_GetObjectItemCaseSensitive(s, "welcome");
        if (m && (!cJSON_IsObject(m) || cf_match_check(m, err, errlen))) goto bad;
    } else if (!strcmp(a->string, "send")) {
        int rc = cf_check_send(s, a, err, errlen);

        if (rc == -2) return -1;
        if (rc) goto bad;
        m = cJSON_GetObjectItemCaseSensitive(s, "repeat");
        if (m && !(cf_is_uint(m, CF_MAX_REPEAT) && m->valuedouble >= 1)) goto bad;
        if (m && cJSON_GetObjectItemCaseSensitive(s, "msg_id")) {
            snprintf(err, errlen, "send: repeat cannot be combined with msg_id");
            return -1;
        }
    } else if (!strcmp(a->string, "send_frame") || !strcmp(a->string, "send_raw")) {
        if (cf_bytes_check(a, 0, err, errlen)) goto bad;
        m = cJSON_GetObjectItemCaseSensitive(s, "ws_fragments");
        if (m && !(cf_is_uint(m, 1000) && m->valuedouble >= 1)) goto bad;
    } else if (!strcmp(a->string, "send_text")) {
        if (!cJSON_IsString(a)) goto bad;
    } else if (!strcmp(a->string, "expect")) {
        if (cf_match_check(a, err, errlen)) goto bad;
        if (cf_check_atts(cJSON_GetObjectItemCaseSensitive(s, "attachments"), 1, err, errlen))
            return -1;
        m = cJSON_GetObjectItemCaseSensitive(s, "frame");
        if (m && (!cJSON_IsObject(m) || cf_match_check(m, err, errlen))) goto bad;
        if (m) {
            const cJSON *fk;

            cJSON_ArrayForEach(fk,
                               m) if (fk->string[0] != '$' && !cf_in_list(fk->string, frame_keys)) {
                snprintf(err, errlen, "expect: frame has no member '%s'", fk->string);
                return -1;
            }
        }
    } else if (!strcmp(a->string, "expect_set")) {
        const cJSON *e;

        if (!cJSON_IsArray(a) || !a->child) goto bad;
        cJSON_ArrayForEach(e, a) {
            const cJSON *x;

            if (!cJSON_IsObject(e) || !cJSON_GetObjectItemCaseSensitive(e, "match")) goto bad;
            cJSON_ArrayForEach(x, e) {
                if (!strcmp(x->string, "conn")) {
                    if (check_conn_ref(conns, x, 0, err, errlen)) return -1;
                } else if (!strcmp(x->string, "match")) {
                    if (cf_match_check(x, err, errlen)) goto bad;
                } else if (!strcmp(x->string, "attachments")) {
                    if (cf_check_atts(x, 1, err, errlen)) return -1;
                } else {
                    snprintf(err, errlen, "expect_set: unknown member '%s'", x->string);
                    return -1;
                }
            }
        }
        if (cJSON_GetObjectItemCaseSensitive(s, "conn")) {
            snprintf(err, errlen, "expect_set: give conn in each element");
            return -1;
        }
    } else if (!strcmp(a->string, "expect_close")) {
        if (!cJSON_IsObject(a)) goto bad;
        cJSON_ArrayForEach(m, a) {
            if (!strcmp(m->string, "error")) {
                if (!cJSON_IsString(m) || !plx_error_by_name(m->valuestring)) {
                    snprintf(err, errlen, "expect_close: unknown error name");
                    return -1;
                }
            } else if (!strcmp(m->string, "code")) {
                if (!cf_is_uint(m, 4999)) goto bad;
            } else {
                goto bad;
            }
        }
    } else if (!strcmp(a->string, "expect_silence") || !strcmp(a->string, "wait")) {
        if (!cf_is_uint(a, 600000)) goto bad;
    } else if (!strcmp(a->string, "server_log_excludes")) {
        const cJSON *t;

        if (!cJSON_IsArray(a) || !a->child || cf_subst_check(a, err, errlen)) goto bad;
        cJSON_ArrayForEach(t, a) if (!cJSON_IsString(t) && !cJSON_IsObject(t)) goto bad;
        if (cJSON_GetObjectItemCaseSensitive(s, "conn")) {
            snprintf(err, errlen, "server_log_excludes reads the server's log, not a connection");
            return -1;
        }
    } else if (!strcmp(a->string, "signal")) {
        if (!cJSON_IsString(a) || (strcmp(a->valuestring, "TERM") && strcmp(a->valuestring, "INT")))
            goto bad;
        if (cJSON_GetObjectItemCaseSensitive(s, "conn")) {
            snprintf(err, errlen, "signal goes to the server, not to a connection");
            return -1;
        }
    } else if (!strcmp(a->string, "open") || !strcmp(a->string, "close") ||
               !strcmp(a->string, "pause") || !strcmp(a->string, "resume")) {
        if (check_conn_ref(conns, a, 0, err, errlen)) return -1;
        if (cJSON_GetObjectItemCaseSensitive(s, "conn")) {
            snprintf(err, errlen, "%s names its connection itself", a->string);
            return -1;
        }
        m = cJSON_GetObjectItemCaseSensitive(s, "expect_status");
        if (m && !cf_is_uint(m, 999)) goto bad;
        m = cJSON_GetObjectItemCaseSensitive(s, "code");
        if (m && !cf_is_uint(m, 4999)) goto bad;
    }
    return 0;
bad:
    if (!*err)
        snprintf(err, errlen, "%s: bad value", a->string);
    else {
        char tmp[400];

        snprintf(tmp, sizeof(tmp), "%s: %s", a->string, err);
        snprintf(err, errlen, "%s", tmp);
    }
    return -1;
}

static int check_needs(const cJSON *needs, char *err, size_t errlen) {
    const cJSON *n;

    if (!needs) return 0;
    if (!cJSON_IsArray(needs)) goto bad;
    cJSON_ArrayForEach(n, needs) {
        const char *s = cJSON_GetStringValue(n);

        if (!s) goto bad;
        if (!strcmp(s, "binding:websocket") || !strcmp(s, "binding:stream")) continue;
        if ((!strncmp(s, "feature:", 8) && s[8]) || (!strncmp(s, "param:", 6) && s[6])) continue;
        if (!strncmp(s, "welcome:", 8) && strpbrk(s + 8, "=<>")) continue;
        snprintf(err, errlen, "needs: unknown condition '%s'", s);
        return -1;
    }
    return 0;
bad:
    snprintf(err, errlen, "needs: an array of strings expected");
    return -1;
}

/* server_args: pairs "--name", "value" (plexus-server's option names, FORMAT.md section 6). */
static int check_server_args(const cJSON *a, char *err, size_t errlen) {
    const cJSON *m;
    int i = 0;

    if (!a) return 0;
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) % 2) goto bad;
    cJSON_ArrayForEach(m, a) {
        const char *v = cJSON_GetStringValue(m);

        if (!v) goto bad;
        if (i % 2 == 0 && (strncmp(v, "--", 2) || strlen(v) < 3 || strlen(v) > 60 ||
                           strspn(v + 2, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(v) - 2))
            goto bad;
        if (i % 2 == 0 && (!strcmp(v, "--port") || !strcmp(v, "--tcp-port"))) {
            snprintf(err, errlen, "server_args: the runner chooses %s", v);
            return -1;
        }
        i++;
    }
    return 0;
bad:
    snprintf(err, errlen, "server_args: pairs of \"--option\", \"value\" strings expected");
    return -1;
}

static int known_req(const cJSON *reqs, const char *id) {
    const cJSON *r;

    cJSON_ArrayForEach(r, reqs) {
        const char *x = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "id"));

        if (x && !strcmp(x, id)) return 1;
    }
    return 0;
}

/* The id: prefix, a layer, '-' and three digits. */
static int check_id(const cJSON *id, const char *prefix, char *err, size_t errlen) {
    const char *dash, *v;
    char layer[32];
    size_t n, np = strlen(prefix);

    if (!cJSON_IsString(id)) {
        snprintf(err, errlen, "id: a string expected");
        return -1;
    }
    v = id->valuestring;
    dash = strncmp(v, prefix, np) ? NULL : strrchr(v + np, '-');
    n = dash ? (size_t)(dash - v - np) : 0;
    if (!dash || !n || n >= sizeof(layer) || strlen(dash + 1) != 3 ||
        strspn(dash + 1, "0123456789") != 3) {
        snprintf(err, errlen, "id '%s': %s<layer>-<NNN> expected", v, prefix);
        return -1;
    }
    memcpy(layer, v + np, n);
    layer[n] = 0;
    if (!cf_in_list(layer, layers)) {
        snprintf(err, errlen, "id '%s': unknown layer '%s'", v, layer);
        return -1;
    }
    return 0;
}

int cf_case_check_common(const cJSON *root, const char *const *members, const char *id_prefix,
                         const cJSON *known_reqs, char *err, size_t errlen) {
    const cJSON *m, *r;

    *err = 0;
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "a case is a JSON object");
        return -1;
    }
    cJSON_ArrayForEach(m, root) if (!cf_in_list(m->string, members)) {
        snprintf(err, errlen, "unknown member '%s'", m->string);
        return -1;
    }
    if (check_id(cJSON_GetObjectItemCaseSensitive(root, "id"), id_prefix, err, errlen)) return -1;
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "title"))) {
        snprintf(err, errlen, "title: a string expected");
        return -1;
    }
    m = cJSON_GetObjectItemCaseSensitive(root, "level");
    if (!cJSON_IsString(m) ||
        (strcmp(m->valuestring, "MUST") && strcmp(m->valuestring, "SHOULD"))) {
        snprintf(err, errlen, "level: MUST or SHOULD expected");
        return -1;
    }
    m = cJSON_GetObjectItemCaseSensitive(root, "requirements");
    if (!cJSON_IsArray(m) || !m->child) {
        snprintf(err, errlen, "requirements: a non-empty array expected");
        return -1;
    }
    cJSON_ArrayForEach(r, m) {
        if (!cJSON_IsString(r) || (known_reqs && !known_req(known_reqs, r->valuestring))) {
            snprintf(err, errlen, "requirements: unknown requirement %s",
                     cJSON_IsString(r) ? r->valuestring : "(not a string)");
            return -1;
        }
    }
    m = cJSON_GetObjectItemCaseSensitive(root, "timeout_ms");
    if (m && !cf_is_uint(m, 600000)) {
        snprintf(err, errlen, "timeout_ms: 0..600000 expected");
        return -1;
    }
    m = cJSON_GetObjectItemCaseSensitive(root, "auto_pong");
    if (m && !cJSON_IsBool(m)) {
        snprintf(err, errlen, "auto_pong: a bool expected");
        return -1;
    }
    return 0;
}

int cf_case_check_steps(const cJSON *root, cf_step_check check, char *err, size_t errlen) {
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(root, "steps"), *s;
    const cJSON *conns = cJSON_GetObjectItemCaseSensitive(root, "connections");
    int i = 0;

    if (!cJSON_IsArray(steps) || !steps->child) {
        snprintf(err, errlen, "steps: a non-empty array expected");
        return -1;
    }
    cJSON_ArrayForEach(s, steps) {
        i++;
        if (check(s, conns, err, errlen)) {
            char tmp[500];

            snprintf(tmp, sizeof(tmp), "step %d: %s", i, err);
            snprintf(err, errlen, "%s", tmp);
            return -1;
        }
    }
    return 0;
}

int cf_case_check(const cJSON *root, const cJSON *known_reqs, char *err, size_t errlen) {
    static const char *const members[] = {
        "id",          "title",      "requirements", "level", "needs",           "server_args",
        "connections", "timeout_ms", "auto_pong",    "steps", "case_timeout_ms", "notes",
        NULL};
    const cJSON *m;

    if (cf_case_check_common(root, members, "", known_reqs, err, errlen)) return -1;
    if (check_needs(cJSON_GetObjectItemCaseSensitive(root, "needs"), err, errlen)) return -1;
    if (check_server_args(cJSON_GetObjectItemCaseSensitive(root, "server_args"), err, errlen))
        return -1;
    m = cJSON_GetObjectItemCaseSensitive(root, "case_timeout_ms");
    if (m && !(cf_is_uint(m, 3600000) && m->valuedouble >= 100)) {
        snprintf(err, errlen, "case_timeout_ms: 100..3600000 expected");
        return -1;
    }
    if (check_conns(cJSON_GetObjectItemCaseSensitive(root, "connections"), err, errlen)) return -1;
    return cf_case_check_steps(root, check_step, err, errlen);
}

static int cmp_case(const void *a, const void *b) {
    return strcmp(((const cf_case *)a)->id, ((const cf_case *)b)->id);
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && !strcmp(s + n - m, suffix);
}

static int load_one(const char *path, const char *layer, const char *file, const char *prefix,
                    cf_case_checker check, const cJSON *reqs, cf_caselist *out, cf_buf *errors) {
    char err[600];
    cJSON *root = cf_json_load(path, err, sizeof(err));
    cf_case *c;
    const cJSON *m;
    size_t idlen, np = strlen(prefix);

    if (!root) {
        cf_buf_printf(errors, "%s\n", err);
        return 0;
    }
    if (check(root, reqs, err, sizeof(err))) {
        cf_buf_printf(errors, "%s: %s\n", path, err);
        cJSON_Delete(root);
        return 0;
    }
    m = cJSON_GetObjectItemCaseSensitive(root, "id");
    idlen = strlen(m->valuestring);
    if (strncmp(file, m->valuestring, idlen) || file[idlen] != '-' ||
        strncmp(m->valuestring + np, layer, strlen(layer)) ||
        m->valuestring[np + strlen(layer)] != '-') {
        cf_buf_printf(errors, "%s: the file must be <layer>/%s-<slug>.json in folder %s\n", path,
                      m->valuestring, layer);
        cJSON_Delete(root);
        return 0;
    }
    if (out->n >= CF_MAX_CASES) {
        cJSON_Delete(root);
        return -1;
    }
    c = &out->v[out->n];
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
    c->server_args = cJSON_GetObjectItemCaseSensitive(root, "server_args");
    m = cJSON_GetObjectItemCaseSensitive(root, "case_timeout_ms");
    c->case_timeout_ms = m ? (int)m->valuedouble : 0;
    c->connections = cJSON_GetObjectItemCaseSensitive(root, "connections");
    c->steps = cJSON_GetObjectItemCaseSensitive(root, "steps");
    {
        const cJSON *st;

        cJSON_ArrayForEach(st, c->steps) {
            if (!strcmp(st->child->string, "signal")) c->signals = 1;
            if (!strcmp(st->child->string, "server_log_excludes")) c->reads_log = 1;
        }
    }
    out->n++;
    return 0;
}

int cf_cases_load_kind(const char *dir, const char *id_prefix, cf_case_checker check,
                       const cJSON *known_reqs, cf_caselist *out, cf_buf *errors) {
    DIR *d = opendir(dir), *sub;
    struct dirent *e, *f;
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

        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        sub = opendir(path);
        if (!sub) continue;
        if (!cf_in_list(e->d_name, layers)) {
            cf_buf_printf(errors, "%s: not a layer folder (see FORMAT.md)\n", path);
            closedir(sub);
            continue;
        }
        while ((f = readdir(sub)) != NULL) {
            char file[8192];

            if (f->d_name[0] == '.' || !ends_with(f->d_name, ".json")) continue;
            snprintf(file, sizeof(file), "%s/%s", path, f->d_name);
            if (load_one(file, e->d_name, f->d_name, id_prefix, check, known_reqs, out, errors))
                break;
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

int cf_cases_load(const char *dir, const cJSON *known_reqs, cf_caselist *out, cf_buf *errors) {
    return cf_cases_load_kind(dir, "", cf_case_check, known_reqs, out, errors);
}

void cf_cases_free(cf_caselist *l) {
    size_t i;

    for (i = 0; i < l->n; i++) {
        free(l->v[i].path);
        cJSON_Delete(l->v[i].root);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int one_selector(const char *s, size_t n, const char *id, const cJSON *reqs) {
    const cJSON *r;
    int prefix = n && !(s[n - 1] >= '0' && s[n - 1] <= '9');

    if (!n) return 0;
    if (!strncmp(id, s, n)) return 1;
    cJSON_ArrayForEach(r, reqs) {
        const char *x = cJSON_GetStringValue(r);

        if (!x) continue;
        if (prefix ? !strncmp(x, s, n) : (strlen(x) == n && !strncmp(x, s, n))) return 1;
    }
    return 0;
}

int cf_selected(const char *sel, const char *id, const cJSON *requirements) {
    if (!sel || !*sel) return 1;
    while (*sel) {
        size_t n = strcspn(sel, ",");

        if (one_selector(sel, n, id, requirements)) return 1;
        sel += n + (sel[n] == ',');
    }
    return 0;
}

const cJSON *cf_requirements_load(const char *path, cJSON **root, char *err, size_t errlen) {
    const cJSON *r;

    *root = cf_json_load(path, err, errlen);
    if (!*root) return NULL;
    r = cJSON_GetObjectItemCaseSensitive(*root, "requirements");
    if (!cJSON_IsArray(r)) {
        snprintf(err, errlen, "%s: no \"requirements\" array", path);
        cJSON_Delete(*root);
        *root = NULL;
        return NULL;
    }
    return r;
}
