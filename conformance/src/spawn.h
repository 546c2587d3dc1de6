/*
 * spawn.h - the servers `plexus-conform server --spawn CMD` starts itself: one process per
 * distinct set of a case's server_args, started as `CMD ARGS... --port 0` (plus
 * `--tcp-port 0` for the stream binding) on 127.0.0.1, its port read from the line
 * `listening on N` (`listening tcp on N`) it prints on stdout, signalled by signal steps and
 * stopped with SIGTERM (SIGKILL after 5 s).
 */
#ifndef CF_SPAWN_H
#define CF_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#define CF_SPAWN_START_MS 10000 /* a server must print its port within this */
#define CF_SPAWN_STOP_MS  5000  /* after SIGTERM, then SIGKILL */

typedef struct cf_server_proc {
    pid_t pid;     /* 0 when not running */
    int port;      /* the WebSocket port */
    int tcp_port;  /* the stream binding's port (stream only) */
    int exited;    /* the process ended and was reaped */
    int status;    /* its wait status when exited */
    char dir[128]; /* temporary folder of its stdout and stderr files */
} cf_server_proc;

/* Starts `/bin/sh -c 'exec CMD "$@"'` with args (an array of strings, may be NULL) and
 * `--port 0` (and `--tcp-port 0` when stream) appended, stdout and stderr to files, in a
 * process that dies with the runner. Waits up to CF_SPAWN_START_MS for the port lines. Returns
 * 0, or -1 with a message in err (with the tail of the server's stderr) and nothing left
 * running. */
int cf_server_start(cf_server_proc *p, const char *cmd, const cJSON *args, int stream, char *err,
                    size_t errlen);
/* Sends sig to the server. 0, or -1 when it is no longer running. */
int cf_server_signal(cf_server_proc *p, int sig);
/* 1 while the server process runs. */
int cf_server_alive(cf_server_proc *p);
/* What the server wrote so far on stdout then stderr (each at most 64 MiB), as one owned buffer
 * of *len bytes (NUL-terminated), or NULL. */
char *cf_server_log(const cf_server_proc *p, size_t *len);
/* Stops the server (SIGTERM, SIGKILL after CF_SPAWN_STOP_MS), reaps it and removes its files. */
void cf_server_stop(cf_server_proc *p);

#endif
