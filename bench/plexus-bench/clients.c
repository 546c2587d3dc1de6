/*
 * clients.c - libplexus-client connections for the workloads: no reconnection, a 30 s
 * request timeout, and the URL of the binding asked for.
 */
#include <stdio.h>

#include "bench.h"
#include "clients.h"

static plx_client *connect_opts(int port, const char *name, const char *group, int tcp,
                                int no_gzip) {
    plx_client_options o;
    plx_client *c = NULL;
    const char *groups[1] = {group};
    char url[64], err[256] = "";
    int rc;

    plx_client_options_init(&o);
    o.name = name;
    o.no_reconnect = 1;
    o.timeout_ms = 30000;
    o.agent = "plexus-bench";
    o.no_gzip = no_gzip;
    if (group) {
        o.groups = groups;
        o.ngroups = 1;
    }
    snprintf(url, sizeof(url), "%s://127.0.0.1:%d", tcp ? "plexus" : "ws", port);
    if ((rc = plx_client_connect(url, &o, &c, err, sizeof(err))) < 0) {
        fprintf(stderr, "plexus-bench: connect %s: %s\n", url,
                err[0] ? err : plx_client_strerror(rc));
        return NULL;
    }
    return c;
}

plx_client *bench_connect_group(int port, const char *name, const char *group, int tcp) {
    return connect_opts(port, name, group, tcp, 0);
}

plx_client *bench_connect_nogzip(int port, int tcp) {
    return connect_opts(port, NULL, NULL, tcp, 1);
}

plx_client *bench_connect(int port, const char *name, int tcp) {
    return bench_connect_group(port, name, NULL, tcp);
}
