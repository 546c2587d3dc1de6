/*
 * peer.c - the server side of one client-mode connection: sending server messages, decoding
 * what the client sends, describing its frames, wire log (see peer.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "json.h"
#include "peer.h"
#include "srvws.h"

#define WRITE_TIMEOUT_MS 10000 /* one send step may take this long to be written */
#define LOG_MAX_ENTRIES  5000  /* wire log entries kept per case */
#define LOG_JSON_MAX     1000  /* characters of one message's JSON kept in the log */
#define LOG_PREVIEW      16    /* bytes of each attachment shown in the log */

void cf_pevent_free(cf_pevent *e) {
    if (!e) return;
    plx_msg_clear(&e->e.msg);
    free(e->e.text);
    cJSON_Delete(e->wire);
    free(e);
}

char *cf_pevent_describe(const cf_pevent *e) {
    cf_buf b = {0};

    switch (e->e.kind) {
    case CF_EV_MSG: {
        char *t = cf_json_print_max(e->e.msg.json, 2000), *w = cf_json_print(e->wire);

        cf_buf_str(&b, t ? t : "?");
        if (e->e.msg.natt) cf_buf_printf(&b, " (+%zu attachments)", e->e.msg.natt);
        if (w) cf_buf_printf(&b, " frames %s", w);
        free(t);
        free(w);
        break;
    }
    case CF_EV_CLOSE:
        if (e->e.close_code)
            cf_buf_printf(&b, "close %d", e->e.close_code);
        else
            cf_buf_str(&b, "end of stream");
        break;
    case CF_EV_INVALID:
        cf_buf_printf(&b, "invalid input from the client: %s", e->e.text ? e->e.text : "");
        break;
    case CF_EV_TEXT:
        cf_buf_printf(&b, "WebSocket text message: %.200s", e->e.text ? e->e.text : "");
        break;
    }
    return cf_buf_take_str(&b);
}

/* ------------------------------------------------------------------ wire log */

static cJSON *wlog(cf_peer *p, const char *dir, const char *kind) {
    cJSON *e;
    int n;

    if (!p->log) return NULL;
    n = cJSON_GetArraySize(p->log);
    if (n > LOG_MAX_ENTRIES) return NULL;
    e = cJSON_CreateObject();
    if (!e) return NULL;
    if (n == LOG_MAX_ENTRIES) {
        cJSON_AddStringToObject(e, "kind", "truncated");
        cJSON_AddItemToArray(p->log, e);
        return NULL;
    }
    cJSON_AddNumberToObject(e, "ms", (double)(cf_now_ms() - p->t0));
    cJSON_AddStringToObject(e, "conn", p->name);
    cJSON_AddStringToObject(e, "dir", dir);
    cJSON_AddStringToObject(e, "kind", kind);
    cJSON_AddItemToArray(p->log, e);
    return e;
}

static char *preview(const uint8_t *b, size_t n, size_t max) {
    cf_buf s = {0};
    char *h = cf_hex_str(b, n < max ? n : max);

    cf_buf_printf(&s, "%zu bytes%s%s%s", n, n ? ": " : "", h ? h : "", n > max ? "..." : "");
    free(h);
    return cf_buf_take_str(&s);
}

static void wlog_bytes(cJSON *e, const uint8_t *b, size_t n) {
    char *t;

    if (!e) return;
    t = preview(b, n, 64);
    if (t) cJSON_AddStringToObject(e, "bytes", t);
    free(t);
}

static void wlog_msg(cJSON *e, const cJSON *json, const plx_bytes *att, size_t natt,
                     uint32_t msg_id, size_t frames, int gzip) {
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
        t = preview(att[i].data, att[i].len, LOG_PREVIEW);
        cJSON_AddItemToArray(a, cJSON_CreateString(t ? t : "?"));
        free(t);
    }
}

/* ------------------------------------------------------------------ events */

static void push(cf_peer *p, cf_pevent *e) {
    e->e.at_ms = cf_now_ms();
    if (p->nevents >= CF_CONN_EVENTS_MAX) {
        cf_pevent_free(e);
        return;
    }
    if (p->tail)
        p->tail->next = e;
    else
        p->head = e;
    p->tail = e;
    p->nevents++;
}

