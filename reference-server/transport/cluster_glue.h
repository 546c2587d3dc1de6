/*
 * cluster_glue.h - plexus-server's cluster over Redis: a plx_cluster (reference-server/cluster)
 * whose bus is the Redis backend's pub/sub (rstore.h). Made only with --storage redis://.
 *
 * Order: plx_glue_new (draws the instance id; its channels go into the rstore's config),
 * plx_rstore_new, plx_glue_attach; then every MESSAGE event from plx_rstore_poll goes to
 * plx_glue_bus and plx_glue_tick runs on the service loop's timer. At shutdown: plx_glue_stop
 * before the rstore is freed, plx_glue_free before the hub and the rstore are.
 */
#ifndef PLX_CLUSTER_GLUE_H
#define PLX_CLUSTER_GLUE_H

#include <stddef.h>
#include <stdint.h>

#include "cluster.h"
#include "rstore.h"

typedef struct plx_glue plx_glue;

/* A cluster over hub (borrowed) with a random instance id. NULL with a reason in err. */
plx_glue *plx_glue_new(plx_hub *hub, char *err, size_t errlen);
/* The channels the rstore must subscribe to (the broadcast and this instance's own); *n 2. */
const char *const *plx_glue_channels(const plx_glue *g, size_t *n);
/* Publishes through rs (borrowed) from now on. The cluster starts (heartbeat, directory
 * request) once rs confirms the subscriptions, and asks for every directory again whenever
 * they come back after a loss (see plx_glue_tick). */
void plx_glue_attach(plx_glue *g, plx_rstore *rs);
/* A message received on one of the channels (borrowed), on the service thread: a plx_bus_fn
 * (backend.h) with the glue as ud. */
void plx_glue_bus(void *g, const char *channel, const uint8_t *data, size_t len);
/* Heartbeats, dead instances, (re)start on the subscriptions' state. Returns the next now_ms
 * it wants (at most 100 ms ahead while the subscriptions are not confirmed). */
uint64_t plx_glue_tick(plx_glue *g, uint64_t now_ms);
/* The cookie of the glue's own batch (PUBSUB NUMSUB): the backend hands its DONE to
 * plx_glue_done, not to the hub (whose batches are numbered from 1 up, never this high). */
#define PLX_GLUE_COOKIE UINT64_MAX
/* The reply (borrowed) of the glue's batch: the number of running instances, or a failure (the
 * count is asked again on the next tick while the instance is not ready). */
void plx_glue_done(plx_glue *g, const plx_store_reply *r);
/* 1 once the cluster is ready to serve clients (spec/CLUSTER.md, "Startup"): subscriptions
 * confirmed, cluster started, and the directory of every other running instance held (their
 * number is PUBSUB NUMSUB plexus:bus minus this one, asked once started). Stays 1 after. The
 * caller bounds the wait (PLX_SERVER_READY_WAIT_MS in server.h). */
int plx_glue_ready(plx_glue *g);
/* What readiness still waits for, one line into buf (for the log when the bound passed). */
void plx_glue_waiting(plx_glue *g, char *buf, size_t len);
/* Tells the other instances this one leaves (bye). */
void plx_glue_stop(plx_glue *g, uint64_t now_ms);
/* 1 when the rstore may be freed: the bye came back from Redis, PLX_GLUE_BYE_WAIT_MS passed
 * since plx_glue_stop, or the cluster never started. */
int plx_glue_flushed(const plx_glue *g, uint64_t now_ms);
#define PLX_GLUE_BYE_WAIT_MS 1000
void plx_glue_free(plx_glue *g);

struct plx_server;
/* plexus-server with --storage redis://: makes s->glue before the backend starts (its
 * channels go into the rstore's config there). 0, or -1 after logging. Nothing otherwise. */
int plx_glue_server_init(struct plx_server *s);
/* After the backend started: publishes through its rstore and takes its bus messages. */
void plx_glue_server_attach(struct plx_server *s);

#endif
