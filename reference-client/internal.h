/*
 * internal.h - libplexus-client's private structures: the client, its send queue, pending
 * requests, dispatcher queue, the registry of what a reconnection restores, and the
 * transport vtable the WebSocket and raw-TCP bindings implement.
 *
 * Locking: one mutex (plx_client.mu) guards everything in plx_client except the fields
 * marked "reader" (only the holder of the reader role touches them: io_busy, taken and
 * released under mu, hands them over), the link's state (link.h) and the immutable options.
 */
#ifndef PLX_CLIENT_INTERNAL_H
#define PLX_CLIENT_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <plexus/client.h>
#include <plexus/codec.h>

#define PLX_CLIENT_HEADROOM  32u          /* bytes free before every queued frame (>= LWS_PRE) */
#define PLX_HELLO_MAX_FRAME  65536u       /* receive bound before welcome (SES-3) */
#define PLX_SERVICE_SLICE_MS 50           /* the I/O loop checks its timers at least this often */
#define PLX_TIMERS_MS        20           /* a reader runs the timers at most this often */
#define PLX_CLOSE_FLUSH_MS   1000         /* close: time allowed to write bye and see the close */
#define PLX_CALL_GRACE_MS    1000         /* local wait beyond a call's timeout (LIM-7) */
#define PLX_MISSED_PINGS     3            /* silence of this many ping intervals drops the link */
#define PLX_WRITE_PIECE      (256u << 10) /* bytes handed to the socket per write */
#define PLX_DEFAULT_TIMEOUT  30000        /* request timeout before welcome tells the server's */
#define PLX_LINGER_MS                                                                              \
    2 /* after a reply, the I/O thread leaves the socket this long to                              \
         the caller's next request (which then reads it itself) */

/* ---------------------------------------------------------------- URL */

typedef enum plx_url_kind { PLX_URL_WS = 1, PLX_URL_TCP = 2 } plx_url_kind;

typedef struct plx_url {
    plx_url_kind kind;
    char host[256];
    int port;
    char path[1024]; /* ws: the request path, "/" by default */
} plx_url;

/* Parses ws://host:port[/path] or plexus://host:port. 0 or PLX_E_BAD_URL. */
int plx_url_parse(const char *url, plx_url *u);

/* ---------------------------------------------------------------- send queue */

/* One encoded frame: PLX_CLIENT_HEADROOM free bytes, the 4-byte stream prefix, the frame. */
typedef struct plx_outframe {
    uint8_t *buf;
    size_t len; /* prefix + frame bytes after the headroom */
} plx_outframe;

typedef struct plx_outmsg {
    struct plx_outmsg *next;
    plx_outframe *frames;
    size_t nframes;
    size_t frame; /* next frame to write */
    size_t off;   /* bytes of that frame written */
    size_t bytes; /* total of frames[].len */
} plx_outmsg;

/* Messages being written: at most PLX_DEFAULT_MAX_PARTIAL are "active" and take turns frame
 * by frame (CHK-5: a small message is not stuck behind a large one); the rest wait in FIFO
 * order. bytes counts every queued frame byte. */
typedef struct plx_outq {
    plx_outmsg *active, *active_tail;
    size_t nactive;
    plx_outmsg *wait, *wait_tail;
    size_t bytes;
    int skip_prefix; /* WebSocket binding: the prefix is not sent */
} plx_outq;

/* A piece of the current frame to write. data has PLX_CLIENT_HEADROOM bytes before it. */
typedef struct plx_piece {
    const uint8_t *data;
    size_t len;
    int first;   /* the piece starts a frame */
    int last;    /* the piece ends a frame */
    size_t left; /* bytes of the frame from data to its end (>= len) */
} plx_piece;

/* One encoder kept between messages (an encoder per message costs its allocations): at most
 * one, kept only after a message of at most PLX_SPARE_ENCODER_MAX bytes, so what it holds
 * stays small. Under the client's mutex. */
typedef struct plx_outenc {
    plx_encoder *enc;
    plx_encoder_config cfg;
} plx_outenc;
#define PLX_SPARE_ENCODER_MAX (64u << 10)

/* The kept encoder when it was made for cfg (stream_prefix forced on), else a new one
 * (NULL on no memory). The caller owns it until plx_outenc_give. */
