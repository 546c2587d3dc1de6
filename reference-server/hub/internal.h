/*
 * internal.h - the hub's private state and the functions its modules share. Not installed.
 *
 * Ownership in one place: the hub owns every conn, group, route, call and aggregate; maps
 * own their key copies but not their values. Nothing is freed while a module iterates:
 * a connection that must die is marked CLOSING (hub_fail) and dropped by hub_reap at the
 * end of every public entry point.
 */
#ifndef PLX_HUB_INTERNAL_H
#define PLX_HUB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "hub.h"

/* ---------------------------------------------------------------- map (map.c) */

/* A chained hash map from binary keys (copied, owned) to borrowed void* values. */
typedef struct hub_map_node {
    struct hub_map_node *next;
    uint64_t hash;
    void *val;
    size_t klen;
    uint8_t key[]; /* klen bytes then a NUL, so string keys read as C strings */
} hub_map_node;

typedef struct hub_map {
    hub_map_node **slots;
    size_t nslots;
    size_t count;
} hub_map;

/* Iterator over a map; valid while the map is not modified. */
typedef struct hub_map_iter {
    size_t slot;
    hub_map_node *node;
} hub_map_iter;

void hub_map_init(hub_map *m);
/* Frees the nodes (not the values). */
void hub_map_clear(hub_map *m);
/* The value for key, or NULL. */
void *hub_map_get(const hub_map *m, const void *key, size_t klen);
/* Inserts or replaces. 0, or PLX_E_NOMEM. */
int hub_map_put(hub_map *m, const void *key, size_t klen, void *val);
/* Removes key; returns its value or NULL. */
void *hub_map_del(hub_map *m, const void *key, size_t klen);
/* Next node, or NULL at the end. Start with an iterator zeroed by {0}. */
hub_map_node *hub_map_next(const hub_map *m, hub_map_iter *it);
/* Helpers keyed by C strings and by u64 ids. */
void *hub_map_gets(const hub_map *m, const char *key);
void *hub_map_getu(const hub_map *m, uint64_t id);
int hub_map_putu(hub_map *m, uint64_t id, void *val);
void *hub_map_delu(hub_map *m, uint64_t id);

/* ---------------------------------------------------------------- lists (list.c) */

/* A bounded array of owned byte strings (NUL-terminated copies): a connection's groups,
 * routes, watch patterns and adapted keys. */
typedef struct hub_strs {
    plx_bytes *v;
    size_t n, cap;
} hub_strs;

/* Index of s in l, or -1. */
long hub_strs_find(const hub_strs *l, const void *s, size_t len);
/* Appends a copy. 0 or PLX_E_NOMEM. */
int hub_strs_add(hub_strs *l, const void *s, size_t len);
/* Removes entry i (order kept). */
void hub_strs_remove(hub_strs *l, size_t i);
void hub_strs_clear(hub_strs *l);
/* A JSON array of the entries as strings, sorted bytewise. NULL on no memory. */
cJSON *hub_strs_sorted_json(const hub_strs *l);

/* ---------------------------------------------------------------- attachments (att.c) */

/* Attachments of an outgoing message. Borrowed bytes unless owned is set, in which case
 * hub_att_add copies them (call_all aggregates, history). Bound: PLX_MAX_ATTACHMENTS. */
typedef struct hub_att {
    plx_bytes *v;
    size_t n, cap;
    int owned;
} hub_att;

void hub_att_clear(hub_att *a);
/* Appends b: returns its index, PLX_E_LIMIT_REACHED past PLX_MAX_ATTACHMENTS, or NOMEM. */
int hub_att_add(hub_att *a, plx_bytes b);
/* Deep-copies src, rewriting every {"$bin": i} (i < nin) to the index of in[i] in out
 * (added once per call, however often referenced). NULL with *err set on failure. */
cJSON *hub_att_copy(const cJSON *src, const plx_bytes *in, size_t nin, hub_att *out, int *err);
/* Appends the whole list in[0..nin) to out and returns a deep copy of src whose references
 * are shifted by out's former count (RPC-15, EVT-11: lists concatenated, indices shifted).
 * NULL with *err (LIMIT_REACHED past PLX_MAX_ATTACHMENTS, NOMEM) and out unchanged. */
