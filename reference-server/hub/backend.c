/*
 * backend.c - storage on an asynchronous backend (plexus-server --storage redis://...): the
 * hub checks each command itself (storage_dispatch.c), hands the runnable ones to the backend
 * as one batch per cmd or pipeline, and answers when the batch completes.
 *
 * A batch in flight is a hub_call of kind HUB_STORE in h->calls under its cookie (a server call
 * id, never reused): a cmd's batch is also the caller's pending request; a pipeline's batch is
 * one part of the pipeline's aggregate, filling the slots of the commands it carries. A caller
 * that leaves orphans its batches like its calls (caller 0, aggregate NULL), and their answers
 * are dropped when they complete. The hub has no deadline of its own for a batch: the backend
 * completes every batch it accepted (rstore.h bounds that by its timeout).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

plx_hub *plx_hub_new_backend(const plx_hub_config *cfg, const plx_hub_io *io,
                             const plx_hub_backend *be) {
    if (!be || !be->submit) return NULL;
    plx_hub *h = plx_hub_new(cfg, io, NULL);
    if (!h) return NULL;
    const char *name = be->name ? be->name : "redis";
    char *copy = malloc(strlen(name) + 1);
    if (!copy) {
        plx_hub_free(h);
        return NULL;
    }
    strcpy(copy, name);
    h->backend = *be;
    h->backend.name = copy;
    if (!(h->scratch = plx_store_new(NULL, NULL, NULL))) {
        plx_hub_free(h);
        return NULL;
    }
    return h;
}

/* 1 if a[0..) is the ASCII word w, case-insensitively. */
static int word_is(plx_bytes a, const char *w) {
    return a.len == strlen(w) && strncasecmp((const char *)a.data, w, a.len) == 0;
}

plx_store_reply *hub_backend_syntax(plx_hub *h, const plx_bytes *argv, size_t argc, uint64_t now) {
    /* The commands whose arguments Redis 7.0 accepts beyond the Plexus subset (STO-4): SET
     * (GET, EXAT, PXAT), COPY (DB), ZRANGE (BYSCORE, BYLEX, REV, LIMIT), and SRANDMEMBER
     * (a count below -1048576, which Redis 7.0 answers with that many members). They parse
     * their arguments before reading any key, so an empty store answers exactly the error the
     * in-memory store would; SET runs there with an empty value and its key is removed. */
    int set = word_is(argv[0], "set");
    if (!(set && argc > 3) && !(word_is(argv[0], "copy") && argc > 3) &&
        !(word_is(argv[0], "zrange") && argc > 4) &&
        !(word_is(argv[0], "srandmember") && argc == 3))
        return NULL;
    plx_bytes *av = malloc(argc * sizeof(*av));
    if (!av) return NULL;
    memcpy(av, argv, argc * sizeof(*av));
    if (set) av[2] = (plx_bytes){(const uint8_t *)"", 0};
    plx_store_reply *r = plx_store_exec(h->scratch, av, argc, now);
    if (set && r && r->type != PLX_STORE_REPLY_ERROR) {
        plx_bytes del[2] = {{(const uint8_t *)"del", 3}, argv[1]};
        plx_store_reply_free(plx_store_exec(h->scratch, del, 2, now));
    }
    free(av);
    if (r && r->type == PLX_STORE_REPLY_ERROR) return r;
    plx_store_reply_free(r);
    return NULL;
}

