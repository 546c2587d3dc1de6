/*
 * subworker.c - the subscription connection's thread: makes sure Redis raises keyspace
 * notifications (notify-keyspace-events gets at least K and A, keeping what is set), subscribes
 * to the DB's keyspace channels and the bus channels, and turns what arrives into CHANGE and
 * MESSAGE events. Silence is checked with PING; a lost connection is reopened with backoff.
 * Barriers are PINGs too (with the payload BARRIER_PAYLOAD): Redis answers each with a pong
 * push after the notifications of every command it ran before it, in order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define NOTIFY_PARAM    "notify-keyspace-events"
#define BARRIER_PAYLOAD "plx-barrier"

/* Adds K (keyspace channel) and A (every event class) to Redis's notification flags when
 * missing; other flags already set (E, m, n, ...) stay. 0, or -1 (why set). A Redis where
 * CONFIG is disabled is accepted as it is configured. */
static int ensure_notifications(redisContext *c, char *why, size_t whylen) {
    redisReply *rr = redisCommand(c, "CONFIG GET %s", NOTIFY_PARAM);
    if (!rr) {
        snprintf(why, whylen, "CONFIG GET: %s", c->errstr);
        return -1;
    }
    char flags[64] = "";
    if (rr->type == REDIS_REPLY_ARRAY && rr->elements == 2 &&
        rr->element[1]->type == REDIS_REPLY_STRING && rr->element[1]->len < 32)
        memcpy(flags, rr->element[1]->str, rr->element[1]->len + 1);
    int disabled = rr->type == REDIS_REPLY_ERROR;
    freeReplyObject(rr);
    if (disabled) return 0;
    int changed = 0;
    if (!strchr(flags, 'K')) strcat(flags, "K"), changed = 1;
    if (!strchr(flags, 'A')) strcat(flags, "A"), changed = 1;
    if (!changed) return 0;
    rr = redisCommand(c, "CONFIG SET %s %s", NOTIFY_PARAM, flags);
    if (!rr) {
        snprintf(why, whylen, "CONFIG SET: %s", c->errstr);
        return -1;
    }
    freeReplyObject(rr);
    return 0;
}

/* Sends PSUBSCRIBE for the keyspace and SUBSCRIBE for the channels. Returns how many
 * confirmations to expect, or -1. */
static int subscribe(plx_rstore *r, redisContext *c) {
    int want = 0;
    if (r->keyspace) {
        if (redisAppendCommand(c, "PSUBSCRIBE __keyspace@%d__:*", r->db) != REDIS_OK) return -1;
        want++;
    }
    if (r->nchannels) {
        size_t n = r->nchannels + 1;
        const char **argv = malloc(n * sizeof(*argv));
        size_t *lens = malloc(n * sizeof(*lens));
        int ok = argv && lens;
        if (ok) {
            argv[0] = "SUBSCRIBE";
            lens[0] = 9;
            for (size_t i = 0; i < r->nchannels; i++) {
                argv[i + 1] = r->channels[i];
                lens[i + 1] = strlen(r->channels[i]);
            }
            ok = redisAppendCommandArgv(c, (int)n, argv, lens) == REDIS_OK;
        }
        free(argv);
        free(lens);
        if (!ok) return -1;
        want += (int)r->nchannels;
    }
    return plx_rstore_flush(r, c) == 0 ? want : -1;
}

static int is(const redisReply *e, const char *s) {
    size_t n = strlen(s);
    return e->type == REDIS_REPLY_STRING && e->len == n && memcmp(e->str, s, n) == 0;
}

static void *dup_bytes(const char *p, size_t n) {
    char *d = malloc(n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, p, n);
    d[n] = 0;
    return d;
}

/* A pmessage on __keyspace@DB__:KEY with the event name as data: a CHANGE event. */
static void on_keyspace(plx_rstore *r, const redisReply *chan, const redisReply *data) {
    char prefix[32];
    int plen = snprintf(prefix, sizeof(prefix), "__keyspace@%d__:", r->db);
    if (chan->type != REDIS_REPLY_STRING || data->type != REDIS_REPLY_STRING ||
        chan->len < (size_t)plen || memcmp(chan->str, prefix, (size_t)plen) != 0)
        return;
    plx_rstore_event ev = {.kind = PLX_REV_CHANGE, .op = plx_rstore_op(data->str, data->len)};
    ev.key.len = chan->len - (size_t)plen;
    ev.key.data = dup_bytes(chan->str + plen, ev.key.len);
    if (ev.key.data) plx_rstore_emit(r, &ev);
}

/* A message on a bus channel: a MESSAGE event. */
static void on_message(plx_rstore *r, const redisReply *chan, const redisReply *data) {
    if (chan->type != REDIS_REPLY_STRING || data->type != REDIS_REPLY_STRING) return;
    plx_rstore_event ev = {.kind = PLX_REV_MESSAGE};
    ev.channel = dup_bytes(chan->str, chan->len);
    ev.data.len = data->len;
    ev.data.data = dup_bytes(data->str, data->len);
    if (ev.channel && ev.data.data)
        plx_rstore_emit(r, &ev);
    else
        plx_rstore_event_clear(&ev);
}

/* Opens (1) or closes (0) the barrier ring. Closing completes every barrier waiting with
 * up = 0: their pongs will not come. */
