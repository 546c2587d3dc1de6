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
 * Replies have the in-memory engine's shape (store.h's plx_store_reply, error codes mapped from
 * Redis's error texts the way the engine assigns them), so the hub answers both backends
 * alike. When Redis is unreachable, every command completes with an ERROR reply of code
 * PLX_E_STORAGE_UNAVAILABLE (never a hang: bounded by cfg.timeout_ms), and the worker
 * reconnects by itself with backoff (100 ms doubling to 2 s).
 *
 * Bounds (spec/REDIS-BACKEND.md):
 * - max_queue batches and publishes outstanding (a batch from submit until its DONE event is
 *   polled, a publish until it is written); past it submit/publish return LIMIT_REACHED.
 * - PLX_RSTORE_MAX_BATCH commands per batch, PLX_RSTORE_MAX_ARG bytes per argument (Redis's
 *   default proto-max-bulk-len: a longer bulk would make Redis drop the connection).
 * - timeout_ms on connecting, on each write and between the bytes of a reply; a command
 *   connection that is silent longer than that while replies are due is dropped (every batch in
 *   flight fails with STORAGE_UNAVAILABLE) and reconnected.
 * - PLX_RSTORE_MAX_SUB_EVENTS CHANGE/MESSAGE events waiting for poll; past it the subscription
 *   worker stops reading (Redis then buffers, up to its pubsub client-output-buffer-limit).
 * - PLX_RSTORE_MAX_BARRIERS barriers requested and not answered by Redis yet; past it
 *   plx_rstore_barrier returns LIMIT_REACHED.
 * - reconnect backoff PLX_RSTORE_BACKOFF_MIN_MS doubling to PLX_RSTORE_BACKOFF_MAX_MS.
 * - plx_rstore_free returns within about 2 * timeout_ms even when Redis hangs (it shuts the
 *   sockets down; only a connect in progress runs to its timeout).
 * Replies themselves are bounded by what Redis sends (hiredis 0.14 has no reply size limit;
 * nesting deeper than 7 levels is a protocol error: the batch fails as unavailable).
 */
#ifndef PLX_RSTORE_H
#define PLX_RSTORE_H

#include <stddef.h>
#include <stdint.h>

#include <plexus/codec.h>

#include "../storage/store.h"

typedef struct plx_rstore plx_rstore;

#define PLX_RSTORE_DEFAULT_MAX_QUEUE  65536u
#define PLX_RSTORE_DEFAULT_TIMEOUT_MS 5000u
#define PLX_RSTORE_MAX_BATCH          65536u              /* commands in one batch */
#define PLX_RSTORE_MAX_ARG            ((size_t)512 << 20) /* bytes of one argument */
#define PLX_RSTORE_MAX_SUB_EVENTS     65536u              /* CHANGE + MESSAGE events not polled */
#define PLX_RSTORE_MAX_CHANNELS       1024u               /* cfg.nchannels */
#define PLX_RSTORE_MAX_BARRIERS       4096u               /* barriers waiting for Redis */
#define PLX_RSTORE_BACKOFF_MIN_MS     100u
#define PLX_RSTORE_BACKOFF_MAX_MS     2000u

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

/* Parses redis://HOST[:PORT][/DB] (HOST a name or IPv4 address of at most 253 bytes, PORT
 * 1..65535, default 6379; DB 0..15, default 0). No user, password, query or IPv6 literal.
 * 0, or PLX_E_INVAL with a one-line reason in err (err may be NULL). */
int plx_rstore_parse_url(const char *url, char *host, size_t hostlen, int *port, int *db, char *err,
                         size_t errlen);

/* Starts the workers (they connect in the background: a Redis that is down at start is not an
 * error, commands fail with STORAGE_UNAVAILABLE until it is up). cfg's strings are copied.
 * NULL with a reason in err on a bad URL, more than PLX_RSTORE_MAX_CHANNELS channels, a
 * thread that cannot start or no memory. */
plx_rstore *plx_rstore_new(const plx_rstore_config *cfg, char *err, size_t errlen);

/* Stops and joins the workers (bounded, see above), drops undelivered events and batches not
 * completed (no DONE follows), frees everything. NULL is a no-op. */
void plx_rstore_free(plx_rstore *r);

