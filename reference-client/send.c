/*
 * send.c - queuing one message on the current session: encode it with the session's
 * limits (outside the lock: a large body is copied and maybe compressed), then append it
 * to the send queue, waiting for room under the queue's byte bound, and write it from the
 * calling thread as far as the socket takes it. A message meant for a session that has
 * ended is dropped (PLX_E_DISCONNECTED).
 */
#include "internal.h"

static int session_alive(const plx_client *c, uint64_t gen) {
    return c->gen == gen && !c->closing &&
           (c->state == PLX_ST_HELLO || c->state == PLX_ST_RESTORING || c->state == PLX_ST_READY);
}

int plx_send_locked(plx_client *c, uint64_t gen, const cJSON *json, const plx_bytes *att,
                    size_t natt, int force, uint64_t deadline_ms) {
    plx_encoder_config cfg;
    plx_encoder *e;
    plx_outmsg *m;
    uint32_t msg_id;
    int rc;

    if (!session_alive(c, gen)) return c->closing ? PLX_E_CLOSED : PLX_E_DISCONNECTED;
    cfg = c->enc;
    msg_id = c->next_msg_id++;
    e = plx_outenc_take(&c->spare, &cfg);
    pthread_mutex_unlock(&c->mu);
    rc = plx_outmsg_encode(e, msg_id, json, att, natt, cfg.max_frame, &m);
    pthread_mutex_lock(&c->mu);
    /* an encoder that failed half-way, or holds a large message's buffers, is not kept */
    plx_outenc_give(&c->spare, &cfg, e, rc == 0 && m->bytes <= PLX_SPARE_ENCODER_MAX);
    if (rc) return rc;
    /* A message larger than the bound may enter an empty queue (never a deadlock). */
    while (!force && session_alive(c, gen) && c->q.bytes > 0 &&
           c->q.bytes + m->bytes > c->max_queue) {
        if (plx_cond_wait_until(&c->state_cv, &c->mu, deadline_ms) &&
            plx_client_now_ms() >= deadline_ms) {
            plx_outmsg_free(m);
            return PLX_E_LIMIT_REACHED;
        }
    }
    if (!session_alive(c, gen)) {
        plx_outmsg_free(m);
        return c->closing ? PLX_E_CLOSED : PLX_E_DISCONNECTED;
    }
    plx_outq_push(&c->q, m);
    /* The calling thread writes (no hand-off); what the socket does not take now is left to
     * the reader's POLLOUT, which a wake makes sure it polls for. */
    if (plx_link_flush(c) == 0 && c->q.bytes > 0) plx_io_kick(c);
    return 0;
}

int plx_send(plx_client *c, uint64_t gen, const cJSON *json, const plx_bytes *att, size_t natt,
             int force, uint64_t deadline_ms) {
    int rc;

    pthread_mutex_lock(&c->mu);
    rc = plx_send_locked(c, gen, json, att, natt, force, deadline_ms);
    pthread_mutex_unlock(&c->mu);
    return rc;
}
