/*
 * client.c - the client's life: options, connect (first session, then the I/O and
 * dispatcher threads), close, and the small accessors (name, stats, handler setters).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define DEFAULT_CONNECT_TIMEOUT 10000
#define DEFAULT_MAX_PENDING     1024
#define DEFAULT_MAX_DISPATCH    4096
#define DEFAULT_DISPATCH_BYTES  ((size_t)256 << 20)

uint64_t plx_client_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int plx_cond_init(pthread_cond_t *cv) {
    pthread_condattr_t a;
    int rc;

    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    rc = pthread_cond_init(cv, &a);
    pthread_condattr_destroy(&a);
    return rc;
}

int plx_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, uint64_t deadline_ms) {
    struct timespec ts;

    ts.tv_sec = (time_t)(deadline_ms / 1000u);
    ts.tv_nsec = (long)(deadline_ms % 1000u) * 1000000L;
    return pthread_cond_timedwait(cv, mu, &ts);
}

int plx_client_timeout(plx_client *c, int timeout_ms) {
    if (timeout_ms > 0) return timeout_ms;
    if (c->opt.timeout_ms > 0) return c->opt.timeout_ms;
    if (c->call_timeout_ms > 0 && c->call_timeout_ms < 0x7fffffffu) return (int)c->call_timeout_ms;
    return PLX_DEFAULT_TIMEOUT;
}

void plx_client_options_init(plx_client_options *o) {
    memset(o, 0, sizeof(*o));
}

plx_bytes plx_str(const char *s) {
    plx_bytes b;
    b.data = (const uint8_t *)(s ? s : "");
    b.len = s ? strlen(s) : 0;
    return b;
}

/* Copies the caller's options, owning every string. 0 or PLX_E_NOMEM. */
static int copy_options(plx_client *c, const plx_client_options *o) {
    plx_client_options d;

    if (!o) {
        plx_client_options_init(&d);
        o = &d;
    }
    c->opt = *o;
    c->opt.name = NULL;
    c->opt.groups = NULL;
    c->opt.ngroups = 0;
    c->opt.secret = o->secret ? strdup(o->secret) : NULL;
    c->opt.override_key = o->override_key ? strdup(o->override_key) : NULL;
    c->opt.agent = o->agent ? strdup(o->agent) : NULL;
    if ((o->secret && !c->opt.secret) || (o->override_key && !c->opt.override_key) ||
        (o->agent && !c->opt.agent))
        return PLX_E_NOMEM;
    if (o->name && !(c->name = strdup(o->name))) return PLX_E_NOMEM;
    for (size_t i = 0; i < o->ngroups; i++)
        if (!o->groups[i] || plx_registry_group_add(&c->reg, o->groups[i]))
            return o->groups[i] ? PLX_E_NOMEM : PLX_E_INVAL;
    if (!c->opt.connect_timeout_ms) c->opt.connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT;
    if (!c->opt.max_pending) c->opt.max_pending = DEFAULT_MAX_PENDING;
    if (!c->opt.max_dispatch) c->opt.max_dispatch = DEFAULT_MAX_DISPATCH;
    if (!c->opt.max_dispatch_bytes) c->opt.max_dispatch_bytes = DEFAULT_DISPATCH_BYTES;
    if (!c->opt.backoff_initial_ms) c->opt.backoff_initial_ms = 100;
    if (!c->opt.backoff_max_ms) c->opt.backoff_max_ms = 10000;
    if (c->opt.backoff_max_ms < c->opt.backoff_initial_ms)
        c->opt.backoff_max_ms = c->opt.backoff_initial_ms;
    if (c->opt.gzip_level <= 0 || c->opt.gzip_level > 9) c->opt.gzip_level = 1;
    return 0;
}