static void push_simple(cf_peer *p, cf_event_kind kind, int close_code, int code,
                        const char *text) {
    cf_pevent *e = calloc(1, sizeof(*e));

    if (!e) return;
    e->e.kind = kind;
    e->e.close_code = close_code;
    e->e.code = code;
    e->e.text = text ? strdup(text) : NULL;
    push(p, e);
}

static void invalid(cf_peer *p, int code, const char *fmt, const char *arg) {
    char buf[600];
    cJSON *e;

    snprintf(buf, sizeof(buf), fmt, arg ? arg : "");
    push_simple(p, CF_EV_INVALID, 0, code, buf);
    p->broken = 1;
    e = wlog(p, "recv", "invalid");
    if (e) cJSON_AddStringToObject(e, "what", buf);
}

cf_pevent *cf_peer_pop(cf_peer *p) {
    cf_pevent *e = p->head;

    if (!e) return NULL;
    p->head = e->next;
    if (!p->head) p->tail = NULL;
    e->next = NULL;
    p->nevents--;
    return e;
}

/* ------------------------------------------------------------------ sending */

static int send_bytes(cf_peer *p, const uint8_t *b, size_t n, char *err, size_t errlen) {
    int rc;

    if (p->fd < 0) {
        snprintf(err, errlen, "connection %s is not open", p->name);
        return -1;
    }
    rc = cf_write_all(p->fd, b, n, cf_now_ms() + WRITE_TIMEOUT_MS, p->parsing ? NULL : &p->in,
                      CF_CONN_IN_MAX, err, errlen);
    if (rc == 1) {
        cJSON *e = wlog(p, "send", "note");

        if (e) cJSON_AddStringToObject(e, "what", "the client closed the connection during a send");
        return 0;
    }
    return rc;
}

static int ws_send(cf_peer *p, int opcode, const uint8_t *b, size_t n, int fragments, char *err,
                   size_t errlen) {
    cf_buf out = {0};
    int rc;

    if (cf_wss_build(&out, opcode, b, n, fragments)) {
        snprintf(err, errlen, "out of memory");
        cf_buf_free(&out);
        return -1;
    }
    rc = send_bytes(p, out.data, out.len, err, errlen);
    cf_buf_free(&out);
    return rc;
}

