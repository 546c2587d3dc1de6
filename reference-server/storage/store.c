/*
 * store.c - the store object and its entry points: check, key positions, exec, active expiry.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define OOM_TEXT "OOM command not allowed when used memory > 'maxmemory'."

plx_store *plx_store_new(const plx_store_limits *limits, plx_store_notify_fn notify, void *ud) {
    plx_store *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    /* The hash seed only needs to be unpredictable to clients, not cryptographically strong:
     * the clock and the store's own address, mixed through SipHash. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t raw[3] = {(uint64_t)ts.tv_sec, (uint64_t)ts.tv_nsec, (uint64_t)(uintptr_t)s};
    const uint64_t k0[2] = {0x0123456789abcdefULL, 0xfedcba9876543210ULL};
    s->seed[0] = plx_siphash((const uint8_t *)raw, sizeof(raw), k0);
    raw[0] ^= 0x5555555555555555ULL;
    s->seed[1] = plx_siphash((const uint8_t *)raw, sizeof(raw), k0);
    s->rng = s->seed[0] | 1;
    s->max_keys = limits && limits->max_keys ? limits->max_keys : PLX_STORE_DEFAULT_MAX_KEYS;
    s->max_value = limits && limits->max_value ? limits->max_value : PLX_STORE_DEFAULT_MAX_VALUE;
    s->notify = notify;
    s->ud = ud;
    s->keys = plx_dict_new(s->seed);
    s->expires = plx_zset_new(s->seed);
    if (!s->keys || !s->expires) {
        plx_store_free(s);
        return NULL;
    }
    return s;
}

void plx_store_free(plx_store *s) {
    if (!s) return;
    plx_dict_free(s->keys, plx_obj_free);
    plx_zset_free(s->expires);
    free(s);
}

size_t plx_store_size(const plx_store *s) {
    return s->keys->used;
}

/* ---------------------------------------------------------------- check and key positions */

/* Redis's text for an unknown command: the name and the first arguments, each cut at 128
 * bytes (and at a NUL, as Redis's %s does), 128 bytes of arguments at most. */
static plx_store_reply *unknown_command(const plx_bytes *argv, size_t argc) {
    char args[512] = "";
    size_t used = 0;
    for (size_t i = 1; i < argc && used < 128; i++) {
        size_t n = strnlen((const char *)argv[i].data, argv[i].len);
        size_t room = 128 - used;
        if (n > room) n = room;
        args[used++] = '\'';
        memcpy(args + used, argv[i].data, n);
        used += n;
        args[used++] = '\'';
        args[used++] = ' ';
        args[used] = 0;
    }
    size_t nlen = argc ? strnlen((const char *)argv[0].data, argv[0].len) : 0;
    if (nlen > 128) nlen = 128;
    return plx_store_reply_errorf(PLX_E_UNKNOWN_COMMAND,
                                  "ERR unknown command '%.*s', with args beginning with: %s",
                                  (int)nlen, argc ? (const char *)argv[0].data : "", args);
}

/* The table entry for argv, or NULL with *err set to the error reply (when err not NULL). */
static const plx_cmd *check(const plx_bytes *argv, size_t argc, plx_store_reply **err, int *code) {
    const plx_cmd *cmd = argc ? plx_cmd_lookup(argv[0].data, argv[0].len) : NULL;
    if (!cmd) {
        *code = PLX_E_UNKNOWN_COMMAND;
        if (err) *err = unknown_command(argv, argc);
        return NULL;
    }
    if ((cmd->arity > 0 && argc != (size_t)cmd->arity) ||
        (cmd->arity < 0 && argc < (size_t)-cmd->arity)) {
        *code = PLX_E_WRONG_ARITY;
        if (err)
            *err = plx_store_reply_errorf(
                PLX_E_WRONG_ARITY, "ERR wrong number of arguments for '%s' command", cmd->name);
        return NULL;
    }
    return cmd;
}