cJSON *hub_att_append(const cJSON *src, const plx_bytes *in, size_t nin, hub_att *out, int *err);
/* A borrowed view of a received message's attachment list (never cleared). */
#define HUB_ATT_VIEW(m) ((hub_att){(plx_bytes *)(m)->att, (m)->natt, (m)->natt, 0})
/* The attachment index of a {"$bin": i} object, or -1 when v is not one. */
long hub_att_ref(const cJSON *v);
/* bytes -> JSON: a string when valid UTF-8 without NUL and shorter than 1024 bytes, else
 * {"$bin": i} with b added to out. NULL with *err set on failure. */
cJSON *hub_att_bytes_json(plx_bytes b, hub_att *out, int *err);
/* JSON "bytes" (string or $bin into in[]) -> span borrowed from v or in. 0 or INVAL. */
int hub_att_json_bytes(const cJSON *v, const plx_bytes *in, size_t nin, plx_bytes *out);

/* ---------------------------------------------------------------- core types */

typedef enum hub_state { HUB_CONNECTED = 0, HUB_READY, HUB_CLOSING } hub_state;

typedef struct hub_conn {
    plx_conn_id id;
    hub_state state;
    int close_code;   /* CLOSING: the PLX_E_* reason, or 0 for a normal close (bye) */
    int closed_by_io; /* the transport told us the socket is gone: never call io.close */
    int remote;       /* a proxy of another instance's client (peer.c): sends go to peer.send */
    char *name;       /* READY: owned, registered in hub.names */
    int presence;
    plx_conn_limits limits;
    uint64_t opened_ms;
    uint64_t next_ping_ms;
    uint32_t unanswered; /* pings sent without a pong since */
    uint64_t ping_n;
    hub_strs groups;  /* bound: cfg.max_groups */
    hub_strs routes;  /* bound: cfg.max_routes */
    hub_strs watches; /* bound: cfg.max_watches */
    hub_strs adapted; /* bound: cfg.max_adapters */
    hub_map pending;  /* caller request id -> hub_call or hub_agg; bound: cfg.max_pending */
    size_t noted;     /* bytes of change notes held for c (notes.c); bound: HUB_NOTES_BOUND */
    struct hub_conn *prev, *next; /* all connections, oldest first */
} hub_conn;

typedef struct hub_group {
    char *name;
    hub_conn **members;
    size_t n, cap;
    uint64_t seq;          /* last history seq */
    struct hub_hist *hist; /* ring of cfg.history events, NULL when history is off */
} hub_group;

/* Change notifications held until the reply that caused them is queued (notes.c). */
typedef struct hub_note hub_note;
typedef struct hub_notes {
    hub_note *head, *tail;
} hub_notes;

typedef struct hub_route {
    char *name;
    hub_conn **servers;
    size_t n, cap;
    size_t rr; /* round-robin cursor */
} hub_route;

/* HUB_RELAY: a call or read from another instance (peer.c); caller 0, rid the origin's id. */
/* HUB_WATCH: a watch waiting for its backend barrier (watch.c); no server, no deadline. */
typedef enum hub_call_kind {
    HUB_CALL = 1,
    HUB_READ,
    HUB_PART,
    HUB_STORE,
    HUB_RELAY,
    HUB_WATCH
} hub_call_kind;

/* One call delivered to a serving client and not answered yet, or (HUB_STORE) one batch of
 * storage commands handed to the backend and not completed yet (backend.c): its sid is the
 * batch's cookie, it has no server (0) and no deadline (the backend bounds the wait). */
typedef struct hub_call {
    hub_call_kind kind;
    uint64_t sid;       /* the id the serving client sees */
    plx_conn_id caller; /* 0: the caller left (the answer is dropped) */
    uint64_t rid;       /* the caller's request id */
    plx_conn_id server; /* the serving client */
    uint64_t deadline_ms;
    struct hub_agg *agg; /* HUB_PART: the aggregate it belongs to (NULL once orphaned) */
    size_t slot;         /* HUB_PART: the aggregate's slot it fills */
    size_t *slots;       /* HUB_STORE of a pipeline: the aggregate's slot of each command */
    size_t nslots;       /* HUB_STORE: commands in the batch */
    uint64_t origin;     /* HUB_RELAY: the origin instance given to plx_hub_relay */
    plx_bytes pattern;   /* HUB_WATCH: the pattern (owned copy, NUL-terminated) */
    int cancelled;       /* HUB_WATCH: unwatched meanwhile: answered, not activated */
} hub_call;

