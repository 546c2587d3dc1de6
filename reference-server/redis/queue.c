/*
 * queue.c - the bounded, mutex-protected FIFOs between the service thread and the workers
 * (intrusive singly linked lists; waits use the monotonic clock and always have a bound).
 */
#include <errno.h>
#include <time.h>

#include "internal.h"

int plx_rq_init(plx_rq *q, size_t cap) {
    q->head = q->tail = NULL;
    q->len = 0;
    q->cap = cap;
    q->closed = 0;
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0) return -1;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&q->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0) return -1;
    if (pthread_mutex_init(&q->mu, NULL) != 0) {
        pthread_cond_destroy(&q->cv);
        return -1;
    }
    return 0;
}

void plx_rq_destroy(plx_rq *q, void (*free_node)(plx_rq_node *)) {
    plx_rq_node *n = q->head;
    while (n) {
        plx_rq_node *next = n->next;
        if (free_node) free_node(n);
        n = next;
    }
    q->head = q->tail = NULL;
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
}

struct timespec plx_rq_deadline(int wait_ms) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += wait_ms / 1000;
    ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

void plx_rq_link(plx_rq_node **head, plx_rq_node **tail, plx_rq_node *n) {
    n->next = NULL;
    if (*tail)
        (*tail)->next = n;
    else
        *head = n;
    *tail = n;
}

static void append(plx_rq *q, plx_rq_node *n) {
    plx_rq_link(&q->head, &q->tail, n);
    q->len++;
    pthread_cond_broadcast(&q->cv);
}

int plx_rq_push(plx_rq *q, plx_rq_node *n) {
    return plx_rq_push_wait(q, n, 0);
}

int plx_rq_push_wait(plx_rq *q, plx_rq_node *n, int wait_ms) {
    struct timespec until = plx_rq_deadline(wait_ms);
    int rc = -1;
    pthread_mutex_lock(&q->mu);
    while (q->cap && q->len >= q->cap && !q->closed && wait_ms > 0)
        if (pthread_cond_timedwait(&q->cv, &q->mu, &until) == ETIMEDOUT) break;
    if (!q->closed && (!q->cap || q->len < q->cap)) {
        append(q, n);
        rc = 0;
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

plx_rq_node *plx_rq_take_all(plx_rq *q, int wait_ms) {
    struct timespec until = plx_rq_deadline(wait_ms);
    pthread_mutex_lock(&q->mu);
    while (!q->head && !q->closed && wait_ms > 0)
        if (pthread_cond_timedwait(&q->cv, &q->mu, &until) == ETIMEDOUT) break;
    plx_rq_node *all = q->head;
    q->head = q->tail = NULL;
    q->len = 0;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return all;
}

plx_rq_node *plx_rq_peek(plx_rq *q) {
    pthread_mutex_lock(&q->mu);
    plx_rq_node *n = q->head;
    pthread_mutex_unlock(&q->mu);
    return n;
}

plx_rq_node *plx_rq_pop(plx_rq *q) {
    pthread_mutex_lock(&q->mu);
    plx_rq_node *n = q->head;
    if (n) {
        q->head = n->next;
        if (!q->head) q->tail = NULL;
        q->len--;
        pthread_cond_broadcast(&q->cv);
    }
    pthread_mutex_unlock(&q->mu);
    if (n) n->next = NULL;
    return n;
}

void plx_rq_close(plx_rq *q) {
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

size_t plx_rq_len(plx_rq *q) {
    pthread_mutex_lock(&q->mu);
    size_t n = q->len;
    pthread_mutex_unlock(&q->mu);
    return n;
}
