/*
 * conn.h - one Plexus connection of the runner: the WebSocket or stream binding underneath,
 * frames and messages going out, and everything the server sends decoded (frames, chunks, gzip,
 * body, catalogue, with libplexus-codec) into a queue of events. Every send and receive is
 * appended to the case's wire log.
 */
#ifndef CF_CONN_H
#define CF_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <plexus/codec.h>

#include "util.h"
#include "ws.h"

/* Bounds: bytes buffered from the socket and not yet decoded, and one WebSocket message. */
#define CF_CONN_IN_MAX     (80u << 20)
#define CF_CONN_WS_MAX     (PLX_FRAME_HEADER_LEN + PLX_MAX_MAX_FRAME)
#define CF_CONN_EVENTS_MAX 100000 /* queued events per connection */
/* SO_RCVBUF of a paused connection's socket, and after it resumes. */
#define CF_CONN_PAUSED_RCVBUF  8192
#define CF_CONN_RESUMED_RCVBUF (4 << 20)

typedef enum cf_event_kind {
    CF_EV_MSG,     /* a valid message: msg */
    CF_EV_CLOSE,   /* the server closed: close_code (1006 dropped without a close frame; 0 on
                      the stream binding) */
    CF_EV_INVALID, /* the server sent something invalid: text says what, code the error */
    CF_EV_TEXT     /* a WebSocket text message (never valid from a server): text */
} cf_event_kind;

/* How the frames of one received message looked (FORMAT.md section 4.4, expect "frame"). */
typedef struct cf_frames_info {
    uint32_t chunks;   /* frames that carried the message */
    int gzip;          /* the GZIP flag (the same on every chunk, else the assembler failed) */
    uint32_t max_len;  /* largest frame payload */
    uint64_t wire_len; /* bytes of the wire payload (the gzip stream when gzip) */
} cf_frames_info;

#define CF_CONN_TRACK 32 /* incomplete messages whose frames are counted (max_partial is 16) */

typedef struct cf_event {
    cf_event_kind kind;
    plx_msg msg; /* CF_EV_MSG: owned, attachments owned */
    uint32_t msg_id;
    cf_frames_info frames; /* CF_EV_MSG */
    int close_code;
    int code;
    char *text;     /* owned */
    uint64_t at_ms; /* cf_now_ms when decoded */
    struct cf_event *next;
} cf_event;

void cf_event_free(cf_event *e);

/* How a message is sent (FORMAT.md section 4.2). */
typedef struct cf_send_opts {
    int has_msg_id;
    uint32_t msg_id;
    uint32_t max_frame; /* 0: the connection's effective max_frame */
    int gzip;           /* 0 no, 1 always, 2 auto */
    long frame_start;   /* frames [frame_start, frame_end) are sent; frame_end -1: all */
    long frame_end;
    int ws_fragments; /* WebSocket fragments per frame (1: none) */
} cf_send_opts;

typedef struct cf_conn {
    char name[64];
    cf_url url;
    int fd;
    int open;          /* connected and not closed by either side */
    int remote_closed; /* close frame or EOF seen */
    int local_closed;  /* we sent a close / shut down */
    int broken;        /* we stopped decoding after an invalid input */
    int parsing;       /* inside parse(): sends must not append to `in` */
    cf_buf in;         /* socket bytes not yet parsed */
    cf_buf wsmsg;      /* WebSocket fragments being assembled */
    int wsmsg_op;      /* opcode of the message being assembled, -1 none */
    plx_deframer *df;
    plx_assembler *as;
    int welcomed;
    uint32_t max_frame, max_message, gzip_threshold;
    int gzip;
    uint32_t next_msg_id;
    uint64_t rng;
    int auto_pong;
    int paused; /* a pause step: nothing is read from the socket until resume */
    struct {
        uint32_t msg_id;
        int used;
        cf_frames_info info;
    } track[CF_CONN_TRACK];
    cf_event *head, *tail;
    size_t nevents;
    cJSON *log;  /* borrowed: the case's wire log (array) */
    uint64_t t0; /* the case's start, for log times */
} cf_conn;

/* Opens a connection to u: TCP, and the WebSocket handshake offering protocols[0..nproto)
 * (pass NULL, -1 for the default "plexus.v1"). Returns 0 when open; 1 when the handshake was
 * refused (*status is the HTTP status); -1 on failure (message in err). Also fails (-1) when the
 * server does not select plexus.v1 although it was offered (TRN-2). */
int cf_conn_open(cf_conn *c, const char *name, const cf_url *u, const char *const *protocols,
                 int nproto, int timeout_ms, cJSON *log, uint64_t t0, int *status, char *err,
                 size_t errlen);
/* Closes the socket and frees everything. */
void cf_conn_free(cf_conn *c);

/* Sends a message (json + attachments) with opts. 0, or -1 with err. A peer that closed while
 * we were writing is not an error (logged; the expect steps will see the close). */
int cf_conn_send_msg(cf_conn *c, const cJSON *json, const plx_bytes *att, size_t natt,
                     const cf_send_opts *opts, char *err, size_t errlen);
/* Sends one frame's bytes: WebSocket one binary message (in ws_fragments pieces); stream with
 * the 4-byte length prefix. */
int cf_conn_send_frame(cf_conn *c, const uint8_t *b, size_t n, int ws_fragments, char *err,
                       size_t errlen);
/* Sends bytes as they are: WebSocket one binary message; stream the raw bytes. */
int cf_conn_send_raw(cf_conn *c, const uint8_t *b, size_t n, char *err, size_t errlen);
/* Sends a WebSocket text message (-1 on the stream binding). */
int cf_conn_send_text(cf_conn *c, const char *text, char *err, size_t errlen);
/* Closes our side: WebSocket close frame with code; stream shutdown. */
int cf_conn_close(cf_conn *c, int code);

/* Stops (paused 1) or resumes (0) reading c's socket: while paused, pumps and waits read
 * nothing from it, and its receive buffer is shrunk to CF_CONN_PAUSED_RCVBUF, so the server's
 * writes back up (a slow reader, LIM-4). */
void cf_conn_pause(cf_conn *c, int paused);

/* Reads what is available within timeout_ms and decodes it into events. Returns 0, or -1 when
 * the connection is no longer readable (nothing more will come). */
int cf_conn_pump(cf_conn *c, int timeout_ms);
/* Waits up to timeout_ms until one of conns[0..n) has a queued event (pumping all). Returns 1
 * when some connection has an event, 0 on timeout or when no connection can produce more. */
int cf_conns_wait(cf_conn **conns, size_t n, int timeout_ms);
/* Removes and returns the first queued event of c (NULL when none). The caller frees it. */
cf_event *cf_conn_pop(cf_conn *c);
/* Waits up to timeout_ms for c's next event. */
cf_event *cf_conn_next(cf_conn *c, int timeout_ms);

/* A short JSON description of an event for reports (owned string). */
char *cf_event_describe(const cf_event *e);

#endif
