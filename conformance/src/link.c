/*
 * link.c - a Plexus connection of either end: sending, decoding into events, frame counts,
 * wire log (see link.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "json.h"
#include "link.h"
#include "ws.h"

#define WRITE_TIMEOUT_MS 10000 /* one send step may take this long to be written */
#define LOG_MAX_ENTRIES  5000  /* wire log entries kept per case */
#define LOG_JSON_MAX     1000  /* characters of one message's JSON kept in the log */
#define LOG_ATT_PREVIEW  16    /* bytes of each attachment shown in the log */

/* ------------------------------------------------------------------ events */

void cf_event_free(cf_event *e) {
    if (!e) return;
    plx_msg_clear(&e->msg);
    free(e->text);
    free(e);
}

cJSON *cf_event_frames_json(const cf_event *e) {
    cJSON *o = cJSON_CreateObject();

    if (!o) return NULL;
    cJSON_AddNumberToObject(o, "chunks", e->frames.chunks);
    cJSON_AddBoolToObject(o, "gzip", e->frames.gzip);
    cJSON_AddNumberToObject(o, "msg_id", e->msg_id);
    cJSON_AddNumberToObject(o, "max_len", e->frames.max_len);
    cJSON_AddNumberToObject(o, "wire_len", (double)e->frames.wire_len);
    return o;
}

