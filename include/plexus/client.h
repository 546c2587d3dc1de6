/*
 * plexus/client.h - libplexus-client: a blocking client of the Plexus v1 protocol with
 * handlers, over the WebSocket binding (ws://host:port[/path]) or the stream
 * binding over raw TCP (plexus://host:port).
 *
 * Threading model
 *   - Each client owns two threads: an I/O thread (connects, sends hello, reconnects with
 *     backoff, watches for a silent server, and services the socket when nobody else does)
 *     and a dispatcher thread that runs every handler: routes, adapter reads, events,
 *     presence, change notifications and status notifications, one at a time, in arrival
 *     order.
 *   - Every other function may be called from any thread, concurrently. Blocking calls
 *     (call, call_all, send with a delivery count, cmd, pipeline, join, leave, rename,
 *     serve, watch, adapt, List and Dict helpers) wait for their reply at most their
 *     timeout; a handler may make blocking calls. A handler that calls a route served by its
 *     own client waits for itself: that call times out (handlers run one at a time).
 *   - Fast paths (no thread hand-off): the thread that sends a message writes it to the
 *     socket itself, as far as the socket takes it (one writer at a time, in queue order;
 *     the rest is written by whoever services the socket). A thread blocked in a request
 *     reads the socket itself when no other thread is reading it, and routes everything it
 *     reads exactly as the I/O thread would (replies to their waiters, handlers' work to the
 *     dispatcher). After answering a blocking request the I/O thread leaves the socket to
 *     the caller's next request for up to 2 ms; what arrives meanwhile while no request
 *     reads waits at most that long. The dispatcher is woken once per read, however many
 *     messages the read brought, and runs everything queued per wake-up.
 *   - plx_client_close must not be called from a handler (it returns PLX_E_INVAL there),
 *     and no other thread may use the client once close has begun.
 *   - The WebSocket binding is the library's own (RFC 6455 client framing on a plain
 *     socket); libwebsockets provides only its SHA-1 and base64 helpers to the handshake.
 *
 * Timeouts: every blocking function takes timeout_ms; 0 or less means the client's default
 * (plx_client_options.timeout_ms, else the server's call_timeout_ms from welcome). A request
 * made while the client is disconnected waits for the reconnection at most its timeout and
 * then fails with PLX_E_DISCONNECTED; a request pending when the connection drops fails at
 * once with PLX_E_DISCONNECTED (it may or may not have run on the server). Nothing waits
 * forever.
 *
 * Reconnection: when the connection drops, the I/O thread reconnects with exponential
 * backoff (bounded, with jitter; can be disabled) and restores the client's name, groups,
 * presence subscription, routes, watches and adapted keys before requests go out again.
 *
 * Errors: functions return 0 (or a count) on success and a negative code on failure: a
 * PLX_E_* of plexus/codec.h (the spec's registry: e.g. PLX_E_CALL_TIMEOUT, PLX_E_ROUTE_FAILED,
 * PLX_E_WRONGTYPE) or one of the local codes below, which are never sent on the wire and do
 * not clash with spec/errors.json. plx_client_strerror names both kinds.
 *
 * Ownership: arguments are borrowed for the call; results handed out (plx_result, plx_reply)
 * are the caller's and are freed with their free function. Data a handler receives is
 * borrowed until the handler returns.
 */
#ifndef PLEXUS_CLIENT_H
#define PLEXUS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <plexus/codec.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- local error codes */

#define PLX_E_DISCONNECTED (-1001) /* not connected: connection lost or not yet restored */
#define PLX_E_CLOSED       (-1002) /* the client is closing or closed */
#define PLX_E_CONNECT      (-1003) /* the connection could not be made (refused, handshake) */
#define PLX_E_BAD_URL      (-1004) /* the URL is not ws://host:port[/path] or plexus://host:port */
#define PLX_E_BAD_REPLY                                                                            \
    (-1005) /* a reply the client cannot represent (e.g. an integer beyond                         \
               the signed 64-bit range, STO-8) or that breaks the spec */

/* Text for any code: local codes above, else the registry's (plx_strerror). */
const char *plx_client_strerror(int code);
/* Symbolic name for any code ("DISCONNECTED", "CALL_TIMEOUT"), or "UNKNOWN". */
const char *plx_client_error_name(int code);