static void free_client(plx_client *c) {
    if (c->tops) c->tops->destroy(c);
    plx_reader_free(c->reader);
    plx_outq_clear(&c->q);
    plx_outenc_clear(&c->spare);
    plx_dispatch_clear(c);
    plx_pending_destroy(&c->pend);
    plx_registry_free(&c->reg);
    free((char *)c->opt.secret);
    free((char *)c->opt.override_key);
    free((char *)c->opt.agent);
    free(c->name);
    pthread_cond_destroy(&c->state_cv);
    pthread_cond_destroy(&c->disp_cv);
    pthread_cond_destroy(&c->io_cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static int make_client(const char *url, const plx_client_options *opts, plx_client **out) {
    plx_client *c = calloc(1, sizeof(*c));
    int rc;

    *out = NULL;
    if (!c) return PLX_E_NOMEM;
    pthread_mutex_init(&c->mu, NULL);
    plx_cond_init(&c->state_cv);
    plx_cond_init(&c->disp_cv);
    plx_cond_init(&c->io_cv);
    c->rand_state = (unsigned)plx_client_now_ms() ^ (unsigned)(uintptr_t)c;
    c->next_msg_id = 1;
    rc = plx_url_parse(url, &c->url);
    if (!rc) rc = copy_options(c, opts);
    if (!rc) rc = plx_pending_init(&c->pend, c->opt.max_pending);
    if (!rc) rc = c->url.kind == PLX_URL_WS ? plx_link_init(c, 1) : plx_link_init(c, 0);
    if (rc) {
        free_client(c);
        return rc;
    }
    c->q.skip_prefix = c->url.kind == PLX_URL_WS;
    *out = c;
    return 0;
}

int plx_client_connect(const char *url, const plx_client_options *opts, plx_client **out,
                       char *errbuf, size_t errlen) {
    plx_client *c;
    int rc;

    if (errbuf && errlen) errbuf[0] = 0;
    if (!out) return PLX_E_INVAL;
    *out = NULL;
    rc = make_client(url, opts, &c);
    if (rc) {
        if (errbuf && errlen) snprintf(errbuf, errlen, "%s", plx_client_strerror(rc));
        return rc;
    }
    if (pthread_create(&c->io_thread, NULL, plx_io_main, c)) {
        free_client(c);
        return PLX_E_NOMEM;
    }
    c->io_started = 1;
    pthread_mutex_lock(&c->mu);
    while (c->state != PLX_ST_READY && c->state != PLX_ST_DEAD)
        pthread_cond_wait(&c->state_cv, &c->mu);
    rc = c->state == PLX_ST_READY ? 0 : c->open_code;
    if (rc && errbuf && errlen)
        snprintf(errbuf, errlen, "%s", c->open_msg[0] ? c->open_msg : plx_client_strerror(rc));
    pthread_mutex_unlock(&c->mu);
    if (!rc && pthread_create(&c->disp_thread, NULL, plx_dispatch_main, c)) rc = PLX_E_NOMEM;
    if (rc) {
        pthread_mutex_lock(&c->mu);
        c->closing = 1;
        pthread_cond_broadcast(&c->state_cv);
        pthread_cond_broadcast(&c->io_cv);
        c->tops->wake(c);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->io_thread, NULL);
        free_client(c);
        return rc ? rc : PLX_E_CONNECT;
    }
    c->disp_started = 1;
    *out = c;
    return 0;
}

int plx_client_close(plx_client *c) {
    if (!c) return 0;
    if (c->disp_started && pthread_equal(pthread_self(), c->disp_thread)) return PLX_E_INVAL;
    pthread_mutex_lock(&c->mu);
    c->closing = 1;
    pthread_cond_broadcast(&c->state_cv);
    pthread_cond_broadcast(&c->disp_cv);
    pthread_cond_broadcast(&c->io_cv);
    c->tops->wake(c);
    pthread_mutex_unlock(&c->mu);
    if (c->io_started) pthread_join(c->io_thread, NULL);
    if (c->disp_started) pthread_join(c->disp_thread, NULL);
    free_client(c);
    return 0;
}

int plx_client_name(plx_client *c, char *buf, size_t len) {
    int rc = 0;

    pthread_mutex_lock(&c->mu);
    if (!c->name || strlen(c->name) >= len)
        rc = PLX_E_INVAL;
    else
        strcpy(buf, c->name);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int plx_client_connected(plx_client *c) {
    int up;

    pthread_mutex_lock(&c->mu);
    up = c->state == PLX_ST_READY;
    pthread_mutex_unlock(&c->mu);
    return up;
}

void plx_client_stats_get(plx_client *c, plx_client_stats *out) {
    pthread_mutex_lock(&c->mu);
    *out = c->stats;
    out->max_frame = c->max_frame;
    out->max_message = c->max_message;
    out->gzip_threshold = c->gzip_threshold;
    out->gzip = c->gzip;
    out->call_timeout_ms = c->call_timeout_ms;
    out->ping_interval_ms = c->ping_interval_ms;
    out->history = c->history;
    pthread_mutex_unlock(&c->mu);
}

void plx_client_on_event(plx_client *c, plx_event_fn fn, void *ud) {
    pthread_mutex_lock(&c->mu);
    c->on_event = fn;
    c->on_event_ud = ud;
    pthread_mutex_unlock(&c->mu);
}

void plx_client_on_presence(plx_client *c, plx_presence_fn fn, void *ud) {
    pthread_mutex_lock(&c->mu);
    c->on_presence = fn;
    c->on_presence_ud = ud;
    pthread_mutex_unlock(&c->mu);
}

void plx_client_on_change(plx_client *c, plx_change_fn fn, void *ud) {
    pthread_mutex_lock(&c->mu);
    c->on_change = fn;
    c->on_change_ud = ud;
    pthread_mutex_unlock(&c->mu);
}

void plx_client_on_status(plx_client *c, plx_status_fn fn, void *ud) {
    pthread_mutex_lock(&c->mu);
    c->on_status = fn;
    c->on_status_ud = ud;
    pthread_mutex_unlock(&c->mu);
}
