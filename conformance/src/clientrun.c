/*
 * clientrun.c - runs one client case (FORMAT.md section 10): the runner plays the server. It
 * listens on 127.0.0.1, starts the driver (DRIVERS.md), and executes the steps: driver commands
 * and their answers, accepting the client's connections, the welcome, server messages sent and
 * client messages expected (with the frames that carried them), closes and silences.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clientrun.h"
#include "driver.h"
#include "json.h"
#include "match.h"
#include "peer.h"
#include "srvws.h"
#include "steps.h"

#define CLOSE_WAIT_MS 300 /* at the end of a case, wait this long for the client's closes */

typedef struct crun {
    cf_steps s; /* case, result, names, captures, deadline, step */
    const cf_client_config *cfg;
    int lfd;
    cf_driver drv;
    int drv_up;
} crun;

/* ------------------------------------------------------------------ verdicts */

/* The driver cannot do what the case needs: the case is skipped (DRIVERS.md, UNSUPPORTED). */
static void skip(crun *x, const cJSON *answer) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(answer, "error"), "message");
    char buf[600];

    if (x->s.failed) return;
    x->s.failed = 1;
    snprintf(buf, sizeof(buf), "the driver does not support this: %s",
             cJSON_IsString(m) ? m->valuestring : "(no message)");
    x->s.r->verdict = CF_SKIP;
    x->s.r->reason = strdup(buf);
}

static void timeout_fail(crun *x, const cJSON *expected, const char *what, int ms) {
    char where[100];

    snprintf(where, sizeof(where), "from %s", what);
    cf_steps_timeout_fail(&x->s, expected, where, ms);
}

/* ------------------------------------------------------------------ waiting */

/* Reads every connection and the driver for up to ms (returns early when something came). */
static void pump(crun *x, int ms) {
    struct pollfd p[CF_MAX_CONNS + 2];
    int owner[CF_MAX_CONNS + 2], np = 0, fds[2], i;

    for (i = 0; i < (int)x->s.n; i++) {
        if (!x->s.used[i]) continue;
        cf_peer_pump(&x->s.link[i], 0); /* parses what is buffered, reads what is ready */
        if (x->s.link[i].head) ms = 0;  /* something to look at already: do not block */
        if (cf_peer_pollfd(&x->s.link[i]) >= 0) {
            p[np] = (struct pollfd){cf_peer_pollfd(&x->s.link[i]), POLLIN, 0};
            owner[np++] = i;
        }
    }
    if (x->drv_up) {
        cf_driver_pollfds(&x->drv, fds);
        for (i = 0; i < 2; i++)
            if (fds[i] >= 0) {
                p[np] = (struct pollfd){fds[i], POLLIN, 0};
                owner[np++] = -1;
            }
    }
    if (!np) {
        cf_sleep_ms((uint64_t)(ms > 20 ? 20 : ms));
        return;
    }
    if (poll(p, (nfds_t)np, ms) <= 0) return;
    for (i = 0; i < np; i++) {
        if (!p[i].revents) continue;
        if (owner[i] >= 0)
            cf_peer_pump(&x->s.link[owner[i]], 0);
        else
            cf_driver_pump(&x->drv, 0);
    }
}

static void pump_for(crun *x, int ms) {
    uint64_t end = cf_now_ms() + (uint64_t)ms;

    for (uint64_t now = cf_now_ms(); now < end; now = cf_now_ms())
        pump(x, (int)(end - now));
}

/* The next event of connection i (cf_steps_next): the other connections and the driver are read
 * meanwhile. */
static cf_event *next_event(cf_steps *s, int i, int timeout) {
    crun *x = (crun *)s; /* s is x's first member */
    uint64_t end = cf_now_ms() + (uint64_t)timeout;

    for (;;) {
        cf_event *e = cf_link_pop(&x->s.link[i]);
        uint64_t now = cf_now_ms();

        if (e) return e;
        if (now >= end) return NULL;
        if (cf_peer_pollfd(&x->s.link[i]) < 0 && !x->s.link[i].in.len) {
            pump(x, 0);
            if (!x->s.link[i].head) return NULL;
            continue;
        }
        pump(x, (int)(end - now));
    }
}

/* ------------------------------------------------------------------ connections */

static cf_peer *peer_of(crun *x, int i) {
    if (!x->s.used[i] || x->s.link[i].fd < 0) {
        cf_steps_fail(&x->s, NULL, NULL, "connection %s has not been accepted", x->s.name[i]);
        return NULL;
    }
    return &x->s.link[i];
}

