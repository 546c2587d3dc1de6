/*
 * conn.h - one peer connection as the transport sees it, whichever binding carries it:
 * the receive path (plx_reader -> hub), the send path (hub -> plx_encoder -> bounded send
 * queue) and the close handshake with the hub.
 *
 * Bounds: received WebSocket messages are reassembled up to 16 + max_frame bytes; the codec
 * bounds partial messages; the send queue holds at most --max-queue bytes, past which the
 * hub is told (io.send fails) and the connection is closed as a SLOW_READER; a connection
 * being closed gets PLX_CLOSE_DRAIN_SECS to take what is queued, and its socket is dropped
 * PLX_CLOSE_DEADLINE_MS after the close was decided whatever state the close handshake is in
 * (LIM-4: released within 5 s). A flush writes at most one gathered batch or one frame
 * beyond what the socket takes at once (libwebsockets keeps that remainder and writes it
 * before anything else).
 */
#ifndef PLX_CONN_H
#define PLX_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "sendq.h"
#include "server.h"

typedef enum plx_conn_kind { PLX_CONN_WS = 1, PLX_CONN_TCP = 2 } plx_conn_kind;

typedef struct plx_conn {
    plx_server *srv;
    struct lws *wsi;
    plx_conn_kind kind;
    plx_conn_id id; /* 0 until the hub gave one */
    plx_reader *reader;
    plx_conn_limits rlimits; /* limits the reader was last set to */
    plx_encoder *enc;
    plx_conn_limits elimits; /* limits enc was made with */
    plx_sendq *q;
    uint32_t next_msg_id;
    uint8_t *rx;                    /* WebSocket message being reassembled */
    size_t rx_len, rx_cap, rx_want; /* rx_want: 16 + header length once the header is in */
    int rx_in_msg;
    int peer_mid_msg;             /* the peer is inside a (fragmented) WebSocket message */
    int ready;                    /* welcome was queued: negotiated limits apply (SES-3) */
    plx_deframer *hello_deframer; /* stream binding before welcome (65,536-byte frames) */
    int rx_dead;                  /* input is ignored: a fatal error was reported or closing */
    int closing;                  /* close once the queue is empty */
    int close_code;
    char close_reason[124];
    int hub_done;                     /* the hub forgot this id (io.close) or was told it is gone */
    int overflowed;                   /* the send queue went over its bound */
    int shut;                         /* the close was started (close frame / TCP shutdown) */
    int peer_closed;                  /* WebSocket: the peer's close frame arrived; no more data */
    int flush_due;                    /* flush_sul is scheduled */
    lws_sorted_usec_list_t flush_sul; /* writes what was queued, before the next poll */
    lws_sorted_usec_list_t close_sul; /* runs the close outside the wsi's own callbacks */
    lws_sorted_usec_list_t kill_sul;  /* PLX_CLOSE_DEADLINE_MS after io.close: drop the socket */
} plx_conn;

/* Makes the connection for a new socket and registers it with the hub (plx_hub_open; a
 * full hub closes it at once with SERVER_FULL). NULL on no memory. */
plx_conn *plx_conn_open(plx_server *s, struct lws *wsi, plx_conn_kind kind);
/* WebSocket binding: a piece of a binary message; final: it ends the message. Reassembles,
 * decodes and hands complete messages to the hub. Errors go to the hub (plx_hub_codec_error),
 * which closes the connection for fatal ones. */
void plx_conn_ws_data(plx_conn *c, const uint8_t *data, size_t len, int final);
/* Stream binding: bytes from the socket. */
void plx_conn_stream_data(plx_conn *c, const uint8_t *data, size_t len);
/* Queues one message (the hub's io.send). 0, or a negative PLX_E_* code: PLX_E_SLOW_READER
 * when the queue bound is passed (LIM-4: messages not yet started are dropped, the
 * SLOW_READER error is queued, and every later send fails until the hub closes), or the
 * encoder's error (e.g. PLX_E_TOO_LARGE for the peer's max_message). */
int plx_conn_send(plx_conn *c, const cJSON *json, const plx_bytes *att, size_t natt);
/* Writes queued frames as far as the socket takes them, at most PLX_FLUSH_BUDGET bytes (conn.c),
 * small frames gathered into one write (PLX_BATCH_BYTES; a frame above PLX_BATCH_SMALL goes
 * alone from its own buffer); asks for a writable callback for the rest; starts the close
 * once everything is written when the connection is closing. Called from the writable
 * callback and from flush_sul, which queuing a message schedules: replies queued while the
 * service thread handles received data go out before it polls again, with no extra poll
 * round. 0, or -1 when a write failed (the connection must be dropped). */
int plx_conn_flush(plx_conn *c);
/* Drops the queued messages not yet started (shutdown: SHUTTING_DOWN goes out next). */
void plx_conn_drop_unsent(plx_conn *c);
/* The hub's io.close: close with ws_code once the queue is written. */
void plx_conn_close(plx_conn *c, int ws_code, const char *reason);
/* Starts the orderly close once the queue is written: WebSocket: close frame with the code
 * and reason, then lws waits for the peer's close before shutting the socket down (done from
 * an lws_sul, since lws treats a -1 from WRITEABLE as a failed write and resets the socket).
 * Stream binding: shutdown(SHUT_WR), then the peer's end of stream. */
void plx_conn_start_close(plx_conn *c);
/* Runs the reader's partial-message expiry. */
void plx_conn_tick(plx_conn *c, uint64_t now_ms);
/* The socket is gone: tells the hub (unless it already forgot the id) and frees c. */
void plx_conn_gone(plx_conn *c);

#endif
