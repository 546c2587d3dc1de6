/*
 * engine_server.c - plexus-server over the wire as an engine of the differential test: a
 * private server process (server_proc.h) and a libplexus-client connection to it
 * (wire_client.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "engine.h"
#include "server_proc.h"
#include "wire_client.h"

#define SERVER_START_MS 10000 /* bound on the server printing its port (sanitizer builds) */

typedef struct server_engine {
    plx_server_proc proc;
    plx_wire *wire;
} server_engine;

static plx_store_reply *server_exec(void *ud, const plx_script_arg *argv, size_t argc) {
    server_engine *s = ud;
    return plx_wire_exec(s->wire, argv, argc);
}

static void server_close(void *ud) {
    server_engine *s = ud;
    plx_wire_close(s->wire);
    int status = plx_server_stop(&s->proc);
    if (status != 0)
        fprintf(stderr, "plx-store-diff: plexus-server did not exit cleanly on SIGTERM (%d)\n",
                status);
    free(s);
}

int plx_engine_server(plx_engine *e, const char *bin) {
    server_engine *s = calloc(1, sizeof(*s));
    if (!s) return -1;
    if (plx_server_start(&s->proc, bin, SERVER_START_MS) != 0) {
        free(s);
        return -1;
    }
    char err[256] = "";
    if (!(s->wire = plx_wire_open(s->proc.port, err, sizeof(err)))) {
        fprintf(stderr, "plx-store-diff: cannot connect to plexus-server on port %d: %s\n",
                s->proc.port, err);
        plx_server_stop(&s->proc);
        free(s);
        return -1;
    }
    e->name = "server";
    e->exec = server_exec;
    e->close = server_close;
    e->ud = s;
    return 0;
}
