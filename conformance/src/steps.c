/*
 * steps.c - failing, timeouts, send steps and matching, for both modes (see steps.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plexus/codec.h>

#include "json.h"
#include "match.h"
#include "steps.h"

void cf_steps_start(cf_steps *x, const cf_case *c, cf_result *r, const cJSON *params,
                    int case_timeout_ms, int limit_ms, cf_steps_next next, const char *remote) {
    const cJSON *conn;

    x->c = c;
    x->r = r;
    x->case_timeout_ms = case_timeout_ms;
    x->next = next;
    x->remote = remote;
    x->t0 = cf_now_ms();
    x->deadline = x->t0 + (uint64_t)limit_ms;
    x->captures = cJSON_CreateObject();
    x->params = cJSON_Duplicate(params, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(x->params, "case");
    cJSON_AddStringToObject(x->params, "case", c->id);
    r->log = cJSON_CreateArray();
    r->verdict = CF_PASS;
    cJSON_ArrayForEach(conn, c->connections) {
        if (x->n < CF_MAX_CONNS) /* a name, or {"name", ...} in server cases */
            x->name[x->n++] =
                cJSON_IsString(conn)
                    ? conn->valuestring
                    : cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(conn, "name"));
    }
}

void cf_steps_end(cf_steps *x) {
    x->r->ms = cf_now_ms() - x->t0;
    cJSON_Delete(x->captures);
    cJSON_Delete(x->params);
    x->captures = x->params = NULL;
}

void cf_steps_fail(cf_steps *x, const char *expected, const char *received, const char *fmt, ...) {
    va_list ap;
    char buf[1024];

    if (x->failed) return;
    x->failed = 1;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    buf[cf_utf8_cut(buf, strlen(buf))] = 0; /* vsnprintf may have cut a character */
    x->r->verdict = x->c->should ? CF_NONSTRICT : CF_FAIL;
    x->r->reason = strdup(buf);
    x->r->step = x->step;
    x->r->expected = expected ? strdup(expected) : NULL;
    x->r->received = received ? strdup(received) : NULL;
}

void cf_steps_timeout_fail(cf_steps *x, const cJSON *expected, const char *where, int ms) {
    char *e = expected ? cf_json_print_max(expected, 4000) : NULL;

    if (cf_now_ms() >= x->deadline)
        cf_steps_fail(x, e, "nothing", "the case ran past --case-timeout (%d ms)",
                      x->case_timeout_ms);
    else
        cf_steps_fail(x, e, "nothing", "nothing arrived %s within %d ms", where, ms);
    free(e);
}

int cf_steps_remaining(const cf_steps *x, int want) {
    uint64_t now = cf_now_ms();
    uint64_t left = now >= x->deadline ? 0 : x->deadline - now;

    return (uint64_t)want < left ? want : (int)left;
}

int cf_steps_timeout(const cf_steps *x, const cJSON *step, int dflt) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(step, "timeout_ms");

    return cf_steps_remaining(x, t ? (int)t->valuedouble : dflt);
}

int cf_steps_conn(const cf_steps *x, const cJSON *step) {
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(step, "conn");
    int i = c ? cf_steps_index(x, c->valuestring) : 0;

    return i < 0 ? 0 : i;
}

int cf_steps_index(const cf_steps *x, const char *name) {
    size_t i;

    for (i = 0; i < x->n; i++)
        if (!strcmp(x->name[i], name)) return (int)i;
    return -1;
}

/* ------------------------------------------------------------------ sending */

/* The send options of a send step (FORMAT.md section 4.2). */
static void send_opts(const cJSON *step, cf_send_opts *o) {
    const cJSON *m;

    memset(o, 0, sizeof(*o));
    o->frame_end = -1;
    o->ws_fragments = 1;
    if ((m = cJSON_GetObjectItemCaseSensitive(step, "msg_id")) != NULL) {
        o->has_msg_id = 1;
        o->msg_id = (uint32_t)m->valuedouble;
    }
    if ((m = cJSON_GetObjectItemCaseSensitive(step, "max_frame")) != NULL)
        o->max_frame = (uint32_t)m->valuedouble;
    if ((m = cJSON_GetObjectItemCaseSensitive(step, "gzip")) != NULL)
        o->gzip = cJSON_IsTrue(m) ? 1 : cJSON_IsString(m) ? 2 : 0;
    if ((m = cJSON_GetObjectItemCaseSensitive(step, "frames")) != NULL) {
        o->frame_start = (long)m->child->valuedouble;
        o->frame_end = cJSON_IsNull(m->child->next) ? -1 : (long)m->child->next->valuedouble;
    }
    if ((m = cJSON_GetObjectItemCaseSensitive(step, "ws_fragments")) != NULL)
        o->ws_fragments = (int)m->valuedouble;
}

