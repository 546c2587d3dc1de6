/*
 * link.h - one Plexus connection of plexus-conform, whichever end the runner plays: a runner
 * connection to a server (conn.h: the client side, masked WebSocket frames out) or a
 * client-mode peer (peer.h: the server side, unmasked frames out). What both do is here: the
 * socket and its binding, sending (messages cut into frames, frames, raw bytes, text, closes),
 * reading (WebSocket frames and fragment reassembly, or the stream binding's deframer; then
 * frames, chunks, gzip, body and catalogue with libplexus-codec) into a queue of events that
 * also describe the frames that carried each message, and the wire log of every send and
 * receive.
 */
#ifndef CF_LINK_H
#define CF_LINK_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <plexus/codec.h>

#include "util.h"

/* Bounds: bytes buffered from the socket and not yet decoded, one WebSocket message, queued
 * events, and incomplete messages whose frames are counted (the assembler's max_partial is
 * 16). */
#define CF_LINK_IN_MAX     (80u << 20)
#define CF_LINK_WS_MAX     (PLX_FRAME_HEADER_LEN + PLX_MAX_MAX_FRAME)
#define CF_LINK_EVENTS_MAX 100000
#define CF_LINK_TRACK      32

typedef enum cf_event_kind {
    CF_EV_MSG,     /* a valid message: msg */
    CF_EV_CLOSE,   /* the remote closed: close_code (1006 dropped without a close frame; 0 on
                      the stream binding) */
    CF_EV_INVALID, /* the remote sent something invalid: text says what, code the error */
    CF_EV_TEXT     /* a WebSocket text message (never valid in Plexus): text */
} cf_event_kind;

/* How the frames of one received message looked (FORMAT.md section 4.4, expect "frame"). */
typedef struct cf_frames_info {
    uint32_t chunks;   /* frames that carried the message */
    int gzip;          /* the GZIP flag (the same on every chunk, else the assembler failed) */
    uint32_t max_len;  /* largest frame payload */
    uint64_t wire_len; /* bytes of the wire payload (the gzip stream when gzip) */
} cf_frames_info;

typedef struct cf_event {
    cf_event_kind kind;
    int from_client; /* sent by a client (a client-mode peer), else by a server */
    plx_msg msg;     /* CF_EV_MSG: owned, attachments owned */
    uint32_t msg_id;
    cf_frames_info frames; /* CF_EV_MSG */
    int close_code;
    int code;
    char *text;     /* owned */
    uint64_t at_ms; /* cf_now_ms when decoded */
    struct cf_event *next;
} cf_event;

void cf_event_free(cf_event *e);
/* A short description of an event for reports (owned string); a client's message also shows
 * its frames. */
char *cf_event_describe(const cf_event *e);
/* The frames of a received message as the object an expect step's "frame" matcher sees:
 * {"chunks", "gzip", "msg_id", "max_len", "wire_len"} (owned; NULL when out of memory). */
cJSON *cf_event_frames_json(const cf_event *e);

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

typedef struct cf_link {
    char name[64];
    int fd;
    int stream;        /* the stream binding, else WebSocket */
    int server;        /* the runner is the server side (a client-mode peer) */
    int open;          /* connected and not closed by either side */
    int remote_closed; /* close frame or EOF seen */
    int local_closed;  /* we sent a close / shut down */
    int broken;        /* decoding stopped after an invalid input */
    int parsing;       /* inside the parser: sends must not append to `in` */
    int paused;        /* a pause step: nothing is read from the socket until resume */
    cf_buf in;         /* socket bytes not yet parsed */
    cf_buf wsmsg;      /* WebSocket fragments being assembled */
    int wsmsg_op;      /* opcode of the message being assembled, -1 none */
    plx_deframer *df;  /* stream binding */
    plx_assembler *as;
    int welcomed;
    uint32_t max_frame, max_message, gzip_threshold; /* in effect after the welcome */
    int gzip;
    uint32_t next_msg_id;
    uint64_t rng; /* WebSocket masks (client side) */
    int auto_pong;
    struct {
        uint32_t msg_id;
        int used;
        cf_frames_info info;
    } track[CF_LINK_TRACK];
    cf_event *head, *tail;
    size_t nevents;
    cJSON *log;  /* borrowed: the case's wire log (array) */
    uint64_t t0; /* the case's start, for log times */
} cf_link;

/* Sets up l for a socket (fd may be -1 until connected) as the server side (server 1) or the
 * client side, on the stream binding or WebSocket. Before the welcome it receives with
 * max_frame 65536 and no gzip (SES-3). 0, or -1 when out of memory. */
int cf_link_init(cf_link *l, const char *name, int fd, int stream, int server, cJSON *log,
                 uint64_t t0);
/* Closes the socket and frees everything. */
void cf_link_free(cf_link *l);
/* Switches to negotiated limits (a welcome), for receiving and as the default for sending.
 * 0, or -1 when out of memory. */
int cf_link_limits(cf_link *l, uint32_t max_frame, uint32_t max_message, int gzip,
                   uint32_t gzip_threshold);

/* A wire log entry {ms, conn, dir, kind} appended to the case's log (NULL when there is no log
 * or it is full: LOG_MAX_ENTRIES, then one "truncated" entry). */
cJSON *cf_link_log(cf_link *l, const char *dir, const char *kind);

/* Sends a message (json + attachments) with opts: its body cut into Plexus frames, each one
 * WebSocket binary message (in ws_fragments pieces) or with the stream prefix. 0, or -1 with
 * err. A remote that closed while we were writing is not an error (logged; expect steps will
 * see the close). */
int cf_link_send_msg(cf_link *l, const cJSON *json, const plx_bytes *att, size_t natt,
                     const cf_send_opts *opts, char *err, size_t errlen);
/* Sends one frame's bytes: WebSocket one binary message (in ws_fragments pieces); stream with
 * the 4-byte length prefix. */
int cf_link_send_frame(cf_link *l, const uint8_t *b, size_t n, int ws_fragments, char *err,
                       size_t errlen);
/* Sends bytes as they are: WebSocket one binary message; stream the raw bytes. */
int cf_link_send_raw(cf_link *l, const uint8_t *b, size_t n, char *err, size_t errlen);
/* Sends a WebSocket text message (-1 on the stream binding). */
int cf_link_send_text(cf_link *l, const char *text, char *err, size_t errlen);
/* Closes our side: WebSocket close frame with code (stream: shutdown); abrupt: the socket is
 * shut down without a close frame. */
int cf_link_close(cf_link *l, int code, int abrupt);

/* Decodes what is buffered into events (nothing while a decode is under way or after an
 * invalid input). */
void cf_link_parse(cf_link *l);
/* Waits up to timeout_ms for the socket, reads what is there and decodes it. Returns 0, or -1
 * when nothing more can come (end of input: a close event; too much input: invalid). */
int cf_link_read(cf_link *l, int timeout_ms);
/* Removes and returns the first queued event (NULL when none). The caller frees it. */
cf_event *cf_link_pop(cf_link *l);

#endif
