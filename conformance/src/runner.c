/*
 * runner.c - executes conformance cases step by step against a server (see runner.h and
 * FORMAT.md section 4).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <plexus/codec.h>

#include "conn.h"
#include "json.h"
#include "match.h"
#include "runner.h"
#include "spawn.h"
#include "steps.h"

#define CLOSE_WAIT_MS 1000 /* at the end of a case, wait this long for each server close */

typedef struct run {
    cf_steps s; /* case, result, names, captures, deadline, step */
    const cf_run_config *cfg;
    const cJSON *spec[CF_MAX_CONNS];
} run;

void cf_result_free(cf_result *r) {
    free(r->id);
    free(r->title);
    free(r->level);
    free(r->reason);
    free(r->expected);
    free(r->received);
    cJSON_Delete(r->requirements);
    cJSON_Delete(r->log);
    memset(r, 0, sizeof(*r));
}

int cf_result_init(cf_result *r, const char *id, const char *title, int should,
                   const cJSON *requirements) {
    memset(r, 0, sizeof(*r));
    r->id = strdup(id);
    r->title = strdup(title);
    r->level = strdup(should ? "SHOULD" : "MUST");
    r->requirements = requirements ? cJSON_Duplicate(requirements, 1) : cJSON_CreateArray();
    return r->id && r->title && r->level && r->requirements ? 0 : -1;
}

size_t cf_results_load_errors(cf_result *r, size_t n, size_t max, const cf_buf *errors) {
    const char *p = errors->data ? (const char *)errors->data : "";
    size_t end = n + max;

    while (*p && n < end) {
        size_t len = strcspn(p, "\n");
        char line[1024];

        snprintf(line, sizeof(line), "%.*s", (int)len, p);
        cf_result_init(&r[n], "load-error", "a case file could not be loaded", 0, NULL);
        r[n].verdict = CF_FAIL;
        r[n].reason = strdup(line);
        n++;
        p += len + (p[len] == '\n');
    }
    return n;
}

/* ------------------------------------------------------------------ connections */

static int open_conn(run *x, int i, int expect_status) {
    const cJSON *spec = x->spec[i];
    const cJSON *sp =
        cJSON_IsObject(spec) ? cJSON_GetObjectItemCaseSensitive(spec, "subprotocols") : NULL;
    const char *protos[16];
    int np = -1, status = 0, rc;
    char err[512];

    if (sp) {
        const cJSON *p;

        np = 0;
        cJSON_ArrayForEach(p, sp) if (np < 16) protos[np++] = p->valuestring;
    }
    if (x->s.used[i]) cf_link_free(&x->s.link[i]);
    rc = cf_conn_open(&x->s.link[i], x->s.name[i], &x->cfg->url, sp ? protos : NULL, np,
                      cf_steps_remaining(&x->s, 5000), x->s.r->log, x->s.t0, &status, err,
                      sizeof(err));
    x->s.used[i] = 1;
    x->s.link[i].auto_pong = x->s.c->auto_pong;
    if (expect_status) {
        char want[32], got[64];

        snprintf(want, sizeof(want), "HTTP status %d", expect_status);
        if (rc == 1 && status == expect_status) return 0;
        snprintf(got, sizeof(got), rc == 0 ? "the handshake succeeded" : "HTTP status %d", status);
        cf_steps_fail(&x->s, want, rc < 0 ? err : got,
                      "open %s: the handshake was not refused as expected", x->s.name[i]);
        return -1;
    }
    if (rc) {
        char got[600];

        if (rc == 1)
            snprintf(got, sizeof(got), "HTTP status %d", status);
        else
            snprintf(got, sizeof(got), "%s", err);
        cf_steps_fail(&x->s, "an open connection", got, "cannot open connection %s", x->s.name[i]);
        return -1;
    }
    return 0;
}

static cf_conn *conn_of(run *x, int i) {
    if (!x->s.used[i] || x->s.link[i].fd < 0) {
        cf_steps_fail(&x->s, NULL, NULL, "connection %s is not open", x->s.name[i]);
        return NULL;
    }
    return &x->s.link[i];
}

