/*
 * backend.h - plexus-server's storage on Redis (--storage redis://...): the rstore's workers
 * wake the service loop (lws_cancel_service), and the service thread drains their events into
 * the hub: DONE -> plx_hub_store_done (the cluster glue's own batch -> plx_glue_done), CHANGE ->
 * plx_hub_store_notify, STATE -> logged (and /healthz), MESSAGE -> the bus hook (the cluster's,
 * later; none: logged and dropped).
 */
#ifndef PLX_BACKEND_H
#define PLX_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "hub.h"

struct plx_server;

/* Events drained per wake-up; more wake the loop again, so one busy Redis cannot starve the
 * sockets. */
#define PLX_BACKEND_DRAIN_MAX 4096

/* A message on a subscribed bus channel (borrowed for the call), on the service thread. */
typedef void (*plx_bus_fn)(void *ud, const char *channel, const uint8_t *data, size_t len);

/* The hub's view of the backend (submit hands batches to the rstore of s). */
plx_hub_backend plx_backend_hub(struct plx_server *s);
/* Once the lws context exists, with --storage redis://: starts the rstore (workers connect in
 * the background) and the wake-up vhost. Nothing with other storage. 0, or -1 after logging. */
int plx_backend_start(struct plx_server *s);
/* Moves up to PLX_BACKEND_DRAIN_MAX waiting events into the hub (service thread only). */
void plx_backend_drain(struct plx_server *s);
/* 1 unless the server stores on Redis and the connection to it is down. */
int plx_backend_up(const struct plx_server *s);
/* The rstore (NULL before plx_backend_start or without Redis). */
struct plx_rstore *plx_backend_rstore(const struct plx_server *s);
/* Where bus messages go (NULL: logged and dropped). */
void plx_backend_set_bus(struct plx_server *s, plx_bus_fn fn, void *ud);
/* Stops the workers (no event is delivered after) and frees the backend. Safe when none. */
void plx_backend_free(struct plx_server *s);

#endif