/* One part of an aggregate's answer (agg.c). */
typedef struct hub_slot {
    char *name;   /* call_all: the target's name when the call went out; else NULL */
    cJSON *entry; /* {"result": v} | {"error": e}; NULL until filled */
    hub_att att;  /* owned copy of the entry's attachment list */
} hub_slot;

/* A call_all or a pipeline waiting for its parts (agg.c). */
typedef struct hub_agg {
    hub_call_kind kind; /* 0: marks an aggregate in conn.pending (hub_call has kind > 0) */
    int pipeline;       /* 1: answer is an array of the slots in order; 0: call_all object */
    plx_conn_id caller;
    uint64_t rid;
    size_t remaining; /* parts not done, plus one while the request is being set up */
    hub_slot *slots;
    size_t nslots;
    hub_notes notes; /* pipeline: changes held until its reply (PIPE-6) */
} hub_agg;

struct plx_hub {
    plx_hub_config cfg; /* defaults applied; strings owned */
    plx_hub_io io;
    plx_store *store; /* NULL with a backend or without storage */
    int owns_store;
    plx_hub_backend backend; /* backend.submit NULL: none (backend.name owned) */
    plx_store *scratch;      /* with a backend: an empty store for syntax checks (owned) */
    uint64_t started_ms;     /* now of the first plx_hub_open or tick */
    int started;
    uint64_t next_conn; /* last conn id handed out */
    uint64_t next_sid;  /* last server call id */
    uint64_t next_auto; /* client-N counter */
    int shutting_down;
    int reap_needed;
    hub_conn *executing; /* the client running a store command (change.by) */
    int deferring;       /* handling a client's message: changes go to notes, not out */
    hub_notes notes;     /* changes raised by the message being handled */
    hub_conn *head, *tail;
    size_t nconns;
    hub_map conns;     /* id -> hub_conn */
    hub_map names;     /* name -> hub_conn (READY only) */
    hub_map groups;    /* name -> hub_group */
    hub_map routes;    /* name -> hub_route */
    hub_map calls;     /* sid -> hub_call */
    hub_map adapters;  /* key -> hub_conn */
    plx_hub_peer peer; /* peer.send NULL: no cluster (peer.c) */
    size_t nproxies;   /* remote connections, not counted in nconns */
};

/* Bounds not in plx_hub_config. */
#define HUB_NAME_MAX       128u  /* names, groups, routes: 1..128 bytes */
#define HUB_PATTERN_MAX    1024u /* watch pattern bytes */
#define HUB_EXPIRE_BATCH   1000u /* keys expired per tick */
#define HUB_EXPIRE_EVERY   100u  /* ms between active expiry runs */
#define HUB_INLINE_STR_MAX 1024u /* bulk replies this long or longer go as attachments */
#define HUB_NOTE_OVERHEAD  64u   /* bytes a held change note counts beyond its strings */
/* Held change notes per connection: at most what its send queue holds by default. */
#define HUB_NOTES_BOUND(c) (2 * (size_t)(c)->limits.max_message)

/* ---------------------------------------------------------------- conn.c */

hub_conn *hub_conn_get(const plx_hub *h, plx_conn_id id);
/* Marks c CLOSING with code (a fatal PLX_E_*; 0 for a normal close) after sending the
 * error message when code is not 0 and sending is still possible. Idempotent. */
void hub_fail(plx_hub *h, hub_conn *c, int code, const char *message);
/* Drops every CLOSING connection: releases what it held, calls io.close. */
void hub_reap(plx_hub *h);
/* Frees a dropped connection's memory (after hub_release). */
void hub_conn_free(hub_conn *c);
/* A new connection (CONNECTED, or a READY proxy when remote), linked last. NULL on NOMEM. */
hub_conn *hub_conn_new(plx_hub *h, uint64_t now, int remote);

/* ---------------------------------------------------------------- peer.c */

