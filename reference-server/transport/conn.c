/*
 * conn.c - one peer connection: WebSocket message reassembly, the codec's reader into the
 * hub, the hub's messages through the encoder into the bounded send queue, and closing.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conn.h"
#include "log.h"

#define GZIP_LEVEL 1 /* fastest: the server compresses on its service thread */

#define PLX_BATCH_BYTES PLX_WRITE_PIECE /* bytes gathered from small frames into one write */
#define PLX_BATCH_SMALL (8u << 10)      /* larger frames are written alone, not copied */
/* Bytes one flush writes at most; the rest goes out on writable callbacks, one budget per
 * service round, so the input of every connection is read in between (a ping or a small
 * request is answered while a large transfer is still being written: CHK-5) and one large
 * transfer does not hold the service thread. */
#define PLX_FLUSH_BUDGET (256u << 10)

/* The limits a connection has before the hub negotiated any: the server's own. */
static plx_conn_limits server_limits(const plx_server *s) {
    plx_conn_limits l;

    l.max_frame = s->opt->max_frame;
    l.max_message = s->opt->max_message;
    l.gzip_threshold = PLX_DEFAULT_GZIP_THRESHOLD;
    l.gzip = 1;
    return l;
}

/* The connection's current limits: negotiated ones from the hub, else the server's; until
 * welcome (SES-3) frames are at most 65,536 bytes and gzip is not in effect. */
static plx_conn_limits current_limits(const plx_conn *c) {
    plx_conn_limits l;

    if (!c->id || c->hub_done || plx_hub_limits(c->srv->hub, c->id, &l) != 0)
        l = server_limits(c->srv);
    if (!c->ready) {
        if (l.max_frame > PLX_HELLO_MAX_LEN) l.max_frame = PLX_HELLO_MAX_LEN;
        l.gzip = 0;
    }
    return l;
}

static int same_limits(const plx_conn_limits *a, const plx_conn_limits *b) {
    return a->max_frame == b->max_frame && a->max_message == b->max_message &&
           a->gzip_threshold == b->gzip_threshold && !a->gzip == !b->gzip;
}

static plx_assembler_limits assembler_limits(const plx_conn_limits *l) {
    plx_assembler_limits al;

    al.max_message = l->max_message;
    al.max_partial = PLX_DEFAULT_MAX_PARTIAL;
    al.expiry_ms = PLX_DEFAULT_EXPIRY_MS;
    al.allow_gzip = l->gzip;
    return al;
}

/* After a message (hello in particular) the reader follows the negotiated limits. */
static void sync_reader_limits(plx_conn *c) {
    plx_conn_limits l = current_limits(c);
    plx_assembler_limits al;

    if (same_limits(&l, &c->rlimits)) return;
    al = assembler_limits(&l);
    if (plx_reader_set_limits(c->reader, l.max_frame, &al) == 0) c->rlimits = l;
}

plx_conn *plx_conn_open(plx_server *s, struct lws *wsi, plx_conn_kind kind) {
    plx_conn *c = calloc(1, sizeof(*c));
    plx_reader_config rc;
    plx_conn_id id;

    if (!c) return NULL;
    c->srv = s;
    c->wsi = wsi;
    c->kind = kind;
    c->rlimits = current_limits(c);
    memset(&rc, 0, sizeof(rc));
    rc.limits = assembler_limits(&c->rlimits);
    rc.max_frame = c->rlimits.max_frame;
    rc.dir = PLX_DIR_C2S;
    c->reader = plx_reader_new(NULL, &rc);
    c->q = plx_sendq_new(s->opt->max_queue, kind == PLX_CONN_TCP ? PLX_STREAM_PREFIX_LEN : 0,
                         PLX_DEFAULT_MAX_PARTIAL);
    if (kind == PLX_CONN_TCP) c->hello_deframer = plx_deframer_new(NULL, PLX_HELLO_MAX_LEN);
    if (!c->reader || !c->q || (kind == PLX_CONN_TCP && !c->hello_deframer)) {
        plx_deframer_free(c->hello_deframer);
        plx_reader_free(c->reader);
        plx_sendq_free(c->q);
        free(c);
        return NULL;
    }
    s->live++;
    s->opening = c; /* a full hub sends SERVER_FULL to the new id inside plx_hub_open */
    id = plx_hub_open(s->hub, plx_now_ms());
    s->opening = NULL;
    if (!id) {
        plx_log(PLX_LOG_ERROR, "hub out of memory opening a connection");
        c->hub_done = 1;
        plx_conn_close(c, 1011, "internal error");
        return c;
    }
    if (!c->id) {
        c->id = id;
        if (plx_connmap_put(s->conns, id, c)) {
            plx_hub_closed(s->hub, id, plx_now_ms());
            c->hub_done = 1;
            plx_conn_close(c, 1011, "internal error");
            return c;
        }
    }
    plx_log(PLX_LOG_DEBUG, "conn %llu open (%s)", (unsigned long long)c->id,
            kind == PLX_CONN_WS ? "websocket" : "tcp");
    return c;
}

