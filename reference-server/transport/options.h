/*
 * options.h - plexus-server's command line: every option, its default, its range, and the
 * documented exit codes.
 */
#ifndef PLX_OPTIONS_H
#define PLX_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"

/* Exit codes of plexus-server (also printed by --help). */
#define PLX_EXIT_OK      0 /* clean shutdown (SIGTERM, SIGINT), --help, --version */
#define PLX_EXIT_RUNTIME 1 /* runtime failure: cannot bind, out of memory at start-up */
#define PLX_EXIT_USAGE   2 /* bad command line */

#define PLX_DEFAULT_PORT 7700
#define PLX_SECRET_MAX   4096 /* bytes of a secret, whether given inline or in a file */

typedef struct plx_options {
    const char *host;          /* --host, default "127.0.0.1" (borrowed from argv) */
    int port;                  /* --port 0..65535, default 7700; 0 picks a free port */
    int tcp_port;              /* --tcp-port 0..65535; -1 (default): no stream binding */
    char *secret;              /* --secret / --secret-file: owned, NULL when no auth */
    const char *override_key;  /* --override-key (borrowed), NULL: no takeover */
    uint32_t max_connections;  /* --max-connections 1..1000000, default 1024 */
    uint32_t max_message;      /* --max-message 65536..1 GiB, default 64 MiB */
    uint32_t max_frame;        /* --max-frame 512..16 MiB, default 1 MiB */
    uint32_t history;          /* --history 0..10000 events per group, default 0 (off) */
    uint32_t ping_interval_ms; /* --ping-interval 10..86400000, default 20000 */
    uint32_t hello_timeout_ms; /* --hello-timeout 10..3600000, default 10000 */
    uint32_t call_timeout_ms;  /* --call-timeout 1..300000, default 30000 */
    uint64_t max_queue;        /* --max-queue >= max_message + 65536, default 2 x max_message */
    plx_log_level log_level;   /* --log-level error|warn|info|debug, default info */
} plx_options;

typedef enum plx_options_result {
    PLX_OPTIONS_RUN = 0,     /* *o is filled: run the server */
    PLX_OPTIONS_HELP = 1,    /* --help was given */
    PLX_OPTIONS_VERSION = 2, /* --version was given */
    PLX_OPTIONS_ERROR = -1   /* usage error: err holds a one-line message */
} plx_options_result;

/* Parses argv (argv[0] is the program). Accepts "--name value" and "--name=value".
 * On PLX_OPTIONS_ERROR, err (errlen bytes) holds the reason, e.g.
 * "--port: '70000' is not an integer in 0..65535". On success the caller frees with
 * plx_options_free. */
plx_options_result plx_options_parse(int argc, char **argv, plx_options *o, char *err,
                                     size_t errlen);
/* Releases what o owns (the secret, wiped first). */
void plx_options_free(plx_options *o);
/* Writes the --help text (every option, default, range, exit codes) to f. */
void plx_options_usage(FILE *f);

#endif