static int frame_out(cf_peer *p, const uint8_t *b, size_t n, int fragments, char *err,
                     size_t errlen) {
    uint8_t pre[PLX_STREAM_PREFIX_LEN];
    cf_buf out = {0};
    int rc;

    if (!p->stream) return ws_send(p, CF_WS_BINARY, b, n, fragments, err, errlen);
    plx_stream_prefix((uint32_t)n, pre);
    if (cf_buf_add(&out, pre, sizeof(pre)) || cf_buf_add(&out, b, n)) {
        cf_buf_free(&out);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rc = send_bytes(p, out.data, out.len, err, errlen);
    cf_buf_free(&out);
    return rc;
}

int cf_peer_send_frame(cf_peer *p, const uint8_t *b, size_t n, int ws_fragments, char *err,
                       size_t errlen) {
    wlog_bytes(wlog(p, "send", "frame"), b, n);
    return frame_out(p, b, n, ws_fragments, err, errlen);
}

int cf_peer_send_raw(cf_peer *p, const uint8_t *b, size_t n, char *err, size_t errlen) {
    wlog_bytes(wlog(p, "send", "raw"), b, n);
    if (!p->stream) return ws_send(p, CF_WS_BINARY, b, n, 1, err, errlen);
    return send_bytes(p, b, n, err, errlen);
}

int cf_peer_send_text(cf_peer *p, const char *text, char *err, size_t errlen) {
    cJSON *e;

    if (p->stream) {
        snprintf(err, errlen, "text messages exist only on the WebSocket binding");
        return -1;
    }
    e = wlog(p, "send", "text");
    if (e) cJSON_AddStringToObject(e, "text", text);
    return ws_send(p, CF_WS_TEXT, (const uint8_t *)text, strlen(text), 1, err, errlen);
}

/* The wire payload of a message: the body, gzip-compressed when o asks for it. *gz receives an
 * owned buffer when compressed. */
static int wire_payload(cf_peer *p, const cf_send_opts *o, uint8_t *body, size_t blen, uint8_t **gz,
                        const uint8_t **payload, size_t *plen) {
    size_t gzlen = 0;

    *payload = body;
    *plen = blen;
    if (o->gzip == 1 || (o->gzip == 2 && p->gzip && blen >= p->gzip_threshold)) {
        if (plx_gzip_compress(NULL, body, blen, 6, gz, &gzlen)) return -1;
        if (o->gzip == 1 || gzlen < blen) {
            *payload = *gz;
            *plen = gzlen;
            return 1;
        }
    }
    return 0;
}

int cf_peer_send_msg(cf_peer *p, const cJSON *json, const plx_bytes *att, size_t natt,
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
    gzip = wire_payload(p, o, body, blen, &gz, &payload, &plen);
    if (gzip < 0) goto nomem;
    msg_id = o->has_msg_id ? o->msg_id : p->next_msg_id++;
    mf = o->max_frame ? o->max_frame : p->max_frame;
    nframes = plen == 0 ? 1 : (plen + mf - 1) / mf;
    end = o->frame_end < 0 || (size_t)o->frame_end > nframes ? nframes : (size_t)o->frame_end;
    e = wlog(p, "send", "msg");
    wlog_msg(e, json, att, natt, msg_id, nframes, gzip);
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
        rc = frame_out(p, f.data, f.len, o->ws_fragments, err, errlen);
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

int cf_peer_close(cf_peer *p, int code, int abrupt) {
    char err[128];
    cJSON *e;

    if (p->fd < 0 || p->local_closed) return 0;
    p->local_closed = 1;
    e = wlog(p, "send", abrupt ? "drop" : "close");
    if (e && !p->stream && !abrupt) cJSON_AddNumberToObject(e, "code", code);
    if (abrupt || p->stream) return shutdown(p->fd, abrupt ? SHUT_RDWR : SHUT_WR);
    {
        uint8_t b[2] = {(uint8_t)(code >> 8), (uint8_t)code};

        return ws_send(p, CF_WS_CLOSE, b, 2, 1, err, sizeof(err));
    }
}

/* ------------------------------------------------------------------ receiving */

int cf_peer_welcome(cf_peer *p, const cJSON *w) {
    const cJSON *mf = cJSON_GetObjectItemCaseSensitive(w, "max_frame");
    const cJSON *mm = cJSON_GetObjectItemCaseSensitive(w, "max_message");
    const cJSON *gt = cJSON_GetObjectItemCaseSensitive(w, "gzip_threshold");
    plx_assembler_limits l;

    p->welcomed = 1;
    p->max_frame = cJSON_IsNumber(mf) ? (uint32_t)mf->valuedouble : PLX_DEFAULT_MAX_FRAME;
    p->max_message = cJSON_IsNumber(mm) ? (uint32_t)mm->valuedouble : PLX_DEFAULT_MAX_MESSAGE;
    p->gzip = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(w, "gzip"));
    p->gzip_threshold = cJSON_IsNumber(gt) ? (uint32_t)gt->valuedouble : PLX_DEFAULT_GZIP_THRESHOLD;
    l.max_message = p->max_message;
    l.max_partial = PLX_DEFAULT_MAX_PARTIAL;
    l.expiry_ms = PLX_DEFAULT_EXPIRY_MS;
    l.allow_gzip = p->gzip;
    plx_assembler_free(p->as);
    p->as = plx_assembler_new(NULL, &l);
    if (p->df) {
        plx_deframer_free(p->df);
        p->df = plx_deframer_new(NULL, p->max_frame);
    }
    return p->as && (!p->stream || p->df) ? 0 : -1;
}

static void auto_pong(cf_peer *p, const cJSON *ping) {
    cJSON *pong = cJSON_CreateObject();
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(ping, "n");
    cf_send_opts o = {0};
    char err[200];

    if (!pong) return;
    cJSON_AddStringToObject(pong, "t", "pong");
    if (n) cJSON_AddItemToObject(pong, "n", cJSON_Duplicate(n, 1));
    o.frame_end = -1;
    o.ws_fragments = 1;
    wlog(p, "send", "auto-pong");
    cf_peer_send_msg(p, pong, NULL, 0, &o, err, sizeof(err));
    cJSON_Delete(pong);
}

static cf_peer_track *track_find(cf_peer *p, uint32_t id, int create) {
    size_t i;

    for (i = 0; i < CF_PEER_TRACK; i++)
        if (p->track[i].used && p->track[i].msg_id == id) return &p->track[i];
    if (!create) return NULL;
    for (i = 0; i < CF_PEER_TRACK; i++)
        if (!p->track[i].used) {
            p->track[i].used = 1;
            p->track[i].msg_id = id;
            p->track[i].chunks = 0;
            p->track[i].max_len = 0;
            p->track[i].wire_len = 0;
            return &p->track[i];
        }
    return NULL;
}

static void track_drop(cf_peer_track *t) {
    if (t) t->used = 0;
}

/* {"chunks", "gzip", "msg_id", "max_len", "wire_len"} of a completed message (the description
 * an expect step's "frame" matcher sees, as in server mode). */
static cJSON *frame_info(const cf_peer_track *t, uint32_t id, const plx_frame *last) {
    cJSON *w = cJSON_CreateObject();

    cJSON_AddNumberToObject(w, "chunks", t ? t->chunks : 1);
    cJSON_AddBoolToObject(w, "gzip", (last->h.flags & PLX_FLAG_GZIP) != 0);
    cJSON_AddNumberToObject(w, "msg_id", id);
    cJSON_AddNumberToObject(w, "max_len", t ? t->max_len : last->h.length);
    cJSON_AddNumberToObject(w, "wire_len", t ? (double)t->wire_len : last->h.length);
    return w;
}

static void handle_body(cf_peer *p, plx_bytes body, uint32_t msg_id, cJSON *wire) {
    plx_msg m = {0};
    plx_msg_error merr = {0, NULL};
    const cJSON *t;
    cf_pevent *ev;
    int rc = plx_body_decode(NULL, body, &m);

    if (rc) {
        invalid(p, -rc, "client sent a message whose body fails with %s", plx_error_name(rc));
        cJSON_Delete(wire);
        return;
    }
    cf_json_keep_numbers(m.json, (const char *)body.data + 4,
                         (size_t)body.data[0] << 24 | (size_t)body.data[1] << 16 |
                             (size_t)body.data[2] << 8 | body.data[3]);
    wlog_msg(wlog(p, "recv", "msg"), m.json, m.att, m.natt, msg_id,
             (size_t)cJSON_GetObjectItemCaseSensitive(wire, "chunks")->valuedouble,
             cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(wire, "gzip")));
    rc = plx_msg_validate(m.json, m.natt, PLX_DIR_C2S, &merr);
    t = cJSON_GetObjectItemCaseSensitive(m.json, "t");
    if (rc && !(rc == PLX_E_UNKNOWN_TYPE && p->welcomed)) {
        char what[200];

        snprintf(what, sizeof(what), "%s%s%s", plx_error_name(rc), merr.field ? " field " : "",
                 merr.field ? merr.field : "");
        invalid(p, -rc, "client sent a message that fails catalogue validation: %s", what);
        plx_msg_clear(&m);
        cJSON_Delete(wire);
        return;
    }
    if (!rc && !strcmp(t->valuestring, "ping") && p->auto_pong) {
        auto_pong(p, m.json);
        plx_msg_clear(&m);
        cJSON_Delete(wire);
        return;
    }
    ev = calloc(1, sizeof(*ev));
    if (!ev || plx_msg_own(&m)) {
        free(ev);
        plx_msg_clear(&m);
        cJSON_Delete(wire);
        return;
    }
    ev->e.kind = CF_EV_MSG;
    ev->e.msg = m;
    ev->e.msg_id = msg_id;
    ev->wire = wire;
    push(p, ev);
}

