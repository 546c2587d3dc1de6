/*
 * harness.h - the hub test harness: a hub over its own store, a mock io recording what the
 * hub sends and closes per connection, a fake clock, and helpers to send JSON text as
 * catalogue-valid messages and to take and check what came out.
 */
#ifndef PLX_HUB_HARNESS_H
#define PLX_HUB_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "hub.h"

typedef struct th_sent {
    plx_conn_id c;
    cJSON *json;    /* owned copy */
    plx_bytes *att; /* owned copies */
    size_t natt;
} th_sent;

typedef struct th_close {
    plx_conn_id c;
    int code;
    char reason[64];
} th_close;

typedef struct th {
    plx_hub *hub;
    uint64_t now;
    th_sent *out;
    size_t nout, cap;
    th_close closes[1024];
    size_t ncloses;
    plx_conn_id slow; /* io.send fails for this connection */
    /* Like the transport, io.send answers PLX_E_TOO_LARGE for a body over the recipient's
     * max_message (plx_hub_limits), or over strict_max for connection strict. */
    plx_conn_id strict;
    size_t strict_max;
    size_t too_large; /* io.send calls answered PLX_E_TOO_LARGE */
    size_t sends;     /* io.send calls */
} th;

/* A harness over a hub with cfg (NULL: defaults) and a store of its own. */
th *th_new(const plx_hub_config *cfg);
/* The same over a hub whose storage is the backend be (NULL: a store of its own; be->submit
 * NULL: no storage at all, as --storage none). */
th *th_new_backend(const plx_hub_config *cfg, const plx_hub_backend *be);
void th_free(th *t);
/* Opens a connection at the current time. */
plx_conn_id th_open(th *t);
/* Sends JSON text (must be catalogue-valid, checked) with natt attachments from att. */
void th_send_att(th *t, plx_conn_id c, const char *json, const plx_bytes *att, size_t natt);
void th_send(th *t, plx_conn_id c, const char *json);
/* Sends JSON text without catalogue validation (robustness tests). */
void th_send_raw(th *t, plx_conn_id c, const char *json);
/* printf-style th_send. */
void th_sendf(th *t, plx_conn_id c, const char *fmt, ...);
/* Opens, says hello with name (NULL: none) and extra JSON members (NULL: none), checks the
 * welcome; clears everything recorded. */
plx_conn_id th_client(th *t, const char *name, const char *extra);
/* Takes (removes) the first message to c of type type (NULL: any). NULL if none. */
th_sent *th_take(th *t, plx_conn_id c, const char *type);
void th_sent_free(th_sent *s);
/* How many messages to c are recorded (type NULL: any). */
size_t th_count(th *t, plx_conn_id c, const char *type);
/* Takes the reply with id to c and checks it succeeded; returns it (free with th_sent_free). */
th_sent *th_ok(th *t, plx_conn_id c, uint64_t id);
/* Takes the reply with id to c and checks its error name. */
void th_err(th *t, plx_conn_id c, uint64_t id, const char *name);
/* Takes an error message to c and checks its name. */
void th_errmsg(th *t, plx_conn_id c, const char *name);
/* Takes an error message to c and checks its name and re (re < 0: re must be absent). */
void th_errmsg_re(th *t, plx_conn_id c, const char *name, int64_t re);
/* The close code recorded for c, 0 if none. */
int th_closed(th *t, plx_conn_id c);
const char *th_close_reason(th *t, plx_conn_id c);
/* Advances the clock by ms and runs plx_hub_tick. */
uint64_t th_tick(th *t, uint64_t ms);
/* Forgets everything recorded. */
void th_clear(th *t);
/* Field access. */
double th_num(const cJSON *j, const char *field);
const char *th_str(const cJSON *j, const char *field);
cJSON *th_get(const cJSON *j, const char *path); /* "a.b.c" object path */

#endif