/* Tells the peer that local client c changed (nothing without a peer or for a proxy). */
void hub_observe(plx_hub *h, const hub_conn *c, plx_hub_change what, plx_bytes arg);
/* The same with a C string argument. */
void hub_observe_str(plx_hub *h, const hub_conn *c, plx_hub_change what, const char *arg);
/* Fills out from c. */
void hub_client_view(const hub_conn *c, plx_hub_client *out);

/* ---------------------------------------------------------------- reply.c */

/* Sends json to c through io.send. PLX_E_TOO_LARGE from io.send (the body exceeds c's
 * max_message) is returned as is: nothing was sent, the caller answers LIMIT_REACHED or skips
 * the recipient. Any other failure marks c CLOSING with SLOW_READER. Returns 0 or the error.
 * Nothing is sent to a CLOSING connection. */
int hub_send(plx_hub *h, hub_conn *c, const cJSON *json, const plx_bytes *att, size_t natt);
/* {code, name, message[, detail]}; takes detail. NULL on no memory. */
cJSON *hub_error_obj(int code, const char *message, cJSON *detail);
/* reply{id, result} with attachments; takes result. */
void hub_reply(plx_hub *h, hub_conn *c, uint64_t id, cJSON *result, const hub_att *att);
/* reply{id, error{code, name, message (NULL: the registry's), detail}}; takes detail. */
void hub_reply_error(plx_hub *h, hub_conn *c, uint64_t id, int code, const char *message,
                     cJSON *detail);
/* The same with attachments for detail's $bin references. */
void hub_reply_error_att(plx_hub *h, hub_conn *c, uint64_t id, int code, const char *message,
                         cJSON *detail, const hub_att *att);
/* reply{id, error: e} with attachments for e's $bin references; takes e (NULL: nothing). */
void hub_reply_error_obj(plx_hub *h, hub_conn *c, uint64_t id, cJSON *e, const hub_att *att);
/* error{code, name, message[, re]} message; re < 0: absent. */
void hub_error_msg(plx_hub *h, hub_conn *c, int code, const char *message, int64_t re);
/* A request's error: reply when has_id, else an error message. */
void hub_req_error(plx_hub *h, hub_conn *c, int has_id, uint64_t id, int code, const char *message);
/* Reads a uint field (integer 0..2^53). 1 and *out when present and valid, else 0. */
int hub_get_uint(const cJSON *obj, const char *field, uint64_t *out);
/* A string field's value or NULL. */
const char *hub_get_str(const cJSON *obj, const char *field);
/* A bool field: 1 true, 0 false or absent. */
int hub_get_bool(const cJSON *obj, const char *field);
/* A new {"t": t} object, NULL on no memory. */
cJSON *hub_msg_new(const char *t);

/* ---------------------------------------------------------------- names.c */

/* 1 if s[0..len) is a valid name (1..128 bytes of UTF-8, no control characters; no ':'
 * when colon_ok is 0). */
int hub_name_valid(const char *s, size_t len, int colon_ok);
hub_conn *hub_name_lookup(const plx_hub *h, const char *name);
/* Gives c the name (owned copy): registers it, replacing c's old one. 0 or NOMEM. */
int hub_name_set(plx_hub *h, hub_conn *c, const char *name);
/* Unregisters c's name. */
void hub_name_release(plx_hub *h, hub_conn *c);
/* A free client-N name (owned), NULL on no memory. */
char *hub_name_auto(plx_hub *h);
void hub_on_rename(plx_hub *h, hub_conn *c, const cJSON *m);

/* ---------------------------------------------------------------- session.c */

void hub_on_hello(plx_hub *h, hub_conn *c, const plx_msg *m, uint64_t now);
void hub_on_ping(plx_hub *h, hub_conn *c, const cJSON *m);
void hub_on_pong(plx_hub *h, hub_conn *c, const cJSON *m);
/* Hello timeout and keepalive for one connection; returns its next deadline. */
uint64_t hub_session_tick(plx_hub *h, hub_conn *c, uint64_t now);
/* Constant-time equality of a given secret with the expected one. */
int hub_secret_equal(const char *given, const char *expected);

/* ---------------------------------------------------------------- groups.c */

