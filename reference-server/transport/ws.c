/*
 * ws.c - the WebSocket binding on libwebsockets: subprotocol plexus.v1 only, binary messages
 * only (a text message closes with 1003), each frame one unfragmented binary message (TRN-4,
 * TRN-5), written by plx_conn_flush (small frames gathered into one write, with their
 * WebSocket headers; lws keeps what the socket did not take and writes it first); and plain
 * HTTP on the same port: GET /healthz answers 200 "ok" (503 while the Redis server of
 * --storage redis://... is unreachable), any other path 404.
 */
#include <stdint.h>
#include <string.h>

#include "backend.h"
#include "conn.h"
#include "log.h"
#include "server.h"

typedef struct http_session {
    int healthz; /* the request was /healthz: the body is due */
} http_session;

typedef struct ws_session {
    plx_conn *conn;
} ws_session;

static int http_reply_healthz(struct lws *wsi) {
    uint8_t buf[LWS_PRE + 256], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf);

    if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "text/plain", 2, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    lws_callback_on_writable(wsi);
    return 0;
}

/* 1 if the comma-separated header value lists plexus.v1. */
static int offers_plexus(const char *list) {
    size_t n = strlen(PLX_SUBPROTOCOL);

    while (*list) {
        while (*list == ' ' || *list == '\t' || *list == ',')
            list++;
        size_t len = strcspn(list, ", \t");
        if (len == n && memcmp(list, PLX_SUBPROTOCOL, n) == 0) return 1;
        list += len;
    }
    return 0;
}

/* TRN-3: an upgrade that does not offer plexus.v1 gets HTTP 400. 0 lets it proceed. */
static int confirm_upgrade(struct lws *wsi, const char *to) {
    char protos[256];

    if (to && strcmp(to, "websocket") == 0 &&
        lws_hdr_copy(wsi, protos, sizeof(protos), WSI_TOKEN_PROTOCOL) > 0 && offers_plexus(protos))
        return 0;
    plx_log(PLX_LOG_DEBUG, "upgrade to %s without subprotocol %s refused", to ? to : "?",
            PLX_SUBPROTOCOL);
    /* Written whole: lws_return_http_status would answer HTTP/1.0 at this stage. */
    static const char resp[] = "HTTP/1.1 400 Bad Request\r\n"
                               "content-type: text/plain\r\n"
                               "content-length: 31\r\n"
                               "connection: close\r\n\r\n"
                               "subprotocol plexus.v1 required\n";
    uint8_t buf[LWS_PRE + sizeof(resp)];
    memcpy(buf + LWS_PRE, resp, sizeof(resp) - 1);
    if (lws_write(wsi, buf + LWS_PRE, sizeof(resp) - 1, LWS_WRITE_HTTP) < 0) return -1;
    return 1;
}

/* protocols[0]: plain HTTP, /healthz, and the check of upgrade requests. */
static int callback_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len) {
    http_session *hs = user;

    switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return confirm_upgrade(wsi, in);
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: /* an upgrade bound to "http": refuse */
        return -1;
    case LWS_CALLBACK_HTTP:
        if (hs && in && strcmp((const char *)in, "/healthz") == 0 &&
            !plx_backend_up(plx_server_of(wsi))) {
            if (lws_return_http_status(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "storage down"))
                return -1;
            return lws_http_transaction_completed(wsi) ? -1 : 0;
        }
        if (hs && in && strcmp((const char *)in, "/healthz") == 0) {
            hs->healthz = 1;
            return http_reply_healthz(wsi);
        }
        if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL)) return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        uint8_t body[LWS_PRE + 2];
        if (!hs || !hs->healthz) return 0;
        hs->healthz = 0;
        memcpy(body + LWS_PRE, "ok", 2);
        if (lws_write(wsi, body + LWS_PRE, 2, LWS_WRITE_HTTP_FINAL) != 2) return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static int callback_plexus(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                           size_t len) {
    ws_session *ws = user;
    plx_server *s;
    int final;

    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        s = plx_server_of(wsi);
        if (s->shutting_down) {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_GOINGAWAY, (unsigned char *)"shutting down", 13);
            return -1;
        }
        ws->conn = plx_conn_open(s, wsi, PLX_CONN_WS);
        if (!ws->conn) {
            plx_log(PLX_LOG_ERROR, "out of memory accepting a connection");
            return -1;
        }
        return 0;
    case LWS_CALLBACK_RECEIVE:
        if (!ws || !ws->conn) return -1;
        final = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);
        if (!ws->conn->peer_mid_msg && !lws_frame_is_binary(wsi)) {
            plx_log(PLX_LOG_DEBUG, "conn %llu sent a text message: closing 1003",
                    (unsigned long long)ws->conn->id);
            lws_close_reason(wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
                             (unsigned char *)"binary messages only", 20);
            return -1;
        }
        ws->conn->peer_mid_msg = !final;
        plx_conn_ws_data(ws->conn, in, len, final);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        /* The queue is written (plx_conn_flush); then the close frame goes out, even while
         * the peer is inside a message (FRM-6: a header announcing too much gets 1009 at
         * once, not when the peer finishes or stalls). lws keeps reading, and dropping, until
         * the peer's close arrives, so its unread bytes cannot make the kernel reset the
         * connection before the peer has read our error and close frame. */
        if (!ws || !ws->conn) return 0;
        return plx_conn_flush(ws->conn);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: /* lws answers it: no data frame after that */
        if (ws && ws->conn) ws->conn->peer_closed = 1;
        return 0;
    case LWS_CALLBACK_CLOSED:
        if (ws && ws->conn) {
            plx_conn_gone(ws->conn);
            ws->conn = NULL;
        }
        return 0;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols ws_protocols[] = {
    {"http", callback_http, sizeof(http_session), 0, 0, NULL, 0},
    {PLX_SUBPROTOCOL, callback_plexus, sizeof(ws_session), PLX_RX_BUFFER, 0, NULL,
     PLX_FRAME_HEADER_LEN + PLX_MAX_MAX_FRAME}, /* one send() may take a whole frame */
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

int plx_ws_listen(plx_server *s) {
    struct lws_context_creation_info info;

    memset(&info, 0, sizeof(info));
    info.vhost_name = "plexus";
    info.port = s->opt->port;
    info.iface = s->host;
    info.protocols = ws_protocols;
    info.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
    if (!strchr(s->host, ':')) info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    s->ws_vhost = lws_create_vhost(s->ctx, &info);
    if (!s->ws_vhost) {
        plx_log(PLX_LOG_ERROR, "cannot listen on %s port %d", s->opt->host, s->opt->port);
        return -1;
    }
    return 0;
}