/* The message's id when it is a uint (SPEC 8.2), else -1. */
static int64_t message_id(const plx_msg *m) {
    const cJSON *jid = m && m->json ? cJSON_GetObjectItemCaseSensitive(m->json, "id") : NULL;

    if (cJSON_IsNumber(jid) && jid->valuedouble >= 0 && jid->valuedouble <= 9007199254740991.0 &&
        jid->valuedouble == (double)(int64_t)jid->valuedouble)
        return (int64_t)jid->valuedouble;
    return -1;
}

/* ERR-3 for a reply the catalogue rejected: error{code, name, message, re: id}. The hub's
 * plx_hub_codec_error can only answer with reply{id}, which would look like an answer. */
static void error_about_reply(plx_conn *c, int code, const char *detail, int64_t id) {
    cJSON *e = cJSON_CreateObject();
    int rc = PLX_E_NOMEM;

    if (e && cJSON_AddStringToObject(e, "t", "error") &&
        cJSON_AddNumberToObject(e, "code", -code) &&
        cJSON_AddStringToObject(e, "name", plx_error_name(code)) &&
        cJSON_AddStringToObject(e, "message", detail) &&
        cJSON_AddNumberToObject(e, "re", (double)id))
        rc = plx_conn_send(c, e, NULL, 0);
    cJSON_Delete(e);
    if (rc < 0 && !c->hub_done) /* over the bound: the hub closes it as a slow reader */
        plx_hub_codec_error(c->srv->hub, c->id, PLX_E_SLOW_READER, plx_strerror(rc), -1,
                            plx_now_ms());
}

/* Reports a codec error: fatal ones (ERR-2) to the hub, which sends the error and closes,
 * and the receive path stops; non-fatal ones as ERR-3 says. Before welcome, a message that
 * is not a hello is NOT_READY whatever else is wrong with it (SPEC 8.4 step 10 before 11). */
static void codec_error(plx_conn *c, int code, const plx_msg_error *e, const plx_msg *m) {
    char detail[160];
    int64_t id = message_id(m);
    /* The reader keeps a rejected message's JSON only when it has an id; its type always. */
    const char *type = plx_reader_last_type(c->reader);
    if (!plx_error_fatal(code) && !c->ready && (!type || strcmp(type, "hello") != 0)) {
        code = PLX_E_NOT_READY;
        e = NULL;
    }
    if (e && e->field)
        snprintf(detail, sizeof(detail), "%s (field '%s')", plx_strerror(code), e->field);
    else
        snprintf(detail, sizeof(detail), "%s", plx_strerror(code));
    plx_log(PLX_LOG_DEBUG, "conn %llu: %s: %s", (unsigned long long)c->id, plx_error_name(code),
            detail);
    if (plx_error_fatal(code)) {
        c->rx_dead = 1;
        id = -1;
    } else if (type && strcmp(type, "error") == 0) {
        return; /* ERR-3: an error message is never answered */
    } else if (type && strcmp(type, "reply") == 0) {
        if (id >= 0) {
            error_about_reply(c, code, detail, id);
            return;
        }
    }
    if (c->hub_done) return;
    plx_hub_codec_error(c->srv->hub, c->id, code, detail, id, plx_now_ms());
}

/* One result of plx_reader_frame / plx_reader_stream. */
static void reader_result(plx_conn *c, int rc, plx_msg *m, const plx_msg_error *e) {
    if (rc == 1) {
        if (!c->hub_done) plx_hub_message(c->srv->hub, c->id, m, plx_now_ms());
        plx_msg_clear(m);
        sync_reader_limits(c);
    } else if (rc < 0) {
        codec_error(c, rc, e, m);
        plx_msg_clear(m);
    }
}

