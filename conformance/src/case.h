/*
 * case.h - conformance cases (FORMAT.md): loading the JSON files of conformance/cases/,
 * checking their structure strictly (unknown members, bad matchers, unknown connections and
 * error names are load errors), and selecting cases by id or requirement prefix.
 */
#ifndef CF_CASE_H
#define CF_CASE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "util.h"

#define CF_DEFAULT_TIMEOUT_MS 2000
#define CF_MAX_CONNS          32 /* connections per case */
#define CF_MAX_CASES          10000
#define CF_MAX_REPEAT         100000 /* a send step's repeat */

typedef struct cf_case {
    char *path;
    const char *id, *title; /* borrowed from root */
    int should;             /* level SHOULD */
    int timeout_ms;
    int auto_pong;
    int case_timeout_ms; /* the case's own bound (0: --case-timeout) */
    int signals;         /* has a signal step: needs a spawned server of its own */
    int reads_log;       /* has a server_log_excludes step: needs a spawned server */
    const cJSON *requirements, *needs, *server_args, *connections, *steps;
    cJSON *root; /* owned */
} cf_case;

typedef struct cf_caselist {
    cf_case *v;
    size_t n;
} cf_caselist;

/* Checks a parsed case object. known_reqs (may be NULL) is the requirement list of
 * spec/requirements.json to check IDs against. 0, or -1 with a message in err. */
int cf_case_check(const cJSON *root, const cJSON *known_reqs, char *err, size_t errlen);
/* Loads every *.json under dir/<layer>/ (one level of folders), sorted by id. Load errors are
 * appended to errors (one line each) and those files are left out. Returns 0, or -1 when dir
 * cannot be read. */
int cf_cases_load(const char *dir, const cJSON *known_reqs, cf_caselist *out, cf_buf *errors);
void cf_cases_free(cf_caselist *l);

/* A case check (cf_case_check, cf_client_case_check). */
typedef int (*cf_case_checker)(const cJSON *root, const cJSON *known_reqs, char *err,
                               size_t errlen);
/* Loads every dir/<layer>/<id>-<slug>.json whose id is id_prefix + "<layer>-NNN" and passes
 * check, sorted by id, as cf_cases_load (server cases: prefix "", client cases: "cl-"). */
int cf_cases_load_kind(const char *dir, const char *id_prefix, cf_case_checker check,
                       const cJSON *known_reqs, cf_caselist *out, cf_buf *errors);

/* What the checks of server and client cases share. cf_case_check_common: root is an object
 * with only the given members, an id (id_prefix + "<layer>-NNN", a known layer), title, level,
 * requirements (each in known_reqs when not NULL), timeout_ms, auto_pong. 0, or -1 with err. */
int cf_case_check_common(const cJSON *root, const char *const *members, const char *id_prefix,
                         const cJSON *known_reqs, char *err, size_t errlen);
/* A step action and the members it allows besides the action, conn and note. */
typedef struct cf_step_kind {
    const char *action;
    const char *members[8];
} cf_step_kind;
/* Step s is an object whose first member (the action) is one of kinds[0..n) and whose other
 * members are conn, note or the action's. Returns the index of its kind, or -1 with err. conn
 * itself is the caller's to check. */
int cf_step_kind_check(const cJSON *s, const cf_step_kind *kinds, size_t n, char *err,
                       size_t errlen);
/* Checks one step against the case's connections (0, or -1 with err). */
typedef int (*cf_step_check)(const cJSON *step, const cJSON *conns, char *err, size_t errlen);
/* steps is a non-empty array and check accepts each ("step N: ..." in err otherwise). */
int cf_case_check_steps(const cJSON *root, cf_step_check check, char *err, size_t errlen);
/* The send options of step s with message a (FORMAT.md section 4.2: attachments, msg_id,
 * max_frame, gzip, frames, ws_fragments). 0; -1 a bad value (err may say why); -2 bad
 * attachments (err says why). */
int cf_check_send(const cJSON *s, const cJSON *a, char *err, size_t errlen);
/* Attachment specs: an array of byte specs (matchers allowed when matchers). 0 or -1 with err. */
int cf_check_atts(const cJSON *a, int matchers, char *err, size_t errlen);
/* s is one of the NULL-terminated list l. */
int cf_in_list(const char *s, const char *const *l);
/* v is an integer in 0..max. */
int cf_is_uint(const cJSON *v, double max);

/* 1 if the case is selected by sel: a comma-separated list of selectors, each matching a case
 * whose id starts with it, or which lists a requirement equal to it or, when the selector does
 * not end in a digit, starting with it ("RPC-" and "RPC" select every RPC requirement, "RPC-1"
 * only RPC-1). NULL or "" selects everything. */
int cf_selected(const char *sel, const char *id, const cJSON *requirements);

/* The connection spec named `name` in connections (a string or an object), or NULL. */
const cJSON *cf_case_conn(const cJSON *connections, const char *name, const char **real_name);

/* Loads spec/requirements.json's "requirements" array (owned root in *root). NULL on error. */
const cJSON *cf_requirements_load(const char *path, cJSON **root, char *err, size_t errlen);

#endif
