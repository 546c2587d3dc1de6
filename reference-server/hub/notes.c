/*
 * notes.c - change notifications held back until the reply of the request that caused them
 * is queued (WAT-5, PIPE-6). While the hub handles a message, hub_watch_notify queues one
 * note per (watcher, pattern) here instead of sending; the hub flushes the queue after the
 * handler (which sent the reply), or hands it to a pipeline that waits for adapter reads.
 * Bound: the notes held for one connection cost at most HUB_NOTES_BOUND(c) bytes; past it
 * the connection is closed with SLOW_READER, as its send queue would be (LIM-4, WAT-6).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct hub_note {
    struct hub_note *next;
    plx_conn_id c;
    size_t cost;            /* bytes counted against the watcher's bound */
    plx_bytes key, pattern; /* into data */
    const char *op, *by;    /* into data; by NULL when absent */
    uint8_t data[];
};

/* Appends s[0..len) and a NUL at *at; returns where it went. */
static uint8_t *put(uint8_t **at, const void *s, size_t len) {
    uint8_t *d = *at;
    if (len) memcpy(d, s, len);
    d[len] = 0;
    *at = d + len + 1;
    return d;
}

void hub_notes_push(plx_hub *h, hub_notes *q, hub_conn *c, plx_bytes key, const char *op,
                    const char *by, plx_bytes pattern) {
    size_t olen = strlen(op), blen = by ? strlen(by) : 0;
    size_t data = key.len + pattern.len + olen + blen + 4;
    size_t cost = data + HUB_NOTE_OVERHEAD;
    if (c->noted + cost > HUB_NOTES_BOUND(c)) {
        hub_fail(h, c, PLX_E_SLOW_READER, "change notifications exceed the send queue bound");
        return;
    }
    hub_note *n = malloc(sizeof(*n) + data);
    if (!n) {
        hub_fail(h, c, PLX_E_INTERNAL, "out of memory");
        return;
    }
    uint8_t *at = n->data;
    n->next = NULL;
    n->c = c->id;
    n->cost = cost;
    n->key = (plx_bytes){put(&at, key.data, key.len), key.len};
    n->pattern = (plx_bytes){put(&at, pattern.data, pattern.len), pattern.len};
    n->op = (const char *)put(&at, op, olen);
    n->by = by ? (const char *)put(&at, by, blen) : NULL;
    c->noted += cost;
    if (q->tail)
        q->tail->next = n;
    else
        q->head = n;
    q->tail = n;
}

void hub_notes_move(hub_notes *dst, hub_notes *src) {
    if (!src->head) return;
    if (dst->tail)
        dst->tail->next = src->head;
    else
        dst->head = src->head;
    dst->tail = src->tail;
    src->head = src->tail = NULL;
}

void hub_notes_flush(plx_hub *h, hub_notes *q) {
    while (q->head) {
        hub_note *n = q->head;
        q->head = n->next;
        if (!q->head) q->tail = NULL;
        hub_conn *c = hub_conn_get(h, n->c);
        if (c) {
            c->noted -= n->cost;
            if (c->state == HUB_READY) hub_send_change(h, c, n->key, n->op, n->by, n->pattern);
        }
        free(n);
    }
}

void hub_notes_free(hub_notes *q) {
    while (q->head) {
        hub_note *n = q->head;
        q->head = n->next;
        free(n);
    }
    q->tail = NULL;
}
