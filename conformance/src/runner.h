/*
 * runner.h - runs conformance cases against a server: opens the case's connections, executes
 * its steps (FORMAT.md section 4), and gives a verdict with the evidence (failing step,
 * expected, received, wire log). Also the shared result type the reports print.
 */
#ifndef CF_RUNNER_H
#define CF_RUNNER_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "case.h"
#include "ws.h"

typedef enum cf_verdict { CF_PASS, CF_FAIL, CF_NONSTRICT, CF_SKIP } cf_verdict;

/* The outcome of one case (or one codec vector). Every member is owned. */
typedef struct cf_result {
    char *id, *title, *level;
    cJSON *requirements; /* array of strings */
    cf_verdict verdict;
    char *reason; /* fail/non-strict: what went wrong; skip: why */
    int step;     /* 1-based failing step, 0 if none */
    char *expected, *received;
    cJSON *log; /* wire log entries (array), may be NULL */
    uint64_t ms;
} cf_result;

void cf_result_free(cf_result *r);
/* Fills the identity members of r from a case. 0 or -1. */
int cf_result_init(cf_result *r, const char *id, const char *title, int should,
                   const cJSON *requirements);

/* Fills r[n..] with a failed "load-error" result for each line of errors (a broken case file is
 * a failure), at most max of them. Returns n plus the results added. */
size_t cf_results_load_errors(cf_result *r, size_t n, size_t max, const cf_buf *errors);

struct cf_server_proc;

typedef struct cf_run_config {
    cf_url url;
    cJSON *params;       /* object of strings, owned by the caller */
    int case_timeout_ms; /* bound on one whole case (a case's case_timeout_ms may raise it) */
    cJSON *probe;        /* the probe welcome (owned by the caller), NULL before cf_probe */
    /* --spawn: the server was started by the runner with the case's server_args (which then
     * hold by construction), and signal steps go to this process. NULL for `server URL`. */
    struct cf_server_proc *server;
} cf_run_config;

/* Opens one connection, says hello, keeps the welcome in cfg->probe and closes. 0, or -1 with
 * a message in err. */
int cf_probe(cf_run_config *cfg, char *err, size_t errlen);
/* Runs one case and fills r (r is initialised here). */
void cf_run_case(const cf_run_config *cfg, const cf_case *c, cf_result *r);
/* The reason a case must be skipped under cfg, or NULL when it can run (static or owned by
 * buf). Against a server the runner did not start, each server_args pair "--NAME VALUE" must
 * already hold: --param NAME=VALUE was given (dashes in NAME as underscores; for secret and
 * override-key any value), or for an option welcome announces (ping-interval, call-timeout,
 * history, max-frame, max-message) the probe welcome has exactly VALUE. */
const char *cf_case_skip_reason(const cf_run_config *cfg, const cf_case *c, char *buf,
                                size_t buflen);

#endif