/* ---------------------------------------------------------------- options */

typedef struct plx_client_options {
    const char *name;          /* requested name; NULL: the server assigns one */
    const char *const *groups; /* groups to join at hello */
    size_t ngroups;
    const char *secret;       /* shared secret, or NULL */
    const char *override_key; /* override key (take the name from its holder), or NULL */
    int presence;             /* non-zero: receive presence events */
    const char *agent;        /* hello.agent; NULL: "libplexus-client/<version>" */
    uint32_t max_frame;       /* hello limits; 0: the protocol defaults */
    uint32_t max_message;
    uint32_t gzip_threshold;     /* 0: default 1024 */
    int no_gzip;                 /* non-zero: ask the server never to gzip */
    int gzip_level;              /* 1..9 for what the client compresses; 0: 1 (fastest) */
    int timeout_ms;              /* default request timeout; 0: welcome.call_timeout_ms */
    int connect_timeout_ms;      /* TCP connect + handshake + hello; 0: 10000 */
    int no_reconnect;            /* non-zero: a dropped connection is not re-established */
    uint32_t backoff_initial_ms; /* first reconnect delay; 0: 100 */
    uint32_t backoff_max_ms;     /* bound of the delay; 0: 10000. Each delay is drawn
                                    uniformly from [d/2, d], d doubling from initial to max */
    size_t max_queue;            /* bytes of frames queued for sending; 0: 2 x max_message.
                                    A sender waits for room (up to its timeout), then gets
                                    PLX_E_LIMIT_REACHED */
    size_t max_pending;          /* requests in flight; 0: 1024 (the server's bound).
                                    Past it: PLX_E_LIMIT_REACHED */
    size_t max_dispatch;         /* messages waiting for the dispatcher; 0: 4096 */
    size_t max_dispatch_bytes;   /* their attachment bytes; 0: 256 MiB. Past either bound a
                                    call or read is answered LIMIT_REACHED and an event,
                                    presence or change is dropped and counted (stats) */
} plx_client_options;

/* Fills o with the defaults (all zero: see each field). */
void plx_client_options_init(plx_client_options *o);

/* ---------------------------------------------------------------- the client */

typedef struct plx_client plx_client;

/* Connects to url (ws://host:port[/path] or plexus://host:port), sends hello and waits for
 * welcome within connect_timeout_ms, then starts the I/O and dispatcher threads. opts may be
 * NULL (defaults); it is copied. On success *out is the client (free with plx_client_close).
 * Errors: PLX_E_BAD_URL, PLX_E_CONNECT, PLX_E_CALL_TIMEOUT (no welcome in time), the
 * server's refusal (PLX_E_AUTH_FAILED, PLX_E_NAME_TAKEN, PLX_E_BAD_NAME, PLX_E_BAD_VALUE,
 * PLX_E_SERVER_FULL, ...), PLX_E_NOMEM. errbuf (may be NULL) receives a one-line reason. */
int plx_client_connect(const char *url, const plx_client_options *opts, plx_client **out,
                       char *errbuf, size_t errlen);

/* Sends bye, closes the connection, fails every pending request with PLX_E_CLOSED, joins
 * both threads and frees the client. Returns 0, or PLX_E_INVAL when called from one of the
 * client's own handlers (nothing is done then). NULL is a no-op. */
int plx_client_close(plx_client *c);

/* The client's current name (as welcomed or renamed), copied into buf. 0, or PLX_E_INVAL
 * when buf is too small. */
int plx_client_name(plx_client *c, char *buf, size_t len);
/* 1 when a session is open and restored (requests go out at once), else 0. */
int plx_client_connected(plx_client *c);

/* Effective limits and counters. */
typedef struct plx_client_stats {
    uint32_t max_frame, max_message, gzip_threshold; /* effective (welcome) */
    int gzip;
    uint32_t call_timeout_ms, ping_interval_ms, history; /* from welcome */
    uint64_t connects;                                   /* sessions opened (1 + reconnections) */
    uint64_t dropped;        /* events, presence and changes dropped: dispatcher full */
    uint64_t restore_errors; /* restore requests refused after a reconnection */
} plx_client_stats;

