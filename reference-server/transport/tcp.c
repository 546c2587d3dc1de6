/*
 * tcp.c - the stream binding over raw TCP (--tcp-port): a second lws vhost whose accepted
 * sockets are bound to the raw-skt role, served by the same service thread, hub, limits and
 * bounded send queues as the WebSocket binding. Frames go out with their u32 length prefix,
 * written by plx_conn_flush: small frames gathered into one write, larger ones in pieces of
 * at most PLX_WRITE_PIECE bytes, until the socket is full.
 */
#include <string.h>

#include "conn.h"
#include "log.h"
#include "server.h"

#define PLX_STREAM_PROTOCOL "plexus-stream"

typedef struct tcp_session {
    plx_conn *conn;
} tcp_session;

static int callback_stream(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                           size_t len) {
    tcp_session *ts = user;
    plx_server *s;

    switch (reason) {
    case LWS_CALLBACK_RAW_ADOPT:
        s = plx_server_of(wsi);
        if (!ts || s->shutting_down) return -1;
        ts->conn = plx_conn_open(s, wsi, PLX_CONN_TCP);
        if (!ts->conn) {
            plx_log(PLX_LOG_ERROR, "out of memory accepting a tcp connection");
            return -1;
        }
        return 0;
    case LWS_CALLBACK_RAW_RX:
        if (!ts || !ts->conn) return -1;
        plx_conn_stream_data(ts->conn, in, len);
        return 0;
    case LWS_CALLBACK_RAW_WRITEABLE:
        if (!ts || !ts->conn) return 0;
        return plx_conn_flush(ts->conn);
    case LWS_CALLBACK_RAW_CLOSE:
        if (ts && ts->conn) {
            plx_conn_gone(ts->conn);
            ts->conn = NULL;
        }
        return 0;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols tcp_protocols[] = {
    {PLX_STREAM_PROTOCOL, callback_stream, sizeof(tcp_session), PLX_RX_BUFFER, 0, NULL,
     PLX_WRITE_PIECE + LWS_PRE},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

int plx_tcp_listen(plx_server *s) {
    struct lws_context_creation_info info;

    memset(&info, 0, sizeof(info));
    info.vhost_name = "plexus-tcp";
    info.port = s->opt->tcp_port;
    info.iface = s->host;
    info.protocols = tcp_protocols;
    info.listen_accept_role = "raw-skt";
    info.listen_accept_protocol = PLX_STREAM_PROTOCOL;
    info.options = LWS_SERVER_OPTION_ADOPT_APPLY_LISTEN_ACCEPT_CONFIG |
                   LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
    if (!strchr(s->host, ':')) info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    s->tcp_vhost = lws_create_vhost(s->ctx, &info);
    if (!s->tcp_vhost) {
        plx_log(PLX_LOG_ERROR, "cannot listen (tcp) on %s port %d", s->opt->host, s->opt->tcp_port);
        return -1;
    }
    return 0;
}
