/*
 * cmdworker.c - the command connection's thread. Each round takes every queued job, appends
 * them all to the connection (MULTI/EXEC around atomic batches), writes the pipeline, then reads
 * the replies in order and completes each job. A connection error fails every job in flight and
 * queued with STORAGE_UNAVAILABLE, emits STATE up=0 and reconnects with backoff; while Redis is
 * unreachable, jobs that arrive fail at once.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define IDLE_WAIT_MS 100 /* longest wait for jobs before looking at the stop flag again */

static const char *multi_argv[] = {"MULTI"};
static const char *exec_argv[] = {"EXEC"};
static const size_t multi_len[] = {5}, exec_len[] = {4};

/* Appends j's commands to c and sets how many replies Redis owes for it. 0 or -1 (no memory). */
static int append_job(redisContext *c, plx_rjob *j) {
    j->want = j->ncmd + (j->atomic ? 2 : 0);
    if (j->atomic && redisAppendCommandArgv(c, 1, multi_argv, multi_len) != REDIS_OK) return -1;
    size_t a = 0;
    for (size_t i = 0; i < j->ncmd; i++) {
        if (redisAppendCommandArgv(c, (int)j->cmd_argc[i], j->argv + a, j->argvlen + a) != REDIS_OK)
            return -1;
        a += j->cmd_argc[i];
    }
    if (j->atomic && redisAppendCommandArgv(c, 1, exec_argv, exec_len) != REDIS_OK) return -1;
    if (j->kind == PLX_RJOB_BATCH && !j->atomic) j->result = plx_rstore_array(j->ncmd);
    return 0;
}

/* The reply of an atomic batch once EXEC answered: the array of the commands' replies, or
 * the single error of the transaction (EXECABORT, or the first error of MULTI itself). */
static plx_store_reply *atomic_result(plx_rjob *j, const redisReply *exec) {
    if (j->failure) {
        plx_store_reply *f = j->failure;
        j->failure = NULL;
        return f;
    }
    if (exec->type == REDIS_REPLY_ARRAY && exec->elements == j->ncmd) return plx_rstore_reply(exec);
    if (exec->type == REDIS_REPLY_ERROR) return plx_rstore_reply(exec);
    return plx_rstore_error(PLX_E_EXEC_ABORTED, "EXECABORT Transaction discarded.");
}

/* Feeds one reply to the job at the head; 1 when the job has all its replies. */
static int feed(plx_rjob *j, const redisReply *rr, plx_store_reply **out) {
    size_t k = j->got++;
    if (j->kind == PLX_RJOB_PUBLISH) {
        *out = NULL;
        return 1;
    }
    if (j->atomic) {
        /* MULTI's OK and the QUEUED answers carry nothing; an error among them is kept. */
        if (k + 1 < j->want) {
            if (rr->type == REDIS_REPLY_ERROR && !j->failure && k == 0)
                j->failure = plx_rstore_reply(rr);
            return 0;
        }
        *out = atomic_result(j, rr);
        return 1;
    }
    plx_store_reply *e = plx_rstore_reply(rr);
    if (!e || !j->result) {
        plx_store_reply_free(e);
        plx_store_reply_free(j->result);
        j->result = NULL; /* no memory: the batch's reply is NULL */
    } else {
        j->result->elem[j->result->nelem++] = e;
    }
    if (j->got < j->want) return 0;
    *out = j->result;
    j->result = NULL;
    return 1;
}

/* Jobs in flight: a FIFO in the order they were appended. */
typedef struct flight {
    plx_rq_node *head, *tail;
} flight;

/* Fails every job of the list starting at n. */
static void fail_list(plx_rstore *r, plx_rq_node *n, const char *why) {
    while (n) {
        plx_rq_node *next = n->next;
        plx_rstore_fail(r, (plx_rjob *)n, why);
        n = next;
    }
}