static void handle_frame(plx_conn *c, const uint8_t *data, size_t len) {
    plx_msg m;
    plx_msg_error e = {0, NULL};
    plx_frame_header h;
    int rc;

    /* SES-3: before welcome a frame with MORE set is NOT_READY (a bad header is reported
     * by the reader below, with its own code). */
    if (!c->ready && plx_frame_header_decode(data, len, PLX_HELLO_MAX_LEN, &h) == 0 &&
        (h.flags & PLX_FLAG_MORE)) {
        codec_error(c, PLX_E_NOT_READY, NULL, NULL);
        return;
    }
    memset(&m, 0, sizeof(m));
    rc = plx_reader_frame(c->reader, data, len, plx_now_ms(), &m, &e);
    reader_result(c, rc, &m, &e);
}

static void rx_reset(plx_conn *c) {
    c->rx_len = 0;
    c->rx_want = 0;
    c->rx_in_msg = 0;
    if (c->rx_cap > 4 * PLX_RX_BUFFER) { /* do not keep a large buffer per idle connection */
        free(c->rx);
        c->rx = NULL;
        c->rx_cap = 0;
    }
}

/* Grows rx to hold need bytes (need <= the reassembly bound). 0 or -1. */
static int rx_reserve(plx_conn *c, size_t need, size_t bound) {
    size_t cap = c->rx_cap ? c->rx_cap : PLX_RX_BUFFER;
    uint8_t *p;

    if (need <= c->rx_cap) return 0;
    while (cap < need)
        cap *= 2;
    if (cap > bound) cap = bound;
    p = realloc(c->rx, cap);
    if (!p) return -1;
    c->rx = p;
    c->rx_cap = cap;
    return 0;
}

void plx_conn_ws_data(plx_conn *c, const uint8_t *data, size_t len, int final) {
    size_t bound = PLX_FRAME_HEADER_LEN + (size_t)c->rlimits.max_frame;
    plx_frame_header h;
    int rc;

    if (c->rx_dead) return;
    if (!c->rx_in_msg && final) { /* the whole message in one piece: no copy */
        handle_frame(c, data, len);
        return;
    }
    c->rx_in_msg = 1;
    if (len > bound - c->rx_len) { /* longer than any valid frame: say why, like the codec */
        if (c->rx_len < PLX_FRAME_HEADER_LEN) {
            uint8_t head[PLX_FRAME_HEADER_LEN];
            memcpy(head, c->rx, c->rx_len);
            memcpy(head + c->rx_len, data, PLX_FRAME_HEADER_LEN - c->rx_len);
            rc = plx_frame_header_decode(head, sizeof(head), c->rlimits.max_frame, &h);
        } else {
            rc = plx_frame_header_decode(c->rx, c->rx_len, c->rlimits.max_frame, &h);
        }
        codec_error(c, rc < 0 ? rc : PLX_E_LENGTH_MISMATCH, NULL, NULL);
        rx_reset(c);
        return;
    }
    if (rx_reserve(c, c->rx_len + len, bound)) {
        codec_error(c, PLX_E_INTERNAL, NULL, NULL);
        rx_reset(c);
        return;
    }
    memcpy(c->rx + c->rx_len, data, len);
    c->rx_len += len;
    if (!c->rx_want && c->rx_len >= PLX_FRAME_HEADER_LEN) { /* fail early on a bad header */
        rc = plx_frame_header_decode(c->rx, c->rx_len, c->rlimits.max_frame, &h);
        if (rc < 0) {
            codec_error(c, rc, NULL, NULL);
            rx_reset(c);
            return;
        }
        c->rx_want = PLX_FRAME_HEADER_LEN + (size_t)h.length;
    }
    if (c->rx_want && c->rx_len > c->rx_want) {
        codec_error(c, PLX_E_LENGTH_MISMATCH, NULL, NULL);
        rx_reset(c);
        return;
    }
    if (final) {
        handle_frame(c, c->rx, c->rx_len);
        rx_reset(c);
    }
}

/* Stream binding before welcome: frames one at a time through a deframer bound to 65,536
 * bytes, so each gets the checks of handle_frame. Returns the bytes used; stops once the
 * connection is ready (the deframer then holds nothing: it stops after each frame). */
