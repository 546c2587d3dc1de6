/*
 * internal.h - the storage engine's private types: values, the keyspace, the command context
 * and the helpers the command families share. Not installed; only the storage sources include it.
 */
#ifndef PLX_STORE_INTERNAL_H
#define PLX_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "dict.h"
#include "list.h"
#include "store.h"
#include "zset.h"

#define PLX_STORE_DEFAULT_MAX_KEYS  1000000u
#define PLX_STORE_DEFAULT_MAX_VALUE ((size_t)512 << 20)
/* Largest |count| of SRANDMEMBER with a negative count (Redis: LONG_MAX). */
#define PLX_STORE_MAX_RANDOM 1048576LL

/* ---------------------------------------------------------------- values */

typedef enum plx_type { PLX_T_STRING, PLX_T_HASH, PLX_T_LIST, PLX_T_SET, PLX_T_ZSET } plx_type;

/* A binary-safe byte string with spare capacity (for APPEND). */
typedef struct plx_str {
    size_t len, cap;
    uint8_t *data; /* len bytes, then a NUL not counted in len */
} plx_str;

/* One key's value. expire_ms is the absolute expiry time, 0 when the key has no TTL. */
typedef struct plx_obj {
    plx_type type;
    uint64_t expire_ms;
    union {
        plx_str str;
        plx_dict *hash; /* field -> plx_str* */
        plx_store_list *list;
        plx_dict *set; /* member -> NULL */
        plx_zset *zset;
    } u;
} plx_obj;

plx_str *plx_str_new(const uint8_t *data, size_t len);
void plx_str_free(void *p); /* frees a plx_str* (dict value destructor) */
/* Replaces the string's bytes. 0 or -1 on no memory (unchanged then). */
int plx_str_set(plx_str *s, const uint8_t *data, size_t len);
/* Appends bytes. 0 or -1 on no memory (unchanged then). */
int plx_str_append(plx_str *s, const uint8_t *data, size_t len);

/* New empty values; NULL on no memory. A string object copies data. */
plx_obj *plx_obj_string(const uint8_t *data, size_t len);
plx_obj *plx_obj_new(plx_store *s, plx_type type);
/* A deep copy (for COPY), without the TTL. NULL on no memory. */
plx_obj *plx_obj_dup(plx_store *s, const plx_obj *o);
void plx_obj_free(void *o);
/* Elements of a collection (hash fields, list items, members), 1 for a string. */
size_t plx_obj_count(const plx_obj *o);
const char *plx_type_name(plx_type t);

/* ---------------------------------------------------------------- the store */

struct plx_store {
    plx_dict *keys;    /* key -> plx_obj* */
    plx_zset *expires; /* keys with a TTL, ordered by expiry time (score = expire_ms) */
    uint64_t seed[2];
    uint64_t rng;
    size_t max_keys, max_value;
    plx_store_notify_fn notify;
    void *ud;
};

/* ---------------------------------------------------------------- commands */

typedef struct plx_ctx plx_ctx;
typedef void (*plx_cmd_fn)(plx_ctx *c);

/* Table flags beyond store.h's PLX_CMD_WRITE / PLX_CMD_READ. */
#define PLX_CMD_DENYOOM 0x4 /* may create keys: refused when max_keys would be exceeded */

typedef struct plx_cmd {
    const char *name; /* lower case */
    int arity;        /* as in Redis: argc including the name; negative = at least -arity */
    int flags;
    int first_key, last_key, key_step; /* key positions: last -1 = the last argument */
    plx_cmd_fn fn;
} plx_cmd;

/* The command table lookup: case-insensitive, binary-safe; NULL when unknown. */
const plx_cmd *plx_cmd_lookup(const uint8_t *name, size_t len);

struct plx_ctx {
    plx_store *s;
    const plx_cmd *cmd;
    const plx_bytes *argv;
    size_t argc;
    uint64_t now;
    plx_store_reply *reply; /* set by the handler; NULL after a handler means no memory */
};

/* ---------------------------------------------------------------- replies (reply.c) */

plx_store_reply *plx_store_reply_nil(void);
plx_store_reply *plx_store_reply_status(const char *text);
plx_store_reply *plx_store_reply_int(long long v);
plx_store_reply *plx_store_reply_bulk(const void *data, size_t len);
plx_store_reply *plx_store_reply_bulk_cstr(const char *text);
/* A bulk of a double formatted as Redis 7.0 replies with scores ("%.17g", "inf", "-inf"). */
plx_store_reply *plx_store_reply_double(double d);
/* An array with room for n elements, nelem set to 0; fill with plx_store_reply_push. */
plx_store_reply *plx_store_reply_array(size_t n);
/* Appends e (owned) to an array made with room for it; frees e and returns -1 when either is
 * NULL (no memory), so a chain of pushes needs one check at the end. */
