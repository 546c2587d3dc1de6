/*
 * cluster.h - several plexus-server instances acting as one: an I/O-free module that keeps a
 * hub's proxies of the other instances' clients up to date and carries what the hub sends to
 * them over a publish/subscribe bus (Redis pub/sub in plexus-server). spec/CLUSTER.md has the
 * design, the bus message formats and the bounds.
 *
 * The caller owns the bus: it subscribes to PLX_CLUSTER_BROADCAST and plx_cluster_channel(),
 * hands every message received on them to plx_cluster_receive, publishes what the cluster
 * gives to cfg.publish, and runs plx_cluster_tick on its timer. Time is the caller's
 * monotonic now_ms. Single-threaded, like the hub it drives.
 */
#ifndef PLX_CLUSTER_H
#define PLX_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "hub.h"

/* The channel every instance subscribes to (heartbeats, directory changes). */
#define PLX_CLUSTER_BROADCAST "plexus:bus"
/* The prefix of an instance's own channel: plexus:bus:<16 hex digits of its id>. */
#define PLX_CLUSTER_CHANNEL_PREFIX "plexus:bus:"

typedef struct plx_cluster_config {
    uint64_t instance_id;     /* random, not 0 (the caller draws it: the module has no I/O) */
    uint32_t heartbeat_ms;    /* 0: 1000 */
    uint32_t dead_ms;         /* an instance silent this long is dead; 0: 3000 */
    uint32_t resync_ms;       /* a directory asked for and not received is asked again; 0: 1000 */
    uint32_t max_instances;   /* other instances tracked; 0: 64 */
    uint32_t max_remote;      /* remote clients tracked (proxies + pending); 0: 1 << 20 */
    uint32_t max_bus_message; /* bytes of one bus message; larger ones are dropped; 0: 64 MiB */
    /* Publishes data[0..len) on channel (both borrowed for the call). 0, or a negative error
     * (counted; a message lost this way is repaired by the directory's sequence check). */
    int (*publish)(void *ud, const char *channel, const uint8_t *data, size_t len);
    void *ud;
} plx_cluster_config;

typedef struct plx_cluster plx_cluster;

typedef struct plx_cluster_stats {
    size_t instances;   /* other instances known */
    size_t synced;      /* of them, those whose directory this instance holds (dump received) */
    size_t proxies;     /* remote clients with a proxy in the hub */
    size_t pending;     /* remote clients waiting for their name (a claim race, CLUSTER.md) */
    uint64_t published; /* bus messages handed to publish */
    uint64_t publish_failed;
    uint64_t received; /* bus messages taken by plx_cluster_receive */
    uint64_t dropped;  /* malformed, oversized, or from an instance past max_instances */
    uint64_t resyncs;  /* directories asked for after a gap or at start */
    uint64_t dead;     /* instances declared dead */
} plx_cluster_stats;

/* Makes a cluster over hub (borrowed; must outlive it) and installs itself as the hub's peer
 * (names assigned at hello become client-<last 8 hex digits of the id>-N). cfg copied. NULL on no
 * memory or a bad cfg (no publish, instance_id 0). */
plx_cluster *plx_cluster_new(const plx_cluster_config *cfg, plx_hub *hub);
/* Frees the cluster (not the hub; the hub keeps its proxies). Call plx_cluster_stop first
 * to tell the others. */
void plx_cluster_free(plx_cluster *cl);
/* This instance's own channel (PLX_CLUSTER_CHANNEL_PREFIX + 16 hex digits). */
const char *plx_cluster_channel(const plx_cluster *cl);
uint64_t plx_cluster_id(const plx_cluster *cl);
/* Announces this instance: a heartbeat and a request for every instance's directory. Call
 * once the subscriptions are up, and again (plx_cluster_resync) when the bus came back. */
void plx_cluster_start(plx_cluster *cl, uint64_t now_ms);
/* The bus came back after an outage: asks every instance for its directory again. */
void plx_cluster_resync(plx_cluster *cl, uint64_t now_ms);
/* One message received on either channel (channel and data borrowed). 0, or a negative
 * PLX_E_* when the message was dropped (malformed: PLX_E_BAD_VALUE or the codec's body error;
 * too large: PLX_E_TOO_LARGE). Its own broadcasts come back from Redis and are ignored. */
int plx_cluster_receive(plx_cluster *cl, const char *channel, const uint8_t *data, size_t len,
                        uint64_t now_ms);
/* Heartbeat, dead instances, directories asked again. Returns the next now_ms it wants. */
uint64_t plx_cluster_tick(plx_cluster *cl, uint64_t now_ms);
/* Tells the other instances this one leaves (they drop its clients at once). */
void plx_cluster_stop(plx_cluster *cl, uint64_t now_ms);
/* 1 once the bye of plx_cluster_stop came back on the broadcast channel (so the bus has it:
 * the caller may close its connection to the bus now). */
int plx_cluster_stopped(const plx_cluster *cl);
void plx_cluster_stats_get(const plx_cluster *cl, plx_cluster_stats *out);

#endif
