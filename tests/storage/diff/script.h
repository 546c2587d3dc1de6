/*
 * script.h - reader of the storage command scripts (engine-independent).
 *
 * Format, one command per line:
 *   - Leading and trailing blanks are ignored; empty lines and lines starting with '#' are
 *     skipped.
 *   - "@sleep MS" pauses the run for MS milliseconds (0..60000), for expiry tests.
 *   - "@expect TEXT" (TEXT one argument, quoted when it has blanks) applies to the next
 *     command: it lies outside the Plexus subset of Redis (SPEC.md STO-2, STO-4), so it is
 *     not run on the reference Redis and a Plexus engine must answer it with the error TEXT.
 *   - Otherwise the line is a command: arguments separated by spaces or tabs. An argument is
 *     bare (no blanks, no '"') or double-quoted ("" is the empty argument; blanks allowed
 *     inside). In both forms a backslash starts an escape: \\ \" \n \r \t \0 and \xHH (two hex
 *     digits, any byte, so arguments are binary-safe). Any other escape is an error.
 *   - Lines are at most 64 KiB, arguments per line at most 1024.
 * The reader knows nothing about the engine that runs the commands.
 */
#ifndef PLX_SCRIPT_H
#define PLX_SCRIPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PLX_SCRIPT_MAX_LINE 65536
#define PLX_SCRIPT_MAX_ARGS 1024

typedef struct plx_script_arg {
    uint8_t *data; /* owned, NUL-terminated after len bytes */
    size_t len;
} plx_script_arg;

typedef struct plx_script_line {
    size_t lineno; /* 1-based line number in the file */
    int sleep_ms;  /* >= 0 for an @sleep directive (argc is 0 then), else -1 */
    size_t argc;
    plx_script_arg *argv;  /* owned */
    char *text;            /* the line as written (owned), for messages */
    plx_script_arg expect; /* @expect's error text (owned; data NULL when none) */
} plx_script_line;

typedef struct plx_script {
    FILE *f;
    size_t lineno;
} plx_script;

/* Opens a script file. 0, or -1 (errno set). */
int plx_script_open(plx_script *s, const char *path);
void plx_script_close(plx_script *s);
/* Reads the next command or directive into *out (free with plx_script_line_clear).
 * Returns 1, 0 at the end of the file, or -1 on a malformed line (err gets a message naming
 * the line). */
int plx_script_next(plx_script *s, plx_script_line *out, char *err, size_t errlen);
void plx_script_line_clear(plx_script_line *l);
/* Parses one command line (no directive handling) into argv. 0, or -1 with err set. */
int plx_script_parse(const char *line, size_t len, plx_script_line *out, char *err, size_t errlen);

#endif