/* conn_of for steps that read: a paused connection is a mistake of the case. */
static cf_conn *reading_conn(run *x, int i) {
    cf_conn *c = conn_of(x, i);

    if (c && c->paused) {
        cf_steps_fail(&x->s, NULL, NULL, "connection %s is paused: resume it before expecting",
                      x->s.name[i]);
        return NULL;
    }
    return c;
}

/* ------------------------------------------------------------------ expecting */

/* The next event of connection i (cf_steps_next). */
static cf_event *next_event(cf_steps *s, int i, int timeout_ms) {
    return cf_conn_next(&s->link[i], timeout_ms);
}

static void timeout_fail(run *x, const cJSON *expected, const char *conn, int ms) {
    char where[100];

    snprintf(where, sizeof(where), "on %s", conn);
    cf_steps_timeout_fail(&x->s, expected, where, ms);
}

static int expect_step(run *x, int ci, const cJSON *m, const cJSON *step, int timeout) {
    if (!reading_conn(x, ci)) return -1;
    return cf_steps_expect(&x->s, ci, m, step, timeout);
}

static int hello_step(run *x, int ci, const cJSON *step, const cJSON *fields) {
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(step, "welcome");
    cJSON *hello = cJSON_CreateObject(), *m = w ? cJSON_Duplicate(w, 1) : cJSON_CreateObject();
    const cJSON *f;
    cf_conn *cn = reading_conn(x, ci);
    cf_event *e = NULL;
    int rc = -1;

    if (!hello || !m || !cn) goto out;
    cJSON_AddStringToObject(hello, "t", "hello");
    cJSON_AddNumberToObject(hello, "version", 1);
    {
        const cJSON *secret = cJSON_GetObjectItemCaseSensitive(x->s.params, "secret");

        /* a known secret goes into every hello shorthand that does not give its own */
        if (cJSON_IsString(secret) && !cJSON_GetObjectItemCaseSensitive(fields, "secret"))
            cJSON_AddStringToObject(hello, "secret", secret->valuestring);
    }
    cJSON_ArrayForEach(f, fields) {
        cJSON_DeleteItemFromObjectCaseSensitive(hello, f->string);
        cJSON_AddItemToObject(hello, f->string, cJSON_Duplicate(f, 1));
    }
    if (!cJSON_GetObjectItemCaseSensitive(m, "t")) cJSON_AddStringToObject(m, "t", "welcome");
    if (cf_steps_send_msg(&x->s, cn, hello, step)) goto out;
    e = cf_conn_next(cn, cf_steps_timeout(&x->s, step, x->s.c->timeout_ms));
    if (!e) {
        timeout_fail(x, m, cn->name, cf_steps_timeout(&x->s, step, x->s.c->timeout_ms));
        goto out;
    }
    if (!cf_steps_match(&x->s, e, m, NULL, NULL, "hello was not answered by a matching welcome"))
        goto out;
    cJSON_DeleteItemFromObjectCaseSensitive(x->s.captures, x->s.name[ci]);
    cJSON_AddItemToObject(x->s.captures, x->s.name[ci], cJSON_Duplicate(e->msg.json, 1));
    rc = 0;
out:
    cf_event_free(e);
    cJSON_Delete(hello);
    cJSON_Delete(m);
    return rc;
}

static int close_step(run *x, int ci, const cJSON *spec, int timeout) {
    cf_conn *cn = reading_conn(x, ci);

    if (!cn) return -1;
    return cf_steps_expect_close(&x->s, ci, spec, timeout, cn->stream);
}

/* Keeps every connection read (auto-pong, buffers drained) for ms, queueing events. */
static void pump_all(run *x, int ms) {
    uint64_t end = cf_now_ms() + (uint64_t)ms;

    for (;;) {
        uint64_t now = cf_now_ms();
        size_t i;
        int slice;

        if (now >= end) break;
        slice = (int)(end - now > 20 ? 20 : end - now);
        for (i = 0; i < x->s.n; i++)
            if (x->s.used[i]) cf_conn_pump(&x->s.link[i], 0);
        cf_sleep_ms((uint64_t)slice);
    }
}

static int silence_step(run *x, const cJSON *step, int ms) {
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(step, "conn");

    /* a paused connection is always silent */
    if (!(c && !strcmp(c->valuestring, "*")) && !reading_conn(x, cf_steps_conn(&x->s, step)))
        return -1;
    pump_all(x, ms);
    return cf_steps_silent(&x->s, step);
}

