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

/* File descriptors kept free for everything but peer connections (stdio, listeners, lws's
 * wake-up pipe, /healthz requests, connections being refused with SERVER_FULL). */
#define PLX_FD_RESERVE 64

/* Ranges of the options whose range SPEC.md's LIM-1 table gives (and of the others). */
#define PLX_OPT_MAX_CONNECTIONS_MAX 1000000u
#define PLX_OPT_HISTORY_MAX         10000u
#define PLX_OPT_PING_MIN            1000u /* --ping-interval 0 (off) or PING_MIN..PING_MAX */
#define PLX_OPT_PING_MAX            3600000u
#define PLX_OPT_HELLO_MIN           1000u
#define PLX_OPT_HELLO_MAX           300000u
#define PLX_OPT_MISSED_PONGS_MAX    100u
#define PLX_OPT_CALL_TIMEOUT_MAX    UINT32_MAX /* --max-call-timeout's top; --call-timeout <= it */
#define PLX_OPT_MAX_KEYS_DEFAULT    1000000u   /* the store's defaults (SPEC.md LIM-1, STO-10) */
#define PLX_OPT_MAX_KEYS_MAX        UINT32_MAX
#define PLX_OPT_MAX_VALUE_DEFAULT   (512u << 20) /* 512 MiB, Redis's proto-max-bulk-len */
#define PLX_OPT_MAX_VALUE_MIN       1024u        /* every argument (keys too) is bounded by it */
#define PLX_OPT_MAX_VALUE_MAX       UINT32_MAX

/* --storage: where storage commands run. */
typedef enum plx_storage_kind {
    PLX_STORAGE_MEMORY = 0, /* the embedded in-memory store (default) */
    PLX_STORAGE_NONE = 1,   /* no store: every cmd and pipeline gets STORAGE_UNAVAILABLE */
    PLX_STORAGE_REDIS = 2   /* a Redis server (storage_url): commands pipelined to it */
} plx_storage_kind;

typedef struct plx_options {
    const char *host;             /* --host, default "127.0.0.1" (borrowed from argv) */
    int port;                     /* --port 0..65535, default 7700; 0 picks a free port */
    int tcp_port;                 /* --tcp-port 0..65535; -1 (default): no stream binding */
    char *secret;                 /* --secret / --secret-file: owned, NULL when no auth */
    const char *override_key;     /* --override-key (borrowed), NULL: no takeover */
    uint32_t max_connections;     /* --max-connections 1..1000000, default 1024 (the bound in
                                     effect may be lower: plx_options_connection_cap) */
    uint32_t max_message;         /* --max-message 65536..1 GiB, default 64 MiB */
    uint32_t max_frame;           /* --max-frame 512..16 MiB, default 1 MiB */
    uint32_t history;             /* --history 0..10000 events per group, default 0 (off) */
    uint32_t ping_interval_ms;    /* --ping-interval 0 (off) or 1000..3600000, default 20000 */
    uint32_t missed_pongs;        /* --missed-pongs 1..100, default 2 */
    uint32_t hello_timeout_ms;    /* --hello-timeout 1000..300000, default 10000 */
    uint32_t call_timeout_ms;     /* --call-timeout 1..max_call_timeout_ms, default 30000 */
    uint32_t max_call_timeout_ms; /* --max-call-timeout >= call_timeout_ms, default 300000 */
    uint64_t max_queue;           /* --max-queue >= max_message + 65536, default 2 x max_message */
    plx_log_level log_level;      /* --log-level error|warn|info|debug, default info */
    plx_storage_kind storage;     /* --storage memory|none|redis://..., default memory */
    const char *storage_url;      /* PLX_STORAGE_REDIS: redis://HOST[:PORT][/DB] (borrowed from
                                     argv, checked by plx_rstore_parse_url) */
    uint32_t max_keys;            /* --max-keys 1..4294967295, default 1000000 (STO-10) */
    uint32_t max_value;           /* --max-value 1024..4294967295 bytes of one argument, string
                                     or element, default 536870912 (STO-10) */
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
/* The connection bound in effect when the process may hold fd_limit file descriptors
 * (RLIMIT_NOFILE after the server tried to raise it to max_connections + PLX_FD_RESERVE):
 * min(max_connections, fd_limit - PLX_FD_RESERVE). 0 when fd_limit leaves no room at all. */
uint32_t plx_options_connection_cap(uint32_t max_connections, uint64_t fd_limit);

#endif