/* The capture object of connection i ({"request", "hello", "welcome"}), created on demand. */
static cJSON *conn_captures(crun *x, int i) {
    cJSON *c = cJSON_GetObjectItemCaseSensitive(x->s.captures, x->s.name[i]);

    if (!c) c = cJSON_AddObjectToObject(x->s.captures, x->s.name[i]);
    return c;
}

static void capture(crun *x, int i, const char *member, cJSON *v) {
    cJSON *c = conn_captures(x, i);

    if (!c || !v) {
        cJSON_Delete(v);
        return;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(c, member);
    cJSON_AddItemToObject(c, member, v);
}

static cJSON *request_json(const cf_ws_request *req, int stream) {
    cJSON *r = cJSON_CreateObject(), *p = cJSON_AddArrayToObject(r, "protocols");
    int i;

    cJSON_AddStringToObject(r, "binding", stream ? "stream" : "websocket");
    cJSON_AddStringToObject(r, "path", req->path);
    for (i = 0; i < req->nproto; i++)
        cJSON_AddItemToArray(p, cJSON_CreateString(req->protocols[i]));
    cJSON_AddStringToObject(r, "extensions", req->extensions);
    return r;
}

static int accept_step(crun *x, const cJSON *step, const cJSON *a) {
    int i = cf_steps_index(&x->s, a->valuestring),
        timeout = cf_steps_timeout(&x->s, step, CF_CLIENT_ACCEPT_MS), fd;
    const cJSON *sel = cJSON_GetObjectItemCaseSensitive(step, "subprotocol");
    const cJSON *rm = cJSON_GetObjectItemCaseSensitive(step, "request");
    uint64_t end = cf_now_ms() + (uint64_t)timeout;
    cf_ws_request req;
    cf_buf left = {0};
    char err[512];
    cJSON *rj;
    int offered = 0, k, rc = -1;

    if (x->s.used[i]) {
        cf_steps_fail(&x->s, NULL, NULL, "connection %s was already accepted", x->s.name[i]);
        return -1;
    }
    for (;;) { /* keep the driver's output read while the client connects */
        uint64_t now = cf_now_ms();

        fd = cf_accept_timeout(x->lfd, now >= end ? 0 : (int)(end - now > 50 ? 50 : end - now), err,
                               sizeof(err));
        if (fd != -2 || cf_now_ms() >= end) break;
        pump(x, 0);
    }
    if (fd < 0) {
        if (fd == -2)
            cf_steps_fail(&x->s, "a connection from the client", "nothing",
                          "the client did not connect within %d ms", timeout);
        else
            cf_steps_fail(&x->s, NULL, NULL, "%s", err);
        return -1;
    }
    memset(&req, 0, sizeof(req));
    if (!x->cfg->stream) {
        const char *pick = "plexus.v1";

        if (sel) pick = cJSON_IsString(sel) ? sel->valuestring : NULL;
        if (cf_wss_handshake(fd, end + 1000, pick, &req, &left, err, sizeof(err))) {
            close(fd);
            cf_steps_fail(&x->s, "a WebSocket handshake", err, "the client's handshake failed");
            cf_buf_free(&left);
            return -1;
        }
    }
    if (cf_peer_init(&x->s.link[i], x->s.name[i], fd, x->cfg->stream, &left, x->s.r->log,
                     x->s.t0)) {
        close(fd);
        cf_steps_fail(&x->s, NULL, NULL, "out of memory");
        goto out;
    }
    x->s.used[i] = 1;
    x->s.link[i].auto_pong = x->s.c->auto_pong;
    rj = request_json(&req, x->cfg->stream);
    for (k = 0; k < req.nproto; k++)
        if (!strcmp(req.protocols[k], PLX_SUBPROTOCOL)) offered = 1;
    if (!x->cfg->stream && !offered) {
        char *g = cf_json_print(rj);

        cf_steps_fail(&x->s, "Sec-WebSocket-Protocol offering plexus.v1", g,
                      "the client did not offer the subprotocol plexus.v1 (TRN-1)");
        free(g);
        cJSON_Delete(rj);
        goto out;
    }
    if (rm && !cf_steps_match_value(&x->s, rm, rj, NULL, 0, NULL,
                                    "the handshake request does not match", NULL)) {
        cJSON_Delete(rj);
        goto out;
    }
    capture(x, i, "request", rj);
    rc = 0;
out:
    cf_buf_free(&left);
    return rc;
}

/* The welcome sent for hello: defaults, the client's name, then the step's members. */
static cJSON *build_welcome(crun *x, const cJSON *hello, const cJSON *fields) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(hello, "name"), *f;
    cJSON *w = cJSON_CreateObject(), *given;
    char err[256];

    cJSON_AddStringToObject(w, "t", "welcome");
    cJSON_AddNumberToObject(w, "version", 1);
    cJSON_AddStringToObject(w, "name", cJSON_IsString(name) ? name->valuestring : "client-1");
    cJSON_AddStringToObject(w, "server", "plexus-conform");
    cJSON_AddNumberToObject(w, "max_frame", PLX_DEFAULT_MAX_FRAME);
    cJSON_AddNumberToObject(w, "max_message", PLX_DEFAULT_MAX_MESSAGE);
    cJSON_AddBoolToObject(w, "gzip", 1);
    cJSON_AddNumberToObject(w, "gzip_threshold", PLX_DEFAULT_GZIP_THRESHOLD);
    cJSON_AddNumberToObject(w, "ping_interval_ms", 0);
    cJSON_AddNumberToObject(w, "call_timeout_ms", 30000);
    cJSON_AddNumberToObject(w, "history", 0);
    given = cf_subst(fields, x->s.captures, x->s.params, err, sizeof(err));
    if (!given) {
        cf_steps_fail(&x->s, NULL, NULL, "cannot build the welcome: %s", err);
        cJSON_Delete(w);
        return NULL;
    }
    cJSON_ArrayForEach(f, given) {
        cJSON_DeleteItemFromObjectCaseSensitive(w, f->string);
        cJSON_AddItemToObject(w, f->string, cJSON_Duplicate(f, 1));
    }
    cJSON_Delete(given);
    return w;
}