void plx_client_stats_get(plx_client *c, plx_client_stats *out);

/* ---------------------------------------------------------------- errors and results */

/* A failure reported by the server (or made locally): code (negative), registry name,
 * message and optional detail (for ROUTE_FAILED: the serving side's error object; for
 * EXEC_ABORTED: {"index", "error"}). */
typedef struct plx_error_info {
    int code;      /* negative PLX_E_* (an unknown wire code N is -N) */
    char name[40]; /* e.g. "ROUTE_FAILED" */
    char *message; /* owned, NUL-terminated */
    cJSON *detail; /* owned, or NULL */
} plx_error_info;

/* The outcome of a call, call_all or any JSON request: on success value is the reply's
 * result (owned; a JSON null when the result was null) with its attachments; on failure
 * value is NULL and error is filled. Always release with plx_result_free. */
typedef struct plx_result {
    cJSON *value;         /* owned */
    const plx_bytes *att; /* attachments {"$bin": i} in value refers to; owned by the result */
    size_t natt;
    plx_error_info error; /* code 0 on success */
    plx_msg priv;         /* private: holds the attachment bytes */
} plx_result;

void plx_result_free(plx_result *r);

/* Sends any request (msg is borrowed: a JSON object with "t"; the client adds "id") with
 * attachments and waits for its reply, as plx_client_call does (e.g. to probe a newer
 * server's message types: UNKNOWN_TYPE comes back as the error). */
int plx_client_request(plx_client *c, const cJSON *msg, const plx_bytes *att, size_t natt,
                       int timeout_ms, plx_result *out);

/* ---------------------------------------------------------------- RPC */

/* Calls route (on client `to` when not NULL, else on any server of it) with args (borrowed,
 * may be NULL: no args) and attachments att[0..natt) referred to from args as {"$bin": i}.
 * Waits at most timeout_ms (the server applies the same timeout and answers CALL_TIMEOUT).
 * Returns 0 with out->value, or a negative code with out->error: e.g. PLX_E_UNKNOWN_ROUTE,
 * PLX_E_UNKNOWN_CLIENT, PLX_E_ROUTE_FAILED (detail: the serving side's error object),
 * PLX_E_CALL_TIMEOUT, PLX_E_PEER_GONE, PLX_E_DISCONNECTED. out is always initialised. */
int plx_client_call(plx_client *c, const char *route, const char *to, const cJSON *args,
                    const plx_bytes *att, size_t natt, int timeout_ms, plx_result *out);

/* Calls route on every client serving it (only members of group when not NULL). On
 * success out->value is {name: {"result": v} | {"error": {...}}}. Errors as plx_client_call. */
int plx_client_call_all(plx_client *c, const char *route, const char *group, const cJSON *args,
                        const plx_bytes *att, size_t natt, int timeout_ms, plx_result *out);

/* What a handler receives (borrowed until it returns). For a route call: route, from, args
 * (NULL when absent); for an adapter read: key and argv (the read command). att are the
 * message's attachments; timeout_ms the time the caller still waits. */
typedef struct plx_request {
    const char *route;
    const char *from;
    const cJSON *args;
    plx_bytes key;
    const plx_bytes *argv;
    size_t argc;
    const plx_bytes *att;
    size_t natt;
    uint32_t timeout_ms;
} plx_request;

/* A handler's answer under construction. */
typedef struct plx_answer plx_answer;

/* Sets the result (takes ownership of value, replacing an earlier one). 0 or PLX_E_INVAL. */
int plx_answer_result(plx_answer *a, cJSON *value);
/* Copies data[0..len) as a new attachment of the answer and returns a new {"$bin": i} node
 * for the caller to place in the result (NULL on no memory). */
cJSON *plx_answer_bin(plx_answer *a, const void *data, size_t len);
/* Sets the answer to an error: code (negative PLX_E_*, or -N for an application code N),
 * message (copied; NULL: the registry's text) and detail (owned, may be NULL). Returns code,
 * so a handler can `return plx_answer_error(a, ...)`. */
int plx_answer_error(plx_answer *a, int code, const char *message, cJSON *detail);