plx_encoder *plx_outenc_take(plx_outenc *s, const plx_encoder_config *cfg);
/* Keeps e for the next message when reuse is set and no encoder is kept, else frees it. */
void plx_outenc_give(plx_outenc *s, const plx_encoder_config *cfg, plx_encoder *e, int reuse);
void plx_outenc_clear(plx_outenc *s);
/* Encodes one message with e (borrowed; an encoder of plx_outenc_take) into an owned
 * outmsg; max_frame: e's. 0 or the encoder's error (PLX_E_TOO_LARGE,
 * PLX_E_TOO_MANY_ATTACHMENTS, PLX_E_NOMEM). */
int plx_outmsg_encode(plx_encoder *e, uint32_t msg_id, const cJSON *json, const plx_bytes *att,
                      size_t natt, uint32_t max_frame, plx_outmsg **out);
void plx_outmsg_free(plx_outmsg *m);
void plx_outq_push(plx_outq *q, plx_outmsg *m);
/* 1 with *p set when bytes are waiting, else 0. max bounds p->len. */
int plx_outq_peek(plx_outq *q, size_t max, plx_piece *p);
/* Marks n bytes of the piece last peeked as written. */
void plx_outq_advance(plx_outq *q, size_t n);
/* Drops every queued message. */
void plx_outq_clear(plx_outq *q);

/* ---------------------------------------------------------------- pending requests */

typedef struct plx_waiter {
    pthread_cond_t cv;
    int done;
    int code; /* 0: msg holds the reply; else why it failed */
    plx_msg msg;
} plx_waiter;

typedef enum plx_slot_kind {
    PLX_SLOT_FREE = 0,
    PLX_SLOT_WAITER = 1,  /* a blocking caller waits on w */
    PLX_SLOT_RESTORE = 2, /* a request the I/O thread sent to restore state */
} plx_slot_kind;

typedef struct plx_slot {
    plx_slot_kind kind;
    uint64_t id;
    uint64_t seq; /* reuse counter: id = seq * cap + index + 1 */
    plx_waiter *w;
} plx_slot;

/* A fixed table of request ids: lookup by id is one index computation. */
typedef struct plx_pending {
    plx_slot *slots;
    size_t cap;
    size_t *free_idx;
    size_t nfree;
} plx_pending;

int plx_pending_init(plx_pending *p, size_t cap);
void plx_pending_destroy(plx_pending *p);
/* Takes a slot; returns its id (> 0) or 0 when the table is full. */
uint64_t plx_pending_add(plx_pending *p, plx_slot_kind kind, plx_waiter *w);
/* The slot holding id, or NULL. */
plx_slot *plx_pending_find(plx_pending *p, uint64_t id);
void plx_pending_remove(plx_pending *p, uint64_t id);

/* ---------------------------------------------------------------- registry */

typedef struct plx_route_entry {
    char *route;
    plx_route_fn fn;
    void *ud;
} plx_route_entry;

typedef struct plx_adapter_entry {
    uint8_t *key;
    size_t klen;
    plx_read_fn fn;
    void *ud;
} plx_adapter_entry;

typedef struct plx_blob {
    uint8_t *data;
    size_t len;
} plx_blob;

/* What the client set up and a reconnection restores. */
typedef struct plx_registry {
    plx_route_entry *routes;
    size_t nroutes;
    char **groups;
    size_t ngroups;
    plx_blob *watches;
    size_t nwatches;
    plx_adapter_entry *adapters;
    size_t nadapters;
} plx_registry;

void plx_registry_free(plx_registry *r);
int plx_registry_route_set(plx_registry *r, const char *route, plx_route_fn fn, void *ud);
void plx_registry_route_del(plx_registry *r, const char *route);
const plx_route_entry *plx_registry_route(const plx_registry *r, const char *route);
int plx_registry_group_add(plx_registry *r, const char *group);
void plx_registry_group_del(plx_registry *r, const char *group);
int plx_registry_watch_add(plx_registry *r, plx_bytes pattern);
void plx_registry_watch_del(plx_registry *r, plx_bytes pattern);
int plx_registry_adapter_set(plx_registry *r, plx_bytes key, plx_read_fn fn, void *ud);
void plx_registry_adapter_del(plx_registry *r, plx_bytes key);
const plx_adapter_entry *plx_registry_adapter(const plx_registry *r, plx_bytes key);

/* ---------------------------------------------------------------- dispatcher queue */

typedef enum plx_item_kind {
    PLX_ITEM_CALL = 1,
    PLX_ITEM_READ,
    PLX_ITEM_EVENT,
    PLX_ITEM_PRESENCE,
    PLX_ITEM_CHANGE,
    PLX_ITEM_STATUS
} plx_item_kind;