static size_t stream_before_welcome(plx_conn *c, const uint8_t *data, size_t len) {
    size_t done = 0;

    while (done < len && !c->ready && !c->rx_dead) {
        size_t used = 0;
        plx_frame f;
        int rc = plx_deframer_feed(c->hello_deframer, data + done, len - done, &used, &f);

        done += used;
        if (rc < 0) {
            codec_error(c, rc, NULL, NULL);
        } else if (rc == 1) {
            uint8_t *buf = malloc(PLX_FRAME_HEADER_LEN + f.h.length);
            if (!buf) {
                codec_error(c, PLX_E_INTERNAL, NULL, NULL);
                break;
            }
            plx_frame_header_encode(&f.h, buf);
            memcpy(buf + PLX_FRAME_HEADER_LEN, f.payload, f.h.length);
            handle_frame(c, buf, PLX_FRAME_HEADER_LEN + f.h.length);
            free(buf);
        } else if (used == 0) {
            break;
        }
    }
    if (c->ready && c->hello_deframer) {
        plx_deframer_free(c->hello_deframer);
        c->hello_deframer = NULL;
    }
    return done;
}

void plx_conn_stream_data(plx_conn *c, const uint8_t *data, size_t len) {
    if (c->hello_deframer && !c->rx_dead) {
        size_t used = stream_before_welcome(c, data, len);
        data += used;
        len -= used;
    }
    while (len > 0 && !c->rx_dead) {
        plx_msg m;
        plx_msg_error e = {0, NULL};
        size_t used = 0;
        int rc;

        memset(&m, 0, sizeof(m));
        rc = plx_reader_stream(c->reader, data, len, &used, plx_now_ms(), &m, &e);
        reader_result(c, rc, &m, &e);
        if (used > len) used = len;
        data += used;
        len -= used;
        if (rc == 0 || used == 0) break;
    }
}

/* Makes sure the encoder matches the connection's current limits. 0 or PLX_E_NOMEM. */
static int ensure_encoder(plx_conn *c) {
    plx_conn_limits l = current_limits(c);
    plx_encoder_config cfg;

    if (c->enc && same_limits(&l, &c->elimits)) return 0;
    plx_encoder_free(c->enc);
    memset(&cfg, 0, sizeof(cfg));
    cfg.max_frame = l.max_frame;
    cfg.max_message = l.max_message;
    cfg.gzip_threshold = l.gzip_threshold;
    cfg.gzip = l.gzip;
    cfg.gzip_level = GZIP_LEVEL;
    cfg.stream_prefix = c->kind == PLX_CONN_TCP;
    c->enc = plx_encoder_new(NULL, &cfg);
    if (!c->enc) return PLX_E_NOMEM;
    c->elimits = l;
    return 0;
}

static void encoder_drain(plx_encoder *e) {
    plx_bytes iov[PLX_ENCODER_MAX_IOV];
    size_t niov;

    while (plx_encoder_next(e, iov, &niov) == 1) {
    }
}

/* Writes queued frames until the queue is empty, libwebsockets holds back part of a write
 * (the socket is full) or PLX_FLUSH_BUDGET bytes went out. -1 when a write failed. */
static int write_queue(plx_conn *c) {
    uint8_t batch[LWS_PRE + PLX_BATCH_BYTES];
    int ws = c->kind == PLX_CONN_WS;
    uint64_t start = plx_sendq_bytes(c->q);
    plx_piece p;
    size_t n;

    while (start - plx_sendq_bytes(c->q) < PLX_FLUSH_BUDGET && !lws_partial_buffered(c->wsi) &&
           plx_sendq_peek(c->q, ws ? SIZE_MAX : PLX_WRITE_PIECE, &p)) {
        if (p.len > PLX_BATCH_SMALL) { /* WebSocket: a whole frame, one binary message */
            if (lws_write(c->wsi, p.data, p.len, ws ? LWS_WRITE_BINARY : LWS_WRITE_RAW) <
                (int)p.len)
                return -1;
            plx_sendq_advance(c->q, p.len);
            continue;
        }
        /* Small frames: one write of many, with their WebSocket headers when framed (a raw
         * write on a WebSocket connection goes out as it is, after what lws holds back). */
        n = plx_sendq_batch(c->q, batch + LWS_PRE, PLX_BATCH_BYTES, PLX_BATCH_SMALL, ws);
        if (n == 0 || lws_write(c->wsi, batch + LWS_PRE, n, LWS_WRITE_RAW) < (int)n) return -1;
    }
    return 0;
}