int plx_store_check(const plx_bytes *argv, size_t argc, plx_store_reply **err) {
    int code = 0;
    if (err) *err = NULL;
    const plx_cmd *cmd = check(argv, argc, err, &code);
    return cmd ? (cmd->flags & (PLX_CMD_READ | PLX_CMD_WRITE)) | PLX_CMD_KNOWN : code;
}

static size_t cmd_keys(const plx_cmd *cmd, size_t argc, size_t *idx, size_t max) {
    if (cmd->first_key == 0) return 0;
    size_t last = cmd->last_key < 0 ? argc + (size_t)cmd->last_key : (size_t)cmd->last_key;
    size_t n = 0;
    for (size_t i = (size_t)cmd->first_key; i <= last && i < argc; i += (size_t)cmd->key_step) {
        if (n == max) break;
        idx[n++] = i;
    }
    return n;
}

size_t plx_store_keys(const plx_bytes *argv, size_t argc, size_t *idx, size_t max) {
    int code;
    const plx_cmd *cmd = check(argv, argc, NULL, &code);
    return cmd ? cmd_keys(cmd, argc, idx, max) : 0;
}

/* ---------------------------------------------------------------- exec */

/* 1 if running cmd could create more keys than max_keys allows: counts the named keys that
 * do not exist yet (only when the store is within argc keys of the limit). */
static int over_key_limit(const plx_store *s, const plx_cmd *cmd, const plx_bytes *argv,
                          size_t argc) {
    if (!(cmd->flags & PLX_CMD_DENYOOM) || s->keys->used + argc <= s->max_keys) return 0;
    if (cmd->first_key == 0) return 0;
    size_t last = cmd->last_key < 0 ? argc + (size_t)cmd->last_key : (size_t)cmd->last_key;
    size_t absent = 0;
    for (size_t i = (size_t)cmd->first_key; i <= last && i < argc; i += (size_t)cmd->key_step)
        if (!plx_dict_find(s->keys, argv[i].data, argv[i].len)) absent++;
    return s->keys->used + absent > s->max_keys;
}

plx_store_reply *plx_store_exec(plx_store *s, const plx_bytes *argv, size_t argc, uint64_t now_ms) {
    plx_store_reply *err = NULL;
    int code;
    const plx_cmd *cmd = check(argv, argc, &err, &code);
    if (!cmd) return err;
    for (size_t i = 1; i < argc; i++)
        if (argv[i].len > s->max_value)
            return plx_store_reply_error(PLX_E_COMMAND_ERROR, plx_err_too_big);
    if (over_key_limit(s, cmd, argv, argc))
        return plx_store_reply_error(PLX_E_COMMAND_ERROR, OOM_TEXT);
    plx_ctx c = {.s = s, .cmd = cmd, .argv = argv, .argc = argc, .now = now_ms, .reply = NULL};
    cmd->fn(&c);
    return plx_store_reply_check(c.reply);
}

/* ---------------------------------------------------------------- active expiry */

size_t plx_store_expire(plx_store *s, uint64_t now_ms, size_t max) {
    size_t removed = 0;
    /* The TTL index is ordered by expiry time: take keys from its head while they are due,
     * O(log n) each, and nothing is visited that is not due. */
    while (removed < max) {
        plx_zsl_node *n = s->expires->header->level[0].forward;
        if (!n || n->score > (double)now_ms) break;
        plx_dict_entry *k = plx_dict_find(s->keys, n->ele, n->len);
        if (!k) { /* not reachable: every indexed key exists; drop the stale entry */
            plx_zset_del(s->expires, n->ele, n->len);
            continue;
        }
        /* Times beyond 2^53 ms compare inexactly as doubles: the key's own time decides. */
        if (!plx_db_is_expired(k->val, now_ms)) break;
        plx_db_expire_key(s, n->ele, n->len);
        removed++;
    }
    return removed;
}
