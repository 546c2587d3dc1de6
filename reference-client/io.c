/*
 * io.c - the I/O thread: opens sessions (transport, hello, welcome, restore), services the
 * socket, routes every received message (replies to their waiters, calls, reads and
 * notifications to the dispatcher, pings answered at once), watches for a silent server,
 * and on a drop fails what was pending and reconnects with backoff.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Codes after which reconnecting would be wrong: another client holds our name by the
 * override key, or our credentials are refused. */
static int terminal(int code) {
    return code == PLX_E_REPLACED || code == PLX_E_AUTH_FAILED || code == PLX_E_CLOSED ||
           code == PLX_E_UNSUPPORTED_VERSION;
}

void plx_io_kick(plx_client *c) {
    c->io_kick = 1;
    pthread_cond_signal(&c->io_cv);
    if (c->io_busy) c->tops->wake(c); /* a reader in poll(2) polls again, for POLLOUT too */
}

/* Sends a fatal error to the server (SES-22) and marks the session over. */
void plx_io_fatal(plx_client *c, int code) {
    cJSON *e = plx_error_json(code, NULL, NULL);

    if (e) {
        cJSON_AddStringToObject(e, "t", "error");
        plx_send(c, c->gen, e, NULL, 0, 1, 0);
        cJSON_Delete(e);
    }
    c->rx_fatal = code;
    c->fatal_sent = code;
}

/* A non-fatal problem with a received message: answered per ERR-3. */
static void message_error(plx_client *c, int code, const plx_msg *m) {
    /* The reader keeps m->json only for a message with an id; its type always (ERR-3). */
    const char *t = m->json ? plx_wire_str(m->json, "t") : plx_reader_last_type(c->reader);
    int has = 0;
    uint64_t id = m->json ? plx_wire_uint(m->json, "id", &has) : 0;
    cJSON *msg;

    if (t && strcmp(t, "error") == 0) return; /* an error is never answered */
    if (!has || (t && strcmp(t, "reply") == 0)) {
        /* error{code, name, message}, with re = id for a reply */
        msg = plx_error_json(code, NULL, NULL);
        if (msg) {
            cJSON_AddStringToObject(msg, "t", "error");
            if (has) cJSON_AddNumberToObject(msg, "re", (double)id);
        }
    } else {
        msg = cJSON_CreateObject();
        if (msg) {
            cJSON_AddStringToObject(msg, "t", "reply");
            cJSON_AddNumberToObject(msg, "id", (double)id);
            cJSON_AddItemToObject(msg, "error", plx_error_json(code, NULL, NULL));
        }
    }
    if (msg) plx_send(c, c->gen, msg, NULL, 0, 1, 0);
    cJSON_Delete(msg);
}

