/*
 * rstore.c - the Redis backend's public functions: configuration, the workers' lifetime,
 * submit/publish into the command worker's queue, and the event queues drained by poll with
 * the change-after-reply rule (a CHANGE waits until every batch submitted before its
 * notification arrived has had its DONE event handed out), and barriers (plx_rstore_barrier;
 * the subscription worker answers them).
 */
#define _GNU_SOURCE /* pipe2 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

#define EMIT_SLICE_MS 100 /* a full event queue is retried in slices, watching the stop flag */

/* ---------------------------------------------------------------- events */

void plx_rstore_event_clear(plx_rstore_event *ev) {
    if (!ev) return;
    plx_store_reply_free(ev->reply);
    free((void *)ev->key.data);
    free(ev->channel);
    free((void *)ev->data.data);
    memset(ev, 0, sizeof(*ev));
}

static void free_event_node(plx_rq_node *n) {
    plx_revent *e = (plx_revent *)n;
    plx_rstore_event_clear(&e->ev);
    free(e);
}

static void free_job_node(plx_rq_node *n) {
    plx_rjob_free((plx_rjob *)n);
}

int plx_rstore_emit(plx_rstore *r, plx_rstore_event *ev) {
    plx_revent *e = calloc(1, sizeof(*e));
    if (!e) {
        plx_rstore_event_clear(ev);
        return -1;
    }
    e->ev = *ev;
    memset(ev, 0, sizeof(*ev));
    int rc;
    if (e->ev.kind == PLX_REV_CHANGE || e->ev.kind == PLX_REV_MESSAGE ||
        (e->ev.kind == PLX_REV_BARRIER && e->ev.up)) {
        /* Sampled on arrival: the batches this change may have come from. */
        e->need = atomic_load(&r->submitted);
        e->stamp = atomic_fetch_add(&r->stamp, 1);
        while ((rc = plx_rq_push_wait(&r->sub, &e->node, EMIT_SLICE_MS)) != 0)
            if (atomic_load(&r->stopping)) break;
    } else {
        e->stamp = atomic_fetch_add(&r->stamp, 1);
        rc = plx_rq_push(&r->done, &e->node);
    }
    if (rc != 0) {
        free_event_node(&e->node);
        return -1;
    }
    if (r->wake) r->wake(r->wake_ud);
    return 0;
}

void plx_rstore_set_up(plx_rstore *r, int up) {
    int was = atomic_exchange(&r->up, up);
    if (was == up) return;
    plx_rstore_event ev = {.kind = PLX_REV_STATE, .up = up};
    plx_rstore_emit(r, &ev);
}

void plx_rstore_complete(plx_rstore *r, plx_rjob *j, plx_store_reply *reply) {
    if (j->kind == PLX_RJOB_PUBLISH) {
        plx_store_reply_free(reply);
        atomic_fetch_sub(&r->outstanding, 1);
    } else {
        plx_rstore_event ev = {.kind = PLX_REV_DONE, .cookie = j->cookie, .reply = reply};
        plx_rstore_emit(r, &ev);
    }
    plx_rjob_free(j);
}

void plx_rstore_fail(plx_rstore *r, plx_rjob *j, const char *why) {
    char text[256];
    snprintf(text, sizeof(text), "ERR storage unavailable: %s", why);
    plx_rstore_complete(r, j, plx_rstore_error(PLX_E_STORAGE_UNAVAILABLE, text));
}

/* ---------------------------------------------------------------- poll */

/* The next event poll may hand out, or NULL: the older of the two queues' heads, except that
 * a CHANGE whose batches are not all delivered yet lets the DONE queue go first. */
static plx_rq *next_queue(plx_rstore *r) {
    plx_revent *d = (plx_revent *)plx_rq_peek(&r->done);
    plx_revent *s = (plx_revent *)plx_rq_peek(&r->sub);
    int s_ready = s && (s->ev.kind != PLX_REV_CHANGE || s->need <= r->delivered);
    if (d && (!s_ready || d->stamp < s->stamp)) return &r->done;
    return s_ready ? &r->sub : NULL;
}

size_t plx_rstore_poll(plx_rstore *r, plx_rstore_event *ev, size_t max) {
    size_t n = 0;
    plx_rq *q;
    while (n < max && (q = next_queue(r)) != NULL) {
        plx_revent *e = (plx_revent *)plx_rq_pop(q);
        ev[n++] = e->ev;
        if (e->ev.kind == PLX_REV_DONE) {
            r->delivered++;
            atomic_fetch_sub(&r->outstanding, 1);
        }
        free(e);
    }
    return n;
}