char *cf_event_describe(const cf_event *e) {
    cf_buf b = {0};

    switch (e->kind) {
    case CF_EV_MSG: {
        char *t = cf_json_print_max(e->msg.json, 2000);

        cf_buf_str(&b, t ? t : "?");
        if (e->msg.natt) cf_buf_printf(&b, " (+%zu attachments)", e->msg.natt);
        free(t);
        if (e->from_client) { /* client mode: how the client chunked and compressed */
            cJSON *f = cf_event_frames_json(e);

            t = f ? cf_json_print(f) : NULL;
            if (t) cf_buf_printf(&b, " frames %s", t);
            free(t);
            cJSON_Delete(f);
        }
        break;
    }
    case CF_EV_CLOSE:
        if (e->close_code)
            cf_buf_printf(&b, "close %d", e->close_code);
        else
            cf_buf_str(&b, "end of stream");
        break;
    case CF_EV_INVALID:
        cf_buf_printf(&b, "invalid input from the %s: %s", e->from_client ? "client" : "server",
                      e->text ? e->text : "");
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

static void push(cf_link *l, cf_event *e) {
    e->at_ms = cf_now_ms();
    e->from_client = l->server;
    if (l->nevents >= CF_LINK_EVENTS_MAX) {
        cf_event_free(e);
        return;
    }
    if (l->tail)
        l->tail->next = e;
    else
        l->head = e;
    l->tail = e;
    l->nevents++;
}

static void push_simple(cf_link *l, cf_event_kind kind, int close_code, int code,
                        const char *text) {
    cf_event *e = calloc(1, sizeof(*e));

    if (!e) return;
    e->kind = kind;
    e->close_code = close_code;
    e->code = code;
    e->text = text ? strdup(text) : NULL;
    push(l, e);
}

cf_event *cf_link_pop(cf_link *l) {
    cf_event *e = l->head;

    if (!e) return NULL;
    l->head = e->next;
    if (!l->head) l->tail = NULL;
    e->next = NULL;
    l->nevents--;
    return e;
}

/* ------------------------------------------------------------------ wire log */

cJSON *cf_link_log(cf_link *l, const char *dir, const char *kind) {
    cJSON *e;
    int n;

    if (!l->log) return NULL;
    n = cJSON_GetArraySize(l->log);
    if (n > LOG_MAX_ENTRIES) return NULL;
    e = cJSON_CreateObject();
    if (!e) return NULL;
    if (n == LOG_MAX_ENTRIES) {
        cJSON_AddStringToObject(e, "kind", "truncated");
        cJSON_AddItemToArray(l->log, e);
        return NULL;
    }
    cJSON_AddNumberToObject(e, "ms", (double)(cf_now_ms() - l->t0));
    cJSON_AddStringToObject(e, "conn", l->name);
    cJSON_AddStringToObject(e, "dir", dir);
    cJSON_AddStringToObject(e, "kind", kind);
    cJSON_AddItemToArray(l->log, e);
    return e;
}

/* "N bytes: hex..." of the first `max` bytes (owned, NULL when out of memory). */
static char *preview(const uint8_t *b, size_t n, size_t max) {
    cf_buf s = {0};
    char *h = cf_hex_str(b, n < max ? n : max);

    cf_buf_printf(&s, "%zu bytes%s%s%s", n, n ? ": " : "", h ? h : "", n > max ? "..." : "");
    free(h);
    return cf_buf_take_str(&s);
}

static void log_bytes(cJSON *e, const uint8_t *b, size_t n, size_t max) {
    char *t;

    if (!e) return;
    t = preview(b, n, max);
    if (t) cJSON_AddStringToObject(e, "bytes", t);
    free(t);
}

static void log_msg(cJSON *e, const cJSON *json, const plx_bytes *att, size_t natt, uint32_t msg_id,
                    size_t frames, int gzip) {
    char *t;
    cJSON *a;
    size_t i;

    if (!e) return;
    t = cf_json_print_max(json, LOG_JSON_MAX);
    if (t) cJSON_AddStringToObject(e, "json", t);
    free(t);
    cJSON_AddNumberToObject(e, "msg_id", msg_id);
    cJSON_AddNumberToObject(e, "frames", (double)frames);
    if (gzip) cJSON_AddBoolToObject(e, "gzip", 1);
    if (!natt) return;
    a = cJSON_AddArrayToObject(e, "attachments");
    for (i = 0; a && i < natt; i++) {
        t = preview(att[i].data, att[i].len, LOG_ATT_PREVIEW);
        cJSON_AddItemToArray(a, cJSON_CreateString(t ? t : "?"));
        free(t);
    }
}

static const char *remote(const cf_link *l) {
    return l->server ? "client" : "server";
}

/* The remote sent something invalid (text says what): an invalid event with code, and nothing
 * more is decoded. */
static void reject(cf_link *l, int code, const char *text) {
    cJSON *e;

    push_simple(l, CF_EV_INVALID, 0, code, text);
    l->broken = 1;
    e = cf_link_log(l, "recv", "invalid");
    if (e) cJSON_AddStringToObject(e, "what", text);
}

/* reject with "<remote> sent " and fmt (one %s, arg). */
static void invalid(cf_link *l, int code, const char *fmt, const char *arg) {
    char what[500], buf[600];

    snprintf(what, sizeof(what), fmt, arg ? arg : "");
    snprintf(buf, sizeof(buf), "%s sent %s", remote(l), what);
    reject(l, code, buf);
}

/* ------------------------------------------------------------------ sending */

static int send_bytes(cf_link *l, const uint8_t *b, size_t n, char *err, size_t errlen) {
    int rc;

    if (l->fd < 0) {
        snprintf(err, errlen, "connection %s is not open", l->name);
        return -1;
    }
    rc = cf_write_all(l->fd, b, n, cf_now_ms() + WRITE_TIMEOUT_MS,
                      !l->parsing && !l->paused ? &l->in : NULL, CF_LINK_IN_MAX, err, errlen);
    if (rc == 1) {
        cJSON *e = cf_link_log(l, "send", "note");
        char what[64];

        snprintf(what, sizeof(what), "the %s closed the connection during a send", remote(l));
        if (e) cJSON_AddStringToObject(e, "what", what);
        return 0;
    }
    return rc;
}

/* One WebSocket message: masked frames from the client side, unmasked from the server side. */
static int ws_send(cf_link *l, int opcode, const uint8_t *b, size_t n, int fragments, char *err,
                   size_t errlen) {
    cf_buf out = {0};
    int rc;

    if (cf_ws_build(&out, opcode, b, n, fragments, l->server ? NULL : &l->rng)) {
        snprintf(err, errlen, "out of memory");
        cf_buf_free(&out);
        return -1;
    }
    rc = send_bytes(l, out.data, out.len, err, errlen);
    cf_buf_free(&out);
    return rc;
}

static int frame_out(cf_link *l, const uint8_t *b, size_t n, int fragments, char *err,
                     size_t errlen) {
    uint8_t pre[PLX_STREAM_PREFIX_LEN];
    cf_buf out = {0};
    int rc;

    if (!l->stream) return ws_send(l, CF_WS_BINARY, b, n, fragments, err, errlen);
    plx_stream_prefix((uint32_t)n, pre);
    if (cf_buf_add(&out, pre, sizeof(pre)) || cf_buf_add(&out, b, n)) {
        cf_buf_free(&out);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rc = send_bytes(l, out.data, out.len, err, errlen);
    cf_buf_free(&out);
    return rc;
}

int cf_link_send_frame(cf_link *l, const uint8_t *b, size_t n, int ws_fragments, char *err,
                       size_t errlen) {
    log_bytes(cf_link_log(l, "send", "frame"), b, n, 64);
    return frame_out(l, b, n, ws_fragments, err, errlen);
}

int cf_link_send_raw(cf_link *l, const uint8_t *b, size_t n, char *err, size_t errlen) {
    log_bytes(cf_link_log(l, "send", "raw"), b, n, 64);
    if (!l->stream) return ws_send(l, CF_WS_BINARY, b, n, 1, err, errlen);
    return send_bytes(l, b, n, err, errlen);
}

int cf_link_send_text(cf_link *l, const char *text, char *err, size_t errlen) {
    cJSON *e;

    if (l->stream) {
        snprintf(err, errlen, "text messages exist only on the WebSocket binding");
        return -1;
    }
    e = cf_link_log(l, "send", "text");
    if (e) cJSON_AddStringToObject(e, "text", text);
    return ws_send(l, CF_WS_TEXT, (const uint8_t *)text, strlen(text), 1, err, errlen);
}

/* The wire payload of a message: the body, gzip-compressed when o asks for it. *gz receives an
 * owned buffer when compressed. 1 compressed, 0 not, -1 out of memory. */
static int wire_payload(cf_link *l, const cf_send_opts *o, uint8_t *body, size_t blen, uint8_t **gz,
                        const uint8_t **payload, size_t *plen) {
    size_t gzlen = 0;

    *payload = body;
    *plen = blen;
    if (o->gzip == 1 || (o->gzip == 2 && l->gzip && blen >= l->gzip_threshold)) {
        if (plx_gzip_compress(NULL, body, blen, 6, gz, &gzlen)) return -1;
        if (o->gzip == 1 || gzlen < blen) {
            *payload = *gz;
            *plen = gzlen;
            return 1;
        }
    }
    return 0;
}

int cf_link_send_msg(cf_link *l, const cJSON *json, const plx_bytes *att, size_t natt,
                     const cf_send_opts *o, char *err, size_t errlen) {
    cJSON *copy = cJSON_Duplicate(json, 1), *e;
    uint8_t *body = NULL, *gz = NULL;
    const uint8_t *payload;
    size_t blen = 0, plen, nframes, mf, i, end;
    uint32_t msg_id;
    int gzip, rc = -1;

    if (!copy) goto nomem;
    cf_json_raw_numbers(copy);
    rc = plx_body_encode(NULL, copy, att, natt, &body, &blen);
    cJSON_Delete(copy);
    if (rc) {
        snprintf(err, errlen, "cannot encode the message: %s", plx_strerror(rc));
        return -1;
    }
    rc = -1;
    gzip = wire_payload(l, o, body, blen, &gz, &payload, &plen);
    if (gzip < 0) goto nomem;
    msg_id = o->has_msg_id ? o->msg_id : l->next_msg_id++;
    mf = o->max_frame ? o->max_frame : l->max_frame;
    nframes = plen == 0 ? 1 : (plen + mf - 1) / mf;
    end = o->frame_end < 0 || (size_t)o->frame_end > nframes ? nframes : (size_t)o->frame_end;
    e = cf_link_log(l, "send", "msg");
    log_msg(e, json, att, natt, msg_id, nframes, gzip);
    if (e && (o->frame_start > 0 || end < nframes)) {
        char r[64];

        snprintf(r, sizeof(r), "sent frames %ld..%zu of %zu", o->frame_start, end, nframes);
        cJSON_AddStringToObject(e, "partial", r);
    }
    for (i = o->frame_start > 0 ? (size_t)o->frame_start : 0; i < end; i++) {
        size_t off = i * mf, n = plen == 0 ? 0 : plen - off < mf ? plen - off : mf;
        plx_frame_header h = {PLX_PROTOCOL_VERSION, 0, 0, msg_id, (uint32_t)off, (uint32_t)n};
        cf_buf f = {0};
        uint8_t hb[PLX_FRAME_HEADER_LEN];

        h.flags = (uint8_t)((gzip ? PLX_FLAG_GZIP : 0) | (i + 1 < nframes ? PLX_FLAG_MORE : 0));
        plx_frame_header_encode(&h, hb);
        if (cf_buf_add(&f, hb, sizeof(hb)) || cf_buf_add(&f, payload + off, n)) {
            cf_buf_free(&f);
            goto nomem;
        }
        rc = frame_out(l, f.data, f.len, o->ws_fragments, err, errlen);
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

int cf_link_close(cf_link *l, int code, int abrupt) {
    char err[128];
    cJSON *e;

    if (l->fd < 0 || l->local_closed) return 0;
    l->local_closed = 1;
    e = cf_link_log(l, "send", abrupt ? "drop" : "close");
    if (e && !l->stream && !abrupt) cJSON_AddNumberToObject(e, "code", code);
    if (abrupt || l->stream) return shutdown(l->fd, abrupt ? SHUT_RDWR : SHUT_WR);
    {
        uint8_t p[2] = {(uint8_t)(code >> 8), (uint8_t)code};

        return ws_send(l, CF_WS_CLOSE, p, 2, 1, err, sizeof(err));
    }
}

/* ------------------------------------------------------------------ receiving */

int cf_link_limits(cf_link *l, uint32_t max_frame, uint32_t max_message, int gzip,
                   uint32_t gzip_threshold) {
    plx_assembler_limits lim = {max_message, PLX_DEFAULT_MAX_PARTIAL, PLX_DEFAULT_EXPIRY_MS, gzip};

    l->welcomed = 1;
    l->max_frame = max_frame;
    l->max_message = max_message;
    l->gzip = gzip;
    l->gzip_threshold = gzip_threshold;
    plx_assembler_free(l->as);
    l->as = plx_assembler_new(NULL, &lim);
    if (l->df) {
        plx_deframer_free(l->df);
        l->df = plx_deframer_new(NULL, l->max_frame);
    }
    return l->as && (!l->stream || l->df) ? 0 : -1;
}

/* A welcome the server sent (client side): its limits, each inside its LIM-1 range. */
static int received_welcome(cf_link *l, const cJSON *w) {
    const cJSON *mf = cJSON_GetObjectItemCaseSensitive(w, "max_frame");
    const cJSON *mm = cJSON_GetObjectItemCaseSensitive(w, "max_message");
    const cJSON *gt = cJSON_GetObjectItemCaseSensitive(w, "gzip_threshold");

    if (mf->valuedouble < PLX_MIN_MAX_FRAME || mf->valuedouble > PLX_MAX_MAX_FRAME ||
        mm->valuedouble < PLX_MIN_MAX_MESSAGE || mm->valuedouble > PLX_MAX_MAX_MESSAGE ||
        gt->valuedouble > 4294967295.0)
        return -1;
    return cf_link_limits(l, (uint32_t)mf->valuedouble, (uint32_t)mm->valuedouble,
                          cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(w, "gzip")),
                          (uint32_t)gt->valuedouble);
}

static void auto_pong(cf_link *l, const cJSON *ping) {
    cJSON *pong = cJSON_CreateObject();
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(ping, "n");
    cf_send_opts o = {0};
    char err[200];

    if (!pong) return;
    cJSON_AddStringToObject(pong, "t", "pong");
    if (n) cJSON_AddItemToObject(pong, "n", cJSON_Duplicate(n, 1));
    o.frame_end = -1;
    o.ws_fragments = 1;
    cf_link_log(l, "send", "auto-pong");
    cf_link_send_msg(l, pong, NULL, 0, &o, err, sizeof(err));
    cJSON_Delete(pong);
}

static void handle_body(cf_link *l, plx_bytes body, uint32_t msg_id, const cf_frames_info *fi) {
    plx_msg m = {0};
    plx_msg_error merr = {0, NULL};
    const cJSON *t;
    cf_event *ev;
    int rc = plx_body_decode(NULL, body, &m);

    if (rc) {
        invalid(l, -rc, "a message whose body fails with %s", plx_error_name(rc));
        return;
    }
    cf_json_keep_numbers(m.json, (const char *)body.data + 4,
                         (size_t)body.data[0] << 24 | (size_t)body.data[1] << 16 |
                             (size_t)body.data[2] << 8 | body.data[3]);
    log_msg(cf_link_log(l, "recv", "msg"), m.json, m.att, m.natt, msg_id, fi->chunks, fi->gzip);
    rc = plx_msg_validate(m.json, m.natt, l->server ? PLX_DIR_C2S : PLX_DIR_S2C, &merr);
    /* a client may send a type this catalogue does not know once it is welcomed */
    if (rc && !(l->server && rc == PLX_E_UNKNOWN_TYPE && l->welcomed)) {
        char what[200];

        snprintf(what, sizeof(what), "%s%s%s", plx_error_name(rc), merr.field ? " field " : "",
                 merr.field ? merr.field : "");
        invalid(l, -rc, "a message that fails catalogue validation: %s", what);
        plx_msg_clear(&m);
        return;
    }
    t = cJSON_GetObjectItemCaseSensitive(m.json, "t");
    if (!l->server && !strcmp(t->valuestring, "welcome") && received_welcome(l, m.json)) {
        reject(l, PLX_E_BAD_VALUE, "welcome carries limits outside their LIM-1 ranges");
        plx_msg_clear(&m);
        return;
    }
    if (!rc && !strcmp(t->valuestring, "ping") && l->auto_pong) {
        auto_pong(l, m.json);
        plx_msg_clear(&m);
        return;
    }
    ev = calloc(1, sizeof(*ev));
    if (!ev || plx_msg_own(&m)) {
        free(ev);
        plx_msg_clear(&m);
        return;
    }
    ev->kind = CF_EV_MSG;
    ev->msg = m;
    ev->msg_id = msg_id;
    ev->frames = *fi;
    push(l, ev);
}

/* Counts the frame f of a message into l's tracker; when the frame completes the message
 * (done), fills *out and forgets the message. */
static void track_frame(cf_link *l, const plx_frame *f, int done, cf_frames_info *out) {
    cf_frames_info one = {1, (f->h.flags & PLX_FLAG_GZIP) != 0, f->h.length, f->h.length};
    int i, slot = -1;

    for (i = 0; i < CF_LINK_TRACK; i++)
        if (l->track[i].used && l->track[i].msg_id == f->h.msg_id) break;
    if (i == CF_LINK_TRACK) { /* the first chunk */
        if (done) {
            *out = one;
            return;
        }
        for (i = 0; i < CF_LINK_TRACK && slot < 0; i++)
            if (!l->track[i].used) slot = i;
        if (slot < 0) return; /* cannot happen: the assembler allows 16 incomplete messages */
        l->track[slot].used = 1;
        l->track[slot].msg_id = f->h.msg_id;
        l->track[slot].info = one;
        return;
    }
    l->track[i].info.chunks++;
    l->track[i].info.wire_len += f->h.length;
    if (f->h.length > l->track[i].info.max_len) l->track[i].info.max_len = f->h.length;
    if (done) {
        *out = l->track[i].info;
        l->track[i].used = 0;
    }
}

static void handle_frame(cf_link *l, const plx_frame *f) {
    cf_frames_info fi;
    plx_bytes body;
    uint32_t id;
    int rc;

    if (!l->welcomed && (f->h.flags & PLX_FLAG_MORE)) {
        invalid(l, -PLX_E_NOT_READY, "a chunked frame before welcome (SES-3)%s", "");
        return;
    }
    rc = plx_assembler_feed(l->as, f, cf_now_ms(), &body, &id);
    if (rc < 0) {
        invalid(l, -rc, "frames that fail reassembly with %s", plx_error_name(rc));
        return;
    }
    memset(&fi, 0, sizeof(fi));
    track_frame(l, f, rc == 1, &fi);
    if (rc == 1) handle_body(l, body, id, &fi);
}

/* A complete WebSocket message: text, or binary holding one Plexus frame. */
static void ws_message(cf_link *l, int op, const uint8_t *b, size_t n) {
    plx_frame f;
    int rc;

    if (op == CF_WS_TEXT) {
        char *t = cf_utf8_sanitize((const char *)b, n); /* the remote may send anything */
        cJSON *e = cf_link_log(l, "recv", "text");

        if (t) {
            if (e) cJSON_AddStringToObject(e, "text", t);
            push_simple(l, CF_EV_TEXT, 0, 0, t);
        }
        free(t);
        return;
    }
    rc = plx_frame_decode(b, n, l->welcomed ? l->max_frame : PLX_HELLO_MAX_LEN, &f);
    if (rc) {
        log_bytes(cf_link_log(l, "recv", "frame"), b, n, 64);
        invalid(l, -rc, "a frame that fails with %s", plx_error_name(rc));
        return;
    }
    handle_frame(l, &f);
}

/* A WebSocket control frame: a ping is answered, a close recorded and echoed. */
static void ws_control(cf_link *l, const cf_ws_frame *f) {
    char err[128];

    if (f->opcode == CF_WS_PING) {
        log_bytes(cf_link_log(l, "recv", "ws-ping"), f->payload, f->len, 32);
        if (!l->local_closed) ws_send(l, CF_WS_PONG, f->payload, f->len, 1, err, sizeof(err));
    } else if (f->opcode == CF_WS_PONG) {
        log_bytes(cf_link_log(l, "recv", "ws-pong"), f->payload, f->len, 32);
    } else {
        int code = f->len >= 2 ? f->payload[0] << 8 | f->payload[1] : 1005;
        cJSON *e = cf_link_log(l, "recv", "close");

        if (e) cJSON_AddNumberToObject(e, "code", code);
        if (e && f->len > 2) {
            char *reason = cf_utf8_sanitize((const char *)f->payload + 2, f->len - 2);

            if (reason) cJSON_AddStringToObject(e, "reason", reason);
            free(reason);
        }
        push_simple(l, CF_EV_CLOSE, code, 0, NULL);
        l->remote_closed = 1;
        l->open = 0;
        if (!l->local_closed) {
            uint8_t p[2] = {(uint8_t)(code >> 8), (uint8_t)code};

            l->local_closed = 1;
            ws_send(l, CF_WS_CLOSE, p, f->len >= 2 ? 2 : 0, 1, err, sizeof(err));
        }
    }
}

/* The WebSocket reader: frames of the remote (masked when it is a client), control frames
 * handled between fragments, fragments reassembled into messages of at most CF_LINK_WS_MAX. */
static void parse_ws(cf_link *l) {
    size_t off = 0;

    while (!l->broken && !l->remote_closed) {
        cf_ws_frame f;
        char err[200];
        int rc = cf_ws_parse(l->in.data + off, l->in.len - off, l->server, CF_LINK_WS_MAX, &f, err,
                             sizeof(err));

        if (rc == 0) break;
        if (rc < 0) {
            reject(l, 0, err);
            break;
        }
        off += f.consumed;
        if (f.opcode >= 8) {
            ws_control(l, &f);
            continue;
        }
        if ((f.opcode == CF_WS_CONT) != (l->wsmsg_op >= 0)) {
            reject(l, 0,
                   f.opcode == CF_WS_CONT ? "WebSocket continuation frame without a message"
                                          : "WebSocket message started inside a fragmented one");
            break;
        }
        if (l->wsmsg_op < 0 && f.fin) {
            ws_message(l, f.opcode, f.payload, f.len);
            continue;
        }
        if (l->wsmsg_op < 0) l->wsmsg_op = f.opcode;
        if (l->wsmsg.len + f.len > CF_LINK_WS_MAX) {
            reject(l, 0, "fragmented WebSocket message larger than 16 + 16 MiB");
            break;
        }
        cf_buf_add(&l->wsmsg, f.payload, f.len);
        if (f.fin) {
            ws_message(l, l->wsmsg_op, l->wsmsg.data, l->wsmsg.len);
            l->wsmsg.len = 0;
            l->wsmsg_op = -1;
        }
    }
    cf_buf_consume(&l->in, off);
}

/* The stream binding's reader: length-prefixed frames through the deframer. */
static void parse_stream(cf_link *l) {
    size_t off = 0;

    while (!l->broken && off < l->in.len) {
        size_t used = 0;
        plx_frame f;
        int rc = plx_deframer_feed(l->df, l->in.data + off, l->in.len - off, &used, &f);

        if (rc < 0) {
            invalid(l, -rc, "a stream that fails with %s", plx_error_name(rc));
            break;
        }
        if (rc == 1) handle_frame(l, &f);
        off += used;
        if (rc == 0) break;
    }
    cf_buf_consume(&l->in, off);
}

void cf_link_parse(cf_link *l) {
    if (l->broken || !l->in.len || l->parsing) return;
    l->parsing = 1; /* sends from here (pongs) must not grow l->in under the parser */
    if (l->stream)
        parse_stream(l);
    else
        parse_ws(l);
    l->parsing = 0;
}

static void on_eof(cf_link *l, const char *why) {
    cJSON *e;

    if (l->remote_closed) return;
    l->remote_closed = 1;
    l->open = 0;
    e = cf_link_log(l, "recv", l->stream ? "eof" : "dropped");
    if (e && why) cJSON_AddStringToObject(e, "what", why);
    push_simple(l, CF_EV_CLOSE, l->stream ? 0 : 1006, 0, NULL);
}

int cf_link_read(cf_link *l, int timeout_ms) {
    struct pollfd p;
    uint8_t buf[262144];
    ssize_t n;

    p.fd = l->fd;
    p.events = POLLIN;
    if (poll(&p, 1, timeout_ms) <= 0) return 0;
    n = recv(l->fd, buf, sizeof(buf), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    if (n <= 0) {
        cf_link_parse(l);
        on_eof(l, n < 0 ? strerror(errno) : NULL);
        return -1;
    }
    if (l->in.len + (size_t)n > CF_LINK_IN_MAX || cf_buf_add(&l->in, buf, (size_t)n)) {
        reject(l, 0, "more undecoded input than the runner buffers");
        return -1;
    }
    cf_link_parse(l);
    return 0;
}

/* ------------------------------------------------------------------ init / free */

int cf_link_init(cf_link *l, const char *name, int fd, int stream, int server, cJSON *log,
                 uint64_t t0) {
    plx_assembler_limits lim = {PLX_MIN_MAX_MESSAGE, PLX_DEFAULT_MAX_PARTIAL, PLX_DEFAULT_EXPIRY_MS,
                                0};

    memset(l, 0, sizeof(*l));
    snprintf(l->name, sizeof(l->name), "%s", name);
    l->fd = fd;
    l->stream = stream;
    l->server = server;
    l->wsmsg_op = -1;
    l->log = log;
    l->t0 = t0;
    l->max_frame = PLX_HELLO_MAX_LEN;
    l->max_message = PLX_MIN_MAX_MESSAGE;
    l->next_msg_id = 1;
    l->auto_pong = 1;
    l->rng = cf_now_ms() * 2654435761u ^ (uint64_t)(uintptr_t)l;
    l->as = plx_assembler_new(NULL, &lim);
    if (stream) l->df = plx_deframer_new(NULL, PLX_HELLO_MAX_LEN);
    return l->as && (!stream || l->df) ? 0 : -1;
}

void cf_link_free(cf_link *l) {
    cf_event *e;

    while ((e = cf_link_pop(l)) != NULL)
        cf_event_free(e);
    if (l->fd >= 0) close(l->fd);
    l->fd = -1;
    plx_deframer_free(l->df);
    plx_assembler_free(l->as);
    l->df = NULL;
    l->as = NULL;
    cf_buf_free(&l->in);
    cf_buf_free(&l->wsmsg);
}
