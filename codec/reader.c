/*
 * reader.c - the receive path of one connection: deframer (stream binding) or one frame per
 * call (WebSocket binding), then the assembler (chunks, gzip), the body decoder and catalogue
 * validation. Frame, chunk, gzip and body errors are fatal and sticky; a catalogue error (5xx)
 * is returned for that message only, and the message's type stays readable (last_type) even
 * when its JSON is dropped for want of an id. Memory: the deframer's one frame, the assembler's
 * bounds (see assembler.c) and the current message.
 */
#include <string.h>

#include "internal.h"
#include "jsonstrict.h"

struct plx_reader {
    plx_allocator a;
    plx_reader_config cfg;
    plx_deframer *d;
    plx_assembler *as;
    int error;             /* sticky fatal error, 0 while usable */
    int exact_integers;    /* plx_reader_exact_integers */
    const char *last_type; /* t of the body the last call decoded (catalogue name) or NULL */
};

static int limits_ok(uint32_t max_frame, const plx_assembler_limits *l) {
    return max_frame <= PLX_MAX_MAX_FRAME && l->max_message <= PLX_MAX_MAX_MESSAGE;
}

plx_reader *plx_reader_new(const plx_allocator *a, const plx_reader_config *cfg) {
    plx_allocator al;
    plx_alloc_init(&al, a);
    if (!cfg || !limits_ok(cfg->max_frame, &cfg->limits)) return NULL;
    plx_reader *r = plx_alloc(&al, sizeof(*r));
    if (!r) return NULL;
    memset(r, 0, sizeof(*r));
    r->a = al;
    r->cfg = *cfg;
    if (r->cfg.max_frame == 0) r->cfg.max_frame = PLX_DEFAULT_MAX_FRAME;
    r->d = plx_deframer_new(&al, r->cfg.max_frame);
    r->as = plx_assembler_new(&al, &cfg->limits);
    if (!r->d || !r->as) {
        plx_reader_free(r);
        return NULL;
    }
    return r;
}

void plx_reader_free(plx_reader *r) {
    if (!r) return;
    plx_deframer_free(r->d);
    plx_assembler_free(r->as);
    plx_free(&r->a, r);
}

int plx_reader_set_limits(plx_reader *r, uint32_t max_frame, const plx_assembler_limits *l) {
    if (!r || !l || !limits_ok(max_frame, l)) return PLX_E_INVAL;
    int rc = plx_assembler_set_limits(r->as, l);
    if (rc != PLX_OK) return rc;
    r->cfg.max_frame = max_frame ? max_frame : PLX_DEFAULT_MAX_FRAME;
    r->cfg.limits = *l;
    plx_deframer_set_max_frame(r->d, r->cfg.max_frame);
    return PLX_OK;
}

static int fail(plx_reader *r, int rc, plx_msg_error *err) {
    r->error = rc;
    if (err) err->code = rc;
    return rc;
}

/* 1 if the message carries an id a reply can reference: a uint (an integer in 0..2^53-1). */
static int has_id(const cJSON *json) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(json, "id");
    if (!cJSON_IsNumber(id)) return 0;
    double v = id->valuedouble;
    return v >= 0 && v <= 9007199254740991.0 && v == (double)(uint64_t)v;
}

void plx_reader_exact_integers(plx_reader *r, int on) {
    if (r) r->exact_integers = on != 0;
}

/* The catalogue's own (static) name of the message's t, or NULL when t is missing, not a
 * string or not a catalogue type. */
static const char *catalogue_type(const cJSON *json) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(json, "t");
    int i = cJSON_IsString(t) ? plx_msg_type_index(t->valuestring) : -1;
    return i < 0 ? NULL : plx_msg_type_name((size_t)i);
}

/* Decodes and validates a complete body into m. */
static int deliver(plx_reader *r, plx_bytes body, plx_msg *m, plx_msg_error *err) {
    int rc = plx_body_decode(&r->a, body, m);
    if (rc != PLX_OK) return fail(r, rc, err);
    if (r->exact_integers &&
        plx_json_keep_digits(m->json, body.data + 4 /* after the JSON length */,
                             plx_be32_read(body.data)) != PLX_OK) {
        plx_msg_clear(m);
        return fail(r, PLX_E_NOMEM, err);
    }
    r->last_type = catalogue_type(m->json);
    plx_msg_error me = {0, NULL};
    rc = plx_msg_validate(m->json, m->natt, r->cfg.dir, &me);
    if (err) *err = me;
    if (rc == PLX_OK) return 1;
    if (plx_error_fatal(rc)) { /* none of the catalogue's codes is, but the registry decides */
        plx_msg_clear(m);
        return fail(r, rc, err);
    }
    if (!has_id(m->json)) plx_msg_clear(m);
    return rc;
}

static int on_frame(plx_reader *r, const plx_frame *f, uint64_t now_ms, plx_msg *m,
                    plx_msg_error *err) {
    plx_bytes body;
    uint32_t id;
    int rc = plx_assembler_feed(r->as, f, now_ms, &body, &id);
    if (rc < 0) return fail(r, rc, err);
    if (rc == 0) return 0;
    return deliver(r, body, m, err);
}

static void start(plx_reader *r, plx_msg *m, plx_msg_error *err) {
    r->last_type = NULL;
    memset(m, 0, sizeof(*m));
    if (err) {
        err->code = 0;
        err->field = NULL;
    }
}

int plx_reader_frame(plx_reader *r, const uint8_t *frame, size_t len, uint64_t now_ms, plx_msg *m,
                     plx_msg_error *err) {
    start(r, m, err);
    if (r->error) return fail(r, r->error, err);
    plx_frame f;
    int rc = plx_frame_decode(frame, len, r->cfg.max_frame, &f);
    if (rc != PLX_OK) return fail(r, rc, err);
    return on_frame(r, &f, now_ms, m, err);
}

int plx_reader_stream(plx_reader *r, const uint8_t *data, size_t len, size_t *consumed,
                      uint64_t now_ms, plx_msg *m, plx_msg_error *err) {
    start(r, m, err);
    *consumed = 0;
    if (r->error) return fail(r, r->error, err);
    if (!data) return len ? fail(r, PLX_E_INVAL, err) : 0;
    size_t pos = 0;
    for (;;) {
        plx_frame f;
        size_t used;
        int rc = plx_deframer_feed(r->d, data + pos, len - pos, &used, &f);
        pos += used;
        *consumed = pos;
        if (rc < 0) return fail(r, rc, err);
        if (rc == 0) return 0;
        rc = on_frame(r, &f, now_ms, m, err);
        if (rc != 0) return rc;
    }
}

const char *plx_reader_last_type(const plx_reader *r) {
    return r->last_type;
}

int plx_reader_tick(plx_reader *r, uint64_t now_ms) {
    if (r->error) return r->error;
    int rc = plx_assembler_expire(r->as, now_ms);
    return rc < 0 ? fail(r, rc, NULL) : PLX_OK;
}

int plx_reader_end(plx_reader *r) {
    if (r->error) return r->error;
    return plx_deframer_buffered(r->d) ? fail(r, PLX_E_TRUNCATED, NULL) : PLX_OK;
}
