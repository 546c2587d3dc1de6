/*
 * run.h - runs a command with bounded input, output and time (run.c): serve's worker.
 */
#ifndef PLX_CLI_RUN_H
#define PLX_CLI_RUN_H

#include <stddef.h>

#define RUN_MAX_ERR 65536 /* stderr bytes kept; the rest is read and dropped */

typedef struct run_result {
    int exited;    /* the command exited: status holds its exit status */
    int status;    /* exit status */
    int signal;    /* the signal that killed it, 0 if none */
    int timed_out; /* killed because the time bound passed */
    int overflow;  /* killed because stdout passed its bound */
    char *out;     /* owned: stdout, NUL-terminated (out_len excludes the NUL) */
    size_t out_len;
    char *err; /* owned: the first RUN_MAX_ERR bytes of stderr, NUL-terminated */
    size_t err_len;
} run_result;

/* Runs argv[0] (looked up in PATH) in a process group of its own with in[0..in_len) on its
 * stdin; collects stdout (at most max_out bytes) and stderr; kills the group (SIGKILL) when
 * timeout_ms passes or stdout overflows. Returns 0 with *r filled (free with run_free), or -1
 * when the process could not be started (errno set). */
int run_command(char *const argv[], const char *in, size_t in_len, int timeout_ms, size_t max_out,
                run_result *r);
void run_free(run_result *r);

#endif
