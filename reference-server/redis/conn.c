/*
 * conn.c - what both workers do with a hiredis connection: connect with a timeout (and SELECT
 * the DB), publish the socket so plx_rstore_free can shut it down, write the output buffer,
 * read one reply in bounded slices that notice a stop request, and sleep interruptibly.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define SLICE_MS 100 /* longest wait between two looks at the stop flag */

void plx_rstore_block_sigpipe(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

uint64_t plx_rstore_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static struct timeval ms_tv(uint32_t ms) {
    return (struct timeval){.tv_sec = ms / 1000, .tv_usec = (long)(ms % 1000) * 1000};
}

redisContext *plx_rstore_connect(plx_rstore *r, int *slot, int db_select, char *why,
                                 size_t whylen) {
    redisContext *c = redisConnectWithTimeout(r->host, r->port, ms_tv(r->timeout_ms));
    if (!c) {
        snprintf(why, whylen, "no memory");
        return NULL;
    }
    if (c->err || redisSetTimeout(c, ms_tv(r->timeout_ms)) != REDIS_OK) {
        snprintf(why, whylen, "%s:%d: %s", r->host, r->port, c->errstr);
        redisFree(c);
        return NULL;
    }
    plx_rstore_set_fd(r, slot, c->fd);
    if (db_select) {
        redisReply *rr = redisCommand(c, "SELECT %d", r->db);
        int ok = rr && rr->type == REDIS_REPLY_STATUS;
        if (!ok)
            snprintf(why, whylen, "SELECT %d: %s", r->db,
                     rr && rr->type == REDIS_REPLY_ERROR ? rr->str : c->errstr);
        if (rr) freeReplyObject(rr);
        if (!ok) {
            plx_rstore_set_fd(r, slot, -1);
            redisFree(c);
            return NULL;
        }
    }
    return c;
}

void plx_rstore_set_fd(plx_rstore *r, int *slot, int fd) {
    pthread_mutex_lock(&r->fd_mu);
    *slot = fd;
    /* A stop request that came while the socket was not published yet. */
    if (fd >= 0 && atomic_load(&r->stopping)) shutdown(fd, SHUT_RDWR);
    pthread_mutex_unlock(&r->fd_mu);
}

unsigned plx_rstore_backoff(unsigned ms) {
    return ms * 2 > PLX_RSTORE_BACKOFF_MAX_MS ? PLX_RSTORE_BACKOFF_MAX_MS : ms * 2;
}

int plx_rstore_sleep(plx_rstore *r, unsigned ms) {
    struct timespec until = plx_rq_deadline((int)ms);
    pthread_mutex_lock(&r->fd_mu);
    while (!atomic_load(&r->stopping))
        if (pthread_cond_timedwait(&r->stop_cv, &r->fd_mu, &until) == ETIMEDOUT) break;
    int stopped = atomic_load(&r->stopping);
    pthread_mutex_unlock(&r->fd_mu);
    return stopped;
}

int plx_rstore_flush(plx_rstore *r, redisContext *c) {
    int done = 0;
    while (!done) {
        if (atomic_load(&r->stopping)) return -1;
        /* The socket is blocking with SO_SNDTIMEO = timeout_ms: each write is bounded. */
        if (redisBufferWrite(c, &done) != REDIS_OK) return -1;
    }
    return 0;
}

/* Reads and drops what is in the (non-blocking) wake pipe. */
static void drain_wake(int fd) {
    char buf[64];
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
}

/* Waits at most ms for c's socket to be readable or wake_fd (-1: none) to be readable:
 * 1 socket, 2 wake (drained), 0 timeout, -1 error. */
static int wait_read(redisContext *c, int wake_fd, int ms) {
    struct pollfd p[2] = {{.fd = c->fd, .events = POLLIN}, {.fd = wake_fd, .events = POLLIN}};
    int n = poll(p, wake_fd >= 0 ? 2 : 1, ms);
    if (n < 0) return errno == EINTR ? 0 : -1;
    if (n > 0 && wake_fd >= 0 && (p[1].revents & POLLIN)) {
        drain_wake(wake_fd);
        return 2;
    }
    return n > 0 ? 1 : 0;
}

int plx_rstore_read(plx_rstore *r, redisContext *c, redisReply **out, int idle_ms, int wake_fd) {
    *out = NULL;
    uint64_t until = plx_rstore_now_ms() + (uint64_t)idle_ms;
    for (;;) {
        void *reply = NULL;
        if (redisGetReplyFromReader(c, &reply) != REDIS_OK) return -1;
        if (reply) {
            *out = reply;
            return 1;
        }
        if (atomic_load(&r->stopping)) return 0;
        uint64_t now = plx_rstore_now_ms();
        if (now >= until) return 0;
        int slice = until - now < SLICE_MS ? (int)(until - now) : SLICE_MS;
        int ready = wait_read(c, wake_fd, slice);
        if (ready < 0) {
            snprintf(c->errstr, sizeof(c->errstr), "poll: %s", strerror(errno));
            c->err = REDIS_ERR_IO;
            return -1;
        }
        if (ready == 2) return 2;
        if (ready) {
            if (redisBufferRead(c) != REDIS_OK) return -1;
            until = plx_rstore_now_ms() + (uint64_t)idle_ms; /* bytes arrived: progress */
        }
    }
}
