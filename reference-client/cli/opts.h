/*
 * opts.h - option parsing helpers of plexus-cli's subcommands (opts.c).
 */
#ifndef PLX_CLI_OPTS_H
#define PLX_CLI_OPTS_H

/* 1 when arg is exactly name. */
int opt_is(const char *arg, const char *name);
/* Matches argv[*i] against "--name VALUE" / "--name=VALUE": 1 with *val set (and *i
 * advanced past a separate value), 0 when it is another argument, -1 when the value is
 * missing. */
int opt_value(int argc, char **argv, int *i, const char *name, const char **val);
/* As opt_value for an integer in 0..2^31-1: 1 with *out set, 0 no match, -1 after printing a
 * usage error for cmd. */
int opt_int(int argc, char **argv, int *i, const char *cmd, const char *name, int *out);

#endif
