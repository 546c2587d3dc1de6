/*
 * assembler.c - chunk reassembly: frames of one message id in, one body out.
 *
 * Bounds: a fixed table of max_partial incomplete messages, each one growing buffer of at
 * most max_message bytes (checked before copying), so at most max_partial * max_message
 * bytes are held; plus the last completed body (a chunked or inflated one), freed on the next
 * call. Checks run in the order of SPEC.md CHK-8 (expiry), CHK-9 (new id) and CHK-10 (incomplete
 * id). An unchunked uncompressed message is handed out in place: its body is the frame's
 * payload. Expiry uses the caller's clock: an incomplete message whose last chunk is more than
 * expiry_ms old is dropped with PLX_E_EXPIRED.
 */
#include <string.h>

#include "internal.h"

typedef struct partial {
    int used;
    int gzip; /* the GZIP flag of its first chunk */
    uint32_t msg_id;
    uint8_t *buf; /* wire bytes received, contiguous from offset 0 */
    size_t len, cap;
    uint64_t last_ms; /* caller's clock at its last chunk */
} partial;

struct plx_assembler {
    plx_allocator a;
    plx_assembler_limits lim;
    partial *slots; /* lim.max_partial entries */
    size_t count;   /* used slots */
    uint8_t *done;  /* owned storage of the body returned last, freed on the next call */
};

static void apply_defaults(plx_assembler_limits *l) {
    if (l->max_message == 0) l->max_message = PLX_DEFAULT_MAX_MESSAGE;
    if (l->max_partial == 0) l->max_partial = PLX_DEFAULT_MAX_PARTIAL;
    if (l->expiry_ms == 0) l->expiry_ms = PLX_DEFAULT_EXPIRY_MS;
}

plx_assembler *plx_assembler_new(const plx_allocator *a, const plx_assembler_limits *limits) {
    plx_allocator al;
    plx_alloc_init(&al, a);
    plx_assembler *as = plx_alloc(&al, sizeof(*as));
    if (!as) return NULL;
    memset(as, 0, sizeof(*as));
    as->a = al;
    if (limits) as->lim = *limits;
    apply_defaults(&as->lim);
    as->slots = plx_alloc(&al, sizeof(partial) * as->lim.max_partial);
    if (!as->slots) {
        plx_free(&al, as);
        return NULL;
    }
    memset(as->slots, 0, sizeof(partial) * as->lim.max_partial);
    return as;
}

static void drop(plx_assembler *as, partial *p) {
    plx_free(&as->a, p->buf);
    memset(p, 0, sizeof(*p));
    as->count--;
}

void plx_assembler_free(plx_assembler *as) {
    if (!as) return;
    for (size_t i = 0; i < as->lim.max_partial; i++)
        if (as->slots[i].used) drop(as, &as->slots[i]);
    plx_free(&as->a, as->slots);
    plx_free(&as->a, as->done);
    plx_free(&as->a, as);
}

int plx_assembler_set_limits(plx_assembler *as, const plx_assembler_limits *limits) {
    if (!limits) return PLX_E_INVAL;
    plx_assembler_limits l = *limits;
    apply_defaults(&l);
    if (as->count > l.max_partial) return PLX_E_INVAL;
    if (l.max_partial != as->lim.max_partial) {
        partial *ns = plx_alloc(&as->a, sizeof(partial) * l.max_partial);
        if (!ns) return PLX_E_NOMEM;
        memset(ns, 0, sizeof(partial) * l.max_partial);
        size_t n = 0;
        for (size_t i = 0; i < as->lim.max_partial; i++)
            if (as->slots[i].used) ns[n++] = as->slots[i];
        plx_free(&as->a, as->slots);
        as->slots = ns;
    }
    as->lim = l;
    return PLX_OK;
}

static int idle_too_long(const plx_assembler *as, const partial *p, uint64_t now_ms) {
    return now_ms > p->last_ms && now_ms - p->last_ms > as->lim.expiry_ms;
}

int plx_assembler_expire(plx_assembler *as, uint64_t now_ms) {
    int rc = PLX_OK;
    for (size_t i = 0; i < as->lim.max_partial; i++) {
        partial *p = &as->slots[i];
        if (p->used && idle_too_long(as, p, now_ms)) {
            drop(as, p);
            rc = PLX_E_EXPIRED;
        }
    }
    return rc;
}

uint64_t plx_assembler_next_expiry(const plx_assembler *as) {
    uint64_t next = UINT64_MAX;
    for (size_t i = 0; i < as->lim.max_partial; i++) {
        const partial *p = &as->slots[i];
        if (!p->used) continue;
        uint64_t at = p->last_ms + as->lim.expiry_ms + 1;
        if (at < p->last_ms) at = UINT64_MAX; /* overflow */
        if (at < next) next = at;
    }
    return next;
}

size_t plx_assembler_held(const plx_assembler *as) {
    size_t n = 0;
    for (size_t i = 0; i < as->lim.max_partial; i++)
        if (as->slots[i].used) n += as->slots[i].cap;
    return n;
}

