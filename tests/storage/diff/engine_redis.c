/*
 * engine_redis.c - a real Redis through hiredis, as an engine of the differential test.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "engine.h"
#include "reply_build.h"

int plx_error_code_for_text(const char *text) {
    if (strncmp(text, "ERR unknown command", 19) == 0) return PLX_E_UNKNOWN_COMMAND;
    if (strncmp(text, "ERR wrong number of arguments", 29) == 0) return PLX_E_WRONG_ARITY;
    if (strncmp(text, "WRONGTYPE", 9) == 0) return PLX_E_WRONGTYPE;
    return PLX_E_COMMAND_ERROR;
}

/* Copies a hiredis reply into a plx_store_reply tree. NULL on no memory. */
static plx_store_reply *convert(const redisReply *rr) {
    plx_store_reply *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    switch (rr->type) {
    case REDIS_REPLY_NIL:
        r->type = PLX_STORE_REPLY_NIL;
        return r;
    case REDIS_REPLY_INTEGER:
        r->type = PLX_STORE_REPLY_INT;
        r->integer = rr->integer;
        return r;
    case REDIS_REPLY_ARRAY:
        r->type = PLX_STORE_REPLY_ARRAY;
        r->elem = calloc(rr->elements ? rr->elements : 1, sizeof(*r->elem));
        if (!r->elem) break;
        for (size_t i = 0; i < rr->elements; i++) {
            if (!(r->elem[i] = convert(rr->element[i]))) break;
            r->nelem++;
        }
        if (r->nelem != rr->elements) break;
        return r;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
        r->type = rr->type == REDIS_REPLY_STRING   ? PLX_STORE_REPLY_BULK
                  : rr->type == REDIS_REPLY_STATUS ? PLX_STORE_REPLY_STATUS
                                                   : PLX_STORE_REPLY_ERROR;
        r->str = malloc(rr->len + 1);
        if (!r->str) break;
        memcpy(r->str, rr->str, rr->len);
        r->str[rr->len] = 0;
        r->len = rr->len;
        if (r->type == PLX_STORE_REPLY_ERROR) r->code = plx_error_code_for_text(r->str);
        return r;
    default:
        break;
    }
    plx_diff_reply_free(r);
    return NULL;
}

static plx_store_reply *redis_exec(void *ud, const plx_script_arg *argv, size_t argc) {
    redisContext *c = ud;
    const char **av = calloc(argc ? argc : 1, sizeof(*av));
    size_t *al = calloc(argc ? argc : 1, sizeof(*al));
    plx_store_reply *r = NULL;
    if (av && al) {
        for (size_t i = 0; i < argc; i++) {
            av[i] = (const char *)argv[i].data;
            al[i] = argv[i].len;
        }
        redisReply *rr = redisCommandArgv(c, (int)argc, av, al);
        if (rr) {
            r = convert(rr);
            freeReplyObject(rr);
        }
    }
    free(av);
    free(al);
    return r;
}

static void redis_close(void *ud) {
    redisFree(ud);
}

int plx_engine_redis(plx_engine *e, int port) {
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (!c || c->err) {
        if (c) redisFree(c);
        return -1;
    }
    redisSetTimeout(c, tv); /* every reply within 5 s */
    e->name = "redis";
    e->exec = redis_exec;
    e->close = redis_close;
    e->ud = c;
    return 0;
}
