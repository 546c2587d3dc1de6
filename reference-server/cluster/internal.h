/*
 * internal.h - the cluster module's private state and the functions its files share.
 *
 *   table.c      a hash table keyed by pairs of u64 (instance, remote conn id) and proxy ids
 *   state.c      a remote client's state (name, groups, routes, adapted keys): owned copies,
 *                JSON encoding and decoding for the bus
 *   bus.c        bus envelopes: build, encode, publish; decode and check
 *   directory.c  instances and remote clients: proxies opened, changed, closed; name and key
 *                claim races; dumps, sequence gaps, dead instances
 *   relay.c      the hub's peer callbacks and the messages that carry calls, reads, events,
 *                replies, failures and kicks between instances
 *   cluster.c    lifecycle, receive dispatch, timers
 */
#ifndef PLX_CLUSTER_INTERNAL_H
#define PLX_CLUSTER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cluster.h"

/* ---------------------------------------------------------------- table.c */

typedef struct cl_node {
    struct cl_node *next;
    uint64_t a, b;
    void *val;
} cl_node;

typedef struct cl_table {
    cl_node **slots;
    size_t nslots, count;
} cl_table;

void *cl_table_get(const cl_table *t, uint64_t a, uint64_t b);
/* Inserts or replaces. 0 or PLX_E_NOMEM. */
int cl_table_put(cl_table *t, uint64_t a, uint64_t b, void *val);
/* Removes (a, b); returns its value or NULL. */
void *cl_table_del(cl_table *t, uint64_t a, uint64_t b);
/* Every value, in a malloc'd array (*n of them); NULL with *n 0 when empty or on NOMEM. */
void **cl_table_values(const cl_table *t, size_t *n);
void cl_table_clear(cl_table *t);

/* ---------------------------------------------------------------- state.c */

/* Owned byte strings (each NUL-terminated). Bound: CL_LIST_MAX entries when decoded. */
typedef struct cl_list {
    plx_bytes *v;
    size_t n, cap;
} cl_list;

#define CL_LIST_MAX 4096u /* entries of one list in a bus message */

typedef struct cl_state {
    char *name;
    cl_list groups, routes, adapted;
} cl_state;

int cl_list_add(cl_list *l, plx_bytes b);
long cl_list_find(const cl_list *l, plx_bytes b);
void cl_list_remove(cl_list *l, size_t i);
void cl_list_clear(cl_list *l);
/* Copies n spans. 0 or NOMEM (l cleared). */
int cl_list_copy(cl_list *l, const plx_bytes *v, size_t n);
void cl_state_clear(cl_state *s);
/* The state of a hub client view, copied. 0 or NOMEM. */
int cl_state_from_view(cl_state *s, const plx_hub_client *c);
/* Applies one change to a state (a pending remote client's). 0 or NOMEM. */
int cl_state_apply(cl_state *s, plx_hub_change what, plx_bytes arg);
/* Attachments of an outgoing bus message (borrowed spans). Bound: PLX_MAX_ATTACHMENTS. */
typedef struct cl_att {
    plx_bytes *v;
    size_t n, cap;
} cl_att;
void cl_att_clear(cl_att *a);
/* JSON for a byte string: a string when it is valid UTF-8 without NUL, else {"$bin": i} with
 * b added to att. NULL on NOMEM or past PLX_MAX_ATTACHMENTS. */
cJSON *cl_bytes_json(plx_bytes b, cl_att *att);
/* A byte string from JSON (string, or $bin into att[0..natt)). 0 or PLX_E_BAD_VALUE. */
int cl_json_bytes(const cJSON *v, const plx_bytes *att, size_t natt, plx_bytes *out);
/* Adds name, groups, routes, adapted of view c to object o. 0 or NOMEM. */
int cl_view_json(cJSON *o, const plx_hub_client *c, cl_att *att);
/* Reads name, groups, routes, adapted of a bus message into s (owned). 0, BAD_VALUE, NOMEM. */
int cl_state_parse(cl_state *s, const cJSON *o, const plx_bytes *att, size_t natt);

/* ---------------------------------------------------------------- core types */

typedef struct cl_inst {
    uint64_t id;
    char channel[sizeof(PLX_CLUSTER_CHANNEL_PREFIX) + 16];
    int synced;         /* its directory was received; its broadcasts apply in seq order */
    uint64_t seq;       /* the last broadcast seq applied */
    uint64_t last_seen; /* now of its last message */
    uint64_t sync_ms;   /* when its directory was last asked for */
    uint32_t gen;       /* directory generation: remote clients seen since its last dump */
} cl_inst;

/* One client of another instance. */
typedef struct cl_remote {
    uint64_t inst;
    uint64_t rid;      /* its connection id on its instance */
    plx_conn_id proxy; /* its proxy in the hub; 0 while pending (its name is held) */
    cl_state pending;  /* proxy 0: the state to open it with */
    uint32_t gen;
} cl_remote;

/* One event for several clients of one instance, held while the hub delivers a send. */
typedef struct cl_batch {
    uint64_t inst;
    uint64_t *ids;
    size_t n, cap;
} cl_batch;

