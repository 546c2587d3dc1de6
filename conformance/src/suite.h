/*
 * suite.h - runs the selected server cases one after the other: against one server at a URL,
 * or (--spawn) against servers the runner starts itself, one per distinct set of server_args
 * (started when first needed, stopped after the last case that needs it; a case with a signal
 * step gets a server of its own), each probed before its first case.
 */
#ifndef CF_SUITE_H
#define CF_SUITE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "case.h"
#include "runner.h"

typedef struct cf_suite_config {
    const char *url;     /* server URL (NULL with spawn) */
    const char *spawn;   /* --spawn CMD, or NULL */
    int stream;          /* spawn: test the stream binding (--tcp-port 0) */
    cJSON *params;       /* --param values (borrowed) */
    int case_timeout_ms; /* --case-timeout */
    int progress;        /* print a progress line on stderr */
} cf_suite_config;

/* Runs the cases whose selected[i] is non-zero, in order, appending one result per case to
 * res (room for cases->n entries) and counting them in *n. Returns 0, or -1 with a message in
 * err when the URL is malformed (nothing ran). */
int cf_suite_run(const cf_suite_config *cfg, const cf_caselist *cases, const char *selected,
                 cf_result *res, size_t *n, char *err, size_t errlen);

#endif
