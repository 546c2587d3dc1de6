/*
 * cluster_glue.h - plexus-server's cluster over Redis: a plx_cluster (reference-server/cluster)
 * whose bus is the Redis backend's pub/sub (rstore.h). Made only with --storage redis://.
 *
 * Order: plx_glue_new (draws the instance id; its channels go into the rstore's config),
 * plx_rstore_new, plx_glue_attach; then every MESSAGE and STATE event from plx_rstore_poll goes
 * to plx_glue_event and plx_glue_tick runs on the service loop's timer. At shutdown:
 * plx_glue_stop before the rstore is freed, plx_glue_free before the hub is.
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
/* Takes a MESSAGE event for the cluster's channels (1); other events are not its (0). */
int plx_glue_event(plx_glue *g, const plx_rstore_event *ev, uint64_t now_ms);
/* Heartbeats, dead instances, (re)start on the subscriptions' state. Returns the next now_ms
 * it wants (at most 100 ms ahead while the subscriptions are not confirmed). */
uint64_t plx_glue_tick(plx_glue *g, uint64_t now_ms);
/* Tells the other instances this one leaves (bye). */
void plx_glue_stop(plx_glue *g, uint64_t now_ms);
void plx_glue_free(plx_glue *g);

#endif