static int welcome_step(crun *x, int i, const cJSON *step, const cJSON *fields) {
    const cJSON *hm = cJSON_GetObjectItemCaseSensitive(step, "hello");
    cJSON *m = hm ? cJSON_Duplicate(hm, 1) : cJSON_CreateObject(), *w = NULL;
    cf_peer *p = peer_of(x, i);
    int timeout = cf_steps_timeout(&x->s, step, x->s.c->timeout_ms), rc = -1;
    cf_send_opts o = {0};
    cf_event *e = NULL;
    char err[512];

    if (!p || !m) goto out;
    if (!cJSON_GetObjectItemCaseSensitive(m, "t")) cJSON_AddStringToObject(m, "t", "hello");
    e = next_event(&x->s, i, timeout);
    if (!e) {
        timeout_fail(x, m, x->s.name[i], timeout);
        goto out;
    }
    if (!cf_steps_match(&x->s, e, m, NULL, cJSON_GetObjectItemCaseSensitive(step, "frame"),
                        "the client's first message is not a matching hello"))
        goto out;
    capture(x, i, "hello", cJSON_Duplicate(e->msg.json, 1));
    w = build_welcome(x, e->msg.json, fields);
    if (!w) goto out;
    o.frame_end = -1;
    o.ws_fragments = 1;
    if (cf_link_send_msg(p, w, NULL, 0, &o, err, sizeof(err))) {
        cf_steps_fail(&x->s, NULL, NULL, "send on %s: %s", x->s.name[i], err);
        goto out;
    }
    if (cf_peer_welcome(p, w)) {
        cf_steps_fail(&x->s, NULL, NULL, "out of memory");
        goto out;
    }
    capture(x, i, "welcome", cJSON_Duplicate(w, 1));
    rc = 0;
out:
    cf_event_free(e);
    cJSON_Delete(m);
    cJSON_Delete(w);
    return rc;
}

/* ------------------------------------------------------------------ client messages */

static int expect_step(crun *x, int i, const cJSON *m, const cJSON *step) {
    if (!peer_of(x, i)) return -1;
    return cf_steps_expect(&x->s, i, m, step, cf_steps_timeout(&x->s, step, x->s.c->timeout_ms));
}

static int close_step(crun *x, int i, const cJSON *spec, const cJSON *step) {
    if (!peer_of(x, i)) return -1;
    return cf_steps_expect_close(&x->s, i, spec, cf_steps_timeout(&x->s, step, x->s.c->timeout_ms),
                                 x->cfg->stream);
}

static int silence_step(crun *x, const cJSON *step, int ms) {
    pump_for(x, ms);
    return cf_steps_silent(&x->s, step);
}

/* ------------------------------------------------------------------ driver */