/* Submits a batch of n commands (argv[i][0..argc[i]) copied before returning). atomic: the
 * batch runs as MULTI/EXEC, without interleaving. Exactly one PLX_REV_DONE event with this
 * cookie follows: its reply is an ARRAY of n entries, one per command (an entry may be an
 * ERROR reply), or a single ERROR reply when the batch failed as a whole
 * (PLX_E_STORAGE_UNAVAILABLE: Redis unreachable or no reply within timeout_ms). FLUSHALL is
 * sent as FLUSHDB (the backend owns one DB). An atomic batch that Redis refused to run (EXEC
 * answered EXECABORT) completes with a single ERROR reply of code PLX_E_EXEC_ABORTED. A batch
 * failed as unavailable may have run in part (the connection broke after Redis got it).
 * n == 0 completes with an empty ARRAY. The reply is NULL only when no memory was left to
 * build it. Returns 0, or PLX_E_LIMIT_REACHED when max_queue batches are outstanding (nothing
 * submitted), PLX_E_INVAL (n > PLX_RSTORE_MAX_BATCH, a command without arguments, an argument
 * longer than PLX_RSTORE_MAX_ARG), PLX_E_NOMEM. Call submit, publish and poll from one thread. */
int plx_rstore_submit(plx_rstore *r, uint64_t cookie, const plx_bytes *const *argv,
                      const size_t *argc, size_t n, int atomic);

/* Publishes data on channel, in order with the commands submitted before it. Fire and forget
 * (a publish lost while Redis is down is reported by a PLX_REV_STATE event, not retried).
 * 0, PLX_E_LIMIT_REACHED (queue full), PLX_E_NOMEM. */
int plx_rstore_publish(plx_rstore *r, const char *channel, const uint8_t *data, size_t len);

/* Asks for a PLX_REV_BARRIER event with this cookie, ordered with the CHANGE events: the
 * subscription worker sends PING on its subscribed connection, and Redis answers it after the
 * notifications of every command it ran before, so every change of a command whose DONE was
 * polled before this call is polled before the barrier (and a CHANGE held back by the
 * change-after-reply rule holds the barrier too). While the subscription connection is down
 * (or not confirmed yet) the barrier completes at once with up = 0 (no ordering promised);
 * one that was waiting when the connection broke completes with up = 0 too. Exactly one
 * BARRIER event follows a 0 return (none after plx_rstore_free). 0, PLX_E_LIMIT_REACHED
 * (PLX_RSTORE_MAX_BARRIERS waiting), PLX_E_NOMEM, PLX_E_INVAL (r NULL). */
int plx_rstore_barrier(plx_rstore *r, uint64_t cookie);

typedef enum plx_rstore_event_kind {
    PLX_REV_DONE = 1, /* a batch completed: cookie, reply */
    PLX_REV_CHANGE,   /* a key changed in the DB (keyspace notification): key, op */
    PLX_REV_MESSAGE,  /* a message on a subscribed channel: channel, data */
    PLX_REV_STATE,    /* the connection to Redis came up (up = 1) or was lost (up = 0) */
    PLX_REV_BARRIER   /* plx_rstore_barrier's answer: cookie; up = 1 ordered, 0 connection down */
} plx_rstore_event_kind;

typedef struct plx_rstore_event {
    plx_rstore_event_kind kind;
    uint64_t cookie;        /* DONE, BARRIER */
    plx_store_reply *reply; /* DONE: owned by the event */
    plx_bytes key;          /* CHANGE: owned by the event */
    const char *op;         /* CHANGE: the Plexus op name (static string), see below */
    char *channel;          /* MESSAGE: owned */
    plx_bytes data;         /* MESSAGE: owned */
    int up; /* STATE; BARRIER: 1 ordered after the changes, 0 completed while down */
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

/* 1 while the subscription connection is up and Redis confirmed every subscription (the
 * keyspace pattern when cfg.keyspace, every channel): changes and messages from then on are
 * delivered. Changes made while it is down are not replayed. */
int plx_rstore_subscribed(const plx_rstore *r);

/* The PLX_E_* code the in-memory engine gives for a Redis error text (len bytes, e.g.
 * "WRONGTYPE ..." -> PLX_E_WRONGTYPE, "ERR wrong number of arguments ..." ->
 * PLX_E_WRONG_ARITY); errors of Redis's own state (LOADING, BUSY, READONLY, MISCONF, ...) are
 * PLX_E_STORAGE_UNAVAILABLE; anything else PLX_E_COMMAND_ERROR. */
int plx_rstore_error_code(const char *text, size_t len);

/* The Plexus change op (a static string) for a Redis keyspace event name of len bytes:
 * rename_from/rename_to -> "rename", copy_to -> "copy", zincr -> "zincrby", ...; a name this
 * version does not know -> "unknown". The table is in spec/REDIS-BACKEND.md. */
const char *plx_rstore_op(const char *event, size_t len);

#endif