hub_group *hub_group_get(const plx_hub *h, const char *name);
/* Adds c to group name (creating it). 0, PLX_E_LIMIT_REACHED, NOMEM. 1 if already in. */
int hub_group_add(plx_hub *h, hub_conn *c, const char *name);
/* Removes c from the group; drops the group (and its history) when empty. 1 if c was in. */
int hub_group_remove(plx_hub *h, hub_conn *c, const char *name);
void hub_on_join(plx_hub *h, hub_conn *c, const cJSON *m);
void hub_on_leave(plx_hub *h, hub_conn *c, const cJSON *m);
/* Removes c from every group (no presence). */
void hub_groups_release(plx_hub *h, hub_conn *c);
void hub_group_free(hub_group *g);

/* ---------------------------------------------------------------- routes.c */

hub_route *hub_route_get(const plx_hub *h, const char *name);
/* The next server of a route in round-robin order, NULL if none. */
hub_conn *hub_route_pick(hub_route *r);
/* 1 if c serves route name. */
int hub_route_served(const plx_hub *h, const hub_conn *c, const char *name);
/* Adds c as a server of route name (once). 0 or NOMEM. */
int hub_route_add(plx_hub *h, hub_conn *c, const char *name);
/* Removes c from the servers of route name (nothing if it is not one). */
void hub_route_remove(plx_hub *h, hub_conn *c, const char *name);
void hub_on_register(plx_hub *h, hub_conn *c, const cJSON *m);
void hub_on_unregister(plx_hub *h, hub_conn *c, const cJSON *m);
void hub_routes_release(plx_hub *h, hub_conn *c);

/* ---------------------------------------------------------------- calls.c */

/* Checks a request id against c's pending requests: 1 if it is free, else sends
 * error{DUPLICATE_ID, re: rid} (RPC-3: never a reply) and returns 0. */
int hub_id_free(plx_hub *h, hub_conn *c, uint64_t rid);
/* 1 if c has fewer than max_pending pending requests, else answers LIMIT_REACHED and returns
 * 0 (LIM-3: checked for every request before it is handled, so a handler may add one). */
int hub_pending_room(plx_hub *h, hub_conn *c, uint64_t rid);
/* Registers a call from caller (rid) to server, deadline timeout_ms from now. NULL on no
 * memory (nothing registered). */
hub_call *hub_call_start(plx_hub *h, hub_call_kind kind, hub_conn *caller, uint64_t rid,
                         hub_conn *server, uint64_t deadline_ms);
/* Forgets a call (removes it from every table) and frees it. */
void hub_call_end(plx_hub *h, hub_call *k);
/* Sends call{id: k->sid, route, args (attachments renumbered from m), from, timeout_ms} to
 * the serving client. A failed send leaves the call to fail with PEER_GONE at reap; a call
 * too large for the server (or on no memory) fails at once with LIMIT_REACHED (the call k
 * is then gone). Returns 0 or that error. */
int hub_call_forward(plx_hub *h, hub_call *k, hub_conn *server, const char *route, const plx_msg *m,
                     const char *from, uint32_t timeout_ms);
/* 1 if the request has timeout_ms 0 (BAD_VALUE for call and call_all, RPC-4, RPC-13). */
int hub_timeout_zero(const cJSON *m);
/* Effective timeout of a request: min(asked or default, max). */
uint32_t hub_call_timeout(const plx_hub *h, const cJSON *m);
void hub_on_call(plx_hub *h, hub_conn *c, const plx_msg *m, uint64_t now);
void hub_on_reply(plx_hub *h, hub_conn *c, const plx_msg *m);
/* Fails one call with code (CALL_TIMEOUT, PEER_GONE) and ends it. */
void hub_call_fail(plx_hub *h, hub_call *k, int code);
/* Times out calls whose deadline passed; returns the earliest remaining deadline. */
uint64_t hub_calls_tick(plx_hub *h, uint64_t now);
/* c is going: calls it serves fail with PEER_GONE, calls it made are orphaned. */
void hub_calls_release(plx_hub *h, hub_conn *c);

/* ---------------------------------------------------------------- call_all.c, agg.c */

void hub_on_call_all(plx_hub *h, hub_conn *c, const plx_msg *m, uint64_t now);
/* An aggregate of nslots empty slots for caller's request rid, registered as pending
 * (remaining 0: the creator sets it). NULL on no memory. */
