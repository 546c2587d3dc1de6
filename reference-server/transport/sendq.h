/*
 * sendq.h - one connection's bounded send queue of encoded messages, written out frame by
 * frame with the frames of different messages interleaved round-robin, so a small reply is
 * never stuck behind a large transfer.
 *
 * A message is a buffer of consecutive encoded frames (each preceded by `prefix` bytes: 0 for
 * the WebSocket binding, 4 for the stream binding). At most `max_active` messages are in
 * progress at once (the receiver's assembler holds at most max_partial incomplete messages);
 * the others wait in FIFO order, so messages start in the order they were pushed.
 * A frame, once started, is finished before any other frame is begun.
 */
#ifndef PLX_SENDQ_H
#define PLX_SENDQ_H

#include <stddef.h>
#include <stdint.h>

typedef struct plx_sendq plx_sendq;

#define PLX_SENDQ_WS_HEADER 10 /* largest header of a server-to-client WebSocket frame */

/* A piece of the frame being written: data[0..len) with at least the push's headroom of
 * writable bytes before data (already written bytes, or the buffer's own headroom), which the
 * writer may overwrite (lws_write's LWS_PRE). first: the piece starts a frame; last: it ends
 * one. */
typedef struct plx_piece {
    uint8_t *data;
    size_t len;
    int first;
    int last;
} plx_piece;

/* Makes an empty queue holding at most bound bytes. NULL on no memory. */
plx_sendq *plx_sendq_new(uint64_t bound, size_t prefix, unsigned max_active);
/* Frees the queue and every buffer in it. */
void plx_sendq_free(plx_sendq *q);
/* 1 if n more bytes fit under the bound, else 0. */
int plx_sendq_fits(const plx_sendq *q, uint64_t n);
/* Appends a message: buf (owned by the queue from now on, released with free()) holds len
 * bytes of frames starting at buf + off. Returns 0, or -1 on no memory (buf is then freed).
 * The bound is the caller's to check with plx_sendq_fits first. */
int plx_sendq_push(plx_sendq *q, uint8_t *buf, size_t off, size_t len);
/* The next piece to write, at most max bytes. Returns 1 with *p set, 0 when the queue is
 * empty. */
int plx_sendq_peek(plx_sendq *q, size_t max, plx_piece *p);
/* Gathers small pieces for one write: copies whole pieces of at most small bytes each, in
 * the queue's order, into buf (cap bytes) and marks them written, stopping at a larger piece,
 * at one that would not fit, or when the queue is empty. With ws_header each piece (a whole
 * frame: the WebSocket binding never splits one) is preceded by the header of an unmasked,
 * unfragmented binary WebSocket message (at most PLX_SENDQ_WS_HEADER bytes). Returns the
 * bytes put in buf; 0 when the next piece is larger than small or does not fit. */
size_t plx_sendq_batch(plx_sendq *q, uint8_t *buf, size_t cap, size_t small, int ws_header);
/* Marks n bytes of the last peeked piece written (n <= its len). */
void plx_sendq_advance(plx_sendq *q, size_t n);
/* Bytes queued and not yet written. */
uint64_t plx_sendq_bytes(const plx_sendq *q);
/* Drops every message whose first byte has not been written (LIM-4: a connection being
 * closed as a slow reader). Returns the bytes dropped. */
uint64_t plx_sendq_truncate(plx_sendq *q);

#endif