/* expect_set: assigns received messages to elements (backtracking, captures kept). */
typedef struct set_state {
    const cJSON *elems[256];
    int elem_conn[256];
    int n;
    cf_event *got[256];
    int got_conn[256];
    int ngot;
    int used[256];
} set_state;

static int set_assign(run *x, set_state *s, cf_match_ctx *ctx, int ei) {
    int gi;

    if (ei == s->n) return 1;
    for (gi = 0; gi < s->ngot; gi++) {
        const cJSON *atts = cJSON_GetObjectItemCaseSensitive(s->elems[ei], "attachments");
        cJSON *snap;

        if (s->used[gi] || s->got_conn[gi] != s->elem_conn[ei]) continue;
        if (++ctx->tries > CF_MAX_TRIES) return 0;
        snap = cJSON_Duplicate(ctx->pending, 1);
        ctx->att = s->got[gi]->msg.att;
        ctx->natt = s->got[gi]->msg.natt;
        if (cf_match(ctx, cJSON_GetObjectItemCaseSensitive(s->elems[ei], "match"),
                     s->got[gi]->msg.json) &&
            (!atts || cf_match_attachments(ctx, atts))) {
            s->used[gi] = 1;
            if (set_assign(x, s, ctx, ei + 1)) {
                cJSON_Delete(snap);
                return 1;
            }
            s->used[gi] = 0;
        }
        cJSON_Delete(ctx->pending);
        ctx->pending = snap;
    }
    return 0;
}

static int matches_some(run *x, set_state *s, int gi) {
    int ei;

    for (ei = 0; ei < s->n; ei++) {
        const cJSON *atts = cJSON_GetObjectItemCaseSensitive(s->elems[ei], "attachments");
        cf_match_ctx ctx;
        int ok;

        if (s->elem_conn[ei] != s->got_conn[gi]) continue;
        if (cf_match_init(&ctx, x->s.captures, x->s.params, s->got[gi]->msg.att,
                          s->got[gi]->msg.natt))
            return 0;
        ok = cf_match(&ctx, cJSON_GetObjectItemCaseSensitive(s->elems[ei], "match"),
                      s->got[gi]->msg.json) &&
             (!atts || cf_match_attachments(&ctx, atts));
        cf_match_free(&ctx);
        if (ok) return 1;
    }
    return 0;
}

static char *describe_set(run *x, set_state *s, int received) {
    cf_buf b = {0};
    int i;

    for (i = 0; i < (received ? s->ngot : s->n); i++) {
        char *t =
            received
                ? cf_event_describe(s->got[i])
                : cf_json_print_max(cJSON_GetObjectItemCaseSensitive(s->elems[i], "match"), 1000);

        cf_buf_printf(&b, "%s%s: %s", i ? "\n" : "",
                      x->s.name[received ? s->got_conn[i] : s->elem_conn[i]], t ? t : "?");
        free(t);
    }
    if (!b.len) cf_buf_str(&b, "nothing");
    return cf_buf_take_str(&b);
}

