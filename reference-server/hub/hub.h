/*
 * hub.h - the I/O-free core of plexus-server: connections, names, groups, routes, pending
 * calls, watches, adapters and storage dispatch.
 *
 * Input: (connection, decoded message, now). Output: messages handed to the io callbacks
 * per connection, which the transport encodes into that connection's bounded send queue.
 * The hub never touches a socket, a clock or a thread: time is the caller's now_ms
 * (monotonic milliseconds) on every call. Single-threaded.
 */
#ifndef PLX_HUB_H
#define PLX_HUB_H

#include <stddef.h>
#include <stdint.h>

#include <plexus/codec.h>

#include "../storage/store.h"

typedef uint64_t plx_conn_id; /* never 0; never reused within one hub */

/* plx_hub_config.ping_interval_ms value that switches the server's pings off (LIM-1: the
 * operator's "0"; 0 in the struct means the default, like every other member). */
#define PLX_HUB_PING_OFF UINT32_MAX

typedef struct plx_hub_config {
    const char *secret;       /* NULL or "": no auth; compared in constant time */
    const char *override_key; /* NULL: name takeover disabled */
    uint32_t max_connections; /* 0: 1024 */
    uint32_t max_frame;       /* server side limits offered in welcome; 0: defaults */
    uint32_t max_message;
    uint32_t gzip_threshold;
    int gzip;                     /* 1: offer gzip */
    uint32_t hello_timeout_ms;    /* 0: 10000 */
    uint32_t ping_interval_ms;    /* 0: 20000; PLX_HUB_PING_OFF: no pings (welcome says 0) */
    uint32_t missed_pongs;        /* 0: 2; dropped after this many unanswered pings */
    uint32_t call_timeout_ms;     /* default call timeout; 0: 30000 */
    uint32_t max_call_timeout_ms; /* 0: 300000 */
    uint32_t history;             /* events kept per group; 0: off */
    uint32_t max_routes;          /* per connection; 0: 256 */
    uint32_t max_groups;          /* per connection; 0: 256 */
    uint32_t max_watches;         /* per connection; 0: 256 */
    uint32_t max_pending;         /* calls in flight per connection; 0: 1024 */
    const char *server_name;      /* welcome.server; NULL: "plexus-server/<version>" */
    uint32_t max_adapters;        /* keys adapted per connection; 0: 256 */
} plx_hub_config;

/* The io callbacks run synchronously inside hub calls; they must not call back into the hub,
 * plx_hub_limits excepted (report a failed socket later with plx_hub_closed, not from inside
 * send). */
typedef struct plx_hub_io {
    /* Queue one message for connection c. json and att are borrowed for the call only.
     * Return 0 when queued. Return PLX_E_TOO_LARGE, queuing nothing, when the message's
     * body (u32 JSON length + unformatted JSON text + u32 length and bytes of each
     * attachment, before compression) exceeds c's effective max_message (plx_hub_limits,
     * which send may call; plx_encoder_begin with that max_message returns exactly this):
     * c stays open and the hub answers LIMIT_REACHED or skips the recipient (LIM-5). Any
     * other negative code means c's send queue is over its bound: the hub closes c with
     * SLOW_READER. The hub does not measure messages itself. */
    int (*send)(void *ud, plx_conn_id c, const cJSON *json, const plx_bytes *att, size_t natt);
    /* Close c with a WebSocket close code once what is queued is written. The hub forgets c
     * right after this call; it calls it at most once per connection. */
    void (*close)(void *ud, plx_conn_id c, int ws_code, const char *reason);
    void *ud;
} plx_hub_io;

/* Effective limits of one connection after hello, for its reader and encoder. */
typedef struct plx_conn_limits {
    uint32_t max_frame;
    uint32_t max_message;
    uint32_t gzip_threshold;
    int gzip;
} plx_conn_limits;

typedef struct plx_hub plx_hub;

/* Makes a hub over a store (borrowed; the hub installs itself as the store's notify
 * target only through plx_hub_store_notify, see below). NULL on no memory. */
