/*
 * c_driver.h - the pieces of plexus-conform-driver-c (the DRIVERS.md driver of
 * libplexus-client) shared between its files: the fault-injecting proxy behind --broken.
 */
#ifndef CD_DRIVER_H
#define CD_DRIVER_H

#include <stddef.h>

/* A local proxy between the client and the runner that breaks one thing in what the client
 * sends (a fault), so the suite can be shown to catch a misbehaving client. */
typedef struct cd_proxy cd_proxy;

/* 1 when name is a known fault ("chunk-offsets", "no-pong", "no-reply"). */
int cd_fault_known(const char *name);
/* Prints the faults, one per line, to stdout. */
void cd_fault_list(void);

/* Starts a proxy thread listening on 127.0.0.1 (free port) that forwards every connection to
 * url (ws://host:port[/path] or plexus://host:port), applying fault to the client's frames.
 * local_url (len bytes) receives the URL to give the client. NULL on failure. */
cd_proxy *cd_proxy_start(const char *url, const char *fault, char *local_url, size_t len);
/* Stops the thread and closes every socket. NULL is a no-op. */
void cd_proxy_stop(cd_proxy *p);

#endif