static int set_step(run *x, const cJSON *elems, int timeout) {
    set_state *s = calloc(1, sizeof(*s));
    int need[CF_MAX_CONNS] = {0}, have[CF_MAX_CONNS] = {0};
    uint64_t end = cf_now_ms() + (uint64_t)timeout;
    const cJSON *e;
    int rc = -1, i;

    if (!s) return -1;
    cJSON_ArrayForEach(e, elems) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "conn");
        int ci = c ? cf_steps_index(&x->s, c->valuestring) : 0;

        if (s->n == 256) break;
        if (!reading_conn(x, ci)) goto out;
        s->elems[s->n] = e;
        s->elem_conn[s->n++] = ci;
        need[ci]++;
    }
    for (;;) {
        int progress = 0, complete = 1;
        size_t ci;

        for (ci = 0; ci < x->s.n; ci++) {
            cf_event *ev;

            if (!need[ci]) continue;
            while (have[ci] < need[ci] && (ev = cf_link_pop(&x->s.link[ci])) != NULL) {
                s->got[s->ngot] = ev;
                s->got_conn[s->ngot++] = (int)ci;
                have[ci]++;
                progress = 1;
                if (ev->kind != CF_EV_MSG || !matches_some(x, s, s->ngot - 1)) {
                    char *ex = describe_set(x, s, 0), *g = cf_event_describe(ev);

                    cf_steps_fail(&x->s, ex, g,
                                  "expect_set: a message on %s matches no element of the set",
                                  x->s.name[ci]);
                    free(ex);
                    free(g);
                    goto out;
                }
            }
            if (have[ci] < need[ci]) complete = 0;
        }
        if (complete) break;
        if (!progress) {
            cf_conn *wait[CF_MAX_CONNS];
            size_t nw = 0;
            uint64_t now = cf_now_ms();

            for (ci = 0; ci < x->s.n; ci++)
                if (need[ci] > have[ci]) wait[nw++] = &x->s.link[ci];
            if (now >= end || !cf_conns_wait(wait, nw, (int)(end - now))) {
                char *ex = describe_set(x, s, 0), *g = describe_set(x, s, 1);

                cf_steps_fail(&x->s, ex, g, "expect_set: %d of %d messages arrived within %d ms",
                              s->ngot, s->n, timeout);
                free(ex);
                free(g);
                goto out;
            }
        }
    }
    {
        cf_match_ctx ctx;

        if (cf_match_init(&ctx, x->s.captures, x->s.params, NULL, 0)) goto out;
        if (set_assign(x, s, &ctx, 0)) {
            cf_match_commit(&ctx, x->s.captures);
            rc = 0;
        } else {
            char *ex = describe_set(x, s, 0), *g = describe_set(x, s, 1);

            cf_steps_fail(&x->s, ex, g,
                          "expect_set: the messages cannot be matched to the elements one to one");
            free(ex);
            free(g);
        }
        cf_match_free(&ctx);
    }
out:
    for (i = 0; i < s->ngot; i++)
        cf_event_free(s->got[i]);
    free(s);
    return rc;
}

/* ------------------------------------------------------------------ steps */

/* 1 when text occurs in b[0..n) (which may hold NUL bytes). */
static int contains(const char *b, size_t n, const char *text) {
    size_t k = strlen(text), i;

    for (i = 0; k && i + k <= n; i++)
        if (b[i] == text[0] && !memcmp(b + i, text, k)) return 1;
    return 0;
}

/* server_log_excludes: none of the texts (after substitution) is in what the spawned server
 * wrote on stdout and stderr so far (SEC-3: secrets are never logged). */
static int log_step(run *x, const cJSON *texts) {
    char err[256], *log;
    const cJSON *t;
    cJSON *list;
    size_t len = 0;

    if (!x->cfg->server) {
        cf_steps_fail(&x->s, NULL, NULL,
                      "server_log_excludes needs a server started by the runner (--spawn)");
        return -1;
    }
    list = cf_subst(texts, x->s.captures, x->s.params, err, sizeof(err));
    if (!list) {
        cf_steps_fail(&x->s, NULL, NULL, "server_log_excludes: %s", err);
        return -1;
    }
    log = cf_server_log(x->cfg->server, &len);
    cJSON_ArrayForEach(t, list) {
        if (!cJSON_IsString(t) || !*t->valuestring) continue;
        if (log && contains(log, len, t->valuestring)) {
            cf_steps_fail(&x->s, "a server log without the text", t->valuestring,
                          "the server's log (stdout, stderr) contains a text it must not log");
            break;
        }
    }
    free(log);
    cJSON_Delete(list);
    return x->s.failed ? -1 : 0;
}

/* signal: sends SIGTERM or SIGINT to the spawned server of this case. */
static int signal_step(run *x, const char *name) {
    cJSON *e = cJSON_CreateObject();
    int sig = !strcmp(name, "INT") ? SIGINT : SIGTERM;

    if (!x->cfg->server) {
        cf_steps_fail(&x->s, NULL, NULL,
                      "a signal step needs a server started by the runner (--spawn)");
        cJSON_Delete(e);
        return -1;
    }
    if (e) {
        cJSON_AddNumberToObject(e, "ms", (double)(cf_now_ms() - x->s.t0));
        cJSON_AddStringToObject(e, "conn", "server");
        cJSON_AddStringToObject(e, "dir", "send");
        cJSON_AddStringToObject(e, "kind", "signal");
        cJSON_AddStringToObject(e, "what", name);
        cJSON_AddItemToArray(x->s.r->log, e);
    }
    if (cf_server_signal(x->cfg->server, sig)) {
        cf_steps_fail(&x->s, NULL, NULL, "cannot signal the server: it is no longer running");
        return -1;
    }
    return 0;
}

