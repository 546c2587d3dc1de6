/*
 * connect.c - opens plexus-cli's connections from the global options (URL, name, secret,
 * timeout), without reconnection: a lost connection ends the command with exit code 3.
 */
#include <stdio.h>

#include "cli.h"

#define CONNECT_TIMEOUT_MS 10000 /* bound of connect + handshake + hello without --timeout */

plx_client *cli_connect_with(cli *c, int presence, const char *const *groups, size_t ngroups) {
    plx_client_options o;
    plx_client *cl = NULL;
    char err[256] = "";
    int rc;

    plx_client_options_init(&o);
    o.name = c->name;
    o.secret = c->secret;
    o.presence = presence;
    o.groups = groups;
    o.ngroups = ngroups;
    o.timeout_ms = c->timeout_ms;
    o.connect_timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : CONNECT_TIMEOUT_MS;
    o.no_reconnect = 1;
    o.agent = "plexus-cli";
    rc = plx_client_connect(c->url, &o, &cl, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "plexus-cli: cannot connect to %s: %s (%s)\n", c->url,
                err[0] ? err : plx_client_strerror(rc), plx_client_error_name(rc));
        return NULL;
    }
    return cl;
}

plx_client *cli_client(cli *c) {
    if (!c->client) c->client = cli_connect_with(c, 0, NULL, 0);
    return c->client;
}

int cli_code_exit(int code) {
    return code == PLX_E_DISCONNECTED || code == PLX_E_CLOSED || code == PLX_E_CONNECT ? CLI_CONN
                                                                                       : CLI_FAIL;
}