static void handle_frame(cf_peer *p, const plx_frame *f) {
    cf_peer_track *t;
    plx_bytes body;
    uint32_t id;
    int rc;

    if (!p->welcomed && (f->h.flags & PLX_FLAG_MORE)) {
        invalid(p, -PLX_E_NOT_READY, "client sent a chunked frame before welcome (SES-3)%s", "");
        return;
    }
    t = track_find(p, f->h.msg_id, 1);
    if (t) {
        t->chunks++;
        t->wire_len += f->h.length;
        if (f->h.length > t->max_len) t->max_len = f->h.length;
    }
    rc = plx_assembler_feed(p->as, f, cf_now_ms(), &body, &id);
    if (rc < 0) {
        invalid(p, -rc, "client sent frames that fail reassembly with %s", plx_error_name(rc));
        return;
    }
    if (rc == 1) {
        cJSON *w = frame_info(t, id, f);

        track_drop(t);
        handle_body(p, body, id, w);
    }
}

static void ws_message(cf_peer *p, int op, const uint8_t *b, size_t n) {
    plx_frame f;
    int rc;

    if (op == CF_WS_TEXT) {
        char *t = malloc(n + 1);
        cJSON *e = wlog(p, "recv", "text");

        if (t) {
            memcpy(t, b, n);
            t[n] = 0;
            if (e) cJSON_AddStringToObject(e, "text", t);
            push_simple(p, CF_EV_TEXT, 0, 0, t);
        }
        free(t);
        return;
    }
    rc = plx_frame_decode(b, n, p->welcomed ? p->max_frame : PLX_HELLO_MAX_LEN, &f);
    if (rc) {
        wlog_bytes(wlog(p, "recv", "frame"), b, n);
        invalid(p, -rc, "client sent a frame that fails with %s", plx_error_name(rc));
        return;
    }
    handle_frame(p, &f);
}

