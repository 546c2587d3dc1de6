/*
 * internal.h - the Redis backend's private parts: the bounded queues between threads, the
 * jobs the command worker runs, the events handed to plx_rstore_poll, reply conversion,
 * connecting, and the plx_rstore object the two workers share. Only redis/ includes it.
 */
#ifndef PLX_RSTORE_INTERNAL_H
#define PLX_RSTORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "rstore.h"

/* ---------------------------------------------------------------- queue.c */

/* A node of an intrusive FIFO; embed it first in the queued struct. */
typedef struct plx_rq_node {
    struct plx_rq_node *next;
} plx_rq_node;

/* A FIFO between threads: a mutex, a condition variable (monotonic clock) and at most cap
 * nodes (0: no bound of its own, the producer bounds it). */
typedef struct plx_rq {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    plx_rq_node *head, *tail;
    size_t len, cap;
    int closed; /* plx_rq_close was called: waits return at once */
} plx_rq;

/* 0, or -1 when the mutex or condition variable cannot be made. */
int plx_rq_init(plx_rq *q, size_t cap);
/* Frees each node left with free_node (may be NULL), then the queue's own resources. */
void plx_rq_destroy(plx_rq *q, void (*free_node)(plx_rq_node *));
/* Appends n. 0, or -1 when the queue holds cap nodes (n not queued). */
int plx_rq_push(plx_rq *q, plx_rq_node *n);
/* Appends n, waiting for room at most wait_ms; 0, or -1 on timeout or once closed. */
int plx_rq_push_wait(plx_rq *q, plx_rq_node *n, int wait_ms);
/* Takes the whole list (NULL when empty), waiting at most wait_ms for a first node (0: no
 * wait). Returns early when the queue is closed. */
plx_rq_node *plx_rq_take_all(plx_rq *q, int wait_ms);
/* The oldest node without removing it, or NULL. Valid until the consumer pops it. */
plx_rq_node *plx_rq_peek(plx_rq *q);
/* Removes and returns the oldest node, or NULL. */
plx_rq_node *plx_rq_pop(plx_rq *q);
/* Wakes every waiter; later waits return at once. */
void plx_rq_close(plx_rq *q);
/* Nodes queued now. */
size_t plx_rq_len(plx_rq *q);
/* Appends n to the unlocked list head..tail (a thread's own list). */
void plx_rq_link(plx_rq_node **head, plx_rq_node **tail, plx_rq_node *n);
/* The absolute CLOCK_MONOTONIC time wait_ms from now, for pthread_cond_timedwait. */
struct timespec plx_rq_deadline(int wait_ms);

/* ---------------------------------------------------------------- jobs (job.c) */

typedef enum plx_rjob_kind { PLX_RJOB_BATCH, PLX_RJOB_PUBLISH } plx_rjob_kind;

/* One batch or publish, in one allocation: nargs argument pointers and lengths into data, the
 * argc of each of the ncmd commands. A publish is one command PUBLISH channel data. */
typedef struct plx_rjob {
    plx_rq_node node;
    plx_rjob_kind kind;
    uint64_t cookie;
    int atomic;
    size_t ncmd, nargs;
    size_t *cmd_argc;  /* ncmd */
    const char **argv; /* nargs, FLUSHALL already rewritten to FLUSHDB */
    size_t *argvlen;   /* nargs */
    /* progress while in flight (cmdworker.c) */
    size_t want;              /* replies Redis owes for this job */
    size_t got;               /* replies read so far */
    plx_store_reply *result;  /* ARRAY being filled (non-atomic batch) */
    plx_store_reply *failure; /* atomic: the first error of MULTI/EXEC itself */
} plx_rjob;

/* A batch job copying the commands (FLUSHALL -> FLUSHDB). NULL on no memory. */
plx_rjob *plx_rjob_batch(uint64_t cookie, const plx_bytes *const *argv, const size_t *argc,
                         size_t n, int atomic);
/* A publish job copying channel and data. NULL on no memory. */
plx_rjob *plx_rjob_publish(const char *channel, const uint8_t *data, size_t len);
void plx_rjob_free(plx_rjob *j);

/* ---------------------------------------------------------------- reply.c */

/* A plx_store_reply tree equal to hiredis's reply (errors get plx_rstore_error_code and the
 * engine's text rules). NULL on no memory. */
plx_store_reply *plx_rstore_reply(const redisReply *rr);
/* An ERROR reply of code with text (copied). NULL on no memory. */
plx_store_reply *plx_rstore_error(int code, const char *text);
/* An empty ARRAY with room for n entries. NULL on no memory. */
plx_store_reply *plx_rstore_array(size_t n);

/* ---------------------------------------------------------------- the object (rstore.c) */

/* An event waiting for poll: stamp orders events of both queues, need is the number of DONE
 * events poll must have handed out before this CHANGE may go (the change-after-reply rule). */
