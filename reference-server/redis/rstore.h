/*
 * rstore.h - plexus-server's Redis backend: storage commands executed by a Redis server
 * (hiredis), keyspace change notifications, and publish/subscribe for the cluster bus.
 *
 * Threads: the service thread calls plx_rstore_submit / plx_rstore_publish / plx_rstore_poll
 * and never blocks on Redis. Worker threads own the sockets: one for commands (everything
 * submitted is written as one pipeline per wakeup, replies read back in order), one for the
 * subscriptions (keyspace notifications and bus channels). A worker that has something for
 * the service thread calls cfg.wake (thread safe, e.g. lws_cancel_service), and the service
 * thread drains plx_rstore_poll.
 *
 * Replies have the in-memory engine's shape (store.h's plx_reply, error codes mapped from
 * Redis's error texts the way the engine assigns them), so the hub answers both backends
 * alike. When Redis is unreachable, every command completes with an ERROR reply of code
 * PLX_E_STORAGE_UNAVAILABLE (never a hang: bounded by cfg.timeout_ms), and the worker
 * reconnects by itself with backoff (100 ms doubling to 2 s).
 */
#ifndef PLX_RSTORE_H
#define PLX_RSTORE_H

#include <stddef.h>
#include <stdint.h>

#include <plexus/codec.h>

#include "../storage/store.h"

typedef struct plx_rstore plx_rstore;

typedef struct plx_rstore_config {
    const char *url;             /* redis://HOST:PORT[/DB]; DB 0..15, default 0 */
    uint32_t max_queue;          /* batches submitted and not completed; 0: 65536 */
    uint32_t timeout_ms;         /* bound on connecting and on each reply; 0: 5000 */
    int keyspace;                /* 1: CONFIG SET notify-keyspace-events and subscribe to the DB's
                                    keyspace notifications (PLX_REV_CHANGE events) */
    const char *const *channels; /* bus channels to SUBSCRIBE to (exact names), may be NULL */
    size_t nchannels;
    void (*wake)(void *ud); /* called from a worker thread when poll has events; thread safe */
    void *wake_ud;
} plx_rstore_config;

/* Parses redis://HOST:PORT[/DB] (HOST a name or IPv4 address, PORT 1..65535, DB 0..15).
 * 0, or PLX_E_INVAL with a one-line reason in err. */
int plx_rstore_parse_url(const char *url, char *host, size_t hostlen, int *port, int *db, char *err,
                         size_t errlen);

/* Starts the workers (they connect in the background: a Redis that is down at start is not an
 * error, commands fail with STORAGE_UNAVAILABLE until it is up). cfg's strings are copied.
 * NULL with a reason in err on a bad URL or no memory. */
plx_rstore *plx_rstore_new(const plx_rstore_config *cfg, char *err, size_t errlen);

/* Stops and joins the workers, drops undelivered events, frees everything. */
void plx_rstore_free(plx_rstore *r);

/* Submits a batch of n commands (argv[i][0..argc[i]) copied before returning). atomic: the
 * batch runs as MULTI/EXEC, without interleaving. Exactly one PLX_REV_DONE event with this
 * cookie follows: its reply is an ARRAY of n entries, one per command (an entry may be an
 * ERROR reply), or a single ERROR reply when the batch failed as a whole
 * (PLX_E_STORAGE_UNAVAILABLE: Redis unreachable or no reply within timeout_ms). FLUSHALL is
 * sent as FLUSHDB (the backend owns one DB). Returns 0, or PLX_E_LIMIT_REACHED when max_queue
 * batches are outstanding (nothing submitted), PLX_E_NOMEM. */
int plx_rstore_submit(plx_rstore *r, uint64_t cookie, const plx_bytes *const *argv,
                      const size_t *argc, size_t n, int atomic);

/* Publishes data on channel, in order with the commands submitted before it. Fire and forget
 * (a publish lost while Redis is down is reported by a PLX_REV_STATE event, not retried).
 * 0, PLX_E_LIMIT_REACHED (queue full), PLX_E_NOMEM. */
int plx_rstore_publish(plx_rstore *r, const char *channel, const uint8_t *data, size_t len);

typedef enum plx_rstore_event_kind {
    PLX_REV_DONE = 1, /* a batch completed: cookie, reply */
    PLX_REV_CHANGE,   /* a key changed in the DB (keyspace notification): key, op */
    PLX_REV_MESSAGE,  /* a message on a subscribed channel: channel, data */
    PLX_REV_STATE     /* the connection to Redis came up (up = 1) or was lost (up = 0) */
} plx_rstore_event_kind;

typedef struct plx_rstore_event {
    plx_rstore_event_kind kind;
    uint64_t cookie;  /* DONE */
    plx_reply *reply; /* DONE: owned by the event */
    plx_bytes key;    /* CHANGE: owned by the event */
    const char *op;   /* CHANGE: the Plexus op name (static string), see below */
    char *channel;    /* MESSAGE: owned */
    plx_bytes data;   /* MESSAGE: owned */
    int up;           /* STATE */
} plx_rstore_event;

/* Moves up to max events into ev, oldest first; never blocks; returns how many. The caller
 * releases each with plx_rstore_event_clear. A CHANGE event is held back until every batch
 * submitted before its notification arrived has completed, so a client always gets the reply
 * to its command before the change it caused. op: Redis's event name, mapped to the Plexus
 * op where they differ (rename_from / rename_to -> "rename"). */
size_t plx_rstore_poll(plx_rstore *r, plx_rstore_event *ev, size_t max);

/* Frees what an event owns and zeroes it. */
void plx_rstore_event_clear(plx_rstore_event *ev);

/* 1 while the command connection is up. */
int plx_rstore_up(const plx_rstore *r);

#endif