static int run_step(run *x, const cJSON *step) {
    const cJSON *a = step->child;
    const char *k = a->string;
    int ci = cf_steps_conn(&x->s, step), rc;
    cf_conn *cn;

    if (!strcmp(k, "wait")) {
        pump_all(x, cf_steps_remaining(&x->s, (int)a->valuedouble));
        return 0;
    }
    if (!strcmp(k, "expect_silence"))
        return silence_step(x, step, cf_steps_remaining(&x->s, (int)a->valuedouble));
    if (!strcmp(k, "expect_set"))
        return set_step(x, a, cf_steps_timeout(&x->s, step, x->s.c->timeout_ms));
    if (!strcmp(k, "open")) {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(step, "expect_status");

        return open_conn(x, cf_steps_index(&x->s, a->valuestring), st ? (int)st->valuedouble : 0);
    }
    if (!strcmp(k, "close")) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(step, "code");

        cn = conn_of(x, cf_steps_index(&x->s, a->valuestring));
        if (!cn) return -1;
        cf_link_close(cn, code ? (int)code->valuedouble : 1000, 0);
        return 0;
    }
    if (!strcmp(k, "pause") || !strcmp(k, "resume")) {
        cn = conn_of(x, cf_steps_index(&x->s, a->valuestring));
        if (!cn) return -1;
        cf_conn_pause(cn, !strcmp(k, "pause"));
        return 0;
    }
    if (!strcmp(k, "signal")) return signal_step(x, a->valuestring);
    if (!strcmp(k, "server_log_excludes")) return log_step(x, a);
    if (!strcmp(k, "hello")) return hello_step(x, ci, step, a);
    if (!strcmp(k, "expect"))
        return expect_step(x, ci, a, step, cf_steps_timeout(&x->s, step, x->s.c->timeout_ms));
    if (!strcmp(k, "expect_close"))
        return close_step(x, ci, a, cf_steps_timeout(&x->s, step, x->s.c->timeout_ms));
    cn = conn_of(x, ci);
    if (!cn) return -1;
    rc = cf_steps_send(&x->s, cn, a, step);
    if (rc <= 0) return rc;
    cf_steps_fail(&x->s, NULL, NULL, "unknown step %s", k);
    return -1;
}

/* ------------------------------------------------------------------ needs */

static int websocket_only(const cf_case *c) {
    const cJSON *s, *conn;

    cJSON_ArrayForEach(s, c->steps) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(s, "ws_fragments");

        if (!strcmp(s->child->string, "send_text") || (f && f->valuedouble > 1) ||
            cJSON_GetObjectItemCaseSensitive(s, "expect_status"))
            return 1;
    }
    cJSON_ArrayForEach(
        conn, c->connections) if (cJSON_IsObject(conn) &&
                                  cJSON_GetObjectItemCaseSensitive(conn, "subprotocols")) return 1;
    return 0;
}

/* The welcome member announcing a server option (server_args), or NULL. */
static const char *announced(const char *option) {
    static const char *const map[][2] = {{"ping-interval", "ping_interval_ms"},
                                         {"call-timeout", "call_timeout_ms"},
                                         {"history", "history"},
                                         {"max-frame", "max_frame"},
                                         {"max-message", "max_message"}};
    size_t i;

    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(map[i][0], option)) return map[i][1];
    return NULL;
}

/* Against a server the runner did not start: the first server_args pair that does not already
 * hold (runner.h), as a skip reason, or NULL. */
