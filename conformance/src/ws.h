/*
 * ws.h - the transport pieces of plexus-conform: URLs, TCP connect, writes with a deadline,
 * a minimal RFC 6455 WebSocket client handshake, and WebSocket frames of either side (built
 * masked or not, parsed and unmasked). The runner needs to send what good clients never send
 * (text messages, fragments, handshakes without the subprotocol, raw bytes), so this is
 * written for control, not speed.
 */
#ifndef CF_WS_H
#define CF_WS_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* ws://host:port/path or plexus://host:port (stream binding). */
typedef struct cf_url {
    char host[256];
    int port;
    char path[512];
    int stream; /* 1 for plexus:// */
} cf_url;

/* Parses a URL. 0, or -1 with a message in err. */
int cf_url_parse(const char *s, cf_url *u, char *err, size_t errlen);

/* Connects a TCP socket (non-blocking afterwards) within timeout_ms. Returns the fd, or -1 with
 * a message in err. */
int cf_tcp_connect(const char *host, int port, int timeout_ms, char *err, size_t errlen);

/* Writes all of data before deadline_ms (cf_now_ms clock). While waiting for the socket to take
 * more, bytes that arrive are appended to `in` (so a peer that answers and closes while we
 * write loses nothing; `in` is bounded by in_max). Returns 0, 1 when the peer closed the
 * connection (EPIPE, ECONNRESET), or -1 on timeout or another error (message in err). */
int cf_write_all(int fd, const uint8_t *data, size_t len, uint64_t deadline_ms, cf_buf *in,
                 size_t in_max, char *err, size_t errlen);

/* The value of header `name` (case-insensitive) in the HTTP request or response text (its
 * first line is skipped), copied to out (cut to outlen); several headers of that name are
 * joined with ", ". Returns 1 when present, else 0 with out "". */
int cf_http_header(const char *text, const char *name, char *out, size_t outlen);

/* Performs the client handshake on fd for url u offering protocols[0..nproto) (none when
 * nproto is 0). *status receives the HTTP status; selected (size sellen) the
 * Sec-WebSocket-Protocol the server chose ("" if none). Bytes read past the response go to
 * leftover. Returns 0 when the server switched protocols with a valid Sec-WebSocket-Accept,
 * 1 when it answered with another status (a refusal), -1 on error (message in err). */
int cf_ws_handshake(int fd, const cf_url *u, const char *const *protocols, size_t nproto,
                    uint64_t deadline_ms, int *status, char *selected, size_t sellen,
                    cf_buf *leftover, char *err, size_t errlen);

#define CF_WS_CONT   0x0
#define CF_WS_TEXT   0x1
#define CF_WS_BINARY 0x2
#define CF_WS_CLOSE  0x8
#define CF_WS_PING   0x9
#define CF_WS_PONG   0xa

/* Appends to out the frames of one WebSocket message (opcode, payload) cut into `fragments`
 * frames (1: unfragmented): a client's, each masked with a key drawn from *mask_rng, or a
 * server's, unmasked, when mask_rng is NULL. 0, or -1 when out of memory. */
int cf_ws_build(cf_buf *out, int opcode, const uint8_t *payload, size_t len, int fragments,
                uint64_t *mask_rng);

/* One parsed frame; payload points into the parsed buffer. */
typedef struct cf_ws_frame {
    int fin, opcode;
    const uint8_t *payload;
    size_t len;
    size_t consumed; /* header + payload bytes */
} cf_ws_frame;

/* Parses one frame at the start of buf[0..len): a client's (masked 1: must be masked, and its
 * payload is unmasked in place) or a server's (masked 0: must not be). Returns 1 with *f set,
 * 0 when more bytes are needed, -1 on a protocol violation by the sender (wrong masking,
 * reserved bits, unknown opcode, bad control frame, payload above max_payload); err says
 * which. */
int cf_ws_parse(uint8_t *buf, size_t len, int masked, uint64_t max_payload, cf_ws_frame *f,
                char *err, size_t errlen);

#endif