struct plx_cluster {
    plx_cluster_config cfg;
    plx_hub *hub;
    uint64_t id;
    char hex[17];
    char channel[sizeof(PLX_CLUSTER_CHANNEL_PREFIX) + 16];
    char prefix[24]; /* auto names: client-<8 hex>- */
    uint64_t seq;    /* last broadcast seq */
    uint64_t echo;   /* the last of our broadcasts that came back */
    uint64_t bye;    /* the seq of our bye, 0 before plx_cluster_stop */
    uint64_t now;    /* the latest now_ms given (callbacks from the hub carry none) */
    uint64_t next_hb;
    cl_inst **inst; /* bound: cfg.max_instances */
    size_t ninst;
    cl_table by_remote; /* (inst, rid) -> cl_remote */
    cl_table by_proxy;  /* (0, proxy) -> cl_remote */
    size_t npending;
    const cJSON *ev; /* the event being batched (borrowed from the hub until its flush) */
    const plx_bytes *ev_att;
    size_t ev_natt;
    cl_batch *batches; /* one per instance with recipients of ev; bound: max_instances */
    size_t nbatches, cap_batches;
    plx_cluster_stats st;
};

/* ---------------------------------------------------------------- bus.c */

/* {"v": 1, "t": t, "from": hex}; NULL on NOMEM. */
cJSON *cl_env(const plx_cluster *cl, const char *t);
/* Encodes env with att and publishes it on channel; takes env. 0 or an error. */
int cl_publish(plx_cluster *cl, const char *channel, cJSON *env, const plx_bytes *att, size_t natt);
/* Publishes env on the broadcast channel with the next seq; takes env. */
int cl_broadcast(plx_cluster *cl, cJSON *env, const plx_bytes *att, size_t natt);
/* A u64 member (0..2^53). 1 and *out, else 0. */
int cl_get_u64(const cJSON *o, const char *field, uint64_t *out);
/* Parses 16 hex digits. 1 and *out, else 0. */
int cl_parse_hex(const char *s, uint64_t *out);
/* The channel of instance id into buf (at least sizeof(cl->channel)). */
void cl_channel_of(uint64_t id, char *buf, size_t size);

/* ---------------------------------------------------------------- directory.c */

/* The record of instance id, NULL if unknown. */
cl_inst *cl_inst_get(plx_cluster *cl, uint64_t id);
/* The record of instance id, created when unknown (NULL past max_instances or NOMEM). */
cl_inst *cl_inst_touch(plx_cluster *cl, uint64_t id, uint64_t now);
/* Asks instance i for its directory (direct sync). */
void cl_ask_directory(plx_cluster *cl, cl_inst *i, uint64_t now);
/* Drops every remote client of instance i and forgets i (dead or gone). */
void cl_inst_drop(plx_cluster *cl, cl_inst *i, uint64_t now);
/* A remote client's full state (an announce or a dump entry). */
void cl_dir_state(plx_cluster *cl, cl_inst *i, uint64_t rid, cl_state *s, uint64_t now);
/* One change of a remote client. */
void cl_dir_set(plx_cluster *cl, cl_inst *i, uint64_t rid, plx_hub_change what, plx_bytes arg,
                uint64_t now);
/* A remote client left. */
void cl_dir_down(plx_cluster *cl, cl_inst *i, uint64_t rid, uint64_t now);
/* The end of instance i's dump: its clients not seen in it are dropped. */
void cl_dir_end(plx_cluster *cl, cl_inst *i, uint64_t seq, uint64_t now);
/* Answers a directory request from instance id: one state per local client, then dir. */
void cl_dir_send(plx_cluster *cl, uint64_t to);
/* The remote client behind proxy p, or NULL. */
cl_remote *cl_remote_of_proxy(const plx_cluster *cl, plx_conn_id p);
/* Forgets a remote record (its proxy is already closed or was dropped by the hub). */
void cl_remote_forget(plx_cluster *cl, cl_remote *r);
/* The names of the change kinds on the bus ("rename", "join", ...); 0 when unknown. */
const char *cl_change_name(plx_hub_change what);
plx_hub_change cl_change_parse(const char *s);

/* ---------------------------------------------------------------- relay.c */

/* Installs the hub peer callbacks. 0 or an error. */
int cl_relay_install(plx_cluster *cl);
/* Publishes the batched event (one to{ids, msg} per instance) and forgets it. */
void cl_flush_events(plx_cluster *cl);
void cl_batches_free(plx_cluster *cl);
/* Direct messages: to, rep, fail, kick. */
void cl_on_to(plx_cluster *cl, uint64_t from, const cJSON *env, const plx_msg *m, uint64_t now);
void cl_on_rep(plx_cluster *cl, uint64_t from, const cJSON *env, const plx_msg *m, uint64_t now);
void cl_on_fail(plx_cluster *cl, uint64_t from, const cJSON *env, uint64_t now);
void cl_on_kick(plx_cluster *cl, uint64_t from, const cJSON *env, uint64_t now);

#endif
