/*
 * wire_client.h - storage commands over the wire: a libplexus-client connection to a
 * plexus-server whose replies come back in the differential test's comparison form
 * (store.h's plx_store_reply, handed out as void pointers: see reply_build.h).
 */
#ifndef PLX_DIFF_WIRE_CLIENT_H
#define PLX_DIFF_WIRE_CLIENT_H

#include <stddef.h>

#include "script.h"

#define PLX_WIRE_TIMEOUT_MS 5000 /* bound on the connection and on every command's reply */

typedef struct plx_wire plx_wire;

/* Connects to ws://127.0.0.1:port (no reconnection: a lost session ends the run). The
 * connection, or NULL (reason in err). */
plx_wire *plx_wire_open(int port, char *err, size_t errlen);
/* Runs one command (binary-safe argv) and returns its reply in comparison form (owned; free
 * with plx_diff_reply_free): a storage error (or any server error answering the command)
 * becomes an ERROR reply with the server's code and message (integers are exact over the
 * signed 64-bit range, STO-8). NULL when no reply came (disconnected, timeout) or no
 * memory; the reason is printed on stderr. */
void *plx_wire_exec(plx_wire *w, const plx_script_arg *argv, size_t argc);
/* Closes the connection (sends bye). NULL is a no-op. */
void plx_wire_close(plx_wire *w);

#endif