static void barriers_open(plx_rstore *r, int open) {
    pthread_mutex_lock(&r->bar_mu);
    r->bar_open = open;
    size_t head = r->bar_head, n = open ? 0 : r->bar_n;
    if (!open) r->bar_n = r->bar_sent = 0;
    pthread_mutex_unlock(&r->bar_mu);
    /* The ring's slots stay untouched until the next open: barrier() adds nothing while closed. */
    for (size_t i = 0; i < n; i++) {
        plx_rstore_event ev = {.kind = PLX_REV_BARRIER, .up = 0};
        ev.cookie = r->bar_ring[(head + i) % PLX_RSTORE_MAX_BARRIERS];
        plx_rstore_emit(r, &ev);
    }
}

/* Writes a PING for every barrier requested since the last call. 0, or -1 (connection). */
static int barriers_send(plx_rstore *r, redisContext *c) {
    pthread_mutex_lock(&r->bar_mu);
    size_t more = r->bar_n - r->bar_sent;
    r->bar_sent = r->bar_n;
    pthread_mutex_unlock(&r->bar_mu);
    if (!more) return 0;
    for (size_t i = 0; i < more; i++)
        if (redisAppendCommand(c, "PING %s", BARRIER_PAYLOAD) != REDIS_OK) return -1;
    return plx_rstore_flush(r, c);
}

/* A barrier's pong: the oldest barrier sent completes (up = 1), after every change before. */
static void barrier_pong(plx_rstore *r) {
    pthread_mutex_lock(&r->bar_mu);
    int have = r->bar_sent > 0;
    uint64_t cookie = have ? r->bar_ring[r->bar_head] : 0;
    if (have) {
        r->bar_head = (r->bar_head + 1) % PLX_RSTORE_MAX_BARRIERS;
        r->bar_n--;
        r->bar_sent--;
    }
    pthread_mutex_unlock(&r->bar_mu);
    if (!have) return;
    plx_rstore_event ev = {.kind = PLX_REV_BARRIER, .cookie = cookie, .up = 1};
    plx_rstore_emit(r, &ev);
}

/* Handles one push; returns 1 for a subscription confirmation. */
static int on_push(plx_rstore *r, const redisReply *rr) {
    if (rr->type != REDIS_REPLY_ARRAY || rr->elements < 2) return 0;
    const redisReply *k = rr->element[0];
    if (is(k, "pmessage") && rr->elements == 4)
        on_keyspace(r, rr->element[2], rr->element[3]);
    else if (is(k, "message") && rr->elements == 3)
        on_message(r, rr->element[1], rr->element[2]);
    else if (is(k, "subscribe") || is(k, "psubscribe"))
        return 1;
    else if (is(k, "pong") && is(rr->element[1], BARRIER_PAYLOAD))
        barrier_pong(r);
    return 0;
}

/* The subscriptions are confirmed: changes and messages flow, barriers are taken. */
static void confirmed(plx_rstore *r) {
    atomic_store(&r->subscribed, 1);
    barriers_open(r, 1);
}

/* Reads pushes until the connection fails or the object stops, writing the PINGs of barriers
 * as they are requested. After timeout_ms / 2 of silence it sends PING; silence for another
 * such span means Redis is gone. */
static void listen_pushes(plx_rstore *r, redisContext *c, int confirmations) {
    int idle = (int)(r->timeout_ms / 2 ? r->timeout_ms / 2 : 1);
    int pinged = 0;
    if (confirmations == 0) confirmed(r);
    while (!atomic_load(&r->stopping)) {
        if (barriers_send(r, c) != 0) return;
        redisReply *rr = NULL;
        int got = plx_rstore_read(r, c, &rr, idle, r->bar_pipe[0]);
        if (got < 0) return;
        if (got == 2) continue;
        if (got == 0) {
            if (pinged || atomic_load(&r->stopping)) return;
            if (redisAppendCommand(c, "PING") != REDIS_OK || plx_rstore_flush(r, c) != 0) return;
            pinged = 1;
            continue;
        }
        pinged = 0;
        if (on_push(r, rr) && --confirmations == 0) confirmed(r);
        freeReplyObject(rr);
    }
}

void *plx_rstore_sub_main(void *arg) {
    plx_rstore *r = arg;
    plx_rstore_block_sigpipe();
    unsigned backoff = PLX_RSTORE_BACKOFF_MIN_MS;
    while (!atomic_load(&r->stopping)) {
        char why[200] = "";
        redisContext *c = plx_rstore_connect(r, &r->sub_fd, 0, why, sizeof(why));
        if (c) {
            int want = -1;
            if (!r->keyspace || ensure_notifications(c, why, sizeof(why)) == 0)
                want = subscribe(r, c);
            if (want >= 0) {
                backoff = PLX_RSTORE_BACKOFF_MIN_MS;
                listen_pushes(r, c, want);
            }
            atomic_store(&r->subscribed, 0);
            barriers_open(r, 0);
            plx_rstore_set_fd(r, &r->sub_fd, -1);
            redisFree(c);
        }
        if (plx_rstore_sleep(r, backoff)) break;
        backoff = plx_rstore_backoff(backoff);
    }
    return NULL;
}
