/*
 * request.c - blocking requests: wait (bounded) for a ready session, take a request id,
 * queue and write the message, wait for its reply (reading the socket itself when nobody
 * else does, else on a condition variable of the caller's own), and turn a reply into a
 * plx_result. Whoever reads the socket completes waiters; the I/O thread fails them.
 */
#include <string.h>

#include "internal.h"

/* Waits until the session is ready, the client is dead or closing, or the deadline. */
static int wait_ready(plx_client *c, uint64_t deadline_ms) {
    while (c->state != PLX_ST_READY) {
        if (c->closing) return PLX_E_CLOSED;
        if (c->state == PLX_ST_DEAD) return PLX_E_DISCONNECTED;
        if (plx_client_now_ms() >= deadline_ms) return PLX_E_DISCONNECTED;
        plx_cond_wait_until(&c->state_cv, &c->mu, deadline_ms);
    }
    return c->closing ? PLX_E_CLOSED : 0;
}

/* Sets a number member, replacing an existing one. 0 or PLX_E_NOMEM. */
static int set_number(cJSON *json, const char *name, double v) {
    cJSON *n = cJSON_CreateNumber(v);

    if (!n) return PLX_E_NOMEM;
    if (cJSON_GetObjectItemCaseSensitive(json, name))
        cJSON_ReplaceItemInObjectCaseSensitive(json, name, n);
    else
        cJSON_AddItemToObject(json, name, n);
    return 0;
}

/* 1 when the calling thread may take the reader role (mu held): the session it sent on is
 * ready and nobody else reads. */
static int may_read(const plx_client *c, uint64_t gen) {
    return !c->io_busy && !c->io_err && !c->closing && c->state == PLX_ST_READY && c->gen == gen;
}

/* Waits for w until local (mu held). When the socket is free the caller reads it itself, so
 * its reply needs no hand-off from the I/O thread; it routes everything it reads as the I/O
 * thread would (replies to their waiters, handlers' work to the dispatcher), one service
 * slice at a time. Otherwise it sleeps until the reader completes it. */
static void wait_reply(plx_client *c, plx_waiter *w, uint64_t gen, uint64_t local) {
    uint64_t now;
    int rc;

    while (!w->done && (now = plx_client_now_ms()) < local) {
        if (!may_read(c, gen)) {
            plx_cond_wait_until(&w->cv, &c->mu, local);
            continue;
        }
        c->io_busy = 1;
        pthread_mutex_unlock(&c->mu);
        rc = plx_io_read(
            c, (int)(local - now < PLX_SERVICE_SLICE_MS ? local - now : PLX_SERVICE_SLICE_MS));
        pthread_mutex_lock(&c->mu);
        c->io_busy = 0;
        c->linger_until = plx_client_now_ms() + PLX_LINGER_MS;
        plx_dispatch_flush(c);
        if (rc) {
            c->io_err = rc; /* the I/O thread ends the session and reconnects */
            plx_io_kick(c);
        } else if (c->nwaiting > (w->done ? 0 : 1) || c->closing) {
            plx_io_kick(c); /* other callers wait, or close: the I/O thread takes over */
        }
    }
}

int plx_roundtrip(plx_client *c, cJSON *json, const plx_bytes *att, size_t natt, int timeout_ms,
                  int is_call, plx_msg *reply) {
    plx_waiter w;
    uint64_t now = plx_client_now_ms(), deadline, id = 0, gen;
    int rc, timeout;

    memset(reply, 0, sizeof(*reply));
    memset(&w, 0, sizeof(w));
    plx_cond_init(&w.cv);
    pthread_mutex_lock(&c->mu);
    timeout = plx_client_timeout(c, timeout_ms);
    deadline = now + (uint64_t)timeout;
    for (;;) {
        rc = wait_ready(c, deadline);
        if (rc) break;
        id = plx_pending_add(&c->pend, PLX_SLOT_WAITER, &w);
        if (!id) {
            rc = PLX_E_LIMIT_REACHED;
            break;
        }
        c->nwaiting++;
        gen = c->gen;
        rc = set_number(json, "id", (double)id);
        if (!rc && is_call) {
            now = plx_client_now_ms();
            rc = set_number(json, "timeout_ms", (double)(deadline > now ? deadline - now : 1));
        }
        if (!rc) rc = plx_send_locked(c, gen, json, att, natt, 0, deadline);
        if (rc == PLX_E_DISCONNECTED && plx_pending_find(&c->pend, id) && !w.done &&
            plx_client_now_ms() < deadline) {
            plx_pending_remove(&c->pend, id); /* the session ended before it went out: retry */
            c->nwaiting--;
            id = 0;
            continue;
        }
        break;
    }
    if (!rc) {
        wait_reply(c, &w, gen, deadline + (is_call ? PLX_CALL_GRACE_MS : 0));
        rc = w.done ? w.code : PLX_E_CALL_TIMEOUT;
    } else if (w.done && w.code == 0) {
        rc = 0; /* answered although queuing reported a problem late: take the answer */
    }
    if (id && !w.done) {
        plx_pending_remove(&c->pend, id);
        c->nwaiting--;
    }
    pthread_mutex_unlock(&c->mu);
    pthread_cond_destroy(&w.cv);
    if (rc == 0)
        *reply = w.msg;
    else
        plx_msg_clear(&w.msg);
    return rc;
}