/* error{re} answers a request of ours: give its waiter a reply-shaped message. */
static void error_as_reply(plx_client *c, uint64_t re, plx_msg *m) {
    cJSON *r = cJSON_CreateObject(), *e = cJSON_Duplicate(m->json, 1);

    if (!r || !e) {
        cJSON_Delete(r);
        cJSON_Delete(e);
        return;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(e, "t");
    cJSON_DeleteItemFromObjectCaseSensitive(e, "re");
    cJSON_AddStringToObject(r, "t", "reply");
    cJSON_AddNumberToObject(r, "id", (double)re);
    cJSON_AddItemToObject(r, "error", e);
    cJSON_Delete(m->json);
    m->json = r;
    plx_pending_complete(c, re, m);
}

static void on_hello_answer(plx_client *c, const char *t, plx_msg *m) {
    const char *text;

    if (strcmp(t, "welcome") == 0) {
        c->hello_code = plx_session_welcome(c, m->json) ? PLX_E_BAD_REPLY : 1;
        if (c->hello_code == 1) plx_session_restore(c);
    } else if (strcmp(t, "error") == 0) {
        c->hello_code = -(int)plx_wire_uint(m->json, "code", NULL);
        if (c->hello_code >= 0) c->hello_code = PLX_E_BAD_REPLY;
        text = plx_wire_str(m->json, "message");
        snprintf(c->hello_msg, sizeof(c->hello_msg), "%s: %s", plx_client_error_name(c->hello_code),
                 text ? text : plx_client_strerror(c->hello_code));
    }
}

static void on_error_message(plx_client *c, plx_msg *m) {
    int has;
    uint64_t re = plx_wire_uint(m->json, "re", &has);
    int code = -(int)plx_wire_uint(m->json, "code", NULL);

    if (has) {
        error_as_reply(c, re, m);
        return;
    }
    plx_dispatch_status(c, PLX_STATUS_ERROR, code, plx_wire_str(m->json, "message"));
    if (plx_error_fatal(code)) c->rx_fatal = code; /* the server closes after it */
}

static void on_ping(plx_client *c, const plx_msg *m) {
    cJSON *pong = cJSON_CreateObject();
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(m->json, "n");

    char digits[32];

    if (!pong) return;
    cJSON_AddStringToObject(pong, "t", "pong");
    if (cJSON_IsNumber(n) && fabs(n->valuedouble) <= 9007199254740992.0 &&
        n->valuedouble == floor(n->valuedouble)) {
        /* the same integer in plain digits (SES-15, BODY-12): the JSON printer would give
         * 15 significant digits from 10^15 on */
        snprintf(digits, sizeof(digits), "%.0f", n->valuedouble);
        cJSON_AddItemToObject(pong, "n", cJSON_CreateRaw(digits));
    } else if (n) {
        cJSON_AddItemToObject(pong, "n", cJSON_Duplicate(n, 1));
    }
    plx_send_locked(c, c->gen, pong, NULL, 0, 1, 0);
    cJSON_Delete(pong);
}

/* Routes one validated message (mu held). */
static void deliver(plx_client *c, plx_msg *m) {
    const char *t = plx_wire_str(m->json, "t");

    if (!t) return;
    if (c->state == PLX_ST_HELLO) {
        on_hello_answer(c, t, m);
        return;
    }
    if (strcmp(t, "reply") == 0)
        plx_pending_complete(c, plx_wire_uint(m->json, "id", NULL), m);
    else if (strcmp(t, "error") == 0)
        on_error_message(c, m);
    else if (strcmp(t, "ping") == 0)
        on_ping(c, m);
    else if (strcmp(t, "bye") == 0)
        c->rx_fatal = PLX_E_DISCONNECTED;
    else if (strcmp(t, "call") == 0)
        plx_dispatch_push(c, PLX_ITEM_CALL, m);
    else if (strcmp(t, "read") == 0)
        plx_dispatch_push(c, PLX_ITEM_READ, m);
    else if (strcmp(t, "event") == 0)
        plx_dispatch_push(c, PLX_ITEM_EVENT, m);
    else if (strcmp(t, "presence") == 0)
        plx_dispatch_push(c, PLX_ITEM_PRESENCE, m);
    else if (strcmp(t, "change") == 0)
        plx_dispatch_push(c, PLX_ITEM_CHANGE, m);
    /* pong, welcome again: nothing to do */
}

/* The outcome of one reader call. Returns 0, or the fatal code. */
static int after_read(plx_client *c, int rc, plx_msg *m) {
    if (rc == 1) {
        pthread_mutex_lock(&c->mu);
        deliver(c, m);
        pthread_mutex_unlock(&c->mu);
    } else if (rc < 0 && plx_error_fatal(rc)) {
        plx_io_fatal(c, rc);
    } else if (rc < 0) {
        message_error(c, rc, m);
    }
    plx_msg_clear(m);
    return rc < 0 && plx_error_fatal(rc) ? rc : 0;
}

/* 1 when a frame of flen bytes starting with header hdr is a chunk that starts a message
 * before welcome: NOT_READY (SES-3, ERR-1 step 5). Frames failing an earlier check (header,
 * length, offset gap, GZIP) are left to the reader, which reports those errors. */
static int hello_chunk(const uint8_t *hdr, size_t flen) {
    plx_frame_header h;

    if (flen < PLX_FRAME_HEADER_LEN ||
        plx_frame_header_decode(hdr, PLX_FRAME_HEADER_LEN, PLX_HELLO_MAX_FRAME, &h))
        return 0;
    return (h.flags & PLX_FLAG_MORE) && !(h.flags & PLX_FLAG_GZIP) && h.offset == 0 &&
           (size_t)h.length + PLX_FRAME_HEADER_LEN == flen;
}

void plx_io_frame(plx_client *c, const uint8_t *frame, size_t len) {
    plx_msg m;
    plx_msg_error e;
    int rc;

    if (c->rx_fatal) return;
    if (!c->hello_code && hello_chunk(frame, len)) {
        plx_io_fatal(c, PLX_E_NOT_READY);
        return;
    }
    c->last_rx_ms = plx_client_now_ms();
    memset(&m, 0, sizeof(m));
    rc = plx_reader_frame(c->reader, frame, len, c->last_rx_ms, &m, &e);
    after_read(c, rc, &m);
}

/* Stream binding before welcome (SES-3): each frame's prefix and header are looked at
 * before the reader takes the rest of the frame. Returns how many of the len bytes may go to
 * the reader now (they end at the latest where a header or a frame ends), or NOT_READY. */
static int64_t hello_span(plx_client *c, const uint8_t *data, size_t len) {
    size_t n;
    uint32_t flen;

    if (c->hs_left) {
        n = len < c->hs_left ? len : c->hs_left;
        c->hs_left -= (uint32_t)n;
        return (int64_t)n;
    }
    n = sizeof(c->hs_hdr) - c->hs_len;
    if (n > len) n = len;
    memcpy(c->hs_hdr + c->hs_len, data, n);
    c->hs_len += n;
    if (c->hs_len == sizeof(c->hs_hdr)) {
        c->hs_len = 0;
        flen = (uint32_t)c->hs_hdr[0] << 24 | (uint32_t)c->hs_hdr[1] << 16 |
               (uint32_t)c->hs_hdr[2] << 8 | c->hs_hdr[3];
        if (hello_chunk(c->hs_hdr + PLX_STREAM_PREFIX_LEN, flen)) return PLX_E_NOT_READY;
        c->hs_left = flen > PLX_FRAME_HEADER_LEN ? flen - PLX_FRAME_HEADER_LEN : 0;
    }
    return (int64_t)n;
}

int plx_io_stream(plx_client *c, const uint8_t *data, size_t len) {
    plx_msg m;
    plx_msg_error e;
    size_t used, span;
    int64_t s;
    int rc;

    c->last_rx_ms = plx_client_now_ms();
    while (len && !c->rx_fatal) {
        span = len;
        if (!c->hello_code) {
            if ((s = hello_span(c, data, len)) < 0) {
                plx_io_fatal(c, (int)s);
                return (int)s;
            }
            span = (size_t)s;
        }
        while (span && !c->rx_fatal) {
            memset(&m, 0, sizeof(m));
            used = 0;
            rc = plx_reader_stream(c->reader, data, span, &used, c->last_rx_ms, &m, &e);
            if (after_read(c, rc, &m)) return rc;
            data += used;
            len -= used;
            span -= used;
            if (used == 0 && rc != 1) return c->rx_fatal;
        }
    }
    return c->rx_fatal;
}

/* A new reader with the bounds in force before welcome (SES-3). */
static int new_reader(plx_client *c) {
    plx_reader_config rc;

    plx_reader_free(c->reader);
    memset(&rc, 0, sizeof(rc));
    rc.max_frame = PLX_HELLO_MAX_FRAME;
    rc.limits.max_message = PLX_MIN_MAX_MESSAGE;
    rc.limits.max_partial = PLX_DEFAULT_MAX_PARTIAL;
    rc.limits.expiry_ms = PLX_DEFAULT_EXPIRY_MS;
    rc.limits.allow_gzip = 0;
    rc.dir = PLX_DIR_S2C;
    c->reader = plx_reader_new(NULL, &rc);
    if (c->reader) plx_reader_exact_integers(c->reader, 1); /* 64-bit integer replies (STO-8) */
    return c->reader ? 0 : PLX_E_NOMEM;
}

/* Transport, hello, welcome (restore requests go out on welcome); the reader role is taken
 * with the HELLO state. */
static int session_start(plx_client *c) {
    uint64_t deadline = plx_client_now_ms() + (uint64_t)c->opt.connect_timeout_ms, now;
    cJSON *hello;
    int rc;

    c->rx_fatal = 0;
    c->fatal_sent = 0;
    c->hs_len = 0;
    c->hs_left = 0;
    c->next_timers_ms = 0;
    c->hello_code = 0;
    c->hello_msg[0] = 0;
    rc = new_reader(c);
    if (!rc) rc = c->tops->open(c, c->opt.connect_timeout_ms);
    if (rc) return rc;
    c->last_rx_ms = plx_client_now_ms();
    pthread_mutex_lock(&c->mu);
    if (c->closing) {
        pthread_mutex_unlock(&c->mu);
        return PLX_E_CLOSED;
    }
    c->gen++;
    c->state = PLX_ST_HELLO;
    c->io_busy = 1; /* the reader role, until session_open returns (see session_run) */
    memset(&c->enc, 0, sizeof(c->enc));
    c->enc.max_frame = PLX_HELLO_MAX_FRAME;
    c->enc.max_message = PLX_HELLO_MAX_FRAME;
    hello = plx_session_hello(c);
    rc = hello ? plx_send_locked(c, c->gen, hello, NULL, 0, 1, deadline) : PLX_E_NOMEM;
    pthread_mutex_unlock(&c->mu);
    cJSON_Delete(hello);
    while (!rc && !c->hello_code) {
        now = plx_client_now_ms();
        if (c->closing) return PLX_E_CLOSED;
        if (now >= deadline) return PLX_E_CALL_TIMEOUT;
        rc = c->tops->service(
            c,
            (int)(deadline - now < PLX_SERVICE_SLICE_MS ? deadline - now : PLX_SERVICE_SLICE_MS));
        if (!rc && c->rx_fatal) rc = c->rx_fatal;
    }
    if (!rc && c->hello_code < 0) rc = c->hello_code;
    return rc;
}

/* session_start, then the reader role is released (callers may read once READY). */
static int session_open(plx_client *c) {
    int rc = session_start(c);

    pthread_mutex_lock(&c->mu);
    c->io_busy = 0;
    pthread_mutex_unlock(&c->mu);
    return rc;
}

static void send_bye(plx_client *c) {
    cJSON *bye = cJSON_CreateObject();

    if (!bye) return;
    cJSON_AddStringToObject(bye, "t", "bye");
    cJSON_AddStringToObject(bye, "reason", "client closing");
    plx_send(c, c->gen, bye, NULL, 0, 1, 0);
    cJSON_Delete(bye);
}

/* The I/O thread's timer duties, with the reader role held: partial-message expiry and the
 * silent-server check. 0, or why the session ends. */
static int timers(plx_client *c, uint64_t ping) {
    uint64_t now = plx_client_now_ms();
    int rc = plx_reader_tick(c->reader, now);

    if (rc < 0) {
        plx_io_fatal(c, rc);
        return rc;
    }
    if (ping && now - c->last_rx_ms > PLX_MISSED_PINGS * ping) return PLX_E_PING_TIMEOUT;
    return 0;
}

int plx_io_read(plx_client *c, int timeout_ms) {
    int rc = c->tops->service(c, timeout_ms);
    uint64_t now;

    if (!rc) rc = c->rx_fatal;
    if (!rc && (now = plx_client_now_ms()) >= c->next_timers_ms) {
        c->next_timers_ms = now + PLX_TIMERS_MS; /* not once per reply: they are coarse */
        rc = timers(c, c->ping_interval_ms);
    }
    return rc;
}

/* 1 when the I/O thread should leave the socket to callers for now (mu held): a blocking
 * call was answered a moment ago and no request waits, so the caller's next request will
 * most likely read its own reply (PLX_LINGER_MS). */
static int lingering(const plx_client *c, uint64_t now) {
    return c->nwaiting == 0 && !c->io_kick && !c->closing && now < c->linger_until;
}

/* Services the session until it ends; returns why. The reader role is taken for each
 * service round and released after it; while a caller holds it or the I/O thread lingers,
 * the I/O thread only wakes for its timers (every PLX_SERVICE_SLICE_MS) or a kick. */
static int session_run(plx_client *c) {
    uint64_t close_deadline = 0, now, ping, until;
    size_t queued;
    int closing, rc, serve;

    for (;;) {
        pthread_mutex_lock(&c->mu);
        plx_dispatch_flush(c); /* what the last read queued: one wake-up */
        now = plx_client_now_ms();
        while (!c->io_err && (c->io_busy || lingering(c, now))) {
            until = now + PLX_SERVICE_SLICE_MS;
            if (!c->io_busy && c->linger_until < until) until = c->linger_until;
            plx_cond_wait_until(&c->io_cv, &c->mu, until);
            now = plx_client_now_ms();
            if (!c->io_busy && now >= until) break; /* timers are due */
        }
        if (c->io_err) { /* a caller's read failed; io_err stays set until the drop ends */
            rc = c->io_err;
            pthread_mutex_unlock(&c->mu);
            return rc;
        }
        if (c->disp_wants && !c->closing) {
            /* the idle dispatcher reads instead (it then runs what it reads without a
             * hand-off); the I/O thread steps back as it does for a caller */
            c->disp_wants = 0;
            c->io_kick = 0;
            c->linger_until = now + PLX_LINGER_MS;
            pthread_cond_signal(&c->disp_cv);
            pthread_mutex_unlock(&c->mu);
            continue;
        }
        serve = !lingering(c, now);
        c->io_busy = 1;
        c->io_kick = 0;
        closing = c->closing;
        queued = c->q.bytes;
        ping = c->ping_interval_ms;
        pthread_mutex_unlock(&c->mu);
        rc = 0;
        if (closing && !close_deadline) {
            close_deadline = now + PLX_CLOSE_FLUSH_MS;
            send_bye(c);
        } else if (closing && (queued == 0 || now >= close_deadline)) {
            rc = PLX_E_CLOSED;
        } else if (serve) {
            rc = plx_io_read(c, PLX_SERVICE_SLICE_MS);
        } else {
            rc = timers(c, ping);
        }
        pthread_mutex_lock(&c->mu);
        c->io_busy = 0;
        pthread_mutex_unlock(&c->mu);
        if (rc) return rc;
    }
}

/* Ends a session: socket closed, requests failed, queue dropped, DOWN reported. */
static void session_drop(plx_client *c, int why) {
    int was_up;

    /* Take both roles so no thread is in send(2) or poll(2) on the socket while it closes
     * and the queue is cleared; a writer holds its role for one non-blocking send. */
    pthread_mutex_lock(&c->mu);
    if (!c->io_err) c->io_err = why ? why : PLX_E_DISCONNECTED; /* no new reader from now */
    if (c->io_busy) c->tops->wake(c); /* a reader in poll(2) returns at once */
    while (c->wr_busy || c->io_busy)
        plx_cond_wait_until(&c->state_cv, &c->mu, plx_client_now_ms() + PLX_SERVICE_SLICE_MS);
    c->wr_busy = c->io_busy = 1; /* a caller reading holds the role one slice at most */
    pthread_mutex_unlock(&c->mu);
    c->tops->shutdown(c);
    pthread_mutex_lock(&c->mu);
    c->wr_busy = c->io_busy = 0;
    c->io_err = 0;
    c->linger_until = 0;
    was_up = c->state == PLX_ST_RESTORING || c->state == PLX_ST_READY;
    plx_pending_fail_all(c, c->closing ? PLX_E_CLOSED : PLX_E_DISCONNECTED);
    plx_outq_clear(&c->q);
    c->state = PLX_ST_CONNECTING;
    c->restore_left = 0;
    if (was_up && !c->closing)
        plx_dispatch_status(c, PLX_STATUS_DOWN, why, plx_client_strerror(why));
    plx_dispatch_flush(c);
    pthread_cond_broadcast(&c->state_cv);
    pthread_mutex_unlock(&c->mu);
}

void *plx_io_main(void *arg) {
    plx_client *c = arg;
    unsigned attempt = 0;
    int first = 1, rc;
    uint64_t until;

    for (;;) {
        rc = session_open(c);
        if (rc == 0) {
            first = 0;
            attempt = 0;
            rc = session_run(c);
        }
        session_drop(c, rc);
        pthread_mutex_lock(&c->mu);
        if (c->closing || first || c->opt.no_reconnect || terminal(rc)) {
            if (first) {
                c->open_code = rc;
                snprintf(c->open_msg, sizeof(c->open_msg), "%s",
                         c->hello_msg[0] ? c->hello_msg : plx_client_strerror(rc));
            }
            c->state = PLX_ST_DEAD;
            pthread_cond_broadcast(&c->state_cv);
            pthread_mutex_unlock(&c->mu);
            break;
        }
        until = plx_client_now_ms() + plx_backoff_delay(&c->opt, attempt++, &c->rand_state);
        while (!c->closing && plx_client_now_ms() < until)
            plx_cond_wait_until(&c->state_cv, &c->mu, until);
        pthread_mutex_unlock(&c->mu);
    }
    return NULL;
}