typedef struct plx_revent {
    plx_rq_node node;
    uint64_t stamp;
    uint64_t need;
    plx_rstore_event ev;
} plx_revent;

struct plx_rstore {
    char host[256];
    int port, db;
    uint32_t max_queue, timeout_ms;
    int keyspace;
    char **channels;
    size_t nchannels;
    void (*wake)(void *ud);
    void *wake_ud;

    plx_rq jobs;                    /* service thread -> command worker */
    plx_rq done;                    /* DONE and STATE events -> poll */
    plx_rq sub;                     /* CHANGE and MESSAGE events -> poll */
    atomic_uint_fast64_t stamp;     /* event arrival counter */
    atomic_uint_fast64_t submitted; /* batches accepted by submit */
    uint64_t delivered;             /* DONE events handed out by poll (service thread only) */
    atomic_size_t outstanding;      /* batches + publishes counted against max_queue */
    atomic_int up, subscribed, stopping;

    /* Barriers (subworker.c): a ring of PLX_RSTORE_MAX_BARRIERS cookies, the first bar_sent
     * of the bar_n waiting ones have their PING written. Guarded by bar_mu. */
    pthread_mutex_t bar_mu;
    uint64_t *bar_ring;
    size_t bar_head, bar_n, bar_sent;
    int bar_open;    /* the subscription connection is confirmed: barriers go to Redis */
    int bar_pipe[2]; /* a byte written to [1] wakes the subscription worker; -1 when none */

    pthread_mutex_t fd_mu;  /* guards the two live sockets below for plx_rstore_free */
    pthread_cond_t stop_cv; /* signalled (with fd_mu) when stopping is set */
    int cmd_fd, sub_fd;     /* -1 when not connected */
    pthread_t cmd_thread, sub_thread;
    int cmd_started, sub_started;
};

/* Queues ev (copied into a new node) for poll and calls wake. Events of the subscription
 * worker (CHANGE, MESSAGE, BARRIER with up = 1) wait for room in r->sub in slices, giving up
 * when stopping; the others (DONE, STATE, BARRIER with up = 0) never wait.
 * 0, or -1 (no memory or stopping: ev's contents are freed). */
int plx_rstore_emit(plx_rstore *r, plx_rstore_event *ev);
/* The command connection came up or went down: emits STATE when it changed (the first call
 * always emits). */
void plx_rstore_set_up(plx_rstore *r, int up);
/* Completes a batch job: emits DONE with reply (taken) and frees the job. A publish job is
 * just freed. Either way the job leaves max_queue's count when it is a publish. */
void plx_rstore_complete(plx_rstore *r, plx_rjob *j, plx_store_reply *reply);
/* Completes j as failed as a whole: STORAGE_UNAVAILABLE with why. */
void plx_rstore_fail(plx_rstore *r, plx_rjob *j, const char *why);

/* ---------------------------------------------------------------- conn.c */

/* Connects to r's Redis within timeout_ms, sets the read/write timeouts and publishes the
 * socket in *slot (plx_rstore_set_fd); when db_select, selects r->db. The context, or NULL
 * with the reason in why (*slot cleared). */
redisContext *plx_rstore_connect(plx_rstore *r, int *slot, int db_select, char *why, size_t whylen);
/* Publishes fd as the live socket of *slot (so plx_rstore_free can shut it down), or clears
 * it (fd -1) before the context is freed. */
void plx_rstore_set_fd(plx_rstore *r, int *slot, int fd);
/* The reconnect delay after ms: doubled, at most PLX_RSTORE_BACKOFF_MAX_MS. */
unsigned plx_rstore_backoff(unsigned ms);
/* Sleeps ms, returning early (1) when the object is stopping; 0 after the full sleep. */
int plx_rstore_sleep(plx_rstore *r, unsigned ms);
/* Blocks SIGPIPE in the calling worker thread: a write to a socket Redis closed then fails
 * with EPIPE instead of killing the process (hiredis writes with write(2)). */
void plx_rstore_block_sigpipe(void);
/* Milliseconds on the monotonic clock. */
uint64_t plx_rstore_now_ms(void);
/* Writes c's whole output buffer, checking stopping between writes. 0, or -1 (error in
 * c->errstr, or stopping). */
int plx_rstore_flush(plx_rstore *r, redisContext *c);
/* The next reply on c: waits in slices of 100 ms, at most idle_ms without a byte arriving.
 * 1 with *out (caller frees with freeReplyObject), 0 when idle_ms passed with nothing or
 * when stopping, 2 when wake_fd (-1: none) became readable (its bytes are drained), -1 on a
 * connection error (c->errstr). */
int plx_rstore_read(plx_rstore *r, redisContext *c, redisReply **out, int idle_ms, int wake_fd);

/* ---------------------------------------------------------------- the workers */

void *plx_rstore_cmd_main(void *r);
void *plx_rstore_sub_main(void *r);

#endif
