/*
 * server.h - plexus-server's transport: one libwebsockets context and service thread that
 * owns the hub, the store and every connection (WebSocket and raw TCP). Every hub call
 * happens on that thread, from lws callbacks, so the hub needs no locking.
 */
#ifndef PLX_SERVER_H
#define PLX_SERVER_H

#include <signal.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "connmap.h"
#include "hub.h"
#include "options.h"

#define PLX_TICK_MAX_MS       50          /* the hub's timers run at least this often */
#define PLX_READER_TICK_MS    1000        /* partial-message expiry is checked this often */
#define PLX_SHUTDOWN_FLUSH_MS 5000        /* how long shutdown waits for peers to be closed */
#define PLX_CLOSE_DRAIN_SECS  4           /* a closing peer's queue is written within this */
#define PLX_CLOSE_DEADLINE_MS 4500        /* a closing peer is released by then (LIM-4: 5 s) */
#define PLX_WRITE_PIECE       (64u << 10) /* bytes per lws_write: one WebSocket fragment */
#define PLX_RX_BUFFER         (32u << 10) /* lws receive buffer per connection */
/* With --storage redis://, how long plx_server_listen waits for the cluster to be ready
 * (spec/CLUSTER.md, "Startup") before listening anyway. */
#define PLX_SERVER_READY_WAIT_MS 2000

struct plx_conn;
struct plx_backend;
struct plx_glue;

typedef struct plx_server {
    const plx_options *opt;
    uint32_t max_connections; /* the hub's bound: --max-connections, or less if fds are short */
    uint64_t fd_limit;        /* RLIMIT_NOFILE (soft) after start-up raised it */
    char host[64];    /* --host resolved to a numeric address for lws (which takes no names) */
    plx_store *store; /* NULL with --storage none or redis://... */
    struct plx_backend *backend; /* --storage redis://... (backend.c), else NULL */
    struct plx_glue *glue;       /* --storage redis://...: the cluster (cluster_glue.c) */
    plx_hub *hub;
    plx_connmap *conns;       /* hub id -> struct plx_conn *, until the socket is gone */
    struct plx_conn *opening; /* the connection inside plx_hub_open, not yet in conns */
    size_t live;              /* connection objects alive (in conns or not) */
    struct lws_context *ctx;
    struct lws_vhost *ws_vhost;
    struct lws_vhost *tcp_vhost;
    lws_sorted_usec_list_t tick_sul;
    uint64_t last_reader_tick;
    int shutting_down;
    uint64_t shutdown_deadline;
} plx_server;

/* The monotonic clock in milliseconds, the now_ms of every hub and codec call. */
uint64_t plx_now_ms(void);
/* The server of a wsi (the lws context's user pointer). */
plx_server *plx_server_of(struct lws *wsi);

/* Creates store, hub, lws context and the Redis backend and cluster from o (borrowed for the
 * server's life); no listener yet. Returns 0, or -1 after logging why. */
int plx_server_init(plx_server *s, const plx_options *o);
/* Opens the listeners (WebSocket, and raw TCP with --tcp-port) once the server may take
 * clients: with --storage redis://, after serving the loop until the cluster is ready
 * (plx_glue_ready), at most PLX_SERVER_READY_WAIT_MS (then logs what is missing and listens
 * anyway), or until *stop. Returns 0, or -1 after logging why (e.g. the port cannot be
 * bound). */
int plx_server_listen(plx_server *s, volatile sig_atomic_t *stop);
/* Serves until *stop becomes non-zero, then shuts down: every peer gets 1001, queues are
 * flushed for at most PLX_SHUTDOWN_FLUSH_MS. Returns 0, or -1 on a service failure. */
int plx_server_run(plx_server *s, volatile sig_atomic_t *stop);
/* Wakes the service loop (async-signal-safe enough: writes lws's cancel pipe). */
void plx_server_wake(plx_server *s);
/* Frees everything init made. Safe after a failed init. */
void plx_server_free(plx_server *s);

/* Listeners, one file each (ws.c, tcp.c): create the vhost on s->ctx. 0 or -1. */
int plx_ws_listen(plx_server *s);
int plx_tcp_listen(plx_server *s);

#endif