int plx_conn_flush(plx_conn *c) {
    if (c->shut || c->peer_closed) return 0;
    if (write_queue(c)) {
        plx_log(PLX_LOG_DEBUG, "conn %llu: write failed", (unsigned long long)c->id);
        return -1;
    }
    if (plx_sendq_bytes(c->q) || lws_partial_buffered(c->wsi))
        lws_callback_on_writable(c->wsi);
    else if (c->closing)
        plx_conn_start_close(c); /* TCP: no close code, the error said why */
    return 0;
}

static void flush_now(lws_sorted_usec_list_t *sul) {
    plx_conn *c = lws_container_of(sul, plx_conn, flush_sul);

    c->flush_due = 0;
    if (plx_conn_flush(c) < 0) lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* Queued output goes out from flush_sul: lws runs due timers before it polls, so what the
 * handling of one read queued (replies, fan-out to many connections) is written, gathered
 * per connection, in the same service round. */
static void schedule_flush(plx_conn *c) {
    if (c->flush_due || c->shut) return;
    c->flush_due = 1;
    lws_sul_schedule(c->srv->ctx, 0, &c->flush_sul, flush_now, 0);
}

/* Encodes one message into the send queue; bounded: over the bound is PLX_E_SLOW_READER
 * with nothing queued. */
static int queue_message(plx_conn *c, const cJSON *json, const plx_bytes *att, size_t natt,
                         int bounded) {
    plx_bytes iov[PLX_ENCODER_MAX_IOV];
    size_t niov, total, n = 0;
    uint8_t *buf;
    int rc;

    if ((rc = ensure_encoder(c))) return rc;
    rc = plx_encoder_begin(c->enc, c->next_msg_id++, json, att, natt);
    if (rc < 0) {
        /* TOO_LARGE is the peer's max_message (LIM-5): the hub answers it, nothing is wrong */
        plx_log(rc == PLX_E_TOO_LARGE ? PLX_LOG_DEBUG : PLX_LOG_WARN,
                "conn %llu: cannot encode a message: %s", (unsigned long long)c->id,
                plx_strerror(rc));
        return rc;
    }
    total = plx_encoder_total(c->enc);
    if (bounded && !plx_sendq_fits(c->q, total)) {
        encoder_drain(c->enc);
        return PLX_E_SLOW_READER;
    }
    buf = malloc(LWS_PRE + total);
    if (!buf) {
        encoder_drain(c->enc);
        return PLX_E_NOMEM;
    }
    while (plx_encoder_next(c->enc, iov, &niov) == 1) {
        for (size_t i = 0; i < niov; i++) {
            if (iov[i].len > total - n) { /* cannot happen: total counts every byte */
                encoder_drain(c->enc);
                free(buf);
                return PLX_E_INTERNAL;
            }
            memcpy(buf + LWS_PRE + n, iov[i].data, iov[i].len);
            n += iov[i].len;
        }
    }
    if (plx_sendq_push(c->q, buf, LWS_PRE, n)) return PLX_E_NOMEM;
    schedule_flush(c);
    return 0;
}

/* LIM-4: the queue went over its bound. Drop what has not started, queue the SLOW_READER
 * error (past the bound: it is small and the last message), and let the hub close. */
static void overflow(plx_conn *c) {
    cJSON *e = cJSON_CreateObject();

    plx_log(PLX_LOG_WARN, "conn %llu: send queue over %llu bytes: closing as a slow reader",
            (unsigned long long)c->id, (unsigned long long)c->srv->opt->max_queue);
    c->overflowed = 1;
    plx_sendq_truncate(c->q);
    if (e && cJSON_AddStringToObject(e, "t", "error") &&
        cJSON_AddNumberToObject(e, "code", -PLX_E_SLOW_READER) &&
        cJSON_AddStringToObject(e, "name", plx_error_name(PLX_E_SLOW_READER)) &&
        cJSON_AddStringToObject(e, "message", plx_strerror(PLX_E_SLOW_READER)))
        queue_message(c, e, NULL, 0, 0);
    cJSON_Delete(e);
}

void plx_conn_drop_unsent(plx_conn *c) {
    uint64_t n = plx_sendq_truncate(c->q);
    if (n)
        plx_log(PLX_LOG_DEBUG, "conn %llu: %llu unsent bytes dropped", (unsigned long long)c->id,
                (unsigned long long)n);
}

int plx_conn_send(plx_conn *c, const cJSON *json, const plx_bytes *att, size_t natt) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(json, "t");
    int rc;

    if (c->overflowed) return PLX_E_SLOW_READER; /* closing: nothing more after the error */
    rc = queue_message(c, json, att, natt, 1);   /* welcome itself goes out as before welcome */
    if (rc == PLX_E_SLOW_READER) overflow(c);
    if (rc == 0 && !c->ready && cJSON_IsString(t) && strcmp(t->valuestring, "welcome") == 0)
        c->ready = 1; /* the reader follows after this message (sync_reader_limits) */
    return rc;
}