/* ---------------------------------------------------------------- submit, publish */

/* Counts one more job against max_queue; -1 when the bound is reached. */
static int reserve(plx_rstore *r) {
    size_t cur = atomic_load(&r->outstanding);
    do {
        if (cur >= r->max_queue) return -1;
    } while (!atomic_compare_exchange_weak(&r->outstanding, &cur, cur + 1));
    return 0;
}

int plx_rstore_submit(plx_rstore *r, uint64_t cookie, const plx_bytes *const *argv,
                      const size_t *argc, size_t n, int atomic) {
    if (!r || n > PLX_RSTORE_MAX_BATCH || (n && (!argv || !argc))) return PLX_E_INVAL;
    for (size_t i = 0; i < n; i++) {
        if (argc[i] == 0 || !argv[i]) return PLX_E_INVAL;
        for (size_t k = 0; k < argc[i]; k++)
            if (argv[i][k].len > PLX_RSTORE_MAX_ARG || (argv[i][k].len && !argv[i][k].data))
                return PLX_E_INVAL;
    }
    if (reserve(r) != 0) return PLX_E_LIMIT_REACHED;
    plx_rjob *j = plx_rjob_batch(cookie, argv, argc, n, atomic);
    if (!j) {
        atomic_fetch_sub(&r->outstanding, 1);
        return PLX_E_NOMEM;
    }
    /* Counted before Redis can see it, so a change it causes waits for its DONE. */
    atomic_fetch_add(&r->submitted, 1);
    plx_rq_push(&r->jobs, &j->node); /* r->jobs has no cap of its own: reserve bounds it */
    return 0;
}

int plx_rstore_publish(plx_rstore *r, const char *channel, const uint8_t *data, size_t len) {
    if (!r || !channel || (len && !data) || len > PLX_RSTORE_MAX_ARG) return PLX_E_INVAL;
    if (reserve(r) != 0) return PLX_E_LIMIT_REACHED;
    plx_rjob *j = plx_rjob_publish(channel, data, len);
    if (!j) {
        atomic_fetch_sub(&r->outstanding, 1);
        return PLX_E_NOMEM;
    }
    plx_rq_push(&r->jobs, &j->node);
    return 0;
}

int plx_rstore_barrier(plx_rstore *r, uint64_t cookie) {
    if (!r) return PLX_E_INVAL;
    pthread_mutex_lock(&r->bar_mu);
    int open = r->bar_open, rc = 0;
    if (open && r->bar_n >= PLX_RSTORE_MAX_BARRIERS)
        rc = PLX_E_LIMIT_REACHED;
    else if (open)
        r->bar_ring[(r->bar_head + r->bar_n++) % PLX_RSTORE_MAX_BARRIERS] = cookie;
    pthread_mutex_unlock(&r->bar_mu);
    if (rc) return rc;
    if (open) {
        char b = 1;
        if (write(r->bar_pipe[1], &b, 1) < 0) { /* full: a wake-up is already pending */
        }
        return 0;
    }
    plx_rstore_event ev = {.kind = PLX_REV_BARRIER, .cookie = cookie, .up = 0};
    return plx_rstore_emit(r, &ev) == 0 ? 0 : PLX_E_NOMEM;
}

int plx_rstore_up(const plx_rstore *r) {
    return r && atomic_load(&((plx_rstore *)r)->up) == 1;
}

int plx_rstore_subscribed(const plx_rstore *r) {
    return r && atomic_load(&((plx_rstore *)r)->subscribed) == 1;
}

/* ---------------------------------------------------------------- lifetime */

static int copy_channels(plx_rstore *r, const plx_rstore_config *cfg) {
    if (!cfg->nchannels) return 0;
    if (!cfg->channels) return -1;
    r->channels = calloc(cfg->nchannels, sizeof(char *));
    if (!r->channels) return -1;
    r->nchannels = cfg->nchannels;
    for (size_t i = 0; i < cfg->nchannels; i++)
        if (!cfg->channels[i] || !(r->channels[i] = strdup(cfg->channels[i]))) return -1;
    return 0;
}