typedef struct plx_item {
    struct plx_item *next;
    plx_item_kind kind;
    uint64_t gen; /* the session the message came on (replies go to that session only) */
    plx_msg m;    /* owned message (not for STATUS) */
    size_t bytes; /* attachment bytes counted against max_dispatch_bytes */
    plx_status_kind skind;
    int code;
    char *text; /* STATUS message, owned */
} plx_item;

/* ---------------------------------------------------------------- transport */

/* A binding: everything below frames. Called on the I/O thread, except wake. */
typedef struct plx_transport_ops {
    /* Opens the connection (and the WebSocket handshake) within timeout_ms. 0, or
     * PLX_E_CONNECT / PLX_E_CALL_TIMEOUT / PLX_E_CLOSED. */
    int (*open)(plx_client *c, int timeout_ms);
    /* Waits at most timeout_ms for socket activity or a wake, hands what arrived to
     * plx_io_frame / plx_io_stream, writes queued frames. 0, or a negative code when the
     * connection is gone. */
    int (*service)(plx_client *c, int timeout_ms);
    /* Any thread: makes service return soon (new frames queued, closing). */
    void (*wake)(plx_client *c);
    /* Closes the connection; open may be called again afterwards. */
    void (*shutdown)(plx_client *c);
    /* Frees what init made. */
    void (*destroy)(plx_client *c);
} plx_transport_ops;

/* The constructor of both bindings (link.c; ws: WebSocket framing): sets c->tops and
 * c->tstate. 0 or PLX_E_NOMEM. */
int plx_link_init(plx_client *c, int ws);
/* Writes queued frames until the socket would block, when no other thread is writing
 * (mu held; dropped around each send). 0 or PLX_E_DISCONNECTED. */
int plx_link_flush(plx_client *c);

/* ---------------------------------------------------------------- the client */

typedef enum plx_state {
    PLX_ST_CONNECTING = 0, /* no session: connecting or backing off */
    PLX_ST_HELLO = 1,      /* transport open, hello sent */
    PLX_ST_RESTORING = 2,  /* welcomed; restore requests in flight */
    PLX_ST_READY = 3,      /* requests go out */
    PLX_ST_DEAD = 4,       /* no more sessions (first connect failed, reconnect off, closed) */
} plx_state;

struct plx_client {
    /* immutable after connect */
    plx_client_options opt; /* strings below are owned copies */
    plx_url url;
    const plx_transport_ops *tops;
    void *tstate; /* the binding's state (I/O thread) */

    pthread_mutex_t mu;
    pthread_cond_t state_cv; /* state changes, queue room */
    pthread_cond_t disp_cv;  /* dispatcher queue */
    pthread_t io_thread, disp_thread;
    int io_started, disp_started;

    plx_state state;
    int closing;
    uint64_t gen;  /* session number */
    int open_code; /* why the first connect failed */
    char open_msg[256];
    char *name; /* current name */

    /* effective limits (welcome) */
    plx_encoder_config enc;
    uint32_t max_frame, max_message, gzip_threshold, call_timeout_ms, ping_interval_ms, history;
    int gzip;

    plx_outq q;
    plx_outenc spare; /* an encoder for the next message (outq.c) */
    int wr_busy;      /* the writer role is taken: a thread is writing queued frames (link.c) */
    int io_busy;      /* the reader role is taken: a thread polls and reads the socket and runs
                         the receive path (the fields marked "reader" below are its own) */
    int io_err;       /* a caller's read ended the session: the I/O thread drops it */
    int io_kick;      /* the I/O thread should take the reader role now */
    int disp_wants;   /* the idle dispatcher waits to take the reader role */
    size_t nwaiting;  /* blocking requests not yet answered */
    uint64_t linger_until; /* see PLX_LINGER_MS */
    pthread_cond_t io_cv;  /* the I/O thread waits here while it leaves the socket to callers */
    size_t max_queue;
    uint32_t next_msg_id;
    plx_pending pend;
    plx_registry reg;
    size_t restore_left;
    int restore_code;

    plx_item *dq, *dq_tail;
    size_t dq_len, dq_bytes; /* queued items and the batch the dispatcher is running */

    plx_event_fn on_event;
    void *on_event_ud;
    plx_presence_fn on_presence;
    void *on_presence_ud;
    plx_change_fn on_change;
    void *on_change_ud;
    plx_status_fn on_status;
    void *on_status_ud;

    plx_client_stats stats;
    unsigned rand_state;

