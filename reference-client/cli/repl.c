/*
 * repl.c - commands from stdin: an interactive REPL with libedit (line editing, history in
 * ~/.plexus_cli_history) when stdin is a terminal, else one command per line. Each line is
 * split as redis-cli splits it and run as a command-line command would be.
 */
#include <errno.h>
#include <histedit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"

#define HISTORY_SIZE 1000 /* lines kept in the history file */

/* Runs one line; returns its exit code, or -1 for quit / exit. */
static int run_line(cli *c, const char *line) {
    cli_args a;
    int rc;

    while (*line == ' ' || *line == '\t')
        line++;
    if (*line == '\0' || *line == '#') return CLI_OK;
    rc = args_split(line, CLI_MAX_ARGS, &a);
    if (rc == -1) {
        fprintf(stderr, "plexus-cli: invalid argument(s): unbalanced quotes\n");
        return CLI_USAGE;
    }
    if (rc < 0) {
        fprintf(stderr, "plexus-cli: more than %d arguments\n", CLI_MAX_ARGS);
        return CLI_USAGE;
    }
    if (a.argc == 0) {
        args_free(&a);
        return CLI_OK;
    }
    if (strcmp(a.argv[0], "quit") == 0 || strcmp(a.argv[0], "exit") == 0) {
        args_free(&a);
        return -1;
    }
    c->lens = a.lens;
    rc = cli_dispatch(c, a.argc, a.argv);
    c->lens = NULL;
    cli_stop = 0; /* a Ctrl-C that ended listen / watch / serve does not end the REPL */
    args_free(&a);
    return rc;
}

/* Reads one line of at most CLI_MAX_LINE bytes into buf; a longer one is skipped and
 * reported. Returns 1 with a line, 0 at the end of input. */
static int read_line(char *buf, size_t cap, int *too_long) {
    size_t n = 0;
    int ch;

    *too_long = 0;
    while ((ch = getchar()) != EOF && ch != '\n') {
        if (n + 1 < cap)
            buf[n++] = (char)ch;
        else
            *too_long = 1;
    }
    if (ch == EOF && n == 0 && !*too_long) return 0;
    if (n > 0 && buf[n - 1] == '\r') n--;
    buf[n] = '\0';
    return 1;
}

static int lines(cli *c) {
    char *buf = malloc(CLI_MAX_LINE);
    int worst = CLI_OK, rc, too_long;

    if (!buf) return CLI_FAIL;
    while (!cli_stop && read_line(buf, CLI_MAX_LINE, &too_long)) {
        if (too_long) {
            fprintf(stderr, "plexus-cli: line longer than %u bytes skipped\n", CLI_MAX_LINE);
            rc = CLI_USAGE;
        } else if ((rc = run_line(c, buf)) < 0) {
            break;
        }
        if (rc > worst) worst = rc;
        if (rc == CLI_CONN) break; /* the shared connection is gone */
    }
    free(buf);
    return worst;
}

static char *prompt_of(EditLine *el) {
    cli *c = NULL;

    el_get(el, EL_CLIENTDATA, &c);
    return c->prompt;
}

static int interactive(cli *c) {
    EditLine *el = el_init("plexus-cli", stdin, stdout, stderr);
    History *h = history_init();
    HistEvent ev;
    char path[4096] = "";
    const char *home = getenv("HOME"), *line;
    int count, worst = CLI_OK, rc;

    if (!el || !h) {
        if (el) el_end(el);
        if (h) history_end(h);
        return lines(c);
    }
    if (home) snprintf(path, sizeof(path), "%s/.plexus_cli_history", home);
    history(h, &ev, H_SETSIZE, HISTORY_SIZE);
    if (path[0]) history(h, &ev, H_LOAD, path);
    snprintf(c->prompt, sizeof(c->prompt), "%s> ", c->url);
    el_set(el, EL_CLIENTDATA, c);
    el_set(el, EL_PROMPT, prompt_of);
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_HIST, history, h);
    el_source(el, NULL);
    for (;;) {
        line = el_gets(el, &count);
        if (!line) {
            if (cli_stop || (count < 0 && errno == EINTR)) { /* Ctrl-C: a fresh prompt */
                cli_stop = 0;
                fputc('\n', stdout);
                el_reset(el);
                continue;
            }
            fputc('\n', stdout);
            break; /* Ctrl-D */
        }
        char *copy = strdup(line);
        if (!copy) break;
        copy[strcspn(copy, "\r\n")] = '\0';
        if (copy[0]) history(h, &ev, H_ENTER, copy);
        rc = run_line(c, copy);
        free(copy);
        if (rc < 0) break;
        if (rc > worst) worst = rc;
        if (rc == CLI_CONN && c->client) { /* lost: the next command connects again */
            plx_client_close(c->client);
            c->client = NULL;
        }
    }
    if (path[0]) history(h, &ev, H_SAVE, path);
    history_end(h);
    el_end(el);
    return worst == CLI_CONN ? CLI_CONN : CLI_OK;
}

int cli_repl(cli *c) {
    c->in_repl = 1;
    return isatty(STDIN_FILENO) ? interactive(c) : lines(c);
}
