/*
 * args.h - splits a command line typed in the REPL or read from stdin into arguments, with
 * redis-cli's quoting (args.c).
 */
#ifndef PLX_CLI_ARGS_H
#define PLX_CLI_ARGS_H

#include <stddef.h>

typedef struct cli_args {
    int argc;
    char **argv;  /* owned, NULL-terminated; each argument NUL-terminated */
    size_t *lens; /* owned: byte lengths (an argument may hold NUL bytes) */
} cli_args;

/* Splits line: arguments separated by blanks; "..." with the escapes \n \r \t \b \a \\ \"
 * and \xHH; '...' with \' only. A closing quote must be followed by a blank or the end.
 * Returns 0 with *out filled (free with args_free), -1 on unbalanced quotes, -2 on more
 * than max arguments or no memory. */
int args_split(const char *line, size_t max, cli_args *out);
void args_free(cli_args *a);

#endif