/* LIM-4: the close handshake took too long (a peer that reads nothing, or never answers the
 * close frame, which lws would wait for on its own timer): drop the socket. */
static void kill_now(lws_sorted_usec_list_t *sul) {
    plx_conn *c = lws_container_of(sul, plx_conn, kill_sul);

    plx_log(PLX_LOG_DEBUG, "conn %llu: close not finished in %d ms: dropping it",
            (unsigned long long)c->id, PLX_CLOSE_DEADLINE_MS);
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void plx_conn_close(plx_conn *c, int ws_code, const char *reason) {
    if (c->closing) return;
    c->closing = 1;
    c->rx_dead = 1;
    c->hub_done = 1;
    c->close_code = ws_code;
    /* TRN-10: the close reason is the registry name in lower case */
    snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason ? reason : "");
    for (char *p = c->close_reason; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    plx_log(PLX_LOG_DEBUG, "conn %llu closing %d %s", (unsigned long long)c->id, ws_code,
            c->close_reason);
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, PLX_CLOSE_DRAIN_SECS);
    lws_sul_schedule(c->srv->ctx, 0, &c->kill_sul, kill_now,
                     (lws_usec_t)PLX_CLOSE_DEADLINE_MS * LWS_US_PER_MS);
    lws_callback_on_writable(c->wsi);
}

static void close_now(lws_sorted_usec_list_t *sul) {
    plx_conn *c = lws_container_of(sul, plx_conn, close_sul);

    lws_close_free_wsi(c->wsi, (enum lws_close_status)c->close_code, "plexus close");
}

void plx_conn_start_close(plx_conn *c) {
    if (c->shut) return;
    c->shut = 1;
    if (c->kind == PLX_CONN_TCP) {
        shutdown(lws_get_socket_fd(c->wsi), SHUT_WR);
        return;
    }
    lws_close_reason(c->wsi, (enum lws_close_status)c->close_code, (unsigned char *)c->close_reason,
                     strlen(c->close_reason));
    lws_sul_schedule(c->srv->ctx, 0, &c->close_sul, close_now, 1);
}

void plx_conn_tick(plx_conn *c, uint64_t now_ms) {
    int rc;

    if (c->rx_dead) return;
    rc = plx_reader_tick(c->reader, now_ms);
    if (rc < 0) codec_error(c, rc, NULL, NULL);
}

void plx_conn_gone(plx_conn *c) {
    plx_server *s = c->srv;

    plx_log(PLX_LOG_DEBUG, "conn %llu gone (%llu bytes unsent)", (unsigned long long)c->id,
            (unsigned long long)plx_sendq_bytes(c->q));
    if (c->id && !c->hub_done) {
        c->hub_done = 1;
        plx_hub_closed(s->hub, c->id, plx_now_ms());
    }
    if (c->id && plx_connmap_get(s->conns, c->id) == c) plx_connmap_del(s->conns, c->id);
    if (s->opening == c) s->opening = NULL;
    lws_sul_cancel(&c->close_sul);
    lws_sul_cancel(&c->kill_sul);
    lws_sul_cancel(&c->flush_sul);
    plx_deframer_free(c->hello_deframer);
    plx_reader_free(c->reader);
    plx_encoder_free(c->enc);
    plx_sendq_free(c->q);
    free(c->rx);
    free(c);
    s->live--;
}