static const char *server_args_unmet(const cf_run_config *cfg, const cf_case *c, char *buf,
                                     size_t buflen) {
    const cJSON *a;

    for (a = c->server_args ? c->server_args->child : NULL; a && a->next; a = a->next->next) {
        const char *opt = a->valuestring + 2, *val = a->next->valuestring, *w = announced(opt);
        char param[64];
        const cJSON *p, *v;
        size_t i;

        snprintf(param, sizeof(param), "%s", opt);
        for (i = 0; param[i]; i++)
            if (param[i] == '-') param[i] = '_';
        p = cJSON_GetObjectItemCaseSensitive(cfg->params, param);
        if (cJSON_IsString(p) && (!strcmp(param, "secret") || !strcmp(param, "override_key") ||
                                  !strcmp(p->valuestring, val)))
            continue;
        v = w && cfg->probe ? cJSON_GetObjectItemCaseSensitive(cfg->probe, w) : NULL;
        if (cJSON_IsNumber(v) && v->valuestring == NULL && v->valuedouble == strtod(val, NULL))
            continue;
        if (cJSON_IsNumber(v) && v->valuestring && !strcmp(v->valuestring, val)) continue;
        snprintf(buf, buflen,
                 "needs a server started with %s %s (use --spawn, or --param %s=%s when the "
                 "server under test runs so)",
                 a->valuestring, val, param, val);
        return buf;
    }
    return NULL;
}

static int compare(double a, const char *op, double b) {
    if (!strcmp(op, "=")) return a == b;
    if (!strcmp(op, "!=")) return a != b;
    if (!strcmp(op, "<=")) return a <= b;
    if (!strcmp(op, ">=")) return a >= b;
    if (!strcmp(op, "<")) return a < b;
    if (!strcmp(op, ">")) return a > b;
    return 0;
}

const char *cf_case_skip_reason(const cf_run_config *cfg, const cf_case *c, char *buf,
                                size_t buflen) {
    const cJSON *n;

    cJSON_ArrayForEach(n, c->needs) {
        const char *s = n->valuestring;

        if (!strcmp(s, "binding:websocket") && cfg->url.stream)
            return "needs the WebSocket binding";
        if (!strcmp(s, "binding:stream") && !cfg->url.stream) return "needs the stream binding";
        if (!strncmp(s, "param:", 6) && !cJSON_GetObjectItemCaseSensitive(cfg->params, s + 6)) {
            snprintf(buf, buflen, "needs --param %s=VALUE", s + 6);
            return buf;
        }
        if (!strncmp(s, "feature:", 8)) {
            const cJSON *f,
                *fs = cfg->probe ? cJSON_GetObjectItemCaseSensitive(cfg->probe, "features") : NULL;
            int found = 0;

            cJSON_ArrayForEach(f, fs) if (cJSON_IsString(f) && !strcmp(f->valuestring, s + 8))
                found = 1;
            if (!found) {
                snprintf(buf, buflen, "the server does not offer feature %s", s + 8);
                return buf;
            }
        }
        if (!strncmp(s, "welcome:", 8)) {
            char field[64], op[3] = {0};
            size_t fl = strcspn(s + 8, "=<>!");
            const char *p = s + 8 + fl;
            const cJSON *v;
            size_t ol = strspn(p, "=<>!");

            if (fl >= sizeof(field) || ol == 0 || ol > 2) return "bad welcome condition";
            memcpy(field, s + 8, fl);
            field[fl] = 0;
            memcpy(op, p, ol);
            v = cfg->probe ? cJSON_GetObjectItemCaseSensitive(cfg->probe, field) : NULL;
            if (!cJSON_IsNumber(v) || !compare(v->valuedouble, op, strtod(p + ol, NULL))) {
                snprintf(buf, buflen, "needs welcome %s%s%s (the server has %s)", field, op, p + ol,
                         cJSON_IsNumber(v) ? "another value" : "no such field");
                if (cJSON_IsNumber(v))
                    snprintf(buf, buflen, "needs welcome %s%s%s (the server has %.0f)", field, op,
                             p + ol, v->valuedouble);
                return buf;
            }
        }
    }
    if (cfg->url.stream && websocket_only(c)) return "websocket-only step";
    if (c->signals && !cfg->server) return "signals the server: needs --spawn";
    if (c->reads_log && !cfg->server) return "reads the server's log: needs --spawn";
    if (!cfg->server) return server_args_unmet(cfg, c, buf, buflen);
    return NULL;
}

/* ------------------------------------------------------------------ a case */