hub_agg *hub_agg_new(hub_conn *caller, uint64_t rid, int pipeline, size_t nslots);
/* Names slot i (call_all). 0 or NOMEM. */
int hub_agg_name(hub_agg *a, size_t i, const char *name);
/* Fills slot i with entry (taken; NULL: an INTERNAL error entry). */
void hub_agg_fill(hub_agg *a, size_t i, cJSON *entry);
/* {"error": {code, name, message}}; NULL on no memory. */
cJSON *hub_entry_error(int code, const char *message);
/* One part fewer to wait for: at zero the caller gets the answer (then the pipeline's held
 * changes) and a is freed. */
void hub_agg_release(plx_hub *h, hub_agg *a);
/* A part finished: with the serving side's reply m (its result or its error object,
 * unchanged, with its attachments), or with error code when m is NULL (CALL_TIMEOUT,
 * PEER_GONE, LIMIT_REACHED). Ends the part and releases it. */
void hub_agg_part_done(plx_hub *h, hub_call *k, const plx_msg *m, int code);
/* The caller left: the parts are orphaned, held changes sent, the aggregate freed. */
void hub_agg_orphan(plx_hub *h, hub_agg *a);
void hub_agg_free(hub_agg *a);

/* ---------------------------------------------------------------- builtin.c */

/* Answers a plexus.* route. */
void hub_builtin_call(plx_hub *h, hub_conn *c, uint64_t rid, const char *route, const cJSON *args,
                      uint64_t now);

/* ---------------------------------------------------------------- messaging.c */

void hub_on_send(plx_hub *h, hub_conn *c, const plx_msg *m);
/* presence{kind, name, ...} to every READY subscriber but subject. Takes nothing. */
void hub_presence(plx_hub *h, hub_conn *subject, const char *kind, const char *old);

/* ---------------------------------------------------------------- history.c */

typedef struct hub_hist hub_hist;
/* A ring of cap events, NULL on no memory. */
hub_hist *hub_hist_new(uint32_t cap);
void hub_hist_free(hub_hist *r);
/* Keeps a copy of event and of its whole attachment list att. 0 or an error. */
int hub_hist_push(hub_hist *r, const cJSON *event, const plx_bytes *att, size_t natt);
/* Appends the last `limit` events (oldest first) to arr, their attachment lists
 * concatenated into out with references shifted (EVT-11). 0 or error. */
int hub_hist_dump(const hub_hist *r, size_t limit, cJSON *arr, hub_att *out);

/* ---------------------------------------------------------------- storage_dispatch.c */

void hub_on_cmd(plx_hub *h, hub_conn *c, const plx_msg *m, uint64_t now);
void hub_on_pipeline(plx_hub *h, hub_conn *c, const plx_msg *m, uint64_t now);
/* Maps a store reply to JSON (see DECISIONS.md STO). NULL with *err on failure. */
cJSON *hub_reply_json(const plx_store_reply *r, hub_att *att, int *err);
/* Answers request rid of c with a store reply: an ERROR at top level is reply.error, the rest
 * a result (r NULL: INTERNAL). */
void hub_store_answer(plx_hub *h, hub_conn *c, uint64_t rid, const plx_store_reply *r);
/* A pipeline entry for a store reply: {"result": v} or {"error": e}, attachments into att.
 * NULL on no memory. */
cJSON *hub_store_entry(const plx_store_reply *r, hub_att *att);
/* Converts a JSON argv into spans (borrowed from v / in). *argv is malloc'd (caller frees).
 * 0 or PLX_E_BAD_FIELD_TYPE / NOMEM. */
int hub_argv_spans(const cJSON *v, const plx_bytes *in, size_t nin, plx_bytes **argv, size_t *argc);

/* ---------------------------------------------------------------- backend.c */

/* 1 when storage commands go to an asynchronous backend (plx_hub_new_backend). */
#define HUB_BACKEND(h) ((h)->backend.submit != NULL)
/* Hands n checked commands to the backend as one batch for caller c: for request rid when a
 * is NULL (a cmd: the batch is c's pending request and is answered with its one entry), else
 * as one part of pipeline a filling slots[0..n) (a->remaining is raised by one). 0, or
 * PLX_E_STORAGE_UNAVAILABLE (the backend refused) / PLX_E_NOMEM, nothing registered. */
int hub_backend_submit(plx_hub *h, hub_conn *c, uint64_t rid, hub_agg *a, const size_t *slots,
                       const plx_bytes *const *argv, const size_t *argc, size_t n, int atomic);

