/*
 * rstore_helpers.h - what the Redis backend's tests share: a backend on a fixture's Redis,
 * bounded waits for events, and one-command round trips built from C strings.
 */
#ifndef PLX_TEST_RSTORE_HELPERS_H
#define PLX_TEST_RSTORE_HELPERS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_fixture.h"
#include "rstore.h"

#define WAIT_MS 5000 /* every wait of these tests gives up after this */

/* CMocka group setup/teardown: a redis-server for the whole file, in *state. */
static inline int rs_redis_setup(void **state) {
    plx_redis_fixture *f = calloc(1, sizeof(*f));
    if (!f || plx_redis_start(f) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static inline int rs_redis_teardown(void **state) {
    plx_redis_stop(*state);
    free(*state);
    return 0;
}

/* The port of the group's redis-server. */
#define REDIS_PORT(state) (((plx_redis_fixture *)*(state))->port)

static inline plx_rstore *rs_open(int port, int db, int keyspace, const char *const *channels,
                                  size_t nchannels, uint32_t max_queue, uint32_t timeout_ms) {
    char url[64], err[128];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d/%d", port, db);
    plx_rstore_config cfg = {.url = url,
                             .max_queue = max_queue,
                             .timeout_ms = timeout_ms,
                             .keyspace = keyspace,
                             .channels = channels,
                             .nchannels = nchannels};
    plx_rstore *r = plx_rstore_new(&cfg, err, sizeof(err));
    if (!r) fprintf(stderr, "plx_rstore_new: %s\n", err);
    return r;
}

static inline uint64_t plx_rstore_now_test_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The next event within timeout_ms: 1, or 0 when none came. */
static inline int rs_next(plx_rstore *r, plx_rstore_event *ev, int timeout_ms) {
    uint64_t until = plx_rstore_now_test_ms() + (uint64_t)timeout_ms;
    do {
        if (plx_rstore_poll(r, ev, 1) == 1) return 1;
        plx_redis_sleep_ms(1);
    } while (plx_rstore_now_test_ms() < until);
    return 0;
}

/* The next event other than STATE within timeout_ms, dropping STATE events; 1 or 0. */
static inline int rs_next_data(plx_rstore *r, plx_rstore_event *ev, int timeout_ms) {
    uint64_t until = plx_rstore_now_test_ms() + (uint64_t)timeout_ms;
    while (rs_next(r, ev, (int)(until - plx_rstore_now_test_ms()))) {
        if (ev->kind != PLX_REV_STATE) return 1;
        plx_rstore_event_clear(ev);
        if (plx_rstore_now_test_ms() >= until) break;
    }
    return 0;
}

/* The next event of kind within timeout_ms, dropping others; 1 or 0. */
static inline int rs_next_kind(plx_rstore *r, plx_rstore_event_kind kind, plx_rstore_event *ev,
                               int timeout_ms) {
    uint64_t until = plx_rstore_now_test_ms() + (uint64_t)timeout_ms;
    while (plx_rstore_now_test_ms() < until) {
        if (plx_rstore_poll(r, ev, 1) == 1) {
            if (ev->kind == kind) return 1;
            plx_rstore_event_clear(ev);
        } else {
            plx_redis_sleep_ms(1);
        }
    }
    return 0;
}

/* Waits until the command connection is up (and the subscriptions when sub); 1 or 0. */
static inline int rs_wait_ready(plx_rstore *r, int sub, int timeout_ms) {
    for (int waited = 0; waited < timeout_ms; waited += 5) {
        if (plx_rstore_up(r) && (!sub || plx_rstore_subscribed(r))) return 1;
        plx_redis_sleep_ms(5);
    }
    return 0;
}

/* Submits one command from NULL-terminated C strings (not atomic). */
static inline int rs_submitv(plx_rstore *r, uint64_t cookie, va_list ap) {
    plx_bytes argv[16];
    size_t argc = 0;
    const char *s;
    while ((s = va_arg(ap, const char *)) != NULL && argc < 16)
        argv[argc++] = (plx_bytes){(const uint8_t *)s, strlen(s)};
    const plx_bytes *cmds[1] = {argv};
    return plx_rstore_submit(r, cookie, cmds, &argc, 1, 0);
}

static inline int rs_submit(plx_rstore *r, uint64_t cookie, ...) {
    va_list ap;
    va_start(ap, cookie);
    int rc = rs_submitv(r, cookie, ap);
    va_end(ap);
    return rc;
}

/* Runs one command and returns its reply (the only entry of the batch's ARRAY, taken), or
 * the batch's ERROR reply; NULL when no DONE came in WAIT_MS. */
static inline plx_store_reply *rs_cmd(plx_rstore *r, ...) {
    static uint64_t cookie = 1u << 30;
    uint64_t mine = ++cookie;
    va_list ap;
    va_start(ap, r);
    int rc = rs_submitv(r, mine, ap);
    va_end(ap);
    if (rc != 0) return NULL;
    plx_rstore_event ev;
    while (rs_next_kind(r, PLX_REV_DONE, &ev, WAIT_MS)) {
        if (ev.cookie != mine) {
            plx_rstore_event_clear(&ev);
            continue;
        }
        plx_store_reply *out = ev.reply;
        if (out && out->type == PLX_STORE_REPLY_ARRAY && out->nelem == 1) {
            out = ev.reply->elem[0];
            ev.reply->elem[0] = NULL;
            ev.reply->nelem = 0;
        } else {
            ev.reply = NULL;
        }
        plx_rstore_event_clear(&ev);
        return out;
    }
    return NULL;
}

#endif
