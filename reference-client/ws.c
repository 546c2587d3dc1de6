/*
 * ws.c - the WebSocket binding (ws://host:port/path) on the libwebsockets client: one lws
 * context per client, serviced only by the I/O thread. The handshake offers and requires
 * the subprotocol plexus.v1; each frame goes out as one binary message (in WebSocket
 * fragments of at most PLX_WRITE_PIECE bytes, one lws_write per WRITEABLE); received
 * fragments are reassembled up to 16 + max_frame bytes (TRN-9) and decoded as one frame;
 * a text message closes with 1003 (TRN-6).
 */
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "internal.h"

_Static_assert(PLX_CLIENT_HEADROOM >= LWS_PRE, "frame headroom must hold the lws header");

#define WS_RX_BUFFER (256u << 10) /* lws receive buffer */

typedef struct ws_state {
    plx_client *c;
    struct lws_context *ctx;
    struct lws *wsi;
    int established;
    int gone; /* the connection failed or closed */
    int close_code;
    uint8_t *rx; /* the message being reassembled */
    size_t rx_len, rx_cap;
    size_t rx_want; /* 16 + header length once the header is in; 0 before */
    int rx_fatal;
    lws_sorted_usec_list_t sul;
} ws_state;

static ws_state *state_of(struct lws *wsi) {
    return lws_context_user(lws_get_context(wsi));
}

/* The receive bound in force: the effective max_frame after welcome. */
static uint32_t rx_max_frame(const plx_client *c) {
    return c->state >= PLX_ST_RESTORING && c->max_frame ? c->max_frame : PLX_HELLO_MAX_FRAME;
}

static int rx_append(ws_state *t, const uint8_t *in, size_t len) {
    plx_frame_header h;
    int rc;

    if (t->rx_len + len > t->rx_cap) {
        size_t ncap = t->rx_cap ? t->rx_cap : 4096;
        uint8_t *nb;
        while (ncap < t->rx_len + len)
            ncap *= 2;
        nb = realloc(t->rx, ncap);
        if (!nb) return PLX_E_NOMEM;
        t->rx = nb;
        t->rx_cap = ncap;
    }
    memcpy(t->rx + t->rx_len, in, len);
    t->rx_len += len;
    if (!t->rx_want && t->rx_len >= PLX_FRAME_HEADER_LEN) {
        rc = plx_frame_header_decode(t->rx, t->rx_len, rx_max_frame(t->c), &h);
        if (rc) return rc;
        t->rx_want = PLX_FRAME_HEADER_LEN + (size_t)h.length;
    }
    if (t->rx_want && t->rx_len > t->rx_want) return PLX_E_LENGTH_MISMATCH;
    return 0;
}

static void ws_writeable(struct lws *wsi, plx_client *c) {
    plx_piece p;
    int flags, more;

    pthread_mutex_lock(&c->mu);
    more = plx_outq_peek(&c->q, PLX_WRITE_PIECE, &p);
    pthread_mutex_unlock(&c->mu);
    if (!more) return;
    flags = p.first ? LWS_WRITE_BINARY : LWS_WRITE_CONTINUATION;
    if (!p.last) flags |= LWS_WRITE_NO_FIN;
    /* p.data has PLX_CLIENT_HEADROOM (>= LWS_PRE) writable bytes before it. */
    if (lws_write(wsi, (unsigned char *)p.data, p.len, (enum lws_write_protocol)flags) <
        (int)p.len) {
        state_of(wsi)->gone = 1;
        return;
    }
    pthread_mutex_lock(&c->mu);
    plx_outq_advance(&c->q, p.len);
    more = c->q.bytes > 0;
    pthread_cond_broadcast(&c->state_cv);
    pthread_mutex_unlock(&c->mu);
    if (more) lws_callback_on_writable(wsi);
}

