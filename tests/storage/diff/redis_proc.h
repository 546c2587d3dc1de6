/*
 * redis_proc.h - runs a private redis-server on a free 127.0.0.1 port for the differential
 * test, and stops it.
 */
#ifndef PLX_REDIS_PROC_H
#define PLX_REDIS_PROC_H

#include <sys/types.h>

typedef struct plx_redis_proc {
    pid_t pid;
    int port;
} plx_redis_proc;

/* Starts `redis-server --port P --bind 127.0.0.1 --save '' --appendonly no` (the binary is
 * $PLX_REDIS_SERVER or redis-server on PATH) on a free port and waits up to timeout_ms until
 * it accepts connections. Returns 0, or -1 (message on stderr; nothing left running). */
int plx_redis_start(plx_redis_proc *p, int timeout_ms);
/* Stops it: SIGTERM, up to 3 s for it to exit, then SIGKILL. */
void plx_redis_stop(plx_redis_proc *p);

#endif