static int driver_step(crun *x, const cJSON *cmd, const cJSON *step) {
    const cJSON *as = cJSON_GetObjectItemCaseSensitive(step, "as");
    char id[80], err[512];
    cJSON *c;
    int rc;

    if (as)
        snprintf(id, sizeof(id), "%s", as->valuestring);
    else
        snprintf(id, sizeof(id), "step%d", x->s.step);
    c = cf_subst(cmd, x->s.captures, x->s.params, err, sizeof(err));
    if (!c) {
        cf_steps_fail(&x->s, NULL, NULL, "cannot build the driver command: %s", err);
        return -1;
    }
    cJSON_AddStringToObject(c, "id", id);
    if (!strcmp(cJSON_GetObjectItemCaseSensitive(c, "cmd")->valuestring, "connect") &&
        !cJSON_GetObjectItemCaseSensitive(c, "url"))
        cJSON_AddStringToObject(c, "url",
                                cJSON_GetObjectItemCaseSensitive(x->s.params, "url")->valuestring);
    rc = cf_driver_send(&x->drv, c, err, sizeof(err));
    cJSON_Delete(c);
    if (rc) cf_steps_fail(&x->s, NULL, NULL, "driver: %s", err);
    return rc;
}

static int is_unsupported(const cJSON *answer) {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(answer, "error");

    return cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "name")) &&
           !strcmp(cJSON_GetObjectItemCaseSensitive(e, "name")->valuestring, "UNSUPPORTED");
}

static int driver_expect_step(crun *x, const cJSON *m, const cJSON *step) {
    const cJSON *of = cJSON_GetObjectItemCaseSensitive(step, "of");
    int timeout = cf_steps_timeout(&x->s, step, x->s.c->timeout_ms), ok;
    uint64_t end = cf_now_ms() + (uint64_t)timeout;
    char what[128];
    cJSON *got;

    snprintf(what, sizeof(what), of ? "the driver's answer to %s" : "the driver's next event",
             of ? of->valuestring : "");
    for (;;) {
        uint64_t now = cf_now_ms();

        got = of ? cf_driver_take_answer(&x->drv, of->valuestring) : cf_driver_take_event(&x->drv);
        if (got || now >= end) break;
        if (x->drv.out_fd < 0) break;
        pump(x, (int)(end - now));
    }
    if (x->drv.bad) {
        cf_steps_fail(&x->s, "JSON object lines", x->drv.bad,
                      "the driver wrote a line that is not a JSON object");
        cJSON_Delete(got);
        return -1;
    }
    if (!got) {
        if (x->drv.out_fd < 0) {
            char *e = cf_json_print_max(m, 4000);

            cf_steps_fail(&x->s, e, "the driver exited",
                          "%s did not come: the driver closed its stdout", what);
            free(e);
        } else {
            timeout_fail(x, m, of ? "the driver (answer)" : "the driver (event)", timeout);
        }
        return -1;
    }
    if (of && is_unsupported(got)) {
        skip(x, got);
        cJSON_Delete(got);
        return -1;
    }
    ok = cf_steps_match_value(
        &x->s, m, got, NULL, 0, NULL,
        of ? "the driver's answer does not match" : "the driver's event does not match", NULL);
    cJSON_Delete(got);
    return ok ? 0 : -1;
}

static int driver_silence_step(crun *x, int ms) {
    cJSON *e;

    pump_for(x, ms);
    e = cf_driver_take_event(&x->drv);
    if (e) {
        char *g = cf_json_print_max(e, 2000);

        cf_steps_fail(&x->s, "no driver event", g,
                      "the driver reported an event during the silence");
        free(g);
        cJSON_Delete(e);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ steps */

static int run_step(crun *x, const cJSON *step) {
    const cJSON *a = step->child;
    const char *k = a->string;
    int ci = cf_steps_conn(&x->s, step), rc;
    cf_peer *p;

    if (!strcmp(k, "driver")) return driver_step(x, a, step);
    if (!strcmp(k, "driver_expect")) return driver_expect_step(x, a, step);
    if (!strcmp(k, "driver_silence"))
        return driver_silence_step(x, cf_steps_remaining(&x->s, (int)a->valuedouble));
    if (!strcmp(k, "wait")) {
        pump_for(x, cf_steps_remaining(&x->s, (int)a->valuedouble));
        return 0;
    }
    if (!strcmp(k, "expect_silence"))
        return silence_step(x, step, cf_steps_remaining(&x->s, (int)a->valuedouble));
    if (!strcmp(k, "accept")) return accept_step(x, step, a);
    if (!strcmp(k, "welcome")) return welcome_step(x, ci, step, a);
    if (!strcmp(k, "expect")) return expect_step(x, ci, a, step);
    if (!strcmp(k, "expect_close")) return close_step(x, ci, a, step);
    if (!strcmp(k, "close")) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(step, "code");

        p = peer_of(x, cf_steps_index(&x->s, a->valuestring));
        if (!p) return -1;
        cf_link_close(p, code ? (int)code->valuedouble : 1000,
                      cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(step, "abrupt")));
        return 0;
    }
    p = peer_of(x, ci);
    if (!p) return -1;
    rc = cf_steps_send(&x->s, p, a, step);
    if (rc <= 0) return rc;
    cf_steps_fail(&x->s, NULL, NULL, "unknown step %s", k);
    return -1;
}

