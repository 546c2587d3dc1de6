/*
 * storage.c - a storage command (SET, HGET, LRANGE, ...) run through the shared connection
 * and printed as redis-cli prints it, or as JSON with --json.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "format.h"

int cli_cmd_storage(cli *c, int argc, char **argv) {
    plx_bytes *args;
    plx_reply *r = NULL;
    plx_client *cl;
    int rc;

    if (!(cl = cli_client(c))) return CLI_CONN;
    if (!(args = calloc((size_t)argc, sizeof(*args)))) return CLI_FAIL;
    for (int i = 0; i < argc; i++)
        args[i] = c->lens ? (plx_bytes){(const uint8_t *)argv[i], c->lens[i]} : plx_str(argv[i]);
    rc = plx_client_cmd(cl, (size_t)argc, args, c->timeout_ms, &r);
    free(args);
    if (!r) {
        fprintf(stderr, "plexus-cli: %s\n", plx_client_strerror(rc));
        return CLI_FAIL;
    }
    if (c->json)
        json_print_line(stdout, json_reply(r));
    else
        fmt_reply(stdout, r, c->tty);
    fflush(stdout);
    plx_reply_free(r);
    return rc < 0 ? cli_code_exit(rc) : CLI_OK;
}
