/*
 * conn.c - a runner connection: binding, sending, decoding into events, wire log (see conn.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "json.h"

#define WRITE_TIMEOUT_MS 10000 /* one send step may take this long to be written */
#define LOG_MAX_ENTRIES  5000  /* wire log entries kept per case */
#define LOG_JSON_MAX     1000  /* characters of one message's JSON kept in the log */
#define LOG_ATT_PREVIEW  16    /* bytes of each attachment shown in the log */

void cf_event_free(cf_event *e) {
    if (!e) return;
    plx_msg_clear(&e->msg);
    free(e->text);
    free(e);
}

/* ------------------------------------------------------------------ wire log */

static cJSON *wlog(cf_conn *c, const char *dir, const char *kind) {
    cJSON *e;
    int n;

    if (!c->log) return NULL;
    n = cJSON_GetArraySize(c->log);
    if (n > LOG_MAX_ENTRIES) return NULL;
    e = cJSON_CreateObject();
    if (!e) return NULL;
    if (n == LOG_MAX_ENTRIES) {
        cJSON_AddStringToObject(e, "kind", "truncated");
        cJSON_AddItemToArray(c->log, e);
        return NULL;
    }
    cJSON_AddNumberToObject(e, "ms", (double)(cf_now_ms() - c->t0));
    cJSON_AddStringToObject(e, "conn", c->name);
    cJSON_AddStringToObject(e, "dir", dir);
    cJSON_AddStringToObject(e, "kind", kind);
    cJSON_AddItemToArray(c->log, e);
    return e;
}

static void wlog_bytes(cJSON *e, const char *key, const uint8_t *b, size_t n, size_t preview) {
    char *h;
    cf_buf s = {0};

    if (!e) return;
    h = cf_hex_str(b, n < preview ? n : preview);
    cf_buf_printf(&s, "%zu bytes%s%s%s", n, n ? ": " : "", h ? h : "", n > preview ? "..." : "");
    free(h);
    if (s.data) cJSON_AddStringToObject(e, key, (char *)s.data);
    cf_buf_free(&s);
}

static void wlog_msg(cJSON *e, const cJSON *json, const plx_bytes *att, size_t natt,
                     uint32_t msg_id) {
    char *t;
    cJSON *a;
    size_t i;

    if (!e) return;
    t = cf_json_print_max(json, LOG_JSON_MAX);
    if (t) cJSON_AddStringToObject(e, "json", t);
    free(t);
    cJSON_AddNumberToObject(e, "msg_id", msg_id);
    if (!natt) return;
    a = cJSON_AddArrayToObject(e, "attachments");
    for (i = 0; a && i < natt; i++) {
        cJSON *one = cJSON_CreateObject();

        wlog_bytes(one, "b", att[i].data, att[i].len, LOG_ATT_PREVIEW);
        cJSON_AddItemToArray(a, cJSON_DetachItemFromObject(one, "b"));
        cJSON_Delete(one);
    }
}

/* ------------------------------------------------------------------ events */

static void push(cf_conn *c, cf_event *e) {
    e->at_ms = cf_now_ms();
    if (c->nevents >= CF_CONN_EVENTS_MAX) {
        cf_event_free(e);
        return;
    }
    if (c->tail)
        c->tail->next = e;
    else
        c->head = e;
    c->tail = e;
    c->nevents++;
}

static void push_simple(cf_conn *c, cf_event_kind kind, int close_code, int code,
                        const char *text) {
    cf_event *e = calloc(1, sizeof(*e));

    if (!e) return;
    e->kind = kind;
    e->close_code = close_code;
    e->code = code;
    e->text = text ? strdup(text) : NULL;
    push(c, e);
}

static void invalid(cf_conn *c, int code, const char *fmt, const char *arg) {
    char buf[600];
    cJSON *e;

    snprintf(buf, sizeof(buf), fmt, arg ? arg : "");
    push_simple(c, CF_EV_INVALID, 0, code, buf);
    c->broken = 1;
    e = wlog(c, "recv", "invalid");
    if (e) cJSON_AddStringToObject(e, "what", buf);
}

cf_event *cf_conn_pop(cf_conn *c) {
    cf_event *e = c->head;

    if (!e) return NULL;
    c->head = e->next;
    if (!c->head) c->tail = NULL;
    e->next = NULL;
    c->nevents--;
    return e;
}