int cf_steps_send_msg(cf_steps *x, cf_link *l, const cJSON *msg, const cJSON *step) {
    const cJSON *atts = cJSON_GetObjectItemCaseSensitive(step, "attachments"), *a;
    plx_bytes att[PLX_MAX_ATTACHMENTS];
    cf_buf *bufs = calloc(PLX_MAX_ATTACHMENTS, sizeof(cf_buf));
    size_t natt = 0, i;
    cf_send_opts o;
    char err[512];
    cJSON *json = NULL;
    int rc = -1;

    if (!bufs) {
        cf_steps_fail(x, NULL, NULL, "out of memory");
        return -1;
    }
    send_opts(step, &o);
    json = cf_subst(msg, x->captures, x->params, err, sizeof(err));
    if (!json) {
        cf_steps_fail(x, NULL, NULL, "cannot build the message: %s", err);
        goto out;
    }
    cJSON_ArrayForEach(a, atts) {
        if (natt == PLX_MAX_ATTACHMENTS) {
            cf_steps_fail(x, NULL, NULL, "more than %u attachments in a send step",
                          PLX_MAX_ATTACHMENTS);
            goto out;
        }
        if (cf_bytes_build(a, &bufs[natt], err, sizeof(err))) {
            cf_steps_fail(x, NULL, NULL, "attachment %zu: %s", natt, err);
            goto out;
        }
        att[natt].data = bufs[natt].data;
        att[natt].len = bufs[natt].len;
        natt++;
    }
    rc = cf_link_send_msg(l, json, att, natt, &o, err, sizeof(err));
    if (rc) cf_steps_fail(x, NULL, NULL, "send on %s: %s", l->name, err);
out:
    for (i = 0; i < PLX_MAX_ATTACHMENTS; i++)
        cf_buf_free(&bufs[i]);
    free(bufs);
    cJSON_Delete(json);
    return rc;
}

/* send_frame (raw 0) and send_raw (raw 1): bytes built from the spec a. */
static int send_bytes(cf_steps *x, cf_link *l, const cJSON *a, const cJSON *step, int raw) {
    const cJSON *fr = cJSON_GetObjectItemCaseSensitive(step, "ws_fragments");
    cf_buf b = {0};
    char err[512];
    int rc;

    if (cf_bytes_build(a, &b, err, sizeof(err))) {
        cf_steps_fail(x, NULL, NULL, "%s", err);
        cf_buf_free(&b);
        return -1;
    }
    rc =
        raw ? cf_link_send_raw(l, b.data, b.len, err, sizeof(err))
            : cf_link_send_frame(l, b.data, b.len, fr ? (int)fr->valuedouble : 1, err, sizeof(err));
    cf_buf_free(&b);
    if (rc) cf_steps_fail(x, NULL, NULL, "send on %s: %s", l->name, err);
    return rc;
}

