/*
 * reply.c - hiredis replies to the in-memory engine's reply trees (store.h's plx_store_reply), and
 * the one mapping of Redis error texts to PLX_E_* codes.
 */
#include <string.h>

#include "internal.h"
/* The engine's reply constructors (plx_store_reply_errorf sanitises error texts as the engine
 * does), so both backends build replies one way. */
#include "../storage/internal.h"

/* Error prefixes and the code the engine gives for them; first match wins. */
static const struct {
    const char *prefix;
    int code;
} error_codes[] = {
    {"WRONGTYPE ", PLX_E_WRONGTYPE},
    {"ERR wrong number of arguments", PLX_E_WRONG_ARITY},
    {"ERR unknown command", PLX_E_UNKNOWN_COMMAND},
    {"EXECABORT ", PLX_E_EXEC_ABORTED},
    /* Redis's own state, not the command's fault: the storage is unavailable. */
    {"LOADING ", PLX_E_STORAGE_UNAVAILABLE},
    {"BUSY ", PLX_E_STORAGE_UNAVAILABLE},
    {"MASTERDOWN ", PLX_E_STORAGE_UNAVAILABLE},
    {"MISCONF ", PLX_E_STORAGE_UNAVAILABLE},
    {"READONLY ", PLX_E_STORAGE_UNAVAILABLE},
    {"NOAUTH ", PLX_E_STORAGE_UNAVAILABLE},
    {"NOPERM ", PLX_E_STORAGE_UNAVAILABLE},
    {"CLUSTERDOWN ", PLX_E_STORAGE_UNAVAILABLE},
    {"TRYAGAIN ", PLX_E_STORAGE_UNAVAILABLE},
};

int plx_rstore_error_code(const char *text, size_t len) {
    if (!text) return PLX_E_COMMAND_ERROR;
    for (size_t i = 0; i < sizeof(error_codes) / sizeof(error_codes[0]); i++) {
        size_t plen = strlen(error_codes[i].prefix);
        if (len >= plen && memcmp(text, error_codes[i].prefix, plen) == 0)
            return error_codes[i].code;
    }
    return PLX_E_COMMAND_ERROR;
}

plx_store_reply *plx_rstore_error(int code, const char *text) {
    return plx_store_reply_errorf(code, "%s", text);
}

plx_store_reply *plx_rstore_array(size_t n) {
    return plx_store_reply_array(n);
}

/* An error reply from Redis's text (len bytes, may hold a NUL in theory: cut there). */
static plx_store_reply *error_reply(const char *text, size_t len) {
    return plx_store_reply_errorf(plx_rstore_error_code(text, len), "%.*s",
                                  (int)(len > 4096 ? 4096 : len), text);
}

plx_store_reply *plx_rstore_reply(const redisReply *rr) {
    if (!rr) return NULL;
    switch (rr->type) {
    case REDIS_REPLY_STRING:
        return plx_store_reply_bulk(rr->str, rr->len);
    case REDIS_REPLY_STATUS:
        return plx_store_reply_status(rr->str);
    case REDIS_REPLY_INTEGER:
        return plx_store_reply_int(rr->integer);
    case REDIS_REPLY_ERROR:
        return error_reply(rr->str, rr->len);
    case REDIS_REPLY_ARRAY: {
        plx_store_reply *a = plx_store_reply_array(rr->elements);
        for (size_t i = 0; a && i < rr->elements; i++)
            plx_store_reply_push(a, plx_rstore_reply(rr->element[i]));
        return plx_store_reply_check(a);
    }
    default:
        return plx_store_reply_nil();
    }
}