/* With a backend: the error reply (caller frees) the in-memory store gives argv (checked)
 * before reading any key when argv uses arguments Redis 7.0 would run but Plexus v1 refuses
 * (STO-4: SET GET/EXAT/PXAT, COPY DB, ZRANGE BYSCORE..., SRANDMEMBER below -1048576); else
 * NULL: the backend runs it. */
plx_store_reply *hub_backend_syntax(plx_hub *h, const plx_bytes *argv, size_t argc, uint64_t now);

/* ---------------------------------------------------------------- watch.c */

void hub_on_watch(plx_hub *h, hub_conn *c, const plx_msg *m);
void hub_on_unwatch(plx_hub *h, hub_conn *c, const plx_msg *m);
/* change{key, op, by?, pattern} to every watcher whose pattern matches key: held in
 * h->notes while h->deferring (a client's message is being handled), else sent at once. */
void hub_watch_notify(plx_hub *h, plx_bytes key, const char *op, const char *by);
/* Sends one change{key, op, by?, pattern} to c. */
void hub_send_change(plx_hub *h, hub_conn *c, plx_bytes key, const char *op, const char *by,
                     plx_bytes pattern);

/* ---------------------------------------------------------------- notes.c */

/* Queues a change for c on q (copies everything). Past HUB_NOTES_BOUND(c) c is failed with
 * SLOW_READER instead; on no memory with INTERNAL. */
void hub_notes_push(plx_hub *h, hub_notes *q, hub_conn *c, plx_bytes key, const char *op,
                    const char *by, plx_bytes pattern);
/* Appends src's notes to dst, in order; src is left empty. */
void hub_notes_move(hub_notes *dst, hub_notes *src);
/* Sends every note of q, in order, to its connection if it is still READY; empties q. */
void hub_notes_flush(plx_hub *h, hub_notes *q);
/* Drops every note of q unsent (hub teardown). */
void hub_notes_free(hub_notes *q);

/* ---------------------------------------------------------------- adapters.c */

/* Makes c the owner of key (not owned by another). 0, 1 if c owned it already, LIMIT_REACHED
 * (max_adapters) or NOMEM. */
int hub_adapt_add(plx_hub *h, hub_conn *c, plx_bytes key);
/* c gives up key: watchers get change{gone}. 1 if c owned it, else 0. */
int hub_adapt_remove(plx_hub *h, hub_conn *c, plx_bytes key);
void hub_on_adapt(plx_hub *h, hub_conn *c, const plx_msg *m);
void hub_on_unadapt(plx_hub *h, hub_conn *c, const plx_msg *m);
/* The owner of key, or NULL. */
hub_conn *hub_adapter_owner(const plx_hub *h, plx_bytes key);
/* How a command stands towards adapted keys (ADP-3). */
#define HUB_MULTI_KEY_TEXT "ERR adapted key in a multi-key command"
enum { HUB_ADP_NONE = 0, HUB_ADP_FORWARD, HUB_ADP_READ_ONLY, HUB_ADP_MULTI };
/* Classifies a checked command (flags from plx_store_check): NONE (names no adapted key),
 * READ_ONLY (a write naming one), MULTI (a read naming one and other keys) or FORWARD (a
 * read naming only that key, with *owner and *ki its argv index). */
int hub_adapter_class(const plx_hub *h, int flags, const plx_bytes *argv, size_t argc,
                      hub_conn **owner, size_t *ki);
/* Checks a command against adapted keys. Returns 0 when it may run locally, 1 when it was
 * forwarded to an owner as read (or answered with an error), with *key_i the argv index. */
int hub_adapter_route(plx_hub *h, hub_conn *c, uint64_t rid, int flags, const plx_msg *m,
                      const plx_bytes *argv, size_t argc, uint64_t now);
/* Sends read{id: k->sid, key: argv[ki], argv, timeout_ms} to owner with the attachment list
 * argv's references index. 0, or an error when it could not go (too large: LIMIT_REACHED). */
int hub_read_send(plx_hub *h, hub_call *k, hub_conn *owner, const cJSON *argv, size_t ki,
                  const plx_bytes *att, size_t natt, uint32_t timeout);
void hub_adapters_release(plx_hub *h, hub_conn *c);

#endif
