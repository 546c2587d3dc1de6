/*
 * conn.h - one Plexus connection of the runner in server mode: the client side of a link
 * (link.h) to the server under test, opened over TCP and the WebSocket handshake (or the
 * stream binding), with a welcome from the server applied as it arrives, pauses (a slow
 * reader) and waits over several connections. Sending, events and closing are link.h's.
 */
#ifndef CF_CONN_H
#define CF_CONN_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "link.h"
#include "ws.h"

/* SO_RCVBUF of a paused connection's socket, and after it resumes. */
#define CF_CONN_PAUSED_RCVBUF  8192
#define CF_CONN_RESUMED_RCVBUF (4 << 20)

typedef cf_link cf_conn;

/* Opens a connection to u: TCP, and the WebSocket handshake offering protocols[0..nproto)
 * (pass NULL, -1 for the default "plexus.v1"). Returns 0 when open; 1 when the handshake was
 * refused (*status is the HTTP status); -1 on failure (message in err). Also fails (-1) when the
 * server does not select plexus.v1 although it was offered (TRN-2). Free c with cf_link_free
 * in every case. */
int cf_conn_open(cf_conn *c, const char *name, const cf_url *u, const char *const *protocols,
                 int nproto, int timeout_ms, cJSON *log, uint64_t t0, int *status, char *err,
                 size_t errlen);

/* Stops (paused 1) or resumes (0) reading c's socket: while paused, pumps and waits read
 * nothing from it, and its receive buffer is shrunk to CF_CONN_PAUSED_RCVBUF, so the server's
 * writes back up (a slow reader, LIM-4). */
void cf_conn_pause(cf_conn *c, int paused);

/* Reads what is available within timeout_ms and decodes it into events (nothing is read while
 * an event is queued). Returns 0, or -1 when the connection is no longer readable (nothing
 * more will come). */
int cf_conn_pump(cf_conn *c, int timeout_ms);
/* Waits up to timeout_ms until one of conns[0..n) has a queued event (pumping all). Returns 1
 * when some connection has an event, 0 on timeout or when no connection can produce more. */
int cf_conns_wait(cf_conn **conns, size_t n, int timeout_ms);
/* Waits up to timeout_ms for c's next event and removes it (NULL when none came). */
cf_event *cf_conn_next(cf_conn *c, int timeout_ms);

#endif
