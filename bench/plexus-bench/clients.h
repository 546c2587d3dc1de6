/*
 * clients.h - connecting libplexus-client instances for the workloads (clients.c).
 */
#ifndef PLX_BENCH_CLIENTS_H
#define PLX_BENCH_CLIENTS_H

#include <plexus/client.h>

/* A client of ws://127.0.0.1:port (plexus://127.0.0.1:port when tcp is non-zero), with name
 * (NULL: assigned) and optional group; NULL (reason on stderr) on failure. */
plx_client *bench_connect(int port, const char *name, int tcp);
plx_client *bench_connect_group(int port, const char *name, const char *group, int tcp);
/* As bench_connect, asking the server never to gzip (gzip is then off both ways). */
plx_client *bench_connect_nogzip(int port, int tcp);

#endif