static void ws_control(cf_peer *p, const cf_ws_frame *f) {
    char err[128];

    if (f->opcode == CF_WS_PING) {
        wlog_bytes(wlog(p, "recv", "ws-ping"), f->payload, f->len);
        if (!p->local_closed) ws_send(p, CF_WS_PONG, f->payload, f->len, 1, err, sizeof(err));
    } else if (f->opcode == CF_WS_PONG) {
        wlog_bytes(wlog(p, "recv", "ws-pong"), f->payload, f->len);
    } else {
        int code = f->len >= 2 ? f->payload[0] << 8 | f->payload[1] : 1005;
        cJSON *e = wlog(p, "recv", "close");

        if (e) cJSON_AddNumberToObject(e, "code", code);
        if (e && f->len > 2) {
            char reason[126];

            memcpy(reason, f->payload + 2, f->len - 2);
            reason[f->len - 2] = 0;
            cJSON_AddStringToObject(e, "reason", reason);
        }
        push_simple(p, CF_EV_CLOSE, code, 0, NULL);
        p->remote_closed = 1;
        if (!p->local_closed) {
            uint8_t b[2] = {(uint8_t)(code >> 8), (uint8_t)code};

            p->local_closed = 1;
            ws_send(p, CF_WS_CLOSE, b, f->len >= 2 ? 2 : 0, 1, err, sizeof(err));
        }
    }
}

static void parse_ws(cf_peer *p) {
    size_t off = 0;

    while (!p->broken && !p->remote_closed) {
        cf_ws_frame f;
        char err[200];
        int rc =
            cf_wss_parse(p->in.data + off, p->in.len - off, CF_CONN_WS_MAX, &f, err, sizeof(err));

        if (rc == 0) break;
        if (rc < 0) {
            invalid(p, 0, "%s", err);
            break;
        }
        off += f.consumed;
        if (f.opcode >= 8) {
            ws_control(p, &f);
            continue;
        }
        if ((f.opcode == CF_WS_CONT) != (p->wsmsg_op >= 0)) {
            invalid(p, 0, "%s",
                    f.opcode == CF_WS_CONT ? "WebSocket continuation frame without a message"
                                           : "WebSocket message started inside a fragmented one");
            break;
        }
        if (p->wsmsg_op < 0 && f.fin) {
            ws_message(p, f.opcode, f.payload, f.len);
            continue;
        }
        if (p->wsmsg_op < 0) p->wsmsg_op = f.opcode;
        if (p->wsmsg.len + f.len > CF_CONN_WS_MAX) {
            invalid(p, 0, "%s", "fragmented WebSocket message larger than 16 + 16 MiB");
            break;
        }
        cf_buf_add(&p->wsmsg, f.payload, f.len);
        if (f.fin) {
            ws_message(p, p->wsmsg_op, p->wsmsg.data, p->wsmsg.len);
            p->wsmsg.len = 0;
            p->wsmsg_op = -1;
        }
    }
    cf_buf_consume(&p->in, off);
}

