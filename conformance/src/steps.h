/*
 * steps.h - what running a case's steps is the same for in server mode (runner.c: the runner
 * is a client of the server under test) and in client mode (clientrun.c: the runner is the
 * server of the client under test): the state of a run (case, result, connection names,
 * captures, parameters, deadline, current step), failing it with its evidence, step timeouts,
 * the steps that send (send, send_frame, send_raw, send_text: FORMAT.md section 4.2) and
 * matching a received message with its attachments and frames.
 */
#ifndef CF_STEPS_H
#define CF_STEPS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "case.h"
#include "link.h"
#include "runner.h"

typedef struct cf_steps cf_steps;
/* The next event of connection i within timeout_ms (the mode reads what it must meanwhile), or
 * NULL. */
typedef cf_event *(*cf_steps_next)(cf_steps *x, int i, int timeout_ms);

struct cf_steps {
    const cf_case *c;
    cf_result *r;
    const char *name[CF_MAX_CONNS]; /* the case's connections, borrowed from the case */
    size_t n;
    cJSON *captures, *params; /* owned by the run */
    uint64_t t0, deadline;    /* the case's start and end (cf_now_ms) */
    int case_timeout_ms;      /* --case-timeout, for the reason when deadline is passed */
    int step;                 /* 1-based step being run */
    int failed;
    cf_link link[CF_MAX_CONNS]; /* the connections: to the server, or from the client */
    int used[CF_MAX_CONNS];     /* link[i] was set up (needs cf_link_free) */
    cf_steps_next next;
    const char *remote; /* who is under test: "server" or "client" */
};

/* Starts running case c into r (initialised by the caller): the deadline limit_ms from now,
 * the parameters a copy of params with "case" set to c's id, no captures, an empty wire log,
 * the connection names of the case, verdict pass so far. next and remote as in cf_steps. */
void cf_steps_start(cf_steps *x, const cf_case *c, cf_result *r, const cJSON *params,
                    int case_timeout_ms, int limit_ms, cf_steps_next next, const char *remote);
/* Ends the run: r->ms, and what the run owns is freed (the connections are the caller's). */
void cf_steps_end(cf_steps *x);

/* Fails the case at the current step (the first failure only; a SHOULD case is non-strict):
 * expected and received (may be NULL) are copied into the result. */
void cf_steps_fail(cf_steps *x, const char *expected, const char *received, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The expect step's wait for expected ran out: "nothing arrived <where> within ms", or that
 * the case ran past --case-timeout. */
void cf_steps_timeout_fail(cf_steps *x, const cJSON *expected, const char *where, int ms);
/* want, cut to the time left before the case's deadline. */
int cf_steps_remaining(const cf_steps *x, int want);
/* The step's timeout_ms (dflt without one), cut to the time left. */
int cf_steps_timeout(const cf_steps *x, const cJSON *step, int dflt);
/* The index of the step's "conn" (0, the first connection, when it has none). */
int cf_steps_conn(const cf_steps *x, const cJSON *step);
/* The index of the connection called name, or -1. */
int cf_steps_index(const cf_steps *x, const char *name);

/* Sends msg on l with captures and parameters substituted, and the attachments and send
 * options of step. 0, or -1 (the case failed). */
int cf_steps_send_msg(cf_steps *x, cf_link *l, const cJSON *msg, const cJSON *step);
/* Runs step if it is a send step (action a) on l. Returns 1 when it is not one, else 0 or -1
 * (the case failed). */
int cf_steps_send(cf_steps *x, cf_link *l, const cJSON *a, const cJSON *step);

/* Matches v (with attachments att[0..natt)) against m and the attachment matchers atts (may
 * be NULL): 1 with the captures committed, or 0 with the case failed ("what: why"; received
 * is got, or v printed when got is NULL). */
int cf_steps_match_value(cf_steps *x, const cJSON *m, const cJSON *v, const plx_bytes *att,
                         size_t natt, const cJSON *atts, const char *what, const char *got);
/* Matches a received event: a message matching m and atts, and when frame is not NULL its
 * frames (cf_event_frames_json) matching frame. 1, or 0 with the case failed. */
int cf_steps_match(cf_steps *x, const cf_event *e, const cJSON *m, const cJSON *atts,
                   const cJSON *frame, const char *what);

/* The receiving steps on connection i (its state checked by the caller), each waiting up to
 * timeout ms. expect: a message matching m (and the step's attachments and frame). 0, or -1
 * with the case failed. */
int cf_steps_expect(cf_steps *x, int i, const cJSON *m, const cJSON *step, int timeout);
/* expect_close: when spec names an error, first that error message (without re), then the
 * close, with spec's code or the error's close code (not compared on the stream binding). */
int cf_steps_expect_close(cf_steps *x, int i, const cJSON *spec, int timeout, int stream);
/* After an expect_silence step's wait: nothing is queued on the step's conn (every connection
 * for "*"). 0, or -1 with the case failed. */
int cf_steps_silent(cf_steps *x, const cJSON *step);

#endif