/* Why the case cannot run on this binding, or NULL. */
static const char *skip_reason(const cf_client_config *cfg, const cf_case *c) {
    const cJSON *n, *s;

    cJSON_ArrayForEach(n, c->needs) {
        if (!strcmp(n->valuestring, "binding:websocket") && cfg->stream)
            return "needs the WebSocket binding";
        if (!strcmp(n->valuestring, "binding:stream") && !cfg->stream)
            return "needs the stream binding";
    }
    if (!cfg->stream) return NULL;
    cJSON_ArrayForEach(s, c->steps) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(s, "ws_fragments");

        if (!strcmp(s->child->string, "send_text") || (f && f->valuedouble > 1) ||
            cJSON_GetObjectItemCaseSensitive(s, "subprotocol") ||
            cJSON_GetObjectItemCaseSensitive(s, "request"))
            return "websocket-only step";
    }
    return NULL;
}

/* Ends the case: the runner closes its side of every connection, then stops the driver. */
static void finish(crun *x) {
    uint64_t end;
    size_t i;

    for (i = 0; i < x->s.n; i++)
        if (x->s.used[i] && x->s.link[i].fd >= 0 && !x->s.link[i].remote_closed)
            cf_link_close(&x->s.link[i], 1000, 0);
    end = cf_now_ms() + CLOSE_WAIT_MS;
    for (;;) {
        int open = 0;

        for (i = 0; i < x->s.n; i++) {
            cf_event *e;

            if (!x->s.used[i]) continue;
            while ((e = cf_link_pop(&x->s.link[i])) != NULL)
                cf_event_free(e);
            if (cf_peer_pollfd(&x->s.link[i]) >= 0) open = 1;
        }
        if (!open || cf_now_ms() >= end) break;
        pump(x, 20);
    }
    if (x->drv_up) cf_driver_stop(&x->drv, CF_CLIENT_GRACE_MS);
    if (x->drv_up && x->drv.exited && !x->drv.killed && !x->s.failed &&
        (WIFSIGNALED(x->drv.status) || WEXITSTATUS(x->drv.status) != 0)) {
        char got[64];

        snprintf(got, sizeof(got), WIFSIGNALED(x->drv.status) ? "signal %d" : "exit status %d",
                 WIFSIGNALED(x->drv.status) ? WTERMSIG(x->drv.status) : WEXITSTATUS(x->drv.status));
        cf_steps_fail(&x->s, "exit status 0 when its stdin closes", got,
                      "the driver failed (its stderr is in the wire log)");
    }
    for (i = 0; i < x->s.n; i++)
        if (x->s.used[i]) cf_link_free(&x->s.link[i]);
    if (x->lfd >= 0) close(x->lfd);
}

void cf_client_run_case(const cf_client_config *cfg, const cf_case *c, cf_result *r) {
    crun *x = calloc(1, sizeof(*x));
    const cJSON *step;
    const char *why;
    char err[512], url[128];
    int port = 0;

    cf_result_init(r, c->id, c->title, c->should, c->requirements);
    why = skip_reason(cfg, c);
    if (!x || why) {
        r->verdict = x ? CF_SKIP : CF_FAIL;
        r->reason = strdup(x ? why : "out of memory");
        free(x);
        return;
    }
    x->cfg = cfg;
    cf_steps_start(&x->s, c, r, cfg->params, cfg->case_timeout_ms, cfg->case_timeout_ms, next_event,
                   "client");
    x->lfd = cf_listen_local(&port, err, sizeof(err));
    if (x->lfd < 0) {
        cf_steps_fail(&x->s, NULL, NULL, "%s", err);
    } else {
        snprintf(url, sizeof(url), "%s://127.0.0.1:%d", cfg->stream ? "plexus" : "ws", port);
        cJSON_DeleteItemFromObjectCaseSensitive(x->s.params, "url");
        cJSON_AddStringToObject(x->s.params, "url", url);
        if (cf_driver_start(&x->drv, cfg->driver, r->log, x->s.t0, err, sizeof(err)))
            cf_steps_fail(&x->s, NULL, NULL, "%s", err);
        else
            x->drv_up = 1;
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