static void parse_stream(cf_peer *p) {
    size_t off = 0;

    while (!p->broken && off < p->in.len) {
        size_t used = 0;
        plx_frame f;
        int rc = plx_deframer_feed(p->df, p->in.data + off, p->in.len - off, &used, &f);

        if (rc < 0) {
            invalid(p, -rc, "client sent a stream that fails with %s", plx_error_name(rc));
            break;
        }
        if (rc == 1) handle_frame(p, &f);
        off += used;
        if (rc == 0) break;
    }
    cf_buf_consume(&p->in, off);
}

static void parse(cf_peer *p) {
    if (p->broken || !p->in.len || p->parsing) return;
    p->parsing = 1;
    if (p->stream)
        parse_stream(p);
    else
        parse_ws(p);
    p->parsing = 0;
}

static void on_eof(cf_peer *p, const char *why) {
    cJSON *e;

    if (p->remote_closed) return;
    p->remote_closed = 1;
    e = wlog(p, "recv", p->stream ? "eof" : "dropped");
    if (e && why) cJSON_AddStringToObject(e, "what", why);
    push_simple(p, CF_EV_CLOSE, p->stream ? 0 : 1006, 0, NULL);
}

int cf_peer_pollfd(const cf_peer *p) {
    return p->fd < 0 || p->remote_closed || p->broken ? -1 : p->fd;
}

int cf_peer_pump(cf_peer *p, int timeout_ms) {
    struct pollfd pf;
    uint8_t buf[262144];
    ssize_t n;

    parse(p);
    if (cf_peer_pollfd(p) < 0) return -1;
    pf.fd = p->fd;
    pf.events = POLLIN;
    if (poll(&pf, 1, timeout_ms) <= 0) return 0;
    n = recv(p->fd, buf, sizeof(buf), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    if (n <= 0) {
        parse(p);
        on_eof(p, n < 0 ? strerror(errno) : NULL);
        return -1;
    }
    if (p->in.len + (size_t)n > CF_CONN_IN_MAX || cf_buf_add(&p->in, buf, (size_t)n)) {
        invalid(p, 0, "%s", "more undecoded input than the runner buffers");
        return -1;
    }
    parse(p);
    return 0;
}

/* ------------------------------------------------------------------ init / free */

int cf_peer_init(cf_peer *p, const char *name, int fd, int stream, const cf_buf *leftover,
                 cJSON *log, uint64_t t0) {
    plx_assembler_limits l = {PLX_MIN_MAX_MESSAGE, PLX_DEFAULT_MAX_PARTIAL, PLX_DEFAULT_EXPIRY_MS,
                              0};
    cJSON *e;

    memset(p, 0, sizeof(*p));
    snprintf(p->name, sizeof(p->name), "%s", name);
    p->fd = fd;
    p->stream = stream;
    p->wsmsg_op = -1;
    p->log = log;
    p->t0 = t0;
    p->max_frame = PLX_HELLO_MAX_LEN;
    p->max_message = PLX_MIN_MAX_MESSAGE;
    p->next_msg_id = 1;
    p->auto_pong = 1;
    p->as = plx_assembler_new(NULL, &l);
    if (stream) p->df = plx_deframer_new(NULL, PLX_HELLO_MAX_LEN);
    if (!p->as || (stream && !p->df)) return -1;
    if (leftover && leftover->len && cf_buf_add(&p->in, leftover->data, leftover->len)) return -1;
    e = wlog(p, "recv", "open");
    if (e) cJSON_AddStringToObject(e, "binding", stream ? "stream" : "websocket");
    return 0;
}

void cf_peer_free(cf_peer *p) {
    cf_pevent *e;
    size_t i;

    while ((e = cf_peer_pop(p)) != NULL)
        cf_pevent_free(e);
    for (i = 0; i < CF_PEER_TRACK; i++)
        track_drop(&p->track[i]);
    if (p->fd >= 0) close(p->fd);
    p->fd = -1;
    plx_deframer_free(p->df);
    plx_assembler_free(p->as);
    p->df = NULL;
    p->as = NULL;
    cf_buf_free(&p->in);
    cf_buf_free(&p->wsmsg);
}
