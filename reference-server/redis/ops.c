/*
 * ops.c - plx_rstore_op: Redis 7 keyspace event names to the op of a Plexus change message.
 * Where Redis names the event after the command it is the same word; where one command raises
 * two events for its two keys (RENAME, COPY, MOVE) both map to the command's name; a few
 * abbreviations are spelled out. The table is spec/REDIS-BACKEND.md's.
 */
#include <string.h>

#include "rstore.h"

static const struct {
    const char *event, *op;
} ops[] = {
    /* generic */
    {"del", "del"},
    {"rename_from", "rename"},
    {"rename_to", "rename"},
    {"copy_to", "copy"},
    {"move_from", "move"},
    {"move_to", "move"},
    {"restore", "restore"},
    {"expire", "expire"},
    {"persist", "persist"},
    {"expired", "expired"},
    {"evicted", "evicted"},
    {"new", "new"},
    {"sortstore", "sort"},
    /* strings */
    {"set", "set"},
    {"setrange", "setrange"},
    {"incrby", "incrby"},
    {"incrbyfloat", "incrbyfloat"},
    {"append", "append"},
    /* lists */
    {"lpush", "lpush"},
    {"rpush", "rpush"},
    {"lpop", "lpop"},
    {"rpop", "rpop"},
    {"linsert", "linsert"},
    {"lset", "lset"},
    {"lrem", "lrem"},
    {"ltrim", "ltrim"},
    /* hashes */
    {"hset", "hset"},
    {"hdel", "hdel"},
    {"hincrby", "hincrby"},
    {"hincrbyfloat", "hincrbyfloat"},
    /* sets */
    {"sadd", "sadd"},
    {"srem", "srem"},
    {"spop", "spop"},
    {"sinterstore", "sinterstore"},
    {"sunionstore", "sunionstore"},
    {"sdiffstore", "sdiffstore"},
    /* sorted sets */
    {"zadd", "zadd"},
    {"zincr", "zincrby"},
    {"zrem", "zrem"},
    {"zrembyscore", "zremrangebyscore"},
    {"zrembyrank", "zremrangebyrank"},
    {"zrembylex", "zremrangebylex"},
    {"zpopmin", "zpopmin"},
    {"zpopmax", "zpopmax"},
    {"zunionstore", "zunionstore"},
    {"zinterstore", "zinterstore"},
    {"zdiffstore", "zdiffstore"},
    {"zrangestore", "zrangestore"},
    /* streams */
    {"xadd", "xadd"},
    {"xtrim", "xtrim"},
    {"xdel", "xdel"},
    {"xsetid", "xsetid"},
    {"xgroup-create", "xgroup"},
    {"xgroup-createconsumer", "xgroup"},
    {"xgroup-delconsumer", "xgroup"},
    {"xgroup-destroy", "xgroup"},
    {"xgroup-setid", "xgroup"},
};

const char *plx_rstore_op(const char *event, size_t len) {
    if (!event) return "unknown";
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strlen(ops[i].event) == len && memcmp(ops[i].event, event, len) == 0) return ops[i].op;
    return "unknown";
}