char *cf_event_describe(const cf_event *e) {
    cf_buf b = {0};

    switch (e->kind) {
    case CF_EV_MSG: {
        char *t = cf_json_print_max(e->msg.json, 2000);

        cf_buf_str(&b, t ? t : "?");
        if (e->msg.natt) cf_buf_printf(&b, " (+%zu attachments)", e->msg.natt);
        free(t);
        break;
    }
    case CF_EV_CLOSE:
        if (e->close_code)
            cf_buf_printf(&b, "close %d", e->close_code);
        else
            cf_buf_str(&b, "end of stream");
        break;
    case CF_EV_INVALID:
        cf_buf_printf(&b, "invalid input from the server: %s", e->text ? e->text : "");
        break;
    case CF_EV_TEXT: {
        const char *t = e->text ? e->text : "";
        size_t n = strlen(t);

        n = cf_utf8_cut(t, n > 200 ? 200 : n);
        cf_buf_printf(&b, "WebSocket text message: %.*s%s", (int)n, t, t[n] ? "..." : "");
        break;
    }
    }
    return cf_buf_take_str(&b);
}

/* ------------------------------------------------------------------ sending */

static int send_bytes(cf_conn *c, const uint8_t *b, size_t n, int may_read, char *err,
                      size_t errlen) {
    int rc;

    if (c->fd < 0) {
        snprintf(err, errlen, "connection %s is not open", c->name);
        return -1;
    }
    rc = cf_write_all(c->fd, b, n, cf_now_ms() + WRITE_TIMEOUT_MS,
                      may_read && !c->parsing && !c->paused ? &c->in : NULL, CF_CONN_IN_MAX, err,
                      errlen);
    if (rc == 1) {
        cJSON *e = wlog(c, "send", "note");

        if (e) cJSON_AddStringToObject(e, "what", "the server closed the connection during a send");
        return 0;
    }
    return rc;
}

static int ws_send(cf_conn *c, int opcode, const uint8_t *b, size_t n, int fragments, int may_read,
                   char *err, size_t errlen) {
    cf_buf out = {0};
    int rc;

    if (cf_ws_build(&out, opcode, b, n, fragments, &c->rng)) {
        snprintf(err, errlen, "out of memory");
        cf_buf_free(&out);
        return -1;
    }
    rc = send_bytes(c, out.data, out.len, may_read, err, errlen);
    cf_buf_free(&out);
    return rc;
}