int plx_store_reply_push(plx_store_reply *a, plx_store_reply *e);
/* An error reply: code is PLX_E_*, text is Redis's message without the leading '-'. */
plx_store_reply *plx_store_reply_error(int code, const char *text);
plx_store_reply *plx_store_reply_errorf(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The reply is complete when an array's elements are all non-NULL; otherwise frees it and
 * returns NULL (no memory somewhere while building). */
plx_store_reply *plx_store_reply_check(plx_store_reply *r);

/* Handler shortcuts: set c->reply. */
void plx_add_reply(plx_ctx *c, plx_store_reply *r);
void plx_add_ok(plx_ctx *c);
void plx_add_int(plx_ctx *c, long long v);
void plx_add_nil(plx_ctx *c);
void plx_add_bulk(plx_ctx *c, const void *data, size_t len);
void plx_add_err(plx_ctx *c, const char *text); /* COMMAND_ERROR */
void plx_add_syntax_err(plx_ctx *c);            /* "ERR syntax error" */
void plx_add_wrongtype(plx_ctx *c);             /* WRONGTYPE */
void plx_add_arity_err(plx_ctx *c);             /* WRONG_ARITY for c->cmd */

extern const char plx_err_not_int[];   /* "ERR value is not an integer or out of range" */
extern const char plx_err_not_float[]; /* "ERR value is not a valid float" */
extern const char plx_err_too_big[];   /* string exceeds max_value */

/* ---------------------------------------------------------------- keyspace (db.c) */

/* The key's value, or NULL when absent or expired (an expired key is removed and notified
 * "expired" first). */
plx_obj *plx_db_lookup(plx_ctx *c, const plx_bytes *key);
/* Like plx_db_lookup, but a value of another type than t sets the WRONGTYPE reply and
 * returns NULL with *wrong = 1. */
plx_obj *plx_db_lookup_type(plx_ctx *c, const plx_bytes *key, plx_type t, int *wrong);
/* Adds a key that is known absent. Returns 0, or -1 on no memory (o is freed then). */
int plx_db_add(plx_ctx *c, const plx_bytes *key, plx_obj *o);
/* Replaces (or adds) the key's value, dropping any TTL. 0 or -1 (o freed). */
int plx_db_set(plx_ctx *c, const plx_bytes *key, plx_obj *o);
/* Removes a key. Returns 1 if it existed. */
int plx_db_delete(plx_store *s, const uint8_t *key, size_t klen);
/* Sets or clears (ms = 0) a key's TTL. The key must exist. 0 or -1 on no memory. */
int plx_db_set_expire(plx_store *s, const uint8_t *key, size_t klen, plx_obj *o, uint64_t ms);
/* Deletes the key if its collection is now empty. Returns 1 if deleted. */
int plx_db_delete_if_empty(plx_ctx *c, const plx_bytes *key, plx_obj *o);
/* Removes an expired key and notifies "expired". */
void plx_db_expire_key(plx_store *s, const uint8_t *key, size_t klen);
/* 1 if the value's TTL has passed at now. */
int plx_db_is_expired(const plx_obj *o, uint64_t now);
/* Reports a change of key by the running command (its lower-case name as op). */
void plx_notify(plx_ctx *c, const plx_bytes *key);
void plx_notify_op(plx_store *s, const uint8_t *key, size_t klen, const char *op);

/* ---------------------------------------------------------------- numbers (util.c) */

/* Redis's strict integer parsing: optional '-', no leading zeros, no spaces, no '+', fits in
 * long long. 1 on success, else 0. */
int plx_str2ll(const uint8_t *p, size_t len, long long *v);
/* Parses a double like Redis's string2d / getDoubleFromObject (strtod, whole string, no
 * leading space, not NaN). 1 on success. */
int plx_str2d(const uint8_t *p, size_t len, double *v);
/* Decimal text of v into buf (at least 21 bytes). Returns the length. */
size_t plx_ll2str(char *buf, long long v);
/* A score's text as Redis 7.0 replies it ("%.17g", "inf", "-inf"). buf at least 32 bytes. */
size_t plx_d2str(char *buf, size_t cap, double v);
/* Adds incr to *v and writes the decimal text of the sum to buf (*len bytes), for INCR and
 * HINCRBY. On overflow sets Redis's reply and returns 0, else 1. */
int plx_incr_text(plx_ctx *c, long long *v, long long incr, char buf[32], size_t *len);
/* Case-insensitive compare of an argument with a lower-case C string. */
int plx_arg_is(const plx_bytes *a, const char *lower);
/* Parses argv[i] as a long long; on failure sets the "not an integer" reply and returns 0. */
int plx_arg_ll(plx_ctx *c, size_t i, long long *v);
/* Parses argv[i] as a count >= 0 (LPOP, RPOP, SPOP); on failure sets Redis's reply "ERR value
 * is out of range, must be positive" (also for a non-integer) and returns 0. */
int plx_arg_count(plx_ctx *c, size_t i, long long *v);

/* glob.c implements store.h's plx_glob_match. */

/* ---------------------------------------------------------------- command families */

void plx_cmd_get(plx_ctx *c);
void plx_cmd_set(plx_ctx *c);
void plx_cmd_incr(plx_ctx *c);
void plx_cmd_decr(plx_ctx *c);
void plx_cmd_incrby(plx_ctx *c);
void plx_cmd_decrby(plx_ctx *c);
void plx_cmd_mget(plx_ctx *c);
void plx_cmd_mset(plx_ctx *c);
void plx_cmd_append(plx_ctx *c);
void plx_cmd_strlen(plx_ctx *c);

void plx_cmd_del(plx_ctx *c);
void plx_cmd_exists(plx_ctx *c);
void plx_cmd_type(plx_ctx *c);
void plx_cmd_expire(plx_ctx *c);
void plx_cmd_pexpire(plx_ctx *c);
void plx_cmd_ttl(plx_ctx *c);
void plx_cmd_pttl(plx_ctx *c);
void plx_cmd_persist(plx_ctx *c);
void plx_cmd_keys(plx_ctx *c);
void plx_cmd_scan(plx_ctx *c);
void plx_cmd_rename(plx_ctx *c);
void plx_cmd_copy(plx_ctx *c);
void plx_cmd_dbsize(plx_ctx *c);
void plx_cmd_flushall(plx_ctx *c);

void plx_cmd_hset(plx_ctx *c);
void plx_cmd_hsetnx(plx_ctx *c);
void plx_cmd_hget(plx_ctx *c);
void plx_cmd_hmget(plx_ctx *c);
void plx_cmd_hgetall(plx_ctx *c);
void plx_cmd_hdel(plx_ctx *c);
void plx_cmd_hexists(plx_ctx *c);
void plx_cmd_hkeys(plx_ctx *c);
void plx_cmd_hvals(plx_ctx *c);
void plx_cmd_hlen(plx_ctx *c);
void plx_cmd_hincrby(plx_ctx *c);

void plx_cmd_lpush(plx_ctx *c);
void plx_cmd_rpush(plx_ctx *c);
void plx_cmd_lpop(plx_ctx *c);
void plx_cmd_rpop(plx_ctx *c);
void plx_cmd_llen(plx_ctx *c);
void plx_cmd_lindex(plx_ctx *c);
void plx_cmd_lset(plx_ctx *c);
void plx_cmd_lrange(plx_ctx *c);
void plx_cmd_lrem(plx_ctx *c);
void plx_cmd_linsert(plx_ctx *c);
void plx_cmd_ltrim(plx_ctx *c);

void plx_cmd_sadd(plx_ctx *c);
void plx_cmd_srem(plx_ctx *c);
void plx_cmd_smembers(plx_ctx *c);
void plx_cmd_sismember(plx_ctx *c);
void plx_cmd_scard(plx_ctx *c);
void plx_cmd_smove(plx_ctx *c);
void plx_cmd_srandmember(plx_ctx *c);
void plx_cmd_spop(plx_ctx *c);
void plx_cmd_sinter(plx_ctx *c);
void plx_cmd_sunion(plx_ctx *c);
void plx_cmd_sdiff(plx_ctx *c);

void plx_cmd_zadd(plx_ctx *c);
void plx_cmd_zincrby(plx_ctx *c);
void plx_cmd_zrem(plx_ctx *c);
void plx_cmd_zcard(plx_ctx *c);
void plx_cmd_zscore(plx_ctx *c);
void plx_cmd_zrange(plx_ctx *c);
void plx_cmd_zrangebyscore(plx_ctx *c);
void plx_cmd_zrevrangebyscore(plx_ctx *c);
void plx_cmd_zcount(plx_ctx *c);
void plx_cmd_zrank(plx_ctx *c);

#endif
