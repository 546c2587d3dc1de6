/*
 * main.c - plexus-cli's entry point: global options, then one command from the command line
 * or, without one, commands from stdin (cli_repl). Exit codes are those of cli.h.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "cli.h"
#include "opts.h"

#ifndef PLX_VERSION_STRING
#define PLX_VERSION_STRING "1"
#endif

static const struct {
    const char *name;
    int (*fn)(cli *c, int argc, char **argv);
} commands[] = {
    {"call", cli_cmd_call},     {"call-all", cli_cmd_call_all}, {"send", cli_cmd_send},
    {"listen", cli_cmd_listen}, {"watch", cli_cmd_watch},       {"serve", cli_cmd_serve},
    {"decode", cli_cmd_decode}, {"help", cli_cmd_help},
};

int cli_dispatch(cli *c, int argc, char **argv) {
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[0], commands[i].name) != 0) continue;
        if (commands[i].fn != cli_cmd_help && cli_wants_help(argc, argv)) {
            cli_help(stdout, argv[0]);
            return CLI_OK;
        }
        return commands[i].fn(c, argc, argv);
    }
    return cli_cmd_storage(c, argc, argv);
}

/* Parses the global options; returns the index of the command (argc when none), or -1
 * after a usage error, or -2 when --help / --version was handled. */
static int parse_globals(cli *c, int argc, char **argv) {
    const char *v;
    int i, rc;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (opt_is(a, "--")) return i + 1;
        if (opt_is(a, "-h") || opt_is(a, "--help")) {
            cli_help(stdout, NULL);
            return -2;
        }
        if (opt_is(a, "--version")) {
            printf("plexus-cli %s (Plexus protocol v%d)\n", PLX_VERSION_STRING,
                   PLX_PROTOCOL_VERSION);
            return -2;
        }
        if (opt_is(a, "--json")) {
            c->json = 1;
            continue;
        }
        if (opt_is(a, "--raw") || opt_is(a, "--no-raw")) {
            c->tty = opt_is(a, "--no-raw");
            continue;
        }
        if ((rc = opt_value(argc, argv, &i, "-u", &v)) != 0 ||
            (rc = opt_value(argc, argv, &i, "--url", &v)) != 0) {
            if (rc < 0) return cli_usage_error(NULL, "%s needs a URL", a), -1;
            c->url = v;
        } else if ((rc = opt_value(argc, argv, &i, "--name", &v)) != 0) {
            if (rc < 0) return cli_usage_error(NULL, "--name needs a value"), -1;
            c->name = v;
        } else if ((rc = opt_value(argc, argv, &i, "--secret", &v)) != 0) {
            if (rc < 0) return cli_usage_error(NULL, "--secret needs a value"), -1;
            c->secret = v;
        } else if ((rc = opt_int(argc, argv, &i, NULL, "--timeout", &c->timeout_ms)) != 0) {
            if (rc < 0) return -1;
        } else {
            return cli_usage_error(NULL, "unknown option '%s'", a), -1;
        }
    }
    return i;
}

int main(int argc, char **argv) {
    cli c;
    int first, rc;

    memset(&c, 0, sizeof(c));
    c.url = CLI_DEFAULT_URL;
    c.tty = isatty(STDOUT_FILENO);
    lws_set_log_level(0, NULL); /* the CLI reports failures itself */
    first = parse_globals(&c, argc, argv);
    if (first == -2) return CLI_OK;
    if (first < 0) return CLI_USAGE;
    cli_signals_install();
    if (first < argc)
        rc = cli_dispatch(&c, argc - first, argv + first);
    else
        rc = cli_repl(&c);
    plx_client_close(c.client);
    return rc;
}