static int on_receive(struct lws *wsi, ws_state *t, const uint8_t *in, size_t len) {
    int rc;

    if (t->rx_fatal) return 0;
    if (t->rx_len == 0 && lws_is_first_fragment(wsi) && !lws_frame_is_binary(wsi)) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
                         (unsigned char *)"binary messages only", 20);
        t->gone = 1;
        return -1;
    }
    rc = rx_append(t, in, len);
    if (rc) {
        /* The error message goes out, then the session ends (I/O loop sees rx_fatal). */
        t->rx_fatal = rc;
        plx_io_fatal(t->c, rc);
        return 0;
    }
    if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
        plx_io_frame(t->c, t->rx, t->rx_len);
        t->rx_len = 0;
        t->rx_want = 0;
    }
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len) {
    ws_state *t;

    (void)user;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH: {
        /* TRN-2: the server must have selected plexus.v1; otherwise no frame is sent. */
        char proto[32];
        int n = lws_hdr_copy(wsi, proto, sizeof(proto), WSI_TOKEN_PROTOCOL);
        if (n <= 0 || strcmp(proto, PLX_SUBPROTOCOL) != 0) {
            state_of(wsi)->gone = 1;
            return -1;
        }
        return 0;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        t = state_of(wsi);
        t->established = 1;
        return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        t = state_of(wsi);
        t->gone = 1;
        t->wsi = NULL;
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        return on_receive(wsi, state_of(wsi), in, len);
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        ws_writeable(wsi, state_of(wsi)->c);
        return state_of(wsi)->gone ? -1 : 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        t = state_of(wsi);
        if (len >= 2) t->close_code = ((const uint8_t *)in)[0] << 8 | ((const uint8_t *)in)[1];
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED: /* ws_wake: frames were queued */
        t = state_of(wsi);
        if (t && t->wsi && !t->gone) {
            pthread_mutex_lock(&t->c->mu);
            int want = t->c->q.bytes > 0;
            pthread_mutex_unlock(&t->c->mu);
            if (want) lws_callback_on_writable(t->wsi);
        }
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_CLOSED:
        t = state_of(wsi);
        t->gone = 1;
        t->wsi = NULL;
        return 0;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {PLX_SUBPROTOCOL, callback, 0, WS_RX_BUFFER, 0, NULL, PLX_WRITE_PIECE + LWS_PRE},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void on_timer(lws_sorted_usec_list_t *sul) {
    (void)sul; /* firing is the point: lws_service returns */
}

/* One lws_service round of at most timeout_ms. */
static void service_once(ws_state *t, int timeout_ms) {
    lws_sul_schedule(t->ctx, 0, &t->sul, on_timer, (lws_usec_t)timeout_ms * LWS_US_PER_MS);
    lws_service(t->ctx, 0);
}

static void ws_shutdown(plx_client *c) {
    ws_state *t = c->tstate;
    struct lws_context *ctx;

    pthread_mutex_lock(&c->mu); /* ws_wake reads ctx under mu */
    ctx = t->ctx;
    t->ctx = NULL;
    pthread_mutex_unlock(&c->mu);
    if (ctx) {
        lws_sul_cancel(&t->sul);
        lws_context_destroy(ctx);
    }
    t->wsi = NULL;
    t->established = t->gone = 0;
    t->rx_len = t->rx_want = 0;
    t->rx_fatal = 0;
}

static int ws_open(plx_client *c, int timeout_ms) {
    ws_state *t = c->tstate;
    struct lws_context_creation_info info;
    struct lws_client_connect_info ci;
    struct lws_context *ctx;
    char host[300];
    uint64_t deadline = plx_client_now_ms() + (uint64_t)timeout_ms, now;

    ws_shutdown(c);
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.gid = -1;
    info.uid = -1;
    info.user = t;
    ctx = lws_create_context(&info);
    if (!ctx) return PLX_E_NOMEM;
    pthread_mutex_lock(&c->mu);
    t->ctx = ctx;
    pthread_mutex_unlock(&c->mu);
    snprintf(host, sizeof(host), "%s:%d", c->url.host, c->url.port);
    memset(&ci, 0, sizeof(ci));
    ci.context = t->ctx;
    ci.address = c->url.host;
    ci.port = c->url.port;
    ci.path = c->url.path;
    ci.host = host;
    ci.origin = host;
    ci.protocol = PLX_SUBPROTOCOL;
    ci.pwsi = &t->wsi;
    if (!lws_client_connect_via_info(&ci) && !t->wsi) return PLX_E_CONNECT;
    while (!t->established) {
        now = plx_client_now_ms();
        if (t->gone) return PLX_E_CONNECT;
        if (c->closing) return PLX_E_CLOSED;
        if (now >= deadline) return PLX_E_CALL_TIMEOUT;
        service_once(t, deadline - now < PLX_SERVICE_SLICE_MS ? (int)(deadline - now)
                                                              : PLX_SERVICE_SLICE_MS);
    }
    return 0;
}

static int ws_service(plx_client *c, int timeout_ms) {
    ws_state *t = c->tstate;
    int want;

    if (t->gone || !t->wsi) return PLX_E_DISCONNECTED;
    pthread_mutex_lock(&c->mu);
    want = c->q.bytes > 0;
    pthread_mutex_unlock(&c->mu);
    if (want) lws_callback_on_writable(t->wsi);
    service_once(t, timeout_ms);
    if (t->rx_fatal) return t->rx_fatal;
    return t->gone ? PLX_E_DISCONNECTED : 0;
}

static void ws_wake(plx_client *c) {
    ws_state *t = c->tstate;

    /* Called with mu held: ctx is only swapped under mu. */
    if (t->ctx) lws_cancel_service(t->ctx);
}

static void ws_destroy(plx_client *c) {
    ws_state *t = c->tstate;

    if (!t) return;
    ws_shutdown(c);
    free(t->rx);
    free(t);
    c->tstate = NULL;
}

static const plx_transport_ops ws_ops = {ws_open, ws_service, ws_wake, ws_shutdown, ws_destroy};

int plx_ws_init(plx_client *c) {
    ws_state *t = calloc(1, sizeof(*t));

    if (!t) return PLX_E_NOMEM;
    t->c = c;
    c->tstate = t;
    c->tops = &ws_ops;
    return 0;
}
