/*
 * srvws.h - the server side of the transports for `plexus-conform client`: a listening socket
 * on 127.0.0.1, accepting with a deadline, the RFC 6455 server handshake (the subprotocols and
 * extensions the client offered are reported; which subprotocol is selected is the case's
 * choice, so TRN-2 can be tested). Its frames are ws.h's (cf_ws_build, cf_ws_parse).
 */
#ifndef CF_SRVWS_H
#define CF_SRVWS_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"
#include "ws.h"

#define CF_WSS_MAX_PROTOS 16

/* What the client's handshake request said. */
typedef struct cf_ws_request {
    char path[512];
    char protocols[CF_WSS_MAX_PROTOS][64]; /* Sec-WebSocket-Protocol, in the order offered */
    int nproto;
    char extensions[512]; /* Sec-WebSocket-Extensions as sent ("" when absent) */
} cf_ws_request;

/* Listens on 127.0.0.1 on a free port (*port receives it). Returns the fd, or -1 with a message
 * in err. */
int cf_listen_local(int *port, char *err, size_t errlen);
/* Accepts one connection within timeout_ms. Returns the fd (non-blocking), -2 on timeout, or -1
 * with a message in err. */
int cf_accept_timeout(int lfd, int timeout_ms, char *err, size_t errlen);

/* Reads the client's handshake request (at most 16 KiB) before deadline_ms, fills req, and
 * answers 101 Switching Protocols selecting `select` (NULL: no Sec-WebSocket-Protocol header).
 * Bytes after the request go to leftover. Returns 0, or -1 with a message in err (no valid
 * request: then a 400 response is sent). */
int cf_wss_handshake(int fd, uint64_t deadline_ms, const char *select, cf_ws_request *req,
                     cf_buf *leftover, char *err, size_t errlen);

#endif
