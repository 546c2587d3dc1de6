/*
 * server_proc.h - runs a private plexus-server on a free 127.0.0.1 port for the differential
 * test, and stops it.
 */
#ifndef PLX_SERVER_PROC_H
#define PLX_SERVER_PROC_H

#include <sys/types.h>

typedef struct plx_server_proc {
    pid_t pid;
    int port;
    int out; /* read end of the server's stdout, kept open while it runs */
} plx_server_proc;

/* Starts `BIN --port 0 --host 127.0.0.1 --log-level warn` (killed with SIGKILL if this
 * program dies first) and reads its `listening on N` line from its stdout within timeout_ms.
 * Returns 0 with p->port set, or -1 (message on stderr; nothing left running). */
int plx_server_start(plx_server_proc *p, const char *bin, int timeout_ms);
/* Stops it: SIGTERM, up to 3 s for it to exit, then SIGKILL. Returns its exit status as
 * waitpid gives it, or -1 when it had to be killed or was not running. */
int plx_server_stop(plx_server_proc *p);

#endif