int hub_backend_submit(plx_hub *h, hub_conn *c, uint64_t rid, hub_agg *a, const size_t *slots,
                       const plx_bytes *const *argv, const size_t *argc, size_t n, int atomic) {
    hub_call *k = calloc(1, sizeof(*k));
    if (!k) return PLX_E_NOMEM;
    k->kind = HUB_STORE;
    k->sid = ++h->next_sid;
    k->caller = c->id;
    k->rid = rid;
    k->deadline_ms = UINT64_MAX;
    k->agg = a;
    k->nslots = n;
    if (a && !(k->slots = malloc(n * sizeof(*k->slots)))) {
        free(k);
        return PLX_E_NOMEM;
    }
    if (a) memcpy(k->slots, slots, n * sizeof(*k->slots));
    if (hub_map_putu(&h->calls, k->sid, k) != 0) {
        free(k->slots);
        free(k);
        return PLX_E_NOMEM;
    }
    if (!a && hub_map_putu(&c->pending, rid, k) != 0) {
        hub_call_end(h, k);
        return PLX_E_NOMEM;
    }
    if (h->backend.submit(h->backend.ud, k->sid, argv, argc, n, atomic) != 0) {
        hub_call_end(h, k);
        return PLX_E_STORAGE_UNAVAILABLE;
    }
    if (a) a->remaining++;
    return 0;
}

/* A reply of the wrong shape from the backend (not n entries, not one ERROR). */
#define BAD_SHAPE_TEXT "ERR storage backend reply of the wrong shape"
static const plx_store_reply bad_shape = {.type = PLX_STORE_REPLY_ERROR,
                                          .str = BAD_SHAPE_TEXT,
                                          .len = sizeof(BAD_SHAPE_TEXT) - 1,
                                          .code = PLX_E_INTERNAL};

/* A cmd's batch: the caller gets its one entry (or the batch's error). */
static void done_cmd(plx_hub *h, hub_conn *caller, uint64_t rid, const plx_store_reply *r) {
    if (r->type == PLX_STORE_REPLY_ARRAY && r->nelem == 1 && r->elem[0])
        r = r->elem[0];
    else if (r->type != PLX_STORE_REPLY_ERROR)
        r = &bad_shape;
    hub_store_answer(h, caller, rid, r);
}

/* A pipeline's batch: fills the slots it carries. A batch that failed as a whole and carries
 * every command of the pipeline answers it with that error instead (STO-20), and a is freed:
 * returns 1. */
static int done_part(plx_hub *h, hub_agg *a, const size_t *slots, size_t n,
                     const plx_store_reply *r) {
    int whole = r->type == PLX_STORE_REPLY_ARRAY && r->nelem == n;
    if (!whole && r->type != PLX_STORE_REPLY_ERROR) r = &bad_shape;
    if (!whole && n == a->nslots) {
        hub_conn *caller = hub_conn_get(h, a->caller);
        if (caller && hub_map_getu(&caller->pending, a->rid) == a) {
            hub_map_delu(&caller->pending, a->rid);
            hub_store_answer(h, caller, a->rid, r);
        }
        hub_agg_orphan(h, a);
        return 1;
    }
    for (size_t j = 0; j < n; j++) {
        const plx_store_reply *e = whole ? r->elem[j] : r;
        static const plx_store_reply nil = {.type = PLX_STORE_REPLY_NIL};
        hub_agg_fill(a, slots[j], hub_store_entry(e ? e : &nil, &a->slots[slots[j]].att));
    }
    return 0;
}

void plx_hub_store_done(plx_hub *h, uint64_t cookie, plx_store_reply *r, uint64_t now_ms) {
    (void)now_ms;
    hub_call *k = hub_map_getu(&h->calls, cookie);
    if (!k || k->kind != HUB_STORE || !r) {
        plx_store_reply_free(r);
        return;
    }
    hub_agg *a = k->agg;
    hub_conn *caller = k->caller ? hub_conn_get(h, k->caller) : NULL;
    uint64_t rid = k->rid;
    size_t *slots = k->slots, n = k->nslots;
    k->slots = NULL;
    hub_call_end(h, k); /* a cmd's pending entry goes: the answer below may not see it */
    if (a) {
        if (!done_part(h, a, slots, n, r)) hub_agg_release(h, a);
    } else if (caller) {
        done_cmd(h, caller, rid, r);
    }
    free(slots);
    plx_store_reply_free(r);
    hub_reap(h);
}
