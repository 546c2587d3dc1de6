/*
 * stream.h - the JSON-lines output of plexus-cli's long-running commands (listen, watch,
 * serve): a line counter with a bound, and a bounded wait for the end (stream.c).
 */
#ifndef PLX_CLI_STREAM_H
#define PLX_CLI_STREAM_H

#include <pthread.h>

#include <plexus/client.h>

typedef struct cli_stream {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int count; /* lines printed (or calls served) */
    int limit; /* --count: stop after this many; 0: no bound */
    int down;  /* the connection was lost */
} cli_stream;

void stream_init(cli_stream *s, int limit);
void stream_destroy(cli_stream *s);
/* Prints line (consumed) on stdout unless the --count bound was reached, and counts it.
 * Safe from handlers. */
void stream_emit(cli_stream *s, cJSON *line);
/* Counts one unit of work without printing (serve's calls). */
void stream_count(cli_stream *s);
/* A status handler (ud: the cli_stream) that marks the stream down when the connection is
 * lost. */
void stream_on_status(plx_client *c, const plx_status *st, void *ud);
/* Waits until the bound is reached, SIGINT/SIGTERM (cli_stop), timeout_ms passed (0: no
 * time bound) or the connection was lost. Returns CLI_OK, or CLI_CONN when lost. */
int stream_wait(cli_stream *s, int timeout_ms);

#endif