/* Route handler. Return 0 to answer with the result set on a (JSON null if none), or a
 * negative code to answer with an error (the one set by plx_answer_error, else that code);
 * the caller then sees PLX_E_ROUTE_FAILED with that error as detail. */
typedef int (*plx_route_fn)(plx_client *c, const plx_request *req, plx_answer *a, void *ud);

/* Serves route with fn (registers it with the server, and again after each reconnection).
 * Serving a route already served replaces its handler. Errors: the server's (BAD_NAME,
 * RESERVED_ROUTE, LIMIT_REACHED), timeouts, PLX_E_DISCONNECTED (the route is then not kept). */
int plx_client_serve(plx_client *c, const char *route, plx_route_fn fn, void *ud, int timeout_ms);
/* Stops serving route. 0 also when it was not served. */
int plx_client_unserve(plx_client *c, const char *route, int timeout_ms);

/* ---------------------------------------------------------------- messaging */

/* Sends event (with data, may be NULL, and attachments) to "client:NAME", "group:NAME" or
 * "all". echo: deliver to the sender too when it is a target. With delivered == NULL the
 * event is queued without waiting for an answer (errors the server finds then arrive as
 * status notifications); otherwise waits for the reply and stores the delivery count.
 * Errors: PLX_E_BAD_TARGET, PLX_E_UNKNOWN_CLIENT, PLX_E_BAD_NAME, timeouts, disconnection. */
int plx_client_send(plx_client *c, const char *to, const char *event, const cJSON *data,
                    const plx_bytes *att, size_t natt, int echo, int timeout_ms,
                    uint64_t *delivered);

/* Joins / leaves a group (kept across reconnections). Errors: BAD_NAME, LIMIT_REACHED. */
int plx_client_join(plx_client *c, const char *group, int timeout_ms);
int plx_client_leave(plx_client *c, const char *group, int timeout_ms);
/* Renames the client (the new name is used on reconnection). Errors: BAD_NAME, NAME_TAKEN. */
int plx_client_rename(plx_client *c, const char *name, int timeout_ms);

typedef struct plx_event {
    const char *from;
    const char *to; /* the target as sent: client:NAME, group:NAME or all */
    const char *event;
    const cJSON *data; /* NULL when absent */
    const plx_bytes *att;
    size_t natt;
    int has_seq;
    uint64_t seq;
} plx_event;

typedef void (*plx_event_fn)(plx_client *c, const plx_event *ev, void *ud);

typedef struct plx_presence {
    const char *kind; /* "join", "leave", "rename" or "regroup" */
    const char *name;
    const char *old;           /* rename: the old name, else NULL */
    const char *const *groups; /* join, regroup */
    size_t ngroups;
} plx_presence;

typedef void (*plx_presence_fn)(plx_client *c, const plx_presence *p, void *ud);

/* Sets the handler of events / presence events (NULL: ignore them). */
void plx_client_on_event(plx_client *c, plx_event_fn fn, void *ud);
void plx_client_on_presence(plx_client *c, plx_presence_fn fn, void *ud);

/* Status notifications: the session opened (again), dropped, or the server sent an error
 * not tied to a request (e.g. UNKNOWN_CLIENT for a send without a delivery count). */
typedef enum plx_status_kind {
    PLX_STATUS_UP = 1,    /* a session was re-established after a drop and restored (the
                             first session is plx_client_connect's success); code: 0, or the
                             first error of a restore request (e.g. KEY_OWNED) */
    PLX_STATUS_DOWN = 2,  /* connection lost; code says why when known */
    PLX_STATUS_ERROR = 3, /* an error message from the server */
} plx_status_kind;

typedef struct plx_status {
    plx_status_kind kind;
    int code;
    const char *message;
} plx_status;

typedef void (*plx_status_fn)(plx_client *c, const plx_status *st, void *ud);
void plx_client_on_status(plx_client *c, plx_status_fn fn, void *ud);

/* ---------------------------------------------------------------- storage replies */

typedef enum plx_reply_type {
    PLX_REPLY_NIL = 0,
    PLX_REPLY_INTEGER = 1,
    PLX_REPLY_STRING = 2, /* bulk string: binary-safe */
    PLX_REPLY_STATUS = 3, /* {"$status": text} */
    PLX_REPLY_ARRAY = 4,
    PLX_REPLY_ERROR = 5
} plx_reply_type;