static int frame_out(cf_conn *c, const uint8_t *b, size_t n, int fragments, int may_read, char *err,
                     size_t errlen) {
    uint8_t pre[PLX_STREAM_PREFIX_LEN];
    cf_buf out = {0};
    int rc;

    if (!c->url.stream) return ws_send(c, CF_WS_BINARY, b, n, fragments, may_read, err, errlen);
    plx_stream_prefix((uint32_t)n, pre);
    if (cf_buf_add(&out, pre, sizeof(pre)) || cf_buf_add(&out, b, n)) {
        cf_buf_free(&out);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rc = send_bytes(c, out.data, out.len, may_read, err, errlen);
    cf_buf_free(&out);
    return rc;
}

int cf_conn_send_frame(cf_conn *c, const uint8_t *b, size_t n, int ws_fragments, char *err,
                       size_t errlen) {
    wlog_bytes(wlog(c, "send", "frame"), "bytes", b, n, 64);
    return frame_out(c, b, n, ws_fragments, 1, err, errlen);
}

int cf_conn_send_raw(cf_conn *c, const uint8_t *b, size_t n, char *err, size_t errlen) {
    wlog_bytes(wlog(c, "send", "raw"), "bytes", b, n, 64);
    if (!c->url.stream) return ws_send(c, CF_WS_BINARY, b, n, 1, 1, err, errlen);
    return send_bytes(c, b, n, 1, err, errlen);
}

int cf_conn_send_text(cf_conn *c, const char *text, char *err, size_t errlen) {
    cJSON *e;

    if (c->url.stream) {
        snprintf(err, errlen, "text messages exist only on the WebSocket binding");
        return -1;
    }
    e = wlog(c, "send", "text");
    if (e) cJSON_AddStringToObject(e, "text", text);
    return ws_send(c, CF_WS_TEXT, (const uint8_t *)text, strlen(text), 1, 1, err, errlen);
}

int cf_conn_send_msg(cf_conn *c, const cJSON *json, const plx_bytes *att, size_t natt,
                     const cf_send_opts *o, char *err, size_t errlen) {
    cJSON *copy = cJSON_Duplicate(json, 1);
    uint8_t *body = NULL, *gz = NULL;
    size_t blen = 0, gzlen = 0, plen, nframes, mf, i, end;
    const uint8_t *payload;
    uint32_t msg_id;
    int gzip = 0, rc = -1;
    cJSON *e;

    if (!copy) goto nomem;
    cf_json_raw_numbers(copy);
    rc = plx_body_encode(NULL, copy, att, natt, &body, &blen);
    cJSON_Delete(copy);
    if (rc) {
        snprintf(err, errlen, "cannot encode the message: %s", plx_strerror(rc));
        return -1;
    }
    rc = -1;
    payload = body;
    plen = blen;
    if (o->gzip == 1 || (o->gzip == 2 && c->gzip && blen >= c->gzip_threshold)) {
        if (plx_gzip_compress(NULL, body, blen, 6, &gz, &gzlen)) goto nomem;
        if (o->gzip == 1 || gzlen < blen) {
            payload = gz;
            plen = gzlen;
            gzip = 1;
        }
    }
    msg_id = o->has_msg_id ? o->msg_id : c->next_msg_id++;
    mf = o->max_frame ? o->max_frame : c->max_frame;
    nframes = plen == 0 ? 1 : (plen + mf - 1) / mf;
    end = o->frame_end < 0 || (size_t)o->frame_end > nframes ? nframes : (size_t)o->frame_end;
    e = wlog(c, "send", "msg");
    wlog_msg(e, json, att, natt, msg_id);
    if (e) {
        cJSON_AddNumberToObject(e, "frames", (double)nframes);
        if (gzip) cJSON_AddBoolToObject(e, "gzip", 1);
        if (o->frame_start > 0 || end < nframes) {
            char r[64];

            snprintf(r, sizeof(r), "sent frames %ld..%zu of %zu", o->frame_start, end, nframes);
            cJSON_AddStringToObject(e, "partial", r);
        }
    }
    for (i = o->frame_start > 0 ? (size_t)o->frame_start : 0; i < end; i++) {
        size_t off = i * mf, n = plen - off < mf ? plen - off : mf;
        plx_frame_header h = {PLX_PROTOCOL_VERSION, 0, 0, msg_id, (uint32_t)off, (uint32_t)n};
        cf_buf f = {0};
        uint8_t hb[PLX_FRAME_HEADER_LEN];

        if (plen == 0) n = 0;
        h.flags = (uint8_t)((gzip ? PLX_FLAG_GZIP : 0) | (i + 1 < nframes ? PLX_FLAG_MORE : 0));
        plx_frame_header_encode(&h, hb);
        if (cf_buf_add(&f, hb, sizeof(hb)) || cf_buf_add(&f, payload + off, n)) {
            cf_buf_free(&f);
            goto nomem;
        }
        rc = frame_out(c, f.data, f.len, o->ws_fragments, 1, err, errlen);
        cf_buf_free(&f);
        if (rc) goto out;
    }
    rc = 0;
    goto out;
nomem:
    snprintf(err, errlen, "out of memory");
out:
    free(body);
    free(gz);
    return rc;
}

int cf_conn_close(cf_conn *c, int code) {
    char err[128];
    cJSON *e;

    if (c->fd < 0 || c->local_closed) return 0;
    c->local_closed = 1;
    e = wlog(c, "send", "close");
    if (e && !c->url.stream) cJSON_AddNumberToObject(e, "code", code);
    if (c->url.stream) return shutdown(c->fd, SHUT_WR);
    {
        uint8_t p[2] = {(uint8_t)(code >> 8), (uint8_t)code};

        return ws_send(c, CF_WS_CLOSE, p, 2, 1, 0, err, sizeof(err));
    }
}

/* ------------------------------------------------------------------ receiving */

static int apply_welcome(cf_conn *c, const cJSON *w) {
    const cJSON *mf = cJSON_GetObjectItemCaseSensitive(w, "max_frame");
    const cJSON *mm = cJSON_GetObjectItemCaseSensitive(w, "max_message");
    const cJSON *gz = cJSON_GetObjectItemCaseSensitive(w, "gzip");
    const cJSON *gt = cJSON_GetObjectItemCaseSensitive(w, "gzip_threshold");
    plx_assembler_limits l;

    if (mf->valuedouble < PLX_MIN_MAX_FRAME || mf->valuedouble > PLX_MAX_MAX_FRAME ||
        mm->valuedouble < PLX_MIN_MAX_MESSAGE || mm->valuedouble > PLX_MAX_MAX_MESSAGE ||
        gt->valuedouble > 4294967295.0)
        return -1;
    c->welcomed = 1;
    c->max_frame = (uint32_t)mf->valuedouble;
    c->max_message = (uint32_t)mm->valuedouble;
    c->gzip = cJSON_IsTrue(gz);
    c->gzip_threshold = (uint32_t)gt->valuedouble;
    l.max_message = c->max_message;
    l.max_partial = PLX_DEFAULT_MAX_PARTIAL;
    l.expiry_ms = PLX_DEFAULT_EXPIRY_MS;
    l.allow_gzip = c->gzip;
    plx_assembler_free(c->as);
    c->as = plx_assembler_new(NULL, &l);
    if (c->df) {
        plx_deframer_free(c->df);
        c->df = plx_deframer_new(NULL, c->max_frame);
    }
    return c->as && (!c->url.stream || c->df) ? 0 : -1;
}

static void auto_pong(cf_conn *c, const cJSON *ping) {
    cJSON *pong = cJSON_CreateObject();
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(ping, "n");
    cf_send_opts o = {0};
    char err[200];

    if (!pong) return;
    cJSON_AddStringToObject(pong, "t", "pong");
    if (n) cJSON_AddItemToObject(pong, "n", cJSON_Duplicate(n, 1));
    o.frame_end = -1;
    o.ws_fragments = 1;
    wlog(c, "send", "auto-pong");
    cf_conn_send_msg(c, pong, NULL, 0, &o, err, sizeof(err));
    cJSON_Delete(pong);
}

static void handle_body(cf_conn *c, plx_bytes body, uint32_t msg_id, const cf_frames_info *fi) {
    plx_msg m = {0};
    plx_msg_error merr = {0, NULL};
    const cJSON *t;
    cf_event *ev;
    int rc = plx_body_decode(NULL, body, &m);

    if (rc) {
        invalid(c, -rc, "server sent a message whose body fails with %s", plx_error_name(rc));
        return;
    }
    cf_json_keep_numbers(m.json, (const char *)body.data + 4,
                         (size_t)body.data[0] << 24 | (size_t)body.data[1] << 16 |
                             (size_t)body.data[2] << 8 | body.data[3]);
    wlog_msg(wlog(c, "recv", "msg"), m.json, m.att, m.natt, msg_id);
    rc = plx_msg_validate(m.json, m.natt, PLX_DIR_S2C, &merr);
    if (rc) {
        char what[200];

        snprintf(what, sizeof(what), "%s%s%s", plx_error_name(rc), merr.field ? " field " : "",
                 merr.field ? merr.field : "");
        invalid(c, -rc, "server sent a message that fails catalogue validation: %s", what);
        plx_msg_clear(&m);
        return;
    }
    t = cJSON_GetObjectItemCaseSensitive(m.json, "t");
    if (!strcmp(t->valuestring, "welcome") && apply_welcome(c, m.json)) {
        invalid(c, PLX_E_BAD_VALUE, "welcome carries limits outside their LIM-1 ranges%s", "");
        plx_msg_clear(&m);
        return;
    }
    if (!strcmp(t->valuestring, "ping") && c->auto_pong) {
        auto_pong(c, m.json);
        plx_msg_clear(&m);
        return;
    }
    if (plx_msg_own(&m)) {
        plx_msg_clear(&m);
        return;
    }
    ev = calloc(1, sizeof(*ev));
    if (!ev) {
        plx_msg_clear(&m);
        return;
    }
    ev->kind = CF_EV_MSG;
    ev->msg = m;
    ev->msg_id = msg_id;
    ev->frames = *fi;
    push(c, ev);
}

/* Counts the frame f of a message into c's tracker; when the frame completes the message
 * (done), fills *out and forgets the message. */
static void track_frame(cf_conn *c, const plx_frame *f, int done, cf_frames_info *out) {
    cf_frames_info one = {1, (f->h.flags & PLX_FLAG_GZIP) != 0, f->h.length, f->h.length};
    int i, slot = -1;

    for (i = 0; i < CF_CONN_TRACK; i++)
        if (c->track[i].used && c->track[i].msg_id == f->h.msg_id) break;
    if (i == CF_CONN_TRACK) { /* the first chunk */
        if (done) {
            *out = one;
            return;
        }
        for (i = 0; i < CF_CONN_TRACK && slot < 0; i++)
            if (!c->track[i].used) slot = i;
        if (slot < 0) return; /* cannot happen: the assembler allows 16 incomplete messages */
        c->track[slot].used = 1;
        c->track[slot].msg_id = f->h.msg_id;
        c->track[slot].info = one;
        return;
    }
    c->track[i].info.chunks++;
    c->track[i].info.wire_len += f->h.length;
    if (f->h.length > c->track[i].info.max_len) c->track[i].info.max_len = f->h.length;
    if (done) {
        *out = c->track[i].info;
        c->track[i].used = 0;
    }
}

static void handle_frame(cf_conn *c, const plx_frame *f) {
    cf_frames_info fi;
    plx_bytes body;
    uint32_t id;
    int rc;

    if (!c->welcomed && (f->h.flags & PLX_FLAG_MORE)) {
        invalid(c, -PLX_E_NOT_READY, "server sent a chunked frame before welcome (SES-3)%s", "");
        return;
    }
    rc = plx_assembler_feed(c->as, f, cf_now_ms(), &body, &id);
    if (rc < 0) {
        invalid(c, -rc, "server sent frames that fail reassembly with %s", plx_error_name(rc));
        return;
    }
    memset(&fi, 0, sizeof(fi));
    track_frame(c, f, rc == 1, &fi);
    if (rc == 1) handle_body(c, body, id, &fi);
}

static void ws_message(cf_conn *c, int op, const uint8_t *b, size_t n) {
    plx_frame f;
    int rc;

    if (op == CF_WS_TEXT) {
        char *t = cf_utf8_sanitize((const char *)b, n); /* a server may send anything */
        cJSON *e = wlog(c, "recv", "text");

        if (t) {
            if (e) cJSON_AddStringToObject(e, "text", t);
            push_simple(c, CF_EV_TEXT, 0, 0, t);
        }
        free(t);
        return;
    }
    rc = plx_frame_decode(b, n, c->welcomed ? c->max_frame : PLX_HELLO_MAX_LEN, &f);
    if (rc) {
        wlog_bytes(wlog(c, "recv", "frame"), "bytes", b, n, 64);
        invalid(c, -rc, "server sent a frame that fails with %s", plx_error_name(rc));
        return;
    }
    handle_frame(c, &f);
}

static void ws_control(cf_conn *c, const cf_ws_frame *f) {
    char err[128];

    if (f->opcode == CF_WS_PING) {
        wlog_bytes(wlog(c, "recv", "ws-ping"), "bytes", f->payload, f->len, 32);
        if (!c->local_closed) ws_send(c, CF_WS_PONG, f->payload, f->len, 1, 0, err, sizeof(err));
    } else if (f->opcode == CF_WS_PONG) {
        wlog_bytes(wlog(c, "recv", "ws-pong"), "bytes", f->payload, f->len, 32);
    } else {
        int code = f->len >= 2 ? f->payload[0] << 8 | f->payload[1] : 1005;
        cJSON *e = wlog(c, "recv", "close");

        if (e) cJSON_AddNumberToObject(e, "code", code);
        if (e && f->len > 2) {
            char *reason = cf_utf8_sanitize((const char *)f->payload + 2, f->len - 2);

            if (reason) cJSON_AddStringToObject(e, "reason", reason);
            free(reason);
        }
        push_simple(c, CF_EV_CLOSE, code, 0, NULL);
        c->remote_closed = 1;
        c->open = 0;
        if (!c->local_closed) {
            uint8_t p[2] = {(uint8_t)(code >> 8), (uint8_t)code};

            c->local_closed = 1;
            ws_send(c, CF_WS_CLOSE, p, f->len >= 2 ? 2 : 0, 1, 0, err, sizeof(err));
        }
    }
}

static void parse_ws(cf_conn *c) {
    size_t off = 0;

    while (!c->broken && !c->remote_closed) {
        cf_ws_frame f;
        char err[200];
        int rc =
            cf_ws_parse(c->in.data + off, c->in.len - off, CF_CONN_WS_MAX, &f, err, sizeof(err));

        if (rc == 0) break;
        if (rc < 0) {
            invalid(c, 0, "%s", err);
            break;
        }
        off += f.consumed;
        if (f.opcode >= 8) {
            ws_control(c, &f);
            continue;
        }
        if ((f.opcode == CF_WS_CONT) != (c->wsmsg_op >= 0)) {
            invalid(c, 0, "%s",
                    f.opcode == CF_WS_CONT ? "WebSocket continuation frame without a message"
                                           : "WebSocket message started inside a fragmented one");
            break;
        }
        if (c->wsmsg_op < 0 && f.fin) {
            ws_message(c, f.opcode, f.payload, f.len);
            continue;
        }
        if (c->wsmsg_op < 0) c->wsmsg_op = f.opcode;
        if (c->wsmsg.len + f.len > CF_CONN_WS_MAX) {
            invalid(c, 0, "%s", "fragmented WebSocket message larger than 16 + 16 MiB");
            break;
        }
        cf_buf_add(&c->wsmsg, f.payload, f.len);
        if (f.fin) {
            ws_message(c, c->wsmsg_op, c->wsmsg.data, c->wsmsg.len);
            c->wsmsg.len = 0;
            c->wsmsg_op = -1;
        }
    }
    cf_buf_consume(&c->in, off);
}

static void parse_stream(cf_conn *c) {
    size_t off = 0;

    while (!c->broken && off < c->in.len) {
        size_t used = 0;
        plx_frame f;
        int rc = plx_deframer_feed(c->df, c->in.data + off, c->in.len - off, &used, &f);

        if (rc < 0) {
            invalid(c, -rc, "server sent a stream that fails with %s", plx_error_name(rc));
            break;
        }
        if (rc == 1) handle_frame(c, &f);
        off += used;
        if (rc == 0) break;
    }
    cf_buf_consume(&c->in, off);
}

static void parse(cf_conn *c) {
    if (c->broken || !c->in.len || c->parsing) return;
    c->parsing = 1; /* sends from here (pongs) must not grow c->in under the parser */
    if (c->url.stream)
        parse_stream(c);
    else
        parse_ws(c);
    c->parsing = 0;
}

static void on_eof(cf_conn *c, const char *why) {
    cJSON *e;

    if (c->remote_closed) return;
    c->remote_closed = 1;
    c->open = 0;
    e = wlog(c, "recv", c->url.stream ? "eof" : "dropped");
    if (e && why) cJSON_AddStringToObject(e, "what", why);
    push_simple(c, CF_EV_CLOSE, c->url.stream ? 0 : 1006, 0, NULL);
}

void cf_conn_pause(cf_conn *c, int paused) {
    cJSON *e = wlog(c, "send", paused ? "pause" : "resume");
    int size = paused ? CF_CONN_PAUSED_RCVBUF : CF_CONN_RESUMED_RCVBUF;

    if (e) cJSON_AddStringToObject(e, "what", paused ? "stops reading" : "reads again");
    c->paused = paused;
    /* a small fixed receive buffer (no autotuning) makes the server's writes back up soon */
    if (c->fd >= 0) setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

int cf_conn_pump(cf_conn *c, int timeout_ms) {
    struct pollfd p;
    uint8_t buf[262144];
    ssize_t n;

    parse(c);
    if (c->head) return 0;
    if (c->fd < 0 || c->remote_closed || c->broken) return -1;
    if (c->paused) {
        if (timeout_ms > 0) cf_sleep_ms((uint64_t)timeout_ms);
        return 0;
    }
    p.fd = c->fd;
    p.events = POLLIN;
    if (poll(&p, 1, timeout_ms) <= 0) return 0;
    n = recv(c->fd, buf, sizeof(buf), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    if (n <= 0) {
        on_eof(c, n < 0 ? strerror(errno) : NULL);
        return -1;
    }
    if (c->in.len + (size_t)n > CF_CONN_IN_MAX || cf_buf_add(&c->in, buf, (size_t)n)) {
        invalid(c, 0, "%s", "more undecoded input than the runner buffers");
        return -1;
    }
    parse(c);
    return 0;
}

int cf_conns_wait(cf_conn **conns, size_t n, int timeout_ms) {
    uint64_t deadline = cf_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);

    for (;;) {
        struct pollfd p[64];
        cf_conn *live[64];
        size_t i, np = 0;
        uint64_t now;

        for (i = 0; i < n; i++) {
            parse(conns[i]);
            if (conns[i]->head) return 1;
        }
        for (i = 0; i < n && np < 64; i++) {
            cf_conn *c = conns[i];

            if (c->fd < 0 || c->remote_closed || c->broken || c->paused) continue;
            p[np].fd = c->fd;
            p[np].events = POLLIN;
            p[np].revents = 0;
            live[np++] = c;
        }
        now = cf_now_ms();
        if (np == 0 || now >= deadline) return 0;
        if (poll(p, np, (int)(deadline - now)) <= 0) continue;
        for (i = 0; i < np; i++)
            if (p[i].revents) cf_conn_pump(live[i], 0);
    }
}

cf_event *cf_conn_next(cf_conn *c, int timeout_ms) {
    cf_conn *one[1] = {c};

    cf_conns_wait(one, 1, timeout_ms);
    return cf_conn_pop(c);
}

/* ------------------------------------------------------------------ open / free */

int cf_conn_open(cf_conn *c, const char *name, const cf_url *u, const char *const *protocols,
                 int nproto, int timeout_ms, cJSON *log, uint64_t t0, int *status, char *err,
                 size_t errlen) {
    static const char *const plexus_proto[] = {PLX_SUBPROTOCOL};
    plx_assembler_limits l = {PLX_MIN_MAX_MESSAGE, PLX_DEFAULT_MAX_PARTIAL, PLX_DEFAULT_EXPIRY_MS,
                              0};
    char selected[128];
    cJSON *e;
    int rc;

    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->url = *u;
    c->fd = -1;
    c->wsmsg_op = -1;
    c->log = log;
    c->t0 = t0;
    c->max_frame = PLX_HELLO_MAX_LEN;
    c->max_message = PLX_MIN_MAX_MESSAGE;
    c->next_msg_id = 1;
    c->auto_pong = 1;
    c->rng = cf_now_ms() * 2654435761u ^ (uint64_t)(uintptr_t)c;
    *status = 0;
    if (!protocols) {
        protocols = plexus_proto;
        nproto = 1;
    }
    c->as = plx_assembler_new(NULL, &l);
    if (u->stream) c->df = plx_deframer_new(NULL, PLX_HELLO_MAX_LEN);
    if (!c->as || (u->stream && !c->df)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    c->fd = cf_tcp_connect(u->host, u->port, timeout_ms, err, errlen);
    if (c->fd < 0) return -1;
    if (!u->stream) {
        rc =
            cf_ws_handshake(c->fd, u, protocols, (size_t)nproto, cf_now_ms() + (uint64_t)timeout_ms,
                            status, selected, sizeof(selected), &c->in, err, errlen);
        if (rc) {
            e = wlog(c, "recv", "refused");
            if (e) cJSON_AddNumberToObject(e, "status", *status);
            close(c->fd);
            c->fd = -1;
            return rc;
        }
        if (nproto && strcmp(selected, PLX_SUBPROTOCOL) != 0 &&
            !(nproto == 1 && strcmp(protocols[0], PLX_SUBPROTOCOL) != 0)) {
            snprintf(err, errlen, "the server selected subprotocol '%s', not '%s' (TRN-1)",
                     selected, PLX_SUBPROTOCOL);
            close(c->fd);
            c->fd = -1;
            return -1;
        }
    }
    c->open = 1;
    e = wlog(c, "send", "open");
    if (e) cJSON_AddStringToObject(e, "binding", u->stream ? "stream" : "websocket");
    return 0;
}

void cf_conn_free(cf_conn *c) {
    cf_event *e;

    while ((e = cf_conn_pop(c)) != NULL)
        cf_event_free(e);
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    plx_deframer_free(c->df);
    plx_assembler_free(c->as);
    c->df = NULL;
    c->as = NULL;
    cf_buf_free(&c->in);
    cf_buf_free(&c->wsmsg);
}