int plx_request_result(plx_client *c, cJSON *json, const plx_bytes *att, size_t natt,
                       int timeout_ms, int is_call, plx_result *r) {
    const cJSON *err;
    int rc;

    memset(r, 0, sizeof(*r));
    if (!json) {
        plx_error_local(&r->error, PLX_E_NOMEM, NULL);
        return PLX_E_NOMEM;
    }
    rc = plx_roundtrip(c, json, att, natt, timeout_ms, is_call, &r->priv);
    cJSON_Delete(json);
    if (rc) {
        plx_error_local(&r->error, rc, NULL);
        return rc;
    }
    err = cJSON_GetObjectItemCaseSensitive(r->priv.json, "error");
    if (err) {
        plx_error_from_json(&r->error, err);
        return r->error.code;
    }
    r->value = cJSON_DetachItemFromObjectCaseSensitive(r->priv.json, "result");
    if (!r->value) r->value = cJSON_CreateNull();
    r->att = r->priv.att;
    r->natt = r->priv.natt;
    return 0;
}

int plx_client_request(plx_client *c, const cJSON *msg, const plx_bytes *att, size_t natt,
                       int timeout_ms, plx_result *out) {
    if (!c || !cJSON_IsObject(msg) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(msg, "t")) ||
        (natt && !att)) {
        memset(out, 0, sizeof(*out));
        plx_error_local(&out->error, PLX_E_INVAL, NULL);
        return PLX_E_INVAL;
    }
    return plx_request_result(c, cJSON_Duplicate(msg, 1), att, natt, timeout_ms, 0, out);
}

void plx_result_free(plx_result *r) {
    if (!r) return;
    cJSON_Delete(r->value);
    plx_error_clear(&r->error);
    plx_msg_clear(&r->priv);
    memset(r, 0, sizeof(*r));
}

void plx_pending_fail_all(plx_client *c, int code) {
    for (size_t i = 0; i < c->pend.cap; i++) {
        plx_slot *s = &c->pend.slots[i];
        if (s->kind == PLX_SLOT_FREE) continue;
        if (s->kind == PLX_SLOT_WAITER && s->w) {
            if (!s->w->done) c->nwaiting--;
            s->w->done = 1;
            s->w->code = code;
            pthread_cond_signal(&s->w->cv);
        }
        plx_pending_remove(&c->pend, s->id);
    }
}

void plx_pending_complete(plx_client *c, uint64_t id, plx_msg *m) {
    plx_slot *s = plx_pending_find(&c->pend, id);
    const cJSON *err;

    if (!s) return; /* timed out or from an old session: dropped */
    if (s->kind == PLX_SLOT_WAITER) {
        if (plx_msg_own(m)) {
            s->w->code = PLX_E_NOMEM;
        } else {
            s->w->msg = *m;
            memset(m, 0, sizeof(*m));
            s->w->code = 0;
        }
        s->w->done = 1;
        c->nwaiting--;
        c->linger_until = plx_client_now_ms() + PLX_LINGER_MS;
        pthread_cond_signal(&s->w->cv);
    } else if (s->kind == PLX_SLOT_RESTORE) {
        err = cJSON_GetObjectItemCaseSensitive(m->json, "error");
        plx_session_restored(c, err ? -(int)plx_wire_uint(err, "code", NULL) : 0);
    }
    plx_pending_remove(&c->pend, id);
}