plx_hub *plx_hub_new(const plx_hub_config *cfg, const plx_hub_io *io, plx_store *store);
/* Makes a hub with a store of its own (plx_store_new(limits, plx_hub_store_notify, hub));
 * limits may be NULL. plx_hub_free frees that store. NULL on no memory. */
plx_hub *plx_hub_new_own_store(const plx_hub_config *cfg, const plx_hub_io *io,
                               const plx_store_limits *limits);
/* An asynchronous storage backend (plexus-server --storage redis://...): the hub checks each
 * command against the command table itself, hands checked batches to submit, and gets each
 * batch's answer later through plx_hub_store_done. */
typedef struct plx_hub_backend {
    /* Takes a batch of n checked commands (argv borrowed for the call only); atomic: run them
     * without interleaving. Returns 0 when accepted: exactly one plx_hub_store_done with this
     * cookie follows, never from inside submit. A negative PLX_E_* refuses the batch (the hub
     * answers STORAGE_UNAVAILABLE at once). */
    int (*submit)(void *ud, uint64_t cookie, const plx_bytes *const *argv, const size_t *argc,
                  size_t n, int atomic);
    void *ud;
    const char *name; /* plexus.info's "storage" (copied); NULL: "redis" */
} plx_hub_backend;

/* Makes a hub whose storage commands go to be (copied) instead of an in-memory store. Change
 * notifications then come from the backend through plx_hub_store_notify (without `by`), and
 * welcome.features does not list "change-by". The hub runs no TTL expiry of its own. Each
 * cmd or pipeline waiting for its batch counts against the caller's max_pending. NULL on no
 * memory or when be->submit is NULL. */
plx_hub *plx_hub_new_backend(const plx_hub_config *cfg, const plx_hub_io *io,
                             const plx_hub_backend *be);
/* A backend batch finished. r (taken) is an ARRAY with one entry per command of the batch, or
 * one ERROR reply for the whole batch. Unknown cookies (the caller left) are dropped. */
void plx_hub_store_done(plx_hub *h, uint64_t cookie, plx_reply *r, uint64_t now_ms);

/* Frees the hub (and its store when it made it). Does not call io. */
void plx_hub_free(plx_hub *h);
/* Pass this as the store's notify function with the hub as ud. */
void plx_hub_store_notify(void *hub, const uint8_t *key, size_t klen, const char *op);

/* A transport accepted a connection. Returns its id (> 0), or 0 on no memory. When the hub is
 * at max_connections it has already sent SERVER_FULL to that id and called io.close on it
 * before returning (so the transport must accept io calls for an id it does not know yet). */
plx_conn_id plx_hub_open(plx_hub *h, uint64_t now_ms);
/* One validated message from c. The hub takes nothing: m stays the caller's. */
void plx_hub_message(plx_hub *h, plx_conn_id c, const plx_msg *m, uint64_t now_ms);
/* The transport's codec failed on c with code (negative PLX_E_*): the hub sends the error
 * message and, when the code is fatal, closes c. id: the request id when known, else -1. */
void plx_hub_codec_error(plx_hub *h, plx_conn_id c, int code, const char *detail, int64_t id,
                         uint64_t now_ms);
/* c's socket is gone: the hub releases its name, routes, groups, watches, adapters, fails
 * the calls it was serving with PEER_GONE, and emits presence leave. */
void plx_hub_closed(plx_hub *h, plx_conn_id c, uint64_t now_ms);
/* Runs timers (hello timeout, pings, call timeouts, TTL expiry). Returns the next now_ms at
 * which it wants to run again. */
uint64_t plx_hub_tick(plx_hub *h, uint64_t now_ms);
/* Closes every connection with SHUTTING_DOWN (1001). */
void plx_hub_shutdown(plx_hub *h, uint64_t now_ms);
/* The limits negotiated for c (defaults before hello). 0, or PLX_E_INVAL for an unknown c. */
int plx_hub_limits(const plx_hub *h, plx_conn_id c, plx_conn_limits *out);
/* Number of open connections. */
size_t plx_hub_count(const plx_hub *h);

#endif
