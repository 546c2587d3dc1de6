/*
 * watch.c - the watch subcommand: a connection of its own watching glob patterns, printing
 * each change notification as a JSON line.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "format.h"
#include "opts.h"
#include "stream.h"

#define WATCH_MAX_PATTERNS 256 /* the server's per-connection bound */

static void on_change(plx_client *c, const plx_change *ch, void *ud) {
    cJSON *o = cJSON_CreateObject();

    (void)c;
    if (!o) return;
    cJSON_AddStringToObject(o, "t", "change");
    cJSON_AddItemToObject(o, "key", json_bytes(ch->key.data, ch->key.len));
    cJSON_AddStringToObject(o, "op", ch->op);
    if (ch->by) cJSON_AddStringToObject(o, "by", ch->by);
    cJSON_AddItemToObject(o, "pattern", json_bytes(ch->pattern.data, ch->pattern.len));
    stream_emit(ud, o);
}

int cli_cmd_watch(cli *c, int argc, char **argv) {
    const char *patterns[WATCH_MAX_PATTERNS];
    int npat = 0, count = 0, timeout = 0, rc, dashdash = 0;
    char name[256] = "";
    plx_client *cl;
    cli_stream s;

    for (int i = 1; i < argc; i++) {
        if (!dashdash && opt_is(argv[i], "--")) {
            dashdash = 1;
        } else if (!dashdash &&
                   ((rc = opt_int(argc, argv, &i, "watch", "--count", &count)) != 0 ||
                    (rc = opt_int(argc, argv, &i, "watch", "--timeout", &timeout)) != 0)) {
            if (rc < 0) return CLI_USAGE;
        } else if (!dashdash && argv[i][0] == '-' && argv[i][1] == '-') {
            return cli_usage_error("watch", "unknown option '%s'", argv[i]);
        } else if (npat == WATCH_MAX_PATTERNS) {
            return cli_usage_error("watch", "at most %d patterns", WATCH_MAX_PATTERNS);
        } else {
            patterns[npat++] = argv[i];
        }
    }
    if (npat == 0) return cli_usage_error("watch", "missing PATTERN");
    if (!(cl = cli_connect_with(c, 0, NULL, 0))) return CLI_CONN;
    stream_init(&s, count);
    plx_client_on_status(cl, stream_on_status, &s);
    plx_client_on_change(cl, on_change, &s);
    rc = CLI_OK;
    for (int i = 0; i < npat && rc == CLI_OK; i++) {
        int err = plx_client_watch(cl, plx_str(patterns[i]), c->timeout_ms);
        if (err < 0) {
            fprintf(stderr, "plexus-cli: watch %s: %s (%s)\n", patterns[i],
                    plx_client_strerror(err), plx_client_error_name(err));
            rc = cli_code_exit(err);
        }
    }
    if (rc == CLI_OK) {
        plx_client_name(cl, name, sizeof(name));
        fprintf(stderr, "watching as %s\n", name);
        rc = stream_wait(&s, timeout);
    }
    plx_client_close(cl);
    stream_destroy(&s);
    return rc;
}
