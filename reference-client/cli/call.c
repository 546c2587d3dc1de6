/*
 * call.c - the call and call-all subcommands: one request, its result printed as a JSON line
 * (attachments as their bytes), or its error.
 */
#include <string.h>

#include "cli.h"
#include "format.h"
#include "opts.h"

/* Parses "ROUTE [JSON]" plus --to / --group (opt names the one allowed). Returns 0, or a
 * usage error's exit code. */
static int parse_args(const char *cmd, int argc, char **argv, const char *opt, const char **route,
                      cJSON **args, const char **optval) {
    const char *pos[2] = {NULL, NULL};
    int npos = 0, rc, dashdash = 0;

    for (int i = 1; i < argc; i++) {
        if (!dashdash && opt_is(argv[i], "--")) {
            dashdash = 1;
            continue;
        }
        if (!dashdash && (rc = opt_value(argc, argv, &i, opt, optval)) != 0) {
            if (rc < 0) return cli_usage_error(cmd, "%s needs a value", opt);
            continue;
        }
        if (!dashdash && argv[i][0] == '-' && argv[i][1] == '-')
            return cli_usage_error(cmd, "unknown option '%s'", argv[i]);
        if (npos == 2) return cli_usage_error(cmd, "too many arguments");
        pos[npos++] = argv[i];
    }
    if (npos == 0) return cli_usage_error(cmd, "missing ROUTE");
    *route = pos[0];
    *args = NULL;
    if (pos[1] && !(*args = cJSON_Parse(pos[1])))
        return cli_usage_error(cmd, "arguments are not JSON: %s", pos[1]);
    return 0;
}

static int run(cli *c, const char *cmd, int argc, char **argv, int all) {
    const char *route = NULL, *optval = NULL;
    cJSON *args = NULL;
    plx_client *cl;
    plx_result res;
    int rc;

    if ((rc = parse_args(cmd, argc, argv, all ? "--group" : "--to", &route, &args, &optval)))
        return rc;
    if (!(cl = cli_client(c))) {
        cJSON_Delete(args);
        return CLI_CONN;
    }
    if (all)
        rc = plx_client_call_all(cl, route, optval, args, NULL, 0, c->timeout_ms, &res);
    else
        rc = plx_client_call(cl, route, optval, args, NULL, 0, c->timeout_ms, &res);
    cJSON_Delete(args);
    out_result(&res, rc, c->json, c->tty);
    plx_result_free(&res);
    return rc < 0 ? cli_code_exit(rc) : CLI_OK;
}

int cli_cmd_call(cli *c, int argc, char **argv) {
    return run(c, "call", argc, argv, 0);
}

int cli_cmd_call_all(cli *c, int argc, char **argv) {
    return run(c, "call-all", argc, argv, 1);
}