/* A storage reply in Redis types (the mapping of SPEC.md section 11.2 decoded back). */
typedef struct plx_reply {
    plx_reply_type type;
    long long integer;         /* INTEGER */
    char *str;                 /* STRING, STATUS, ERROR (message): owned, NUL-terminated */
    size_t len;                /* bytes of str (a STRING may contain NUL bytes) */
    struct plx_reply *element; /* ARRAY: owned array of elements */
    size_t elements;
    int code;      /* ERROR: negative PLX_E_* */
    char name[40]; /* ERROR: registry name */
    cJSON *detail; /* ERROR: owned detail or NULL */
} plx_reply;

/* Frees a reply and everything under it. NULL is a no-op. */
void plx_reply_free(plx_reply *r);
/* Constructors (for adapter handlers): NULL on no memory. */
plx_reply *plx_reply_nil(void);
plx_reply *plx_reply_integer(long long v);
plx_reply *plx_reply_string(const void *data, size_t len);
plx_reply *plx_reply_status(const char *text);
/* An ERROR reply: code (negative), message (copied; NULL: the code's text), detail
 * (copied, may be NULL). An adapter answering it makes the reader see that error. */
plx_reply *plx_reply_error(int code, const char *message, const cJSON *detail);
/* An array of n NIL elements; fill them with plx_reply_set. */
plx_reply *plx_reply_array(size_t n);
/* Moves *v into arr->element[i] and frees the shell v; v is consumed in every case.
 * 0, or PLX_E_INVAL (not an array, i out of range, v NULL: v is then freed). */
int plx_reply_set(plx_reply *arr, size_t i, plx_reply *v);
/* Sets the answer of an adapter read to r in the wire mapping (strings that are not short
 * valid UTF-8 travel as attachments; an ERROR reply becomes the error object). r is
 * borrowed. 0, PLX_E_NOMEM or PLX_E_INVAL. */
int plx_answer_reply(plx_answer *a, const plx_reply *r);

/* A span over a C string (the terminating NUL excluded). */
plx_bytes plx_str(const char *s);

/* ---------------------------------------------------------------- storage */

/* Runs one command: argv[0..argc) are binary-safe (argv[0] the command name). Returns 0 with
 * *out the reply, or a negative code: the command's error (PLX_E_WRONGTYPE,
 * PLX_E_WRONG_ARITY, PLX_E_UNKNOWN_COMMAND, PLX_E_COMMAND_ERROR, PLX_E_READ_ONLY, ...) or a
 * request failure (timeout, disconnection), with *out an ERROR reply saying why (NULL only
 * when out of memory). Free *out with plx_reply_free. */
int plx_client_cmd(plx_client *c, size_t argc, const plx_bytes *argv, int timeout_ms,
                   plx_reply **out);
/* Convenience: the arguments are NUL-terminated strings, the list ends with NULL. */
int plx_client_cmdv(plx_client *c, int timeout_ms, plx_reply **out, const char *arg0, ...);

/* A pipeline under construction: commands are copied in. */
typedef struct plx_pipeline plx_pipeline;

plx_pipeline *plx_pipeline_new(void);
void plx_pipeline_free(plx_pipeline *p);
/* Appends one command (copied). 0, PLX_E_NOMEM, PLX_E_INVAL (argc 0). */
int plx_pipeline_add(plx_pipeline *p, size_t argc, const plx_bytes *argv);
/* Convenience: NUL-terminated strings ending with NULL. */
int plx_pipeline_addv(plx_pipeline *p, const char *arg0, ...);
/* Number of commands. */
size_t plx_pipeline_count(const plx_pipeline *p);

/* Runs the pipeline (atomic: all checked first, run with nothing interleaved). Returns 0
 * with *out an ARRAY with one element per command: its reply, or an ERROR reply for a
 * command that failed (a failing command never stops the others). Otherwise a negative
 * code with *out an ERROR reply: PLX_E_EXEC_ABORTED (detail {"index", "error"}), timeouts,
 * disconnection, PLX_E_INVAL for an empty pipeline. */