    /* reader: the thread holding the reader role (the I/O thread, or a caller) */
    plx_reader *reader;
    int hello_code; /* 0 waiting, 1 welcomed, < 0 refused */
    char hello_msg[256];
    int rx_fatal;   /* a fatal error ended the session */
    int fatal_sent; /* the fatal error code we sent (SES-22): its close code ends a ws:// link */
    /* stream binding before welcome: the prefix and header of the frame being read (SES-3) */
    uint8_t hs_hdr[PLX_STREAM_PREFIX_LEN + PLX_FRAME_HEADER_LEN];
    size_t hs_len;    /* bytes of hs_hdr read */
    uint32_t hs_left; /* bytes of the frame after its header still to come */
    uint64_t last_rx_ms;
    uint64_t next_timers_ms; /* plx_io_read runs the timers from then on */
};

/* Monotonic milliseconds. */
uint64_t plx_client_now_ms(void);
/* Waits on cv until deadline_ms (monotonic). 0, or ETIMEDOUT. */
int plx_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, uint64_t deadline_ms);
/* Initialises a condition variable on the monotonic clock. */
int plx_cond_init(pthread_cond_t *cv);
/* The request timeout to use for timeout_ms (<= 0: the default). Under mu. */
int plx_client_timeout(plx_client *c, int timeout_ms);

/* io.c: the I/O thread and its receive path (I/O thread only). */
void *plx_io_main(void *arg);
void plx_io_frame(plx_client *c, const uint8_t *frame, size_t len);
/* One service round by the holder of the reader role: waits at most timeout_ms for the
 * socket, runs the receive path on what arrived, writes what it can, then the timers
 * (partial-message expiry, silent server). 0, or why the session ends. */
int plx_io_read(plx_client *c, int timeout_ms);
/* Makes the I/O thread take the reader role soon (mu held): output waits for POLLOUT,
 * another caller waits for its reply, or a caller's read failed. */
void plx_io_kick(plx_client *c);
/* Sends the fatal error code to the server and ends the session (SES-22). */
void plx_io_fatal(plx_client *c, int code);
/* Feeds stream bytes; returns 0, or a negative code when the stream is broken. */
int plx_io_stream(plx_client *c, const uint8_t *data, size_t len);
/* The next reconnect delay for attempt n (0-based): uniform in [d/2, d], d = min(max,
 * initial << n). */
uint32_t plx_backoff_delay(const plx_client_options *o, unsigned attempt, unsigned *rand_state);

/* session.c: hello, welcome, restore (I/O thread, under mu where stated). */
cJSON *plx_session_hello(plx_client *c);
/* Applies a welcome (under mu): limits, name. 0 or PLX_E_BAD_REPLY. */
int plx_session_welcome(plx_client *c, const cJSON *w);
/* Sends the restore requests of the registry (under mu); sets restore_left. */
void plx_session_restore(plx_client *c);
/* A restore request was answered (under mu); err: the error code or 0. */
void plx_session_restored(plx_client *c, int err);

/* send.c: queues one message on session gen. force: ignore the queue bound (I/O thread's
 * own messages). Otherwise waits for room until deadline_ms. Takes and releases mu.
 * 0, PLX_E_DISCONNECTED (session gone), PLX_E_LIMIT_REACHED (no room in time), or the
 * encoder's error. */
int plx_send(plx_client *c, uint64_t gen, const cJSON *json, const plx_bytes *att, size_t natt,
             int force, uint64_t deadline_ms);
/* As plx_send with mu held by the caller (may drop it while encoding). */
int plx_send_locked(plx_client *c, uint64_t gen, const cJSON *json, const plx_bytes *att,
                    size_t natt, int force, uint64_t deadline_ms);

/* request.c: sends json (an id is added) and waits for the reply. kind: "call" requests send
 * the time left as timeout_ms and wait PLX_CALL_GRACE_MS longer. Returns 0 with *reply the
 * reply message (owned; result or error), or a local failure. */
int plx_roundtrip(plx_client *c, cJSON *json, const plx_bytes *att, size_t natt, int timeout_ms,
                  int is_call, plx_msg *reply);
/* Sends json as a request and turns the reply into r (result or error info). */
int plx_request_result(plx_client *c, cJSON *json, const plx_bytes *att, size_t natt,
                       int timeout_ms, int is_call, plx_result *r);
/* Fails every pending request with code (under mu). */
void plx_pending_fail_all(plx_client *c, int code);
/* A reply or error{re} for id arrived (under mu; I/O thread). m is moved when taken. */
void plx_pending_complete(plx_client *c, uint64_t id, plx_msg *m);

/* error.c */
/* Fills e from a wire error object (code, name, message, detail). */
void plx_error_from_json(plx_error_info *e, const cJSON *obj);
/* Fills e for a local code with the registry / local text. */
void plx_error_local(plx_error_info *e, int code, const char *message);
void plx_error_clear(plx_error_info *e);
/* Builds the wire error object for code (negative), message (NULL: registry text). */
cJSON *plx_error_json(int code, const char *message, const cJSON *detail);

