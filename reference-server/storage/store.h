/*
 * store.h - the in-memory storage engine of plexus-server: Redis semantics, binary safe.
 *
 * I/O-free and single-threaded: the hub calls plx_store_exec with an argv and the caller's
 * clock, and gets a reply tree whose shape and text equal what Redis 7 answers to the same
 * command (status, integer, bulk, nil, array, error with Redis's exact error text).
 * The command set is an explicit table (spec/SPEC.md section 11); an unknown name is an
 * UNKNOWN_COMMAND error, never a lookup by name.
 */
#ifndef PLX_STORE_H
#define PLX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <plexus/codec.h>

typedef enum plx_store_reply_type {
    PLX_STORE_REPLY_NIL = 0, /* Redis nil bulk / nil array */
    PLX_STORE_REPLY_STATUS,  /* simple string, e.g. OK */
    PLX_STORE_REPLY_INT,     /* integer */
    PLX_STORE_REPLY_BULK,    /* binary-safe bulk string */
    PLX_STORE_REPLY_ARRAY,   /* array of replies */
    PLX_STORE_REPLY_ERROR    /* error: code is a PLX_E_* value, str is Redis's error text */
} plx_store_reply_type;

typedef struct plx_store_reply {
    plx_store_reply_type type;
    long long integer; /* PLX_STORE_REPLY_INT */
    char *str;         /* STATUS, BULK, ERROR: owned, NUL-terminated after len bytes */
    size_t len;
    struct plx_store_reply **elem; /* ARRAY: owned */
    size_t nelem;
    int code; /* ERROR: PLX_E_WRONGTYPE, PLX_E_WRONG_ARITY, ... */
} plx_store_reply;

void plx_store_reply_free(plx_store_reply *r);

/* Limits of one store; every one is documented in SPEC.md section 11. 0 means the default. */
typedef struct plx_store_limits {
    size_t max_keys;  /* default 1,000,000; a write creating key max_keys+1 fails */
    size_t max_value; /* bytes of one string / element; default 512 MiB (Redis's) */
} plx_store_limits;

/* Called for every key a command changed (after the change): op is the lower-case command
 * name (e.g. "hset", "del", "rename" for both keys of a RENAME, "flushall" for every key
 * FLUSHALL removed), "expired" when a TTL removed it (lazily in plx_store_exec or in
 * plx_store_expire). A command that changed nothing notifies nothing. key is borrowed for
 * the call. The callback must not call back into the store. */
typedef void (*plx_store_notify_fn)(void *ud, const uint8_t *key, size_t klen, const char *op);

typedef struct plx_store plx_store;

plx_store *plx_store_new(const plx_store_limits *limits, plx_store_notify_fn notify, void *ud);
void plx_store_free(plx_store *s);

/* Command flags from the table. */
#define PLX_CMD_WRITE 0x1 /* may modify the data set */
#define PLX_CMD_READ  0x2 /* reads keys */
#define PLX_CMD_KNOWN                                                                              \
    0x100 /* set in every plx_store_check success, so the result is > 0 even                       \
             for commands that neither read nor write keys (PING, ECHO) */

/* Looks up argv[0] (case-insensitive) in the command table and checks the arity.
 * Returns the flags (> 0), or PLX_E_UNKNOWN_COMMAND / PLX_E_WRONG_ARITY. When err is not
 * NULL, *err gets a reply with Redis's error text for that case (caller frees). */
int plx_store_check(const plx_bytes *argv, size_t argc, plx_store_reply **err);

/* The keys a command names (indices into argv), for adapters and watches. Returns how many
 * were written to idx (at most max). */
size_t plx_store_keys(const plx_bytes *argv, size_t argc, size_t *idx, size_t max);

/* Runs one command at time now_ms (keys whose TTL passed are treated as absent and removed).
 * now_ms is the caller's clock in milliseconds; it must not go backwards (TTLs are stored as
 * absolute times on it). Always returns a reply (owned by the caller), an error reply on
 * failure; NULL only on no memory. Error texts are Redis 7.0's, except that bytes which are
 * not valid UTF-8 (from a client's argument, e.g. an unknown command name) are each replaced
 * by U+FFFD (STO-11). */
plx_store_reply *plx_store_exec(plx_store *s, const plx_bytes *argv, size_t argc, uint64_t now_ms);

/* Active expiry: removes up to max keys whose TTL passed, earliest expiry first, notifying
 * "expired" for each. Keys with a TTL are indexed by expiry time, so a call costs O(log n)
 * per key removed and visits no key that is not due. Returns how many were removed. */
size_t plx_store_expire(plx_store *s, uint64_t now_ms, size_t max);

/* Redis glob matching (stringmatchlen: * ? [abc] [^abc] [a-z] \x) of s[0..slen) against
 * pat[0..plen), byte by byte; nocase folds ASCII case. Binary safe, O(plen * slen) time,
 * no recursion. Returns 1 on a match, else 0. (KEYS, SCAN MATCH, the hub's watches.) */
int plx_glob_match(const uint8_t *pat, size_t plen, const uint8_t *s, size_t slen, int nocase);

/* Number of keys (expired ones not yet removed included). */
size_t plx_store_size(const plx_store *s);

/* The command table's names (lower case, sorted), for introspection and tests: writes up to
 * max of them to names (static strings) and returns how many commands the table has. */
size_t plx_store_commands(const char **names, size_t max);

#endif
