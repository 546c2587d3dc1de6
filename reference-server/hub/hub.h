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
    /* Optional (NULL: a watch is active at once). Asks for plx_hub_barrier_done(cookie) once
     * every change of a command completed before this call has gone to plx_hub_store_notify.
     * A new watch pattern is active (and answered) only then, so a watcher never gets the
     * changes of commands completed before its watch's reply. Returns 0 when accepted:
     * exactly one plx_hub_barrier_done follows, never from inside barrier. A negative PLX_E_*
     * refuses (the hub answers the watch with it: LIMIT_REACHED, else STORAGE_UNAVAILABLE). */
    int (*barrier)(void *ud, uint64_t cookie);
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
void plx_hub_store_done(plx_hub *h, uint64_t cookie, plx_store_reply *r, uint64_t now_ms);

/* A backend barrier finished: the watch waiting for it becomes active and is answered.
 * Unknown cookies (the watcher left) are ignored. */
void plx_hub_barrier_done(plx_hub *h, uint64_t cookie, uint64_t now_ms);

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

/* ---------------------------------------------------------------- cluster hooks
 *
 * Several hubs (one per plexus-server instance) act as one through reference-server/cluster/.
 * Each hub holds a *proxy* for every client of the other instances: a READY connection marked
 * remote, with the remote client's name, groups, routes and adapted keys. Names, sends,
 * calls, call_all and adapter reads then work over the whole view unchanged; what the hub
 * sends to a proxy goes to peer.send instead of io.send. Without a peer nothing changes. */

/* A client as the hub sees it. Every pointer is borrowed until the next hub call. */
typedef struct plx_hub_client {
    plx_conn_id id;
    int remote; /* 1: a proxy */
    const char *name;
    const plx_bytes *groups;
    size_t ngroups;
    const plx_bytes *routes;
    size_t nroutes;
    const plx_bytes *adapted;
    size_t nadapted;
} plx_hub_client;

/* What changed about a client (peer.changed for local clients, plx_hub_update for any). */
typedef enum plx_hub_change {
    PLX_HUB_READY = 1,  /* hello done (name and groups set) */
    PLX_HUB_RENAME,     /* arg: the new name */
    PLX_HUB_JOIN,       /* arg: the group */
    PLX_HUB_LEAVE,      /* arg: the group */
    PLX_HUB_REGISTER,   /* arg: the route */
    PLX_HUB_UNREGISTER, /* arg: the route */
    PLX_HUB_ADAPT,      /* arg: the key */
    PLX_HUB_UNADAPT,    /* arg: the key */
    PLX_HUB_GONE        /* the client left (its state is still readable in the call) */
} plx_hub_change;

/* The cluster's side. Callbacks run synchronously inside hub calls and must not call back
 * into the hub (plx_hub_client_get and plx_hub_limits excepted). */
typedef struct plx_hub_peer {
    /* A message for proxy p (call, read, event; error messages too, which may be dropped).
     * json and att borrowed for the call. 0 when it will go; negative when it cannot (the
     * hub treats it like a message too large: a call fails with LIMIT_REACHED, an event is
     * not counted); p stays open either way. */
    int (*send)(void *ud, plx_conn_id p, const cJSON *json, const plx_bytes *att, size_t natt);
    /* Local client c changed (READY, RENAME, JOIN, LEAVE, REGISTER, UNREGISTER, ADAPT,
     * UNADAPT, GONE); arg borrowed. Only requests of the client itself are reported, not
     * plx_hub_update calls. */
    void (*changed)(void *ud, const plx_hub_client *c, plx_hub_change what, plx_bytes arg);
    /* Local client server answered a call or read relayed by plx_hub_relay from origin with
     * origin_id: reply is its reply message as received (its id is the local one). */
    void (*relayed)(void *ud, uint64_t origin, uint64_t origin_id, plx_conn_id server,
                    const plx_msg *reply);
    /* The hub dropped proxy p by itself with code (PLX_E_REPLACED: a hello with the
     * override key took its name). Not called for plx_hub_proxy_close. */
    void (*dropped)(void *ud, plx_conn_id p, int code);
    /* May be NULL. Called once a send's event went to every recipient: an event peer.send
     * held to batch the recipients of one instance must go out now (json and att passed to
     * peer.send are valid until this call returns, not after). */
    void (*flush)(void *ud);
    const char *auto_prefix; /* names assigned at hello are auto_prefix + N; NULL: "client-" */
    void *ud;
} plx_hub_peer;