/* dispatch.c */
void *plx_dispatch_main(void *arg);
/* Queues a received call/read/event/presence/change (under mu; m is moved). */
void plx_dispatch_push(plx_client *c, plx_item_kind kind, plx_msg *m);
/* Queues a status notification (under mu). */
void plx_dispatch_status(plx_client *c, plx_status_kind kind, int code, const char *text);
void plx_dispatch_clear(plx_client *c);
/* Wakes the dispatcher when items are queued (under mu). The receive path calls it once
 * after each read, so a read of many messages costs one wake-up. */
void plx_dispatch_flush(plx_client *c);

/* answer.c */
struct plx_answer {
    cJSON *result;
    plx_bytes *att;
    size_t natt, cap;
    int has_error;
    int code;
    char *message;
    cJSON *detail;
};
void plx_answer_clear(plx_answer *a);
/* Sends the reply to server request id on session gen: the answer's result, or its error
 * (rc < 0: the handler's return). */
void plx_answer_send(plx_client *c, uint64_t gen, uint64_t id, plx_answer *a, int rc);

/* wire.c: JSON <-> bytes helpers. */
/* The bytes of a `bytes` field: a string, or {"$bin": i} into att. 0 or PLX_E_BAD_REPLY. */
int plx_wire_bytes(const cJSON *v, const plx_bytes *att, size_t natt, plx_bytes *out);
/* The JSON array of argv (as plx_wire_bytes_json would build it element by element) as one
 * cJSON_Raw node holding its text: strings escaped, other values {"$bin": k} appended to att
 * (borrowed; room for argc). Cheaper to build, print and free than a tree. NULL on no
 * memory. */
cJSON *plx_wire_argv_json(size_t argc, const plx_bytes *argv, plx_bytes *att, size_t *natt);
/* 1 if v is {"$bin": i} (only member), with *i set. */
int plx_wire_is_bin(const cJSON *v, size_t *i);
/* Builds the JSON for bytes b: a string when it is valid UTF-8 without NUL and shorter than
 * 1024 bytes, else {"$bin": k} with b appended to att (borrowed, *natt grows; att has room
 * for one more). NULL on no memory. */
cJSON *plx_wire_bytes_json(plx_bytes b, plx_bytes *att, size_t *natt);
/* The uint value of a field, 0 when absent or not a uint (has: 1 when present). */
uint64_t plx_wire_uint(const cJSON *obj, const char *name, int *has);
/* The string value of a field, or NULL. */
const char *plx_wire_str(const cJSON *obj, const char *name);

/* reply.c */
/* Decodes a storage result (STO-6 mapping) into r. 0, PLX_E_NOMEM or PLX_E_BAD_REPLY. */
int plx_reply_from_json(const cJSON *v, const plx_bytes *att, size_t natt, plx_reply *r);
/* Encodes r in the STO-6 mapping; strings that need it become attachments of a. */
cJSON *plx_reply_to_json(const plx_reply *r, plx_answer *a);
/* Turns a storage request's reply message into *out and the return code. */
int plx_reply_take(plx_msg *m, plx_reply **out);

/* storage.c */
/* Runs a blocking request whose reply is a storage reply. */
int plx_storage_request(plx_client *c, cJSON *json, const plx_bytes *att, size_t natt,
                        int timeout_ms, plx_reply **out);
/* Runs a request answered by `true` (join, watch, ...). */
int plx_simple_request(plx_client *c, cJSON *json, const plx_bytes *att, size_t natt,
                       int timeout_ms);

/* collection.c: shared by the List and Dict helpers. */
/* Runs argv and stores its INTEGER reply in *v (may be NULL). */
int plx_cmd_integer(plx_client *c, size_t argc, const plx_bytes *argv, int timeout_ms,
                    long long *v);
/* Runs argv and checks for a non-error reply. */
int plx_cmd_ok(plx_client *c, size_t argc, const plx_bytes *argv, int timeout_ms);
/* Runs `cmd key item...` over items[0..n) (`per` spans per item), at most PLX_BATCH spans
 * per command, in atomic pipelines of at most PLX_MAX_ATTACHMENTS arguments (one pipeline
 * unless that bound is passed); fails with the first command error. */
int plx_cmd_batched(plx_client *c, const char *cmd, plx_bytes key, size_t n, size_t per,
                    const plx_bytes *const *items, int timeout_ms);
#define PLX_BATCH 256

#endif
