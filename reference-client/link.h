/*
 * link.h - the socket under both bindings (private): a non-blocking TCP socket, a self-pipe
 * that wakes a thread polling it, the writer state of the send queue and, for ws://, the
 * WebSocket framing (RFC 6455, client side) of ws.c.
 *
 * Roles (both flags live in plx_client, under mu): the reader (io_busy) polls and reads the
 * socket and runs the receive path; the writer (wr_busy) writes queued frames with send(2).
 * Each role is held by one thread at a time, taken and released under mu, and never held
 * while waiting on anything but the socket's own poll, so a hand-over costs no wake-up.
 */
#ifndef PLX_CLIENT_LINK_H
#define PLX_CLIENT_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

#define PLX_WS_CTRL_MAX 125 /* payload bound of a WebSocket control frame */

/* The WebSocket receive state: the frame header being read, the message being reassembled
 * (bounded by 16 + max_frame, TRN-9), a control frame's payload. */
typedef struct plx_ws_rx {
    uint8_t hdr[14];
    size_t hlen;     /* header bytes read */
    uint64_t left;   /* payload bytes of the current WebSocket frame still to come */
    int opcode, fin; /* of the current WebSocket frame */
    int in_msg;      /* a fragmented binary message is being reassembled */
    uint8_t *msg;    /* the Plexus frame being reassembled */
    size_t msg_len, msg_cap;
    size_t msg_want; /* 16 + header length once the Plexus header is in; 0 before */
    uint8_t ctl[PLX_WS_CTRL_MAX];
    size_t ctl_len;
} plx_ws_rx;

typedef struct plx_link {
    int fd;
    int wake[2]; /* self-pipe: [0] polled with the socket, [1] written by plx_link_wake */
    int ws;      /* WebSocket framing (ws://) */
    uint8_t *rx; /* receive buffer, PLX_LINK_RX bytes */
    /* writer (wr_busy) */
    size_t hdr_left; /* WebSocket header bytes of the current frame not yet written */
    int in_frame;    /* the current frame's header is built and its payload masked */
    uint64_t rng;    /* masking keys (xorshift64*, seeded from getrandom) */
    /* a WebSocket control frame to write between data frames (under mu) */
    uint8_t ctrl[2 + 4 + PLX_WS_CTRL_MAX];
    size_t ctrl_len, ctrl_off;
    int close_sent; /* a close frame went out on this connection */
    /* reader (io_busy) */
    plx_ws_rx wsr;
} plx_link;

#define PLX_LINK_RX (256u << 10) /* bytes read per recv(2) */

/* Connects l->fd to host:port within the deadline (the wake pipe interrupts it on close).
 * 0, PLX_E_CONNECT, PLX_E_CALL_TIMEOUT or PLX_E_CLOSED. */
int plx_link_connect(plx_client *c, plx_link *l, uint64_t deadline_ms);
/* Waits at most timeout_ms for the socket (readable, or writable when wanted) or a wake.
 * Returns the poll revents of the socket (0 on timeout or wake), or -1 on a poll error. */
int plx_link_poll(plx_link *l, int want_out, int timeout_ms);

/* ws.c: the WebSocket handshake on the connected socket (TRN-2: the server must select
 * plexus.v1). Bytes that followed the answer are fed to the receive path. 0, PLX_E_CONNECT,
 * PLX_E_CALL_TIMEOUT or PLX_E_CLOSED. */
int plx_ws_handshake(plx_client *c, plx_link *l, uint64_t deadline_ms);
/* Feeds received bytes to the WebSocket parser, which hands each complete binary message
 * to plx_io_frame, answers pings and closes. 0, or a negative code: the session is over. */
int plx_ws_feed(plx_client *c, plx_link *l, const uint8_t *data, size_t len);
/* Writes the WebSocket header of a frame of len payload bytes into the hlen bytes before
 * payload and masks the payload in place. Returns hlen (at most 14). */
size_t plx_ws_frame_start(plx_link *l, uint8_t *payload, size_t len);
/* Queues a control frame (under mu): opcode, payload[0..len) (len <= 125). */
void plx_ws_ctrl(plx_link *l, int opcode, const uint8_t *payload, size_t len);
/* Frees the receive state. */
void plx_ws_rx_free(plx_ws_rx *r);

#endif