/* Everything but the threads; the queues are usable. */
static plx_rstore *rstore_alloc(const plx_rstore_config *cfg, char *err, size_t errlen) {
    plx_rstore *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "no memory");
        return NULL;
    }
    r->cmd_fd = r->sub_fd = -1;
    r->bar_pipe[0] = r->bar_pipe[1] = -1;
    r->bar_ring = calloc(PLX_RSTORE_MAX_BARRIERS, sizeof(*r->bar_ring));
    if (!r->bar_ring || pipe2(r->bar_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
        free(r->bar_ring);
        free(r);
        snprintf(err, errlen, "no memory or no pipe");
        return NULL;
    }
    pthread_mutex_init(&r->bar_mu, NULL);
    atomic_init(&r->up, -1); /* unknown: the first connect or failure emits STATE */
    r->max_queue = cfg->max_queue ? cfg->max_queue : PLX_RSTORE_DEFAULT_MAX_QUEUE;
    r->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : PLX_RSTORE_DEFAULT_TIMEOUT_MS;
    r->keyspace = cfg->keyspace;
    r->wake = cfg->wake;
    r->wake_ud = cfg->wake_ud;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->stop_cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&r->fd_mu, NULL);
    plx_rq_init(&r->jobs, 0);
    plx_rq_init(&r->done, 0);
    plx_rq_init(&r->sub, PLX_RSTORE_MAX_SUB_EVENTS);
    return r;
}

plx_rstore *plx_rstore_new(const plx_rstore_config *cfg, char *err, size_t errlen) {
    char dummy[8];
    if (!err || !errlen) err = dummy, errlen = sizeof(dummy);
    if (!cfg) {
        snprintf(err, errlen, "no configuration");
        return NULL;
    }
    if (cfg->nchannels > PLX_RSTORE_MAX_CHANNELS) {
        snprintf(err, errlen, "more than %u channels", PLX_RSTORE_MAX_CHANNELS);
        return NULL;
    }
    plx_rstore *r = rstore_alloc(cfg, err, errlen);
    if (!r) return NULL;
    if (plx_rstore_parse_url(cfg->url, r->host, sizeof(r->host), &r->port, &r->db, err, errlen) !=
        0) {
        plx_rstore_free(r);
        return NULL;
    }
    if (copy_channels(r, cfg) != 0) {
        snprintf(err, errlen, cfg->channels ? "no memory" : "nchannels without channels");
        plx_rstore_free(r);
        return NULL;
    }
    r->cmd_started = pthread_create(&r->cmd_thread, NULL, plx_rstore_cmd_main, r) == 0;
    if (r->cmd_started && (r->keyspace || r->nchannels))
        r->sub_started = pthread_create(&r->sub_thread, NULL, plx_rstore_sub_main, r) == 0;
    if (!r->cmd_started || (!r->sub_started && (r->keyspace || r->nchannels))) {
        snprintf(err, errlen, "cannot start a worker thread");
        plx_rstore_free(r);
        return NULL;
    }
    return r;
}

/* Asks the workers to stop: the flag, the queues' waits, and the live sockets. */
static void request_stop(plx_rstore *r) {
    pthread_mutex_lock(&r->fd_mu);
    atomic_store(&r->stopping, 1);
    if (r->cmd_fd >= 0) shutdown(r->cmd_fd, SHUT_RDWR);
    if (r->sub_fd >= 0) shutdown(r->sub_fd, SHUT_RDWR);
    pthread_cond_broadcast(&r->stop_cv);
    pthread_mutex_unlock(&r->fd_mu);
    plx_rq_close(&r->jobs);
    plx_rq_close(&r->done);
    plx_rq_close(&r->sub);
}

void plx_rstore_free(plx_rstore *r) {
    if (!r) return;
    request_stop(r);
    if (r->cmd_started) pthread_join(r->cmd_thread, NULL);
    if (r->sub_started) pthread_join(r->sub_thread, NULL);
    plx_rq_destroy(&r->jobs, free_job_node);
    plx_rq_destroy(&r->done, free_event_node);
    plx_rq_destroy(&r->sub, free_event_node);
    for (size_t i = 0; i < r->nchannels; i++)
        free(r->channels[i]);
    free(r->channels);
    pthread_mutex_destroy(&r->fd_mu);
    pthread_cond_destroy(&r->stop_cv);
    pthread_mutex_destroy(&r->bar_mu);
    close(r->bar_pipe[0]);
    close(r->bar_pipe[1]);
    free(r->bar_ring);
    free(r);
}
