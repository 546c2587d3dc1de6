/*
 * engine_store.c - the plexus-storage engine of the differential test.
 */
#include <stdlib.h>
#include <time.h>

#include "engine.h"

static uint64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static plx_store_reply *store_exec(void *ud, const plx_script_arg *argv, size_t argc) {
    plx_bytes *b = calloc(argc ? argc : 1, sizeof(*b));
    if (!b) return NULL;
    for (size_t i = 0; i < argc; i++) {
        b[i].data = argv[i].data;
        b[i].len = argv[i].len;
    }
    plx_store *s = ud;
    uint64_t now = wall_ms();
    plx_store_expire(s, now, 100);
    plx_store_reply *r = plx_store_exec(s, b, argc, now);
    free(b);
    return r;
}

static void store_close(void *ud) {
    plx_store_free(ud);
}

int plx_engine_store(plx_engine *e) {
    plx_store *s = plx_store_new(NULL, NULL, NULL);
    if (!s) return -1;
    e->name = "store";
    e->exec = store_exec;
    e->close = store_close;
    e->ud = s;
    return 0;
}