/* Completes the jobs at the head of f that owe no more replies (empty batches). */
static void complete_ready(plx_rstore *r, flight *f) {
    while (f->head && ((plx_rjob *)f->head)->want == 0) {
        plx_rjob *j = (plx_rjob *)f->head;
        f->head = f->head->next;
        if (!f->head) f->tail = NULL;
        plx_store_reply *res = j->result;
        j->result = NULL;
        plx_rstore_complete(r, j, res);
    }
}

/* One round: append everything queued, write, read every reply. 0, or -1 on a connection
 * error (why set; the jobs in flight are failed here) or a stop (jobs dropped). */
static int run_round(plx_rstore *r, redisContext *c, char *why, size_t whylen) {
    plx_rq_node *n = plx_rq_take_all(&r->jobs, IDLE_WAIT_MS);
    if (!n) return atomic_load(&r->stopping) ? -1 : 0;
    flight f = {0};
    int broken = 0;
    while (n) {
        plx_rq_node *next = n->next;
        if (!broken && append_job(c, (plx_rjob *)n) != 0) broken = 1;
        plx_rq_link(&f.head, &f.tail, n);
        n = next;
    }
    if (broken) snprintf(why, whylen, "no memory for the pipeline");
    if (!broken && plx_rstore_flush(r, c) != 0) broken = 1;
    if (!broken) complete_ready(r, &f);
    while (!broken && f.head) {
        redisReply *rr = NULL;
        int got = plx_rstore_read(r, c, &rr, (int)r->timeout_ms, -1);
        if (got <= 0) {
            broken = 1;
            if (got == 0 && !atomic_load(&r->stopping))
                snprintf(c->errstr, sizeof(c->errstr), "no reply within %u ms", r->timeout_ms);
            break;
        }
        plx_rjob *j = (plx_rjob *)f.head;
        plx_store_reply *out = NULL;
        if (feed(j, rr, &out)) {
            f.head = f.head->next;
            if (!f.head) f.tail = NULL;
            plx_rstore_complete(r, j, out);
            complete_ready(r, &f);
        }
        freeReplyObject(rr);
    }
    if (!broken) return 0;
    if (!why[0]) snprintf(why, whylen, "%s", c->errstr[0] ? c->errstr : "connection lost");
    if (atomic_load(&r->stopping)) {
        while (f.head) {
            plx_rq_node *next = f.head->next;
            plx_rjob_free((plx_rjob *)f.head);
            f.head = next;
        }
    } else {
        fail_list(r, f.head, why);
    }
    return -1;
}

/* Redis is unreachable for ms: every job that arrives meanwhile fails at once. */
static void refuse_for(plx_rstore *r, unsigned ms, const char *why) {
    uint64_t until = plx_rstore_now_ms() + ms;
    for (;;) {
        uint64_t now = plx_rstore_now_ms();
        if (atomic_load(&r->stopping) || now >= until) return;
        fail_list(r, plx_rq_take_all(&r->jobs, (int)(until - now)), why);
    }
}

void *plx_rstore_cmd_main(void *arg) {
    plx_rstore *r = arg;
    plx_rstore_block_sigpipe();
    unsigned backoff = PLX_RSTORE_BACKOFF_MIN_MS;
    while (!atomic_load(&r->stopping)) {
        char why[200] = "";
        redisContext *c = plx_rstore_connect(r, &r->cmd_fd, 1, why, sizeof(why));
        if (c) {
            plx_rstore_set_up(r, 1);
            backoff = PLX_RSTORE_BACKOFF_MIN_MS;
            while (run_round(r, c, why, sizeof(why)) == 0)
                ;
            plx_rstore_set_fd(r, &r->cmd_fd, -1);
            redisFree(c);
        }
        if (atomic_load(&r->stopping)) break;
        fail_list(r, plx_rq_take_all(&r->jobs, 0), why);
        plx_rstore_set_up(r, 0);
        refuse_for(r, backoff, why);
        backoff = plx_rstore_backoff(backoff);
    }
    return NULL;
}
