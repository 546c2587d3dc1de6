/*
 * cli.h - what the files of plexus-cli share: the run context (global options and the
 * connection), exit codes, and each subcommand's entry point.
 */
#ifndef PLX_CLI_H
#define PLX_CLI_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include <plexus/client.h>

/* Exit codes (documented in --help). */
#define CLI_OK    0 /* success */
#define CLI_FAIL  1 /* an error reply, or the command failed */
#define CLI_USAGE 2 /* bad command line */
#define CLI_CONN  3 /* cannot connect, or the connection was lost */

#define CLI_DEFAULT_URL   "ws://127.0.0.1:7700"
#define CLI_MAX_ARGS      4096       /* arguments of one REPL line */
#define CLI_MAX_LINE      (1u << 20) /* bytes of one REPL / stdin line */
#define CLI_MAX_GROUPS    64         /* --group options of listen */
#define CLI_WAIT_SLICE_MS 50         /* long-running commands check for signals this often */

/* The run context: global options and the lazily made connection. */
typedef struct cli {
    const char *url;
    const char *name;
    const char *secret;
    int timeout_ms;     /* --timeout; 0: the server's default */
    int json;           /* --json */
    int tty;            /* replies in redis-cli's formatted (terminal) style */
    int in_repl;        /* commands come from the REPL or stdin lines */
    const size_t *lens; /* REPL: byte lengths of the current line's arguments (they may hold
                           NUL bytes written as \x00); NULL: use strlen */
    char prompt[300];   /* the REPL's prompt */
    plx_client *client; /* the shared connection of storage, call, send; NULL until used */
} cli;

/* Set by SIGINT / SIGTERM (sig.c); long-running commands stop when it is set. */
extern volatile sig_atomic_t cli_stop;
/* Installs the SIGINT / SIGTERM handlers (without SA_RESTART) and ignores SIGPIPE. */
void cli_signals_install(void);

/* Connects with the global options plus presence and groups (may be NULL / 0). On failure
 * prints the reason on stderr and returns NULL. */
plx_client *cli_connect_with(cli *c, int presence, const char *const *groups, size_t ngroups);
/* The shared connection, made on first use; NULL (reason printed) when it cannot be made. */
plx_client *cli_client(cli *c);
/* Exit code for a negative library code: CLI_CONN for a lost connection, else CLI_FAIL. */
int cli_code_exit(int code);

/* Runs one command (argv[0] is a subcommand name or a storage command). Returns an exit
 * code. */
int cli_dispatch(cli *c, int argc, char **argv);
/* Reads commands from stdin: a REPL with line editing when stdin is a terminal, else one
 * command per line. Returns the highest exit code of the commands run. */
int cli_repl(cli *c);

/* Subcommands; each returns an exit code. argv[0] is the subcommand's name. */
int cli_cmd_storage(cli *c, int argc, char **argv);
int cli_cmd_call(cli *c, int argc, char **argv);
int cli_cmd_call_all(cli *c, int argc, char **argv);
int cli_cmd_send(cli *c, int argc, char **argv);
int cli_cmd_listen(cli *c, int argc, char **argv);
int cli_cmd_watch(cli *c, int argc, char **argv);
int cli_cmd_serve(cli *c, int argc, char **argv);
int cli_cmd_decode(cli *c, int argc, char **argv);
int cli_cmd_help(cli *c, int argc, char **argv);

/* help.c: prints the help of a subcommand (NULL: the overview) on f. Returns 0, or -1 when
 * there is no such subcommand. */
int cli_help(FILE *f, const char *command);
/* 1 when argv[1..argc) holds --help or -h before any "--". */
int cli_wants_help(int argc, char **argv);
/* Prints "plexus-cli: <cmd>: <msg>" and a pointer to --help on stderr; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...);

/* Parses a non-negative decimal integer below 2^31; 0 on success, -1 otherwise. */
int cli_parse_int(const char *s, int *out);

#endif
