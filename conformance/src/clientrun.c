/*
 * clientrun.c - runs one client case (FORMAT.md section 10): the runner plays the server. It
 * listens on 127.0.0.1, starts the driver (DRIVERS.md), and executes the steps: driver commands
 * and their answers, accepting the client's connections, the welcome, server messages sent and
 * client messages expected (with the frames that carried them), closes and silences.
 */
#include <poll.h>
#include <stdarg.h>
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

#define CLOSE_WAIT_MS 300 /* at the end of a case, wait this long for the client's closes */

typedef struct crun {
    const cf_client_config *cfg;
    const cf_case *c;
    cf_result *r;
    int lfd;
    cf_peer peer[CF_MAX_CONNS];
    int used[CF_MAX_CONNS];
    const char *name[CF_MAX_CONNS];
    size_t n;
    cf_driver drv;
    int drv_up;
    cJSON *captures, *params;
    uint64_t t0, deadline;
    int step, failed;
} crun;

/* ------------------------------------------------------------------ verdicts */

static void fail(crun *x, const char *expected, const char *received, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(crun *x, const char *expected, const char *received, const char *fmt, ...) {
    va_list ap;
    char buf[1024];

    if (x->failed) return;
    x->failed = 1;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    x->r->verdict = x->c->should ? CF_NONSTRICT : CF_FAIL;
    x->r->reason = strdup(buf);
    x->r->step = x->step;
    x->r->expected = expected ? strdup(expected) : NULL;
    x->r->received = received ? strdup(received) : NULL;
}

/* The driver cannot do what the case needs: the case is skipped (DRIVERS.md, UNSUPPORTED). */
static void skip(crun *x, const cJSON *answer) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(answer, "error"), "message");
    char buf[600];

    if (x->failed) return;
    x->failed = 1;
    snprintf(buf, sizeof(buf), "the driver does not support this: %s",
             cJSON_IsString(m) ? m->valuestring : "(no message)");
    x->r->verdict = CF_SKIP;
    x->r->reason = strdup(buf);
}

static int remaining(crun *x, int want) {
    uint64_t now = cf_now_ms();
    uint64_t left = now >= x->deadline ? 0 : x->deadline - now;

    return (uint64_t)want < left ? want : (int)left;
}

static int step_timeout(crun *x, const cJSON *step, int dflt) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(step, "timeout_ms");

    return remaining(x, t ? (int)t->valuedouble : dflt);
}

static void timeout_fail(crun *x, const cJSON *expected, const char *what, int ms) {
    char *e = expected ? cf_json_print_max(expected, 4000) : NULL;

    if (cf_now_ms() >= x->deadline)
        fail(x, e, "nothing", "the case ran past --case-timeout (%d ms)", x->cfg->case_timeout_ms);
    else
        fail(x, e, "nothing", "nothing arrived from %s within %d ms", what, ms);
    free(e);
}

/* ------------------------------------------------------------------ waiting */

