/*
 * net.h - an in-memory cluster for tests: up to four nodes, each a hub test harness (th) with
 * a plx_cluster, over a bus that delivers like Redis pub/sub: one FIFO for every publish, so
 * each publisher's messages arrive in order; a broadcast reaches every node, its sender too.
 * A node can be taken down (silent: it neither publishes nor receives) and a broadcast can be
 * lost on purpose. Every wait is a bounded pump.
 */
#ifndef PLX_CLUSTER_NET_H
#define PLX_CLUSTER_NET_H

#include "cluster.h"
#include "harness.h"

#define NET_MAX 4

typedef struct net net;

typedef struct node {
    th *t;
    plx_cluster *cl;
    int down; /* silent: publishes and receives nothing */
    net *net;
} node;

typedef struct bus_msg {
    char *channel;
    uint8_t *data;
    size_t len;
} bus_msg;

struct net {
    node n[NET_MAX];
    size_t nn;
    bus_msg *q;
    size_t qn, qcap, qhead;
    uint64_t now;
    int lose_broadcasts; /* the next this many broadcasts are lost */
    int lose_from;       /* ...when published by this node (-1: any) */
    int cut;             /* the bus is down (Redis away): every publish is lost */
};

/* nn nodes; node k has instance id k + 1; every node started unless late_mask has bit k. */
net *net_new(size_t nn, const plx_hub_config *cfg, unsigned late_mask);
void net_free(net *w);
/* Starts node k (a late one): subscribes it and announces it. */
void net_start(net *w, size_t k);
/* Delivers every queued message (and what they cause); bounded. Returns how many. */
size_t net_pump(net *w);
/* Advances the shared clock by ms in steps of 100 ms: ticks every node's hub and cluster and
 * pumps after each step. */
void net_advance(net *w, uint64_t ms);
/* th of node k with its clock set to the shared one. */
th *net_th(net *w, size_t k);
/* A client named name (NULL: assigned) with hello extra on node k; pumps. */
plx_conn_id net_client(net *w, size_t k, const char *name, const char *extra);
/* Sends JSON text from c on node k (printf-style) and pumps. */
void net_sendf(net *w, size_t k, plx_conn_id c, const char *fmt, ...);
/* The sorted names plexus.clients returns on node k, comma-joined into buf. */
const char *net_clients(net *w, size_t k, char *buf, size_t size);

#endif