static void finish(run *x) {
    size_t i;
    uint64_t end;

    for (i = 0; i < x->s.n; i++) {
        if (x->s.used[i]) x->s.link[i].paused = 0;
        if (x->s.used[i] && x->s.link[i].fd >= 0 && !x->s.link[i].remote_closed)
            cf_link_close(&x->s.link[i], 1000, 0);
    }
    end = cf_now_ms() + CLOSE_WAIT_MS;
    for (i = 0; i < x->s.n; i++) {
        while (x->s.used[i] && x->s.link[i].fd >= 0 && !x->s.link[i].remote_closed &&
               !x->s.link[i].broken && cf_now_ms() < end) {
            cf_event *e;

            cf_conn_pump(&x->s.link[i], 50);
            while ((e = cf_link_pop(&x->s.link[i])) != NULL)
                cf_event_free(e);
        }
    }
    for (i = 0; i < x->s.n; i++)
        if (x->s.used[i]) cf_link_free(&x->s.link[i]);
}

void cf_run_case(const cf_run_config *cfg, const cf_case *c, cf_result *r) {
    run *x = calloc(1, sizeof(*x));
    const cJSON *conn, *step;
    char buf[256];
    const char *skip;
    size_t i;

    cf_result_init(r, c->id, c->title, c->should, c->requirements);
    if (!x) {
        r->verdict = CF_FAIL;
        r->reason = strdup("out of memory");
        return;
    }
    skip = cf_case_skip_reason(cfg, c, buf, sizeof(buf));
    if (skip) {
        r->verdict = CF_SKIP;
        r->reason = strdup(skip);
        free(x);
        return;
    }
    x->cfg = cfg;
    cf_steps_start(&x->s, c, r, cfg->params, cfg->case_timeout_ms,
                   c->case_timeout_ms > cfg->case_timeout_ms ? c->case_timeout_ms
                                                             : cfg->case_timeout_ms,
                   next_event, "server");
    i = 0;
    cJSON_ArrayForEach(conn, c->connections) x->spec[i++] = conn;
    for (i = 0; i < x->s.n && !x->s.failed; i++) {
        const cJSON *o = cJSON_IsObject(x->spec[i])
                             ? cJSON_GetObjectItemCaseSensitive(x->spec[i], "open")
                             : NULL;

        if (!cJSON_IsFalse(o)) open_conn(x, (int)i, 0);
    }
    cJSON_ArrayForEach(step, c->steps) {
        if (x->s.failed) break;
        x->s.step++;
        run_step(x, step);
    }
    finish(x);
    cf_steps_end(&x->s);
    free(x);
}

int cf_probe(cf_run_config *cfg, char *err, size_t errlen) {
    cf_conn c;
    cf_event *e;
    cJSON *hello = cJSON_CreateObject();
    cf_send_opts o = {0};
    int status, rc = -1;

    cJSON_AddStringToObject(hello, "t", "hello");
    cJSON_AddNumberToObject(hello, "version", 1);
    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(cfg->params, "secret")))
        cJSON_AddStringToObject(
            hello, "secret", cJSON_GetObjectItemCaseSensitive(cfg->params, "secret")->valuestring);
    o.frame_end = -1;
    o.ws_fragments = 1;
    if (cf_conn_open(&c, "probe", &cfg->url, NULL, -1, 5000, NULL, 0, &status, err, errlen)) {
        if (status) snprintf(err, errlen, "the WebSocket handshake was refused (HTTP %d)", status);
        cJSON_Delete(hello);
        cf_link_free(&c);
        return -1;
    }
    if (cf_link_send_msg(&c, hello, NULL, 0, &o, err, errlen) == 0) {
        e = cf_conn_next(&c, 5000);
        if (e && e->kind == CF_EV_MSG &&
            !strcmp(cJSON_GetObjectItemCaseSensitive(e->msg.json, "t")->valuestring, "welcome")) {
            cJSON_Delete(cfg->probe);
            cfg->probe = cJSON_Duplicate(e->msg.json, 1);
            rc = 0;
        } else {
            char *d = e ? cf_event_describe(e) : NULL;

            snprintf(err, errlen, "hello was not answered by welcome (got %s)", d ? d : "nothing");
            free(d);
        }
        cf_event_free(e);
    }
    cf_link_close(&c, 1000, 0);
    cf_conn_pump(&c, 200);
    cf_link_free(&c);
    cJSON_Delete(hello);
    return rc;
}