/* Installs the peer (copied; auto_prefix copied). peer NULL removes it and closes every
 * proxy. 0, PLX_E_INVAL (send or changed missing, auto_prefix not a name of up to 63 bytes),
 * PLX_E_NOMEM. */
int plx_hub_set_peer(plx_hub *h, const plx_hub_peer *peer);
/* Opens a proxy named name, member of groups, and emits presence join to local subscribers.
 * 0 with *out set; PLX_E_NAME_TAKEN with *out the holder's id; PLX_E_BAD_NAME (a bad name or
 * group), PLX_E_LIMIT_REACHED (more than max_groups groups), PLX_E_NOMEM. */
int plx_hub_proxy_open(plx_hub *h, const char *name, const plx_bytes *groups, size_t ngroups,
                       plx_conn_id *out, uint64_t now_ms);
/* Applies one change to connection c (a proxy or, for PLX_HUB_UNADAPT, a local client),
 * with presence (rename, regroup) and watch (gone) effects like the client's own request;
 * peer.changed is not called. A change that is already true is 0. Errors: PLX_E_INVAL (no
 * such connection, or READY/GONE), PLX_E_NAME_TAKEN (*holder set), PLX_E_KEY_OWNED (*holder
 * set), PLX_E_BAD_NAME, PLX_E_LIMIT_REACHED (per-connection bounds), PLX_E_NOMEM. holder may
 * be NULL. */
int plx_hub_update(plx_hub *h, plx_conn_id c, plx_hub_change what, plx_bytes arg,
                   plx_conn_id *holder, uint64_t now_ms);
/* Closes proxy p: releases its name, routes, groups and adapted keys, fails the calls it
 * serves with PEER_GONE, emits presence leave. Unknown p: nothing. */
void plx_hub_proxy_close(plx_hub *h, plx_conn_id p, uint64_t now_ms);
/* A message from the remote client behind proxy p: only reply (to a call or read the hub sent
 * to p) is handled. 0, or PLX_E_INVAL (unknown p, not a reply). */
int plx_hub_proxy_message(plx_hub *h, plx_conn_id p, const plx_msg *m, uint64_t now_ms);
/* The instance of proxy p could not deliver the call or read the hub sent p with id sid
 * (its client left, or it was too large): that call fails with code (PEER_GONE,
 * LIMIT_REACHED) at once. 0, or PLX_E_INVAL (unknown p or sid). */
int plx_hub_proxy_fail(plx_hub *h, plx_conn_id p, uint64_t sid, int code, uint64_t now_ms);
/* A call or read from another instance for local client c: forwarded to c with a local id
 * (deadline: m's timeout_ms, else the default call timeout); c's reply goes to peer.relayed
 * with origin and m's id. A relay that times out or whose client leaves ends silently (the
 * origin instance has its own deadline and learns of the departure from the directory).
 * 0, PLX_E_INVAL (unknown or not READY c, not a call/read, no id), PLX_E_TOO_LARGE, NOMEM. */
int plx_hub_relay(plx_hub *h, plx_conn_id c, const plx_msg *m, uint64_t origin, uint64_t now_ms);
/* Hands a message (an event from another instance) to local client c through io.send.
 * 0, PLX_E_INVAL (unknown or not READY c), PLX_E_TOO_LARGE (skipped, LIM-5), or the send's
 * error (c is then closed with SLOW_READER). */
int plx_hub_push(plx_hub *h, plx_conn_id c, const plx_msg *m, uint64_t now_ms);
/* Closes local client c with the fatal error code (e.g. PLX_E_REPLACED). Unknown c: nothing. */
void plx_hub_kick(plx_hub *h, plx_conn_id c, int code, uint64_t now_ms);
/* Describes READY connection c (local or proxy). 0, or PLX_E_INVAL. */
int plx_hub_client_get(const plx_hub *h, plx_conn_id c, plx_hub_client *out);
/* The holder of a client name, 0 if none. */
plx_conn_id plx_hub_name_holder(const plx_hub *h, const char *name);
/* Calls fn for every READY local client, oldest first. fn must not call into the hub. */
void plx_hub_each_local(const plx_hub *h, void (*fn)(void *ud, const plx_hub_client *c), void *ud);
/* Number of open proxies. */
size_t plx_hub_proxies(const plx_hub *h);

#endif