size_t plx_assembler_partials(const plx_assembler *as) {
    return as->count;
}

static partial *find(plx_assembler *as, uint32_t msg_id) {
    for (size_t i = 0; i < as->lim.max_partial; i++)
        if (as->slots[i].used && as->slots[i].msg_id == msg_id) return &as->slots[i];
    return NULL;
}

static partial *free_slot(plx_assembler *as) {
    for (size_t i = 0; i < as->lim.max_partial; i++)
        if (!as->slots[i].used) return &as->slots[i];
    return NULL;
}

/* Makes room for need bytes in p's buffer: doubling, capped at max_message. */
static int reserve(plx_assembler *as, partial *p, size_t need) {
    if (p->cap >= need) return PLX_OK;
    size_t cap = p->cap * 2;
    if (cap < need) cap = need;
    if (cap > as->lim.max_message) cap = as->lim.max_message; /* >= need: checked */
    uint8_t *nb = plx_realloc(&as->a, p->buf, cap);
    if (!nb) return PLX_E_NOMEM;
    p->buf = nb;
    p->cap = cap;
    return PLX_OK;
}

/* Appends a chunk's payload to p. */
static int append(plx_assembler *as, partial *p, const plx_frame *f, uint64_t now_ms) {
    int rc = reserve(as, p, p->len + f->h.length);
    if (rc != PLX_OK) return rc;
    if (f->h.length) memcpy(p->buf + p->len, f->payload, f->h.length);
    p->len += f->h.length;
    p->last_ms = now_ms;
    return PLX_OK;
}

/* Hands out a complete message's wire bytes as its body, inflating them when gzip. The
 * bytes are either the frame's payload or as->done. */
static int finish(plx_assembler *as, const uint8_t *wire, size_t len, int gzip, plx_bytes *body) {
    if (!gzip) {
        body->data = wire;
        body->len = len;
        return 1;
    }
    uint8_t *out;
    size_t out_len;
    int rc = plx_gzip_inflate(&as->a, wire, len, as->lim.max_message, &out, &out_len);
    plx_free(&as->a, as->done); /* the wire bytes, if they were ours */
    as->done = NULL;
    if (rc != PLX_OK) return rc;
    as->done = out;
    body->data = out;
    body->len = out_len;
    return 1;
}

static int feed_new(plx_assembler *as, const plx_frame *f, int gzip, uint64_t now_ms,
                    plx_bytes *body) {
    if (f->h.offset != 0) return PLX_E_OFFSET_GAP;
    if (gzip && !as->lim.allow_gzip) return PLX_E_GZIP_NOT_NEGOTIATED;
    if (f->h.length > as->lim.max_message) return PLX_E_TOO_LARGE;
    if (!(f->h.flags & PLX_FLAG_MORE)) return finish(as, f->payload, f->h.length, gzip, body);
    partial *p = free_slot(as);
    if (!p) return PLX_E_TOO_MANY_PARTIAL;
    memset(p, 0, sizeof(*p));
    int rc = append(as, p, f, now_ms);
    if (rc != PLX_OK) {
        plx_free(&as->a, p->buf);
        memset(p, 0, sizeof(*p));
        return rc;
    }
    p->used = 1;
    p->gzip = gzip;
    p->msg_id = f->h.msg_id;
    as->count++;
    return 0;
}

static int feed_known(plx_assembler *as, partial *p, const plx_frame *f, int gzip, uint64_t now_ms,
                      plx_bytes *body) {
    if (f->h.offset > p->len) return PLX_E_OFFSET_GAP;
    if (f->h.offset < p->len) return PLX_E_OFFSET_OVERLAP;
    if (gzip != p->gzip) return PLX_E_FLAGS_MISMATCH;
    if ((uint64_t)p->len + f->h.length > as->lim.max_message) return PLX_E_TOO_LARGE;
    int rc = append(as, p, f, now_ms);
    if (rc != PLX_OK) return rc;
    if (f->h.flags & PLX_FLAG_MORE) return 0;
    size_t len = p->len;
    as->done = p->buf; /* the body's storage now belongs to the completed message */
    p->buf = NULL;
    drop(as, p);
    return finish(as, as->done, len, gzip, body);
}

int plx_assembler_feed(plx_assembler *as, const plx_frame *f, uint64_t now_ms, plx_bytes *body,
                       uint32_t *msg_id) {
    plx_free(&as->a, as->done);
    as->done = NULL;
    if (!f || !body || (!f->payload && f->h.length)) return PLX_E_INVAL;
    int rc = plx_assembler_expire(as, now_ms);
    if (rc != PLX_OK) return rc;
    int gzip = (f->h.flags & PLX_FLAG_GZIP) != 0;
    partial *p = find(as, f->h.msg_id);
    rc = p ? feed_known(as, p, f, gzip, now_ms, body) : feed_new(as, f, gzip, now_ms, body);
    if (rc == 1 && msg_id) *msg_id = f->h.msg_id;
    return rc;
}