int cf_steps_send(cf_steps *x, cf_link *l, const cJSON *a, const cJSON *step) {
    const char *k = a->string;

    if (!strcmp(k, "send")) {
        const cJSON *rep = cJSON_GetObjectItemCaseSensitive(step, "repeat");
        int i, n = rep ? (int)rep->valuedouble : 1;

        for (i = 0; i < n; i++)
            if (cf_steps_send_msg(x, l, a, step)) return -1;
        return 0;
    }
    if (!strcmp(k, "send_frame")) return send_bytes(x, l, a, step, 0);
    if (!strcmp(k, "send_raw")) return send_bytes(x, l, a, step, 1);
    if (!strcmp(k, "send_text")) {
        char err[256];

        if (cf_link_send_text(l, a->valuestring, err, sizeof(err))) {
            cf_steps_fail(x, NULL, NULL, "send_text on %s: %s", l->name, err);
            return -1;
        }
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ matching */

int cf_steps_match_value(cf_steps *x, const cJSON *m, const cJSON *v, const plx_bytes *att,
                         size_t natt, const cJSON *atts, const char *what, const char *got) {
    cf_match_ctx ctx;
    int ok;

    if (cf_match_init(&ctx, x->captures, x->params, att, natt)) return 0;
    ok = cf_match(&ctx, m, v) && (!atts || cf_match_attachments(&ctx, atts));
    if (ok) {
        cf_match_commit(&ctx, x->captures);
    } else {
        char *e = cf_json_print_max(m, 4000), *g = got ? NULL : cf_json_print_max(v, 4000);

        cf_steps_fail(x, e, got ? got : g, "%s: %s", what,
                      ctx.why.data ? (char *)ctx.why.data : "mismatch");
        free(e);
        free(g);
    }
    cf_match_free(&ctx);
    return ok;
}

/* Matches the frames that carried e against the matcher fm (captures committed on success). */
static int match_frames(cf_steps *x, const cf_event *e, const cJSON *fm) {
    cJSON *fj = cf_event_frames_json(e);
    cf_match_ctx ctx;
    int ok = 0;

    if (fj && !cf_match_init(&ctx, x->captures, x->params, NULL, 0)) {
        ok = cf_match(&ctx, fm, fj);
        if (ok) {
            cf_match_commit(&ctx, x->captures);
        } else {
            char *exp = cf_json_print(fm), *got = cf_json_print(fj);

            cf_steps_fail(x, exp, got, "the message matches but its frames do not: %s",
                          ctx.why.data ? (char *)ctx.why.data : "mismatch");
            free(exp);
            free(got);
        }
        cf_match_free(&ctx);
    }
    cJSON_Delete(fj);
    return ok;
}

int cf_steps_match(cf_steps *x, const cf_event *e, const cJSON *m, const cJSON *atts,
                   const cJSON *frame, const char *what) {
    char *g = cf_event_describe(e);
    int ok;

    if (e->kind != CF_EV_MSG) {
        char *ex = cf_json_print_max(m, 4000);

        cf_steps_fail(x, ex, g, "%s: a message was expected", what);
        free(ex);
        free(g);
        return 0;
    }
    ok = cf_steps_match_value(x, m, e->msg.json, e->msg.att, e->msg.natt, atts, what, g);
    free(g);
    return ok && frame ? match_frames(x, e, frame) : ok;
}

/* ------------------------------------------------------------------ receiving steps */

static void timeout_fail(cf_steps *x, const cJSON *expected, int i, int ms) {
    char where[100];

    snprintf(where, sizeof(where), "on %s", x->name[i]);
    cf_steps_timeout_fail(x, expected, where, ms);
}

int cf_steps_expect(cf_steps *x, int i, const cJSON *m, const cJSON *step, int timeout) {
    cf_event *e = x->next(x, i, timeout);
    int ok;

    if (!e) {
        timeout_fail(x, m, i, timeout);
        return -1;
    }
    ok = cf_steps_match(x, e, m, cJSON_GetObjectItemCaseSensitive(step, "attachments"),
                        cJSON_GetObjectItemCaseSensitive(step, "frame"),
                        "the message does not match");
    cf_event_free(e);
    return ok ? 0 : -1;
}

int cf_steps_expect_close(cf_steps *x, int i, const cJSON *spec, int timeout, int stream) {
    const cJSON *errname = cJSON_GetObjectItemCaseSensitive(spec, "error");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(spec, "code");
    int want = code ? (int)code->valuedouble : 0;
    cf_event *e;
    char exp[200];

    if (!want && errname) want = plx_error_close_code(plx_error_by_name(errname->valuestring));
    snprintf(exp, sizeof(exp), want ? "close %d" : "a close", want);
    if (errname) {
        cJSON *m = cJSON_CreateObject();
        int ok;

        cJSON_AddStringToObject(m, "t", "error");
        cJSON_AddNumberToObject(m, "code", -plx_error_by_name(errname->valuestring));
        cJSON_AddStringToObject(m, "name", errname->valuestring);
        cJSON_AddItemToObject(cJSON_AddObjectToObject(m, "re"), "$absent", cJSON_CreateTrue());
        e = x->next(x, i, timeout);
        if (!e) {
            timeout_fail(x, m, i, timeout);
            cJSON_Delete(m);
            return -1;
        }
        ok = cf_steps_match(x, e, m, NULL, NULL,
                            "the error message before the close does not match");
        cJSON_Delete(m);
        cf_event_free(e);
        if (!ok) return -1;
        timeout = cf_steps_remaining(x, timeout);
    }
    e = x->next(x, i, timeout);
    if (!e) {
        cf_steps_fail(x, exp, "nothing", "the %s did not close %s within %d ms", x->remote,
                      x->name[i], timeout);
        return -1;
    }
    if (e->kind != CF_EV_CLOSE) {
        char *g = cf_event_describe(e);

        cf_steps_fail(x, exp, g, "%s",
                      errname ? "something came after the error message instead of the close"
                              : "a message came before the close");
        free(g);
    } else if (want && !stream && e->close_code != want) {
        char got[64];

        snprintf(got, sizeof(got), "close %d", e->close_code);
        cf_steps_fail(x, exp, got, "wrong close code");
    }
    cf_event_free(e);
    return x->failed ? -1 : 0;
}

int cf_steps_silent(cf_steps *x, const cJSON *step) {
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(step, "conn");
    int all = c && !strcmp(c->valuestring, "*"), ci = all ? -1 : cf_steps_conn(x, step);
    size_t i;

    for (i = 0; i < x->n; i++) {
        if (!x->used[i] || (!all && (int)i != ci)) continue;
        if (x->link[i].head) {
            char *g = cf_event_describe(x->link[i].head);

            cf_steps_fail(x, "silence", g, "something arrived on %s during the silence",
                          x->name[i]);
            free(g);
            return -1;
        }
    }
    return 0;
}
