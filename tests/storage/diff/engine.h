/*
 * engine.h - the engines the differential test runs a script against: each turns an argv
 * into a store.h reply tree (plx_store_reply), so replies of different engines compare directly.
 */
#ifndef PLX_DIFF_ENGINE_H
#define PLX_DIFF_ENGINE_H

#include <stddef.h>

#include "script.h"
#include "store.h"

typedef struct plx_engine {
    const char *name;
    /* Runs one command; returns an owned reply, NULL when the engine failed (I/O, memory). */
    plx_store_reply *(*exec)(void *ud, const plx_script_arg *argv, size_t argc);
    void (*close)(void *ud);
    void *ud;
} plx_engine;

/* The in-process plexus-storage engine (wall-clock milliseconds as now, so TTLs agree with a
 * real Redis). 0 or -1. */
int plx_engine_store(plx_engine *e);
/* A private plexus-server (the executable bin, started on a free port and stopped with
 * SIGTERM when the engine closes) reached over the wire through libplexus-client. 0 or -1. */
int plx_engine_server(plx_engine *e, const char *bin);
/* A Redis server at 127.0.0.1:port through hiredis (RESP2). 0 or -1. */
int plx_engine_redis(plx_engine *e, int port);

/* The error code store.h uses for a Redis error text (UNKNOWN_COMMAND, WRONG_ARITY,
 * WRONGTYPE, COMMAND_ERROR), as SPEC.md STO-9 maps them. */
int plx_error_code_for_text(const char *text);

#endif
