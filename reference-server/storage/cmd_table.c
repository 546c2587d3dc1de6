/*
 * cmd_table.c - the explicit command table: name, arity, flags, key positions, handler.
 *
 * Arity is Redis's: the argument count including the command name; negative means "at least".
 * Key positions: first, last (-1 = the last argument), step; first 0 = no keys.
 * The table holds exactly the commands of SPEC.md sections 11.5-11.10 (STO-2); it is sorted
 * by name (a unit test checks it) and searched by binary search; nothing outside this table
 * can ever be called.
 */
#include <string.h>

#include "internal.h"

#define R PLX_CMD_READ
#define W PLX_CMD_WRITE
#define D PLX_CMD_DENYOOM

static const plx_cmd table[] = {
    {"append", 3, W | D, 1, 1, 1, plx_cmd_append},
    {"copy", -3, W | D, 1, 2, 1, plx_cmd_copy},
    {"dbsize", 1, R, 0, 0, 0, plx_cmd_dbsize},
    {"decr", 2, W | D, 1, 1, 1, plx_cmd_decr},
    {"decrby", 3, W | D, 1, 1, 1, plx_cmd_decrby},
    {"del", -2, W, 1, -1, 1, plx_cmd_del},
    {"exists", -2, R, 1, -1, 1, plx_cmd_exists},
    {"expire", -3, W, 1, 1, 1, plx_cmd_expire},
    {"flushall", -1, W, 0, 0, 0, plx_cmd_flushall},
    {"get", 2, R, 1, 1, 1, plx_cmd_get},
    {"hdel", -3, W, 1, 1, 1, plx_cmd_hdel},
    {"hexists", 3, R, 1, 1, 1, plx_cmd_hexists},
    {"hget", 3, R, 1, 1, 1, plx_cmd_hget},
    {"hgetall", 2, R, 1, 1, 1, plx_cmd_hgetall},
    {"hincrby", 4, W | D, 1, 1, 1, plx_cmd_hincrby},
    {"hkeys", 2, R, 1, 1, 1, plx_cmd_hkeys},
    {"hlen", 2, R, 1, 1, 1, plx_cmd_hlen},
    {"hmget", -3, R, 1, 1, 1, plx_cmd_hmget},
    {"hset", -4, W | D, 1, 1, 1, plx_cmd_hset},
    {"hsetnx", 4, W | D, 1, 1, 1, plx_cmd_hsetnx},
    {"hvals", 2, R, 1, 1, 1, plx_cmd_hvals},
    {"incr", 2, W | D, 1, 1, 1, plx_cmd_incr},
    {"incrby", 3, W | D, 1, 1, 1, plx_cmd_incrby},
    {"keys", 2, R, 0, 0, 0, plx_cmd_keys},
    {"lindex", 3, R, 1, 1, 1, plx_cmd_lindex},
    {"linsert", 5, W | D, 1, 1, 1, plx_cmd_linsert},
    {"llen", 2, R, 1, 1, 1, plx_cmd_llen},
    {"lpop", -2, W, 1, 1, 1, plx_cmd_lpop},
    {"lpush", -3, W | D, 1, 1, 1, plx_cmd_lpush},
    {"lrange", 4, R, 1, 1, 1, plx_cmd_lrange},
    {"lrem", 4, W, 1, 1, 1, plx_cmd_lrem},
    {"lset", 4, W | D, 1, 1, 1, plx_cmd_lset},
    {"ltrim", 4, W, 1, 1, 1, plx_cmd_ltrim},
    {"mget", -2, R, 1, -1, 1, plx_cmd_mget},
    {"mset", -3, W | D, 1, -1, 2, plx_cmd_mset},
    {"persist", 2, W, 1, 1, 1, plx_cmd_persist},
    {"pexpire", -3, W, 1, 1, 1, plx_cmd_pexpire},
    {"pttl", 2, R, 1, 1, 1, plx_cmd_pttl},
    {"rename", 3, W, 1, 2, 1, plx_cmd_rename},
    {"rpop", -2, W, 1, 1, 1, plx_cmd_rpop},
    {"rpush", -3, W | D, 1, 1, 1, plx_cmd_rpush},
    {"sadd", -3, W | D, 1, 1, 1, plx_cmd_sadd},
    {"scan", -2, R, 0, 0, 0, plx_cmd_scan},
    {"scard", 2, R, 1, 1, 1, plx_cmd_scard},
    {"sdiff", -2, R, 1, -1, 1, plx_cmd_sdiff},
    {"set", -3, W | D, 1, 1, 1, plx_cmd_set},
    {"sinter", -2, R, 1, -1, 1, plx_cmd_sinter},
    {"sismember", 3, R, 1, 1, 1, plx_cmd_sismember},
    {"smembers", 2, R, 1, 1, 1, plx_cmd_smembers},
    {"smove", 4, W | D, 1, 2, 1, plx_cmd_smove}, /* may create the destination set */
    {"spop", -2, W, 1, 1, 1, plx_cmd_spop},
    {"srandmember", -2, R, 1, 1, 1, plx_cmd_srandmember},
    {"srem", -3, W, 1, 1, 1, plx_cmd_srem},
    {"strlen", 2, R, 1, 1, 1, plx_cmd_strlen},
    {"sunion", -2, R, 1, -1, 1, plx_cmd_sunion},
    {"ttl", 2, R, 1, 1, 1, plx_cmd_ttl},
    {"type", 2, R, 1, 1, 1, plx_cmd_type},
    {"zadd", -4, W | D, 1, 1, 1, plx_cmd_zadd},
    {"zcard", 2, R, 1, 1, 1, plx_cmd_zcard},
    {"zcount", 4, R, 1, 1, 1, plx_cmd_zcount},
    {"zincrby", 4, W | D, 1, 1, 1, plx_cmd_zincrby},
    {"zrange", -4, R, 1, 1, 1, plx_cmd_zrange},
    {"zrangebyscore", -4, R, 1, 1, 1, plx_cmd_zrangebyscore},
    {"zrank", 3, R, 1, 1, 1, plx_cmd_zrank},
    {"zrem", -3, W, 1, 1, 1, plx_cmd_zrem},
    {"zrevrangebyscore", -4, R, 1, 1, 1, plx_cmd_zrevrangebyscore},
    {"zscore", 3, R, 1, 1, 1, plx_cmd_zscore},
};

#define NCMDS (sizeof(table) / sizeof(table[0]))

/* Compares a binary argument, folded to lower case, with a table name. */
static int name_cmp(const uint8_t *name, size_t len, const char *cname) {
    size_t clen = strlen(cname);
    for (size_t i = 0; i < len && i < clen; i++) {
        int a = name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i];
        int b = (unsigned char)cname[i];
        if (a != b) return a < b ? -1 : 1;
    }
    return len < clen ? -1 : len > clen;
}

const plx_cmd *plx_cmd_lookup(const uint8_t *name, size_t len) {
    size_t lo = 0, hi = NCMDS;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = name_cmp(name, len, table[mid].name);
        if (c == 0) return &table[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

size_t plx_store_commands(const char **names, size_t max) {
    size_t n = 0;
    for (; n < NCMDS && n < max; n++)
        names[n] = table[n].name;
    return NCMDS;
}
