/*
 * peer.h - one connection of `plexus-conform client`, seen from the server side: the client
 * under test connected to the runner, which sends server messages (unmasked WebSocket frames or
 * the stream binding) and decodes everything the client sends (frames, chunks, gzip, body,
 * catalogue in the c2s direction, with libplexus-codec) into a queue of events. Each message
 * also carries a description of the frames that carried it (count, GZIP, sizes), so cases can
 * check how the client chunked and compressed. Every send and receive goes to the wire log.
 */
#ifndef CF_PEER_H
#define CF_PEER_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <plexus/codec.h>

#include "conn.h"
#include "util.h"

#define CF_PEER_TRACK 32 /* incomplete client messages whose frames are described */

/* One thing the client did. kind, msg, close_code, code and text as cf_event; wire describes
 * the frames of a message: {"chunks", "gzip", "msg_id", "max_len", "wire_len"} (owned). */
typedef struct cf_pevent {
    cf_event e;
    cJSON *wire;
    struct cf_pevent *next;
} cf_pevent;

void cf_pevent_free(cf_pevent *e);
/* A short description of an event for reports (owned string). */
char *cf_pevent_describe(const cf_pevent *e);

typedef struct cf_peer_track {
    uint32_t msg_id;
    int used;
    uint32_t chunks, max_len; /* frames so far, largest payload */
    uint64_t wire_len;        /* payload bytes so far */
} cf_peer_track;

typedef struct cf_peer {
    char name[64];
    int fd;
    int stream;        /* stream binding (else WebSocket) */
    int remote_closed; /* close frame or EOF seen */
    int local_closed;  /* we sent a close / shut down */
    int broken;        /* decoding stopped after an invalid input */
    int parsing;
    cf_buf in;
    cf_buf wsmsg;
    int wsmsg_op;
    plx_deframer *df;
    plx_assembler *as;
    int welcomed;
    uint32_t max_frame, max_message, gzip_threshold; /* in effect after our welcome */
    int gzip;
    uint32_t next_msg_id;
    int auto_pong;
    cf_peer_track track[CF_PEER_TRACK];
    cf_pevent *head, *tail;
    size_t nevents;
    cJSON *log;
    uint64_t t0;
} cf_peer;

/* Sets up a peer on an accepted socket (the handshake done); leftover holds bytes already read
 * after the handshake. Before welcome it receives with max_frame 65536 and no gzip (SES-3).
 * 0, or -1 when out of memory. */
int cf_peer_init(cf_peer *p, const char *name, int fd, int stream, const cf_buf *leftover,
                 cJSON *log, uint64_t t0);
/* Closes the socket and frees everything. */
void cf_peer_free(cf_peer *p);

/* Switches to the limits of a welcome we send (max_frame, max_message, gzip, gzip_threshold),
 * for receiving and as the default for sending. 0 or -1. */
int cf_peer_welcome(cf_peer *p, const cJSON *welcome);

/* Sending, as the cf_conn_* functions of conn.h but as the server (unmasked frames). */
int cf_peer_send_msg(cf_peer *p, const cJSON *json, const plx_bytes *att, size_t natt,
                     const cf_send_opts *o, char *err, size_t errlen);
int cf_peer_send_frame(cf_peer *p, const uint8_t *b, size_t n, int ws_fragments, char *err,
                       size_t errlen);
int cf_peer_send_raw(cf_peer *p, const uint8_t *b, size_t n, char *err, size_t errlen);
int cf_peer_send_text(cf_peer *p, const char *text, char *err, size_t errlen);
/* Closes our side: WebSocket close frame with code (stream: shutdown); abrupt: the socket is
 * shut down without a close frame. */
int cf_peer_close(cf_peer *p, int code, int abrupt);

/* Reads what is available within timeout_ms and decodes it into events. 0, or -1 when nothing
 * more can come. */
int cf_peer_pump(cf_peer *p, int timeout_ms);
/* The fd to poll for input, or -1 when the peer can produce nothing more. */
int cf_peer_pollfd(const cf_peer *p);
/* Removes and returns the first queued event (NULL when none). The caller frees it. */
cf_pevent *cf_peer_pop(cf_peer *p);

#endif