/* Reads every connection and the driver for up to ms (returns early when something came). */
static void pump(crun *x, int ms) {
    struct pollfd p[CF_MAX_CONNS + 2];
    int owner[CF_MAX_CONNS + 2], np = 0, fds[2], i;

    for (i = 0; i < (int)x->n; i++) {
        if (!x->used[i]) continue;
        cf_peer_pump(&x->peer[i], 0); /* parses what is buffered, reads what is ready */
        if (x->peer[i].head) ms = 0;  /* something to look at already: do not block */
        if (cf_peer_pollfd(&x->peer[i]) >= 0) {
            p[np] = (struct pollfd){cf_peer_pollfd(&x->peer[i]), POLLIN, 0};
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
            cf_peer_pump(&x->peer[owner[i]], 0);
        else
            cf_driver_pump(&x->drv, 0);
    }
}

static void pump_for(crun *x, int ms) {
    uint64_t end = cf_now_ms() + (uint64_t)ms;

    for (uint64_t now = cf_now_ms(); now < end; now = cf_now_ms())
        pump(x, (int)(end - now));
}

static cf_pevent *peer_next(crun *x, int i, int timeout) {
    uint64_t end = cf_now_ms() + (uint64_t)timeout;

    for (;;) {
        cf_pevent *e = cf_peer_pop(&x->peer[i]);
        uint64_t now = cf_now_ms();

        if (e) return e;
        if (now >= end) return NULL;
        if (cf_peer_pollfd(&x->peer[i]) < 0 && !x->peer[i].in.len) {
            pump(x, 0);
            if (!x->peer[i].head) return NULL;
            continue;
        }
        pump(x, (int)(end - now));
    }
}

/* ------------------------------------------------------------------ matching */

static int match_value(crun *x, const cJSON *m, const cJSON *v, const plx_bytes *att, size_t natt,
                       const cJSON *atts, const char *what, const char *got) {
    cf_match_ctx ctx;
    int ok;

    if (cf_match_init(&ctx, x->captures, x->params, att, natt)) return 0;
    ok = cf_match(&ctx, m, v) && (!atts || cf_match_attachments(&ctx, atts));
    if (ok) {
        cf_match_commit(&ctx, x->captures);
    } else {
        char *e = cf_json_print_max(m, 4000), *g = got ? NULL : cf_json_print_max(v, 4000);

        fail(x, e, got ? got : g, "%s: %s", what, ctx.why.data ? (char *)ctx.why.data : "mismatch");
        free(e);
        free(g);
    }
    cf_match_free(&ctx);
    return ok;
}

/* Matches a client message event against m (and attachments, and the wire matcher). */
static int match_msg(crun *x, const cf_pevent *e, const cJSON *m, const cJSON *atts,
                     const cJSON *wire, const char *what) {
    char *g = cf_pevent_describe(e);
    int ok;

    if (e->e.kind != CF_EV_MSG) {
        char *ex = cf_json_print_max(m, 4000);

        fail(x, ex, g, "%s: a message was expected", what);
        free(ex);
        free(g);
        return 0;
    }
    ok = match_value(x, m, e->e.msg.json, e->e.msg.att, e->e.msg.natt, atts, what, g);
    if (ok && wire) ok = match_value(x, wire, e->wire, NULL, 0, NULL, "the frames do not match", g);
    free(g);
    return ok;
}

/* ------------------------------------------------------------------ connections */

static int conn_index(crun *x, const cJSON *step) {
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(step, "conn");
    size_t i;

    if (!c) return 0;
    for (i = 0; i < x->n; i++)
        if (!strcmp(x->name[i], c->valuestring)) return (int)i;
    return 0;
}

static int index_of(crun *x, const char *name) {
    size_t i;

    for (i = 0; i < x->n; i++)
        if (!strcmp(x->name[i], name)) return (int)i;
    return 0;
}

static cf_peer *peer_of(crun *x, int i) {
    if (!x->used[i] || x->peer[i].fd < 0) {
        fail(x, NULL, NULL, "connection %s has not been accepted", x->name[i]);
        return NULL;
    }
    return &x->peer[i];
}

/* The capture object of connection i ({"request", "hello", "welcome"}), created on demand. */
static cJSON *conn_captures(crun *x, int i) {
    cJSON *c = cJSON_GetObjectItemCaseSensitive(x->captures, x->name[i]);

    if (!c) c = cJSON_AddObjectToObject(x->captures, x->name[i]);
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
    int i = index_of(x, a->valuestring), timeout = step_timeout(x, step, CF_CLIENT_ACCEPT_MS), fd;
    const cJSON *sel = cJSON_GetObjectItemCaseSensitive(step, "subprotocol");
    const cJSON *rm = cJSON_GetObjectItemCaseSensitive(step, "request");
    uint64_t end = cf_now_ms() + (uint64_t)timeout;
    cf_ws_request req;
    cf_buf left = {0};
    char err[512];
    cJSON *rj;
    int offered = 0, k, rc = -1;

    if (x->used[i]) {
        fail(x, NULL, NULL, "connection %s was already accepted", x->name[i]);
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
            fail(x, "a connection from the client", "nothing",
                 "the client did not connect within %d ms", timeout);
        else
            fail(x, NULL, NULL, "%s", err);
        return -1;
    }
    memset(&req, 0, sizeof(req));
    if (!x->cfg->stream) {
        const char *pick = "plexus.v1";

        if (sel) pick = cJSON_IsString(sel) ? sel->valuestring : NULL;
        if (cf_wss_handshake(fd, end + 1000, pick, &req, &left, err, sizeof(err))) {
            close(fd);
            fail(x, "a WebSocket handshake", err, "the client's handshake failed");
            cf_buf_free(&left);
            return -1;
        }
    }
    if (cf_peer_init(&x->peer[i], x->name[i], fd, x->cfg->stream, &left, x->r->log, x->t0)) {
        close(fd);
        fail(x, NULL, NULL, "out of memory");
        goto out;
    }
    x->used[i] = 1;
    x->peer[i].auto_pong = x->c->auto_pong;
    rj = request_json(&req, x->cfg->stream);
    for (k = 0; k < req.nproto; k++)
        if (!strcmp(req.protocols[k], PLX_SUBPROTOCOL)) offered = 1;
    if (!x->cfg->stream && !offered) {
        char *g = cf_json_print(rj);

        fail(x, "Sec-WebSocket-Protocol offering plexus.v1", g,
             "the client did not offer the subprotocol plexus.v1 (TRN-1)");
        free(g);
        cJSON_Delete(rj);
        goto out;
    }
    if (rm &&
        !match_value(x, rm, rj, NULL, 0, NULL, "the handshake request does not match", NULL)) {
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
    given = cf_subst(fields, x->captures, x->params, err, sizeof(err));
    if (!given) {
        fail(x, NULL, NULL, "cannot build the welcome: %s", err);
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
    int timeout = step_timeout(x, step, x->c->timeout_ms), rc = -1;
    cf_send_opts o = {0};
    cf_pevent *e = NULL;
    char err[512];

    if (!p || !m) goto out;
    if (!cJSON_GetObjectItemCaseSensitive(m, "t")) cJSON_AddStringToObject(m, "t", "hello");
    e = peer_next(x, i, timeout);
    if (!e) {
        timeout_fail(x, m, x->name[i], timeout);
        goto out;
    }
    if (!match_msg(x, e, m, NULL, cJSON_GetObjectItemCaseSensitive(step, "frame"),
                   "the client's first message is not a matching hello"))
        goto out;
    capture(x, i, "hello", cJSON_Duplicate(e->e.msg.json, 1));
    w = build_welcome(x, e->e.msg.json, fields);
    if (!w) goto out;
    o.frame_end = -1;
    o.ws_fragments = 1;
    if (cf_peer_send_msg(p, w, NULL, 0, &o, err, sizeof(err))) {
        fail(x, NULL, NULL, "send on %s: %s", x->name[i], err);
        goto out;
    }
    if (cf_peer_welcome(p, w)) {
        fail(x, NULL, NULL, "out of memory");
        goto out;
    }
    capture(x, i, "welcome", cJSON_Duplicate(w, 1));
    rc = 0;
out:
    cf_pevent_free(e);
    cJSON_Delete(m);
    cJSON_Delete(w);
    return rc;
}

/* ------------------------------------------------------------------ server messages */

static int send_step(crun *x, cf_peer *p, const cJSON *msg, const cJSON *step) {
    const cJSON *atts = cJSON_GetObjectItemCaseSensitive(step, "attachments"), *m, *a;
    cf_send_opts o;
    plx_bytes att[PLX_MAX_ATTACHMENTS];
    cf_buf *bufs = calloc(PLX_MAX_ATTACHMENTS, sizeof(cf_buf));
    size_t natt = 0, i;
    char err[512];
    cJSON *json = NULL;
    int rc = -1;

    memset(&o, 0, sizeof(o));
    o.frame_end = -1;
    o.ws_fragments = 1;
    if (!bufs) return -1;
    if ((m = cJSON_GetObjectItemCaseSensitive(step, "msg_id")) != NULL) {
        o.has_msg_id = 1;
        o.msg_id = (uint32_t)m->valuedouble;
    }
    if ((m = cJSON_GetObjectItemCaseSensitive(step, "max_frame")) != NULL)
        o.max_frame = (uint32_t)m->valuedouble;
    if ((m = cJSON_GetObjectItemCaseSensitive(step, "gzip")) != NULL)
        o.gzip = cJSON_IsTrue(m) ? 1 : cJSON_IsString(m) ? 2 : 0;
    if ((m = cJSON_GetObjectItemCaseSensitive(step, "frames")) != NULL) {
        o.frame_start = (long)m->child->valuedouble;
        o.frame_end = cJSON_IsNull(m->child->next) ? -1 : (long)m->child->next->valuedouble;
    }
    if ((m = cJSON_GetObjectItemCaseSensitive(step, "ws_fragments")) != NULL)
        o.ws_fragments = (int)m->valuedouble;
    json = cf_subst(msg, x->captures, x->params, err, sizeof(err));
    if (!json) {
        fail(x, NULL, NULL, "cannot build the message: %s", err);
        goto out;
    }
    cJSON_ArrayForEach(a, atts) {
        if (natt == PLX_MAX_ATTACHMENTS || cf_bytes_build(a, &bufs[natt], err, sizeof(err))) {
            fail(x, NULL, NULL, "attachment %zu: %s", natt,
                 natt == PLX_MAX_ATTACHMENTS ? "too many" : err);
            goto out;
        }
        att[natt].data = bufs[natt].data;
        att[natt].len = bufs[natt].len;
        natt++;
    }
    rc = cf_peer_send_msg(p, json, att, natt, &o, err, sizeof(err));
    if (rc) fail(x, NULL, NULL, "send on %s: %s", p->name, err);
out:
    for (i = 0; i < PLX_MAX_ATTACHMENTS; i++)
        cf_buf_free(&bufs[i]);
    free(bufs);
    cJSON_Delete(json);
    return rc;
}

static int send_bytes_step(crun *x, cf_peer *p, const cJSON *a, const cJSON *step, int raw) {
    const cJSON *fr = cJSON_GetObjectItemCaseSensitive(step, "ws_fragments");
    cf_buf b = {0};
    char err[512];
    int rc;

    if (cf_bytes_build(a, &b, err, sizeof(err))) {
        fail(x, NULL, NULL, "%s", err);
        cf_buf_free(&b);
        return -1;
    }
    rc =
        raw ? cf_peer_send_raw(p, b.data, b.len, err, sizeof(err))
            : cf_peer_send_frame(p, b.data, b.len, fr ? (int)fr->valuedouble : 1, err, sizeof(err));
    cf_buf_free(&b);
    if (rc) fail(x, NULL, NULL, "send on %s: %s", p->name, err);
    return rc;
}

/* ------------------------------------------------------------------ client messages */

static int expect_step(crun *x, int i, const cJSON *m, const cJSON *step) {
    int timeout = step_timeout(x, step, x->c->timeout_ms), ok;
    cf_pevent *e;

    if (!peer_of(x, i)) return -1;
    e = peer_next(x, i, timeout);
    if (!e) {
        timeout_fail(x, m, x->name[i], timeout);
        return -1;
    }
    ok = match_msg(x, e, m, cJSON_GetObjectItemCaseSensitive(step, "attachments"),
                   cJSON_GetObjectItemCaseSensitive(step, "frame"), "the message does not match");
    cf_pevent_free(e);
    return ok ? 0 : -1;
}

static int close_step(crun *x, int i, const cJSON *spec, const cJSON *step) {
    const cJSON *errname = cJSON_GetObjectItemCaseSensitive(spec, "error");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(spec, "code");
    int timeout = step_timeout(x, step, x->c->timeout_ms);
    int want = code ? (int)code->valuedouble : 0;
    cf_pevent *e;
    char exp[200], *g;

    if (!peer_of(x, i)) return -1;
    if (!want && errname) want = plx_error_close_code(plx_error_by_name(errname->valuestring));
    snprintf(exp, sizeof(exp), want ? "close %d" : "a close", want);
    if (errname) {
        cJSON *m = cJSON_CreateObject();
        int ok;

        cJSON_AddStringToObject(m, "t", "error");
        cJSON_AddNumberToObject(m, "code", -plx_error_by_name(errname->valuestring));
        cJSON_AddStringToObject(m, "name", errname->valuestring);
        cJSON_AddItemToObject(cJSON_AddObjectToObject(m, "re"), "$absent", cJSON_CreateTrue());
        e = peer_next(x, i, timeout);
        if (!e) {
            timeout_fail(x, m, x->name[i], timeout);
            cJSON_Delete(m);
            return -1;
        }
        ok = match_msg(x, e, m, NULL, NULL, "the error message before the close does not match");
        cJSON_Delete(m);
        cf_pevent_free(e);
        if (!ok) return -1;
        timeout = remaining(x, timeout);
    }
    e = peer_next(x, i, timeout);
    if (!e) {
        fail(x, exp, "nothing", "the client did not close %s within %d ms", x->name[i], timeout);
        return -1;
    }
    g = cf_pevent_describe(e);
    if (e->e.kind != CF_EV_CLOSE) {
        fail(x, exp, g, "%s",
             errname ? "something came after the error message instead of the close"
                     : "a message came before the close");
    } else if (want && !x->cfg->stream && e->e.close_code != want) {
        fail(x, exp, g, "wrong close code");
    }
    free(g);
    cf_pevent_free(e);
    return x->failed ? -1 : 0;
}

static int silence_step(crun *x, const cJSON *step, int ms) {
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(step, "conn");
    int all = c && !strcmp(c->valuestring, "*"), ci = all ? -1 : conn_index(x, step);
    size_t i;

    pump_for(x, ms);
    for (i = 0; i < x->n; i++) {
        if (!x->used[i] || (!all && (int)i != ci)) continue;
        if (x->peer[i].head) {
            char *g = cf_pevent_describe(x->peer[i].head);

            fail(x, "silence", g, "something arrived on %s during the silence", x->name[i]);
            free(g);
            return -1;
        }
    }
    return 0;
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
        snprintf(id, sizeof(id), "step%d", x->step);
    c = cf_subst(cmd, x->captures, x->params, err, sizeof(err));
    if (!c) {
        fail(x, NULL, NULL, "cannot build the driver command: %s", err);
        return -1;
    }
    cJSON_AddStringToObject(c, "id", id);
    if (!strcmp(cJSON_GetObjectItemCaseSensitive(c, "cmd")->valuestring, "connect") &&
        !cJSON_GetObjectItemCaseSensitive(c, "url"))
        cJSON_AddStringToObject(c, "url",
                                cJSON_GetObjectItemCaseSensitive(x->params, "url")->valuestring);
    rc = cf_driver_send(&x->drv, c, err, sizeof(err));
    cJSON_Delete(c);
    if (rc) fail(x, NULL, NULL, "driver: %s", err);
    return rc;
}

static int is_unsupported(const cJSON *answer) {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(answer, "error");

    return cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "name")) &&
           !strcmp(cJSON_GetObjectItemCaseSensitive(e, "name")->valuestring, "UNSUPPORTED");
}

static int driver_expect_step(crun *x, const cJSON *m, const cJSON *step) {
    const cJSON *of = cJSON_GetObjectItemCaseSensitive(step, "of");
    int timeout = step_timeout(x, step, x->c->timeout_ms), ok;
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
        fail(x, "JSON object lines", x->drv.bad,
             "the driver wrote a line that is not a JSON object");
        cJSON_Delete(got);
        return -1;
    }
    if (!got) {
        if (x->drv.out_fd < 0) {
            char *e = cf_json_print_max(m, 4000);

            fail(x, e, "the driver exited", "%s did not come: the driver closed its stdout", what);
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
    ok = match_value(
        x, m, got, NULL, 0, NULL,
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

        fail(x, "no driver event", g, "the driver reported an event during the silence");
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
    int ci = conn_index(x, step);
    cf_peer *p;

    if (!strcmp(k, "driver")) return driver_step(x, a, step);
    if (!strcmp(k, "driver_expect")) return driver_expect_step(x, a, step);
    if (!strcmp(k, "driver_silence"))
        return driver_silence_step(x, remaining(x, (int)a->valuedouble));
    if (!strcmp(k, "wait")) {
        pump_for(x, remaining(x, (int)a->valuedouble));
        return 0;
    }
    if (!strcmp(k, "expect_silence"))
        return silence_step(x, step, remaining(x, (int)a->valuedouble));
    if (!strcmp(k, "accept")) return accept_step(x, step, a);
    if (!strcmp(k, "welcome")) return welcome_step(x, ci, step, a);
    if (!strcmp(k, "expect")) return expect_step(x, ci, a, step);
    if (!strcmp(k, "expect_close")) return close_step(x, ci, a, step);
    if (!strcmp(k, "close")) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(step, "code");

        p = peer_of(x, index_of(x, a->valuestring));
        if (!p) return -1;
        cf_peer_close(p, code ? (int)code->valuedouble : 1000,
                      cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(step, "abrupt")));
        return 0;
    }
    p = peer_of(x, ci);
    if (!p) return -1;
    if (!strcmp(k, "send")) return send_step(x, p, a, step);
    if (!strcmp(k, "send_frame")) return send_bytes_step(x, p, a, step, 0);
    if (!strcmp(k, "send_raw")) return send_bytes_step(x, p, a, step, 1);
    if (!strcmp(k, "send_text")) {
        char err[256];

        if (cf_peer_send_text(p, a->valuestring, err, sizeof(err))) {
            fail(x, NULL, NULL, "send_text on %s: %s", p->name, err);
            return -1;
        }
        return 0;
    }
    fail(x, NULL, NULL, "unknown step %s", k);
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

    for (i = 0; i < x->n; i++)
        if (x->used[i] && x->peer[i].fd >= 0 && !x->peer[i].remote_closed)
            cf_peer_close(&x->peer[i], 1000, 0);
    end = cf_now_ms() + CLOSE_WAIT_MS;
    for (;;) {
        int open = 0;

        for (i = 0; i < x->n; i++) {
            cf_pevent *e;

            if (!x->used[i]) continue;
            while ((e = cf_peer_pop(&x->peer[i])) != NULL)
                cf_pevent_free(e);
            if (cf_peer_pollfd(&x->peer[i]) >= 0) open = 1;
        }
        if (!open || cf_now_ms() >= end) break;
        pump(x, 20);
    }
    if (x->drv_up) cf_driver_stop(&x->drv, CF_CLIENT_GRACE_MS);
    if (x->drv_up && x->drv.exited && !x->drv.killed && !x->failed &&
        (WIFSIGNALED(x->drv.status) || WEXITSTATUS(x->drv.status) != 0)) {
        char got[64];

        snprintf(got, sizeof(got), WIFSIGNALED(x->drv.status) ? "signal %d" : "exit status %d",
                 WIFSIGNALED(x->drv.status) ? WTERMSIG(x->drv.status) : WEXITSTATUS(x->drv.status));
        fail(x, "exit status 0 when its stdin closes", got,
             "the driver failed (its stderr is in the wire log)");
    }
    for (i = 0; i < x->n; i++)
        if (x->used[i]) cf_peer_free(&x->peer[i]);
    if (x->lfd >= 0) close(x->lfd);
}

void cf_client_run_case(const cf_client_config *cfg, const cf_case *c, cf_result *r) {
    crun *x = calloc(1, sizeof(*x));
    const cJSON *conn, *step;
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
    x->c = c;
    x->r = r;
    x->t0 = cf_now_ms();
    x->deadline = x->t0 + (uint64_t)cfg->case_timeout_ms;
    x->captures = cJSON_CreateObject();
    x->params = cJSON_Duplicate(cfg->params, 1);
    r->log = cJSON_CreateArray();
    r->verdict = CF_PASS;
    cJSON_ArrayForEach(conn, c->connections) x->name[x->n++] = conn->valuestring;
    x->lfd = cf_listen_local(&port, err, sizeof(err));
    if (x->lfd < 0) {
        fail(x, NULL, NULL, "%s", err);
    } else {
        snprintf(url, sizeof(url), "%s://127.0.0.1:%d", cfg->stream ? "plexus" : "ws", port);
        cJSON_DeleteItemFromObjectCaseSensitive(x->params, "case");
        cJSON_DeleteItemFromObjectCaseSensitive(x->params, "url");
        cJSON_AddStringToObject(x->params, "case", c->id);
        cJSON_AddStringToObject(x->params, "url", url);
        if (cf_driver_start(&x->drv, cfg->driver, r->log, x->t0, err, sizeof(err)))
            fail(x, NULL, NULL, "%s", err);
        else
            x->drv_up = 1;
    }
    cJSON_ArrayForEach(step, c->steps) {
        if (x->failed) break;
        x->step++;
        run_step(x, step);
    }
    finish(x);
    r->ms = cf_now_ms() - x->t0;
    cJSON_Delete(x->captures);
    cJSON_Delete(x->params);
    free(x);
}