int plx_client_pipeline(plx_client *c, const plx_pipeline *p, int atomic, int timeout_ms,
                        plx_reply **out);

/* Change notifications of watched keys (borrowed until the handler returns). */
typedef struct plx_change {
    plx_bytes key;
    const char *op;    /* lower-case command, "expired" or "gone" */
    const char *by;    /* the changing client's name, NULL for expired / gone */
    plx_bytes pattern; /* the watch pattern that matched */
} plx_change;

typedef void (*plx_change_fn)(plx_client *c, const plx_change *ch, void *ud);
void plx_client_on_change(plx_client *c, plx_change_fn fn, void *ud);

/* Watches keys matching a glob pattern (kept across reconnections); unwatch stops it.
 * Errors: BAD_VALUE (pattern over 1024 bytes), LIMIT_REACHED, timeouts. */
int plx_client_watch(plx_client *c, plx_bytes pattern, int timeout_ms);
int plx_client_unwatch(plx_client *c, plx_bytes pattern, int timeout_ms);

/* Adapter read handler: answer with plx_answer_reply (or plx_answer_result / error). A
 * negative return without an answer error becomes that error. */
typedef int (*plx_read_fn)(plx_client *c, const plx_request *req, plx_answer *a, void *ud);

/* Becomes the owner of key: reads of it are forwarded to fn (kept across reconnections).
 * Errors: KEY_OWNED, LIMIT_REACHED, timeouts. unadapt gives the key up. */
int plx_client_adapt(plx_client *c, plx_bytes key, plx_read_fn fn, void *ud, int timeout_ms);
int plx_client_unadapt(plx_client *c, plx_bytes key, int timeout_ms);

/* ---------------------------------------------------------------- List and Dict helpers */

/* A Redis list under key seen as a Python-like list. Indices may be negative (from the end).
 * Each returns 0 or a negative code as plx_client_cmd; *out replies are the caller's. */
int plx_list_len(plx_client *c, plx_bytes key, int timeout_ms, long long *len);
/* *out: STRING, or NIL when index is out of range. */
int plx_list_get(plx_client *c, plx_bytes key, long long index, int timeout_ms, plx_reply **out);
/* Errors: PLX_E_COMMAND_ERROR ("ERR index out of range", "ERR no such key"). */
int plx_list_set(plx_client *c, plx_bytes key, long long index, plx_bytes value, int timeout_ms);
int plx_list_append(plx_client *c, plx_bytes key, plx_bytes value, int timeout_ms);
/* Appends n values with RPUSH in batches of 256, sent as one atomic pipeline (several when
 * the commands carry more than 1024 arguments, the attachment bound of one message). */
int plx_list_extend(plx_client *c, plx_bytes key, size_t n, const plx_bytes *values,
                    int timeout_ms);
/* *out: ARRAY of every element. */
int plx_list_items(plx_client *c, plx_bytes key, int timeout_ms, plx_reply **out);

/* A Redis hash under key seen as a dict. */
int plx_dict_len(plx_client *c, plx_bytes key, int timeout_ms, long long *len);
/* *out: STRING, or NIL for a missing field. */
int plx_dict_get(plx_client *c, plx_bytes key, plx_bytes field, int timeout_ms, plx_reply **out);
int plx_dict_set(plx_client *c, plx_bytes key, plx_bytes field, plx_bytes value, int timeout_ms);
/* Removes field; *removed (may be NULL) is 1 when it existed. */
int plx_dict_del(plx_client *c, plx_bytes key, plx_bytes field, int timeout_ms, int *removed);
/* Sets n field/value pairs with HSET in batches, through one pipeline as plx_list_extend. */
int plx_dict_update(plx_client *c, plx_bytes key, size_t n, const plx_bytes *fields,
                    const plx_bytes *values, int timeout_ms);
/* *out: ARRAY of the fields. */
int plx_dict_keys(plx_client *c, plx_bytes key, int timeout_ms, plx_reply **out);
/* *out: ARRAY field, value, field, value, ... (order unspecified). */
int plx_dict_items(plx_client *c, plx_bytes key, int timeout_ms, plx_reply **out);

#ifdef __cplusplus
}
#endif
#endif /* PLEXUS_CLIENT_H */
