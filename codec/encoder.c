/*
 * encoder.c - outgoing messages cut into frames. The body (u32 json_len | JSON |
 * {u32 len | bytes}*) is kept as a list of pieces: one owned head (length + JSON text), the
 * attachments' length prefixes, and the attachments themselves, borrowed. A frame's payload is
 * handed out as pointers into those pieces; a frame that would need more than
 * PLX_ENCODER_MAX_IOV - 1 payload segments is copied into a scratch buffer of max_frame bytes.
 * A gzipped body is one owned piece. Memory: the head, 4 bytes per attachment, the piece list,
 * the scratch buffer and (with gzip) the body and its compressed form while begin runs.
 * A body above gzip_sample bytes is first judged by deflating its leading gzip_sample bytes:
 * when they do not shrink by gzip_margin percent, the body goes out uncompressed and the
 * rest is never deflated (SPEC GZ-3); smaller bodies are always tried whole. The JSON text is
 * printed straight into the head by jsonout.c (the bytes cJSON_PrintUnformatted gives).
 */
#include <string.h>

#include "internal.h"
#include "jsonout.h"

struct plx_encoder {
    plx_allocator a;
    plx_encoder_config cfg;
    int active; /* a message was begun; in progress while frame < nframes */
    uint32_t msg_id;
    uint8_t flags;     /* PLX_FLAG_GZIP or 0 for every frame of the message */
    plx_bytes *pieces; /* the payload, in order */
    size_t npieces, pieces_cap;
    uint8_t *head; /* u32 json_len + JSON text */
    size_t head_cap;
    uint8_t *prefixes; /* u32 length of each attachment */
    size_t prefixes_cap;
    uint8_t *gz;      /* the compressed body when gzip won */
    uint8_t *scratch; /* a coalesced frame payload */
    size_t scratch_cap;
    size_t payload_len;      /* wire payload bytes of the message */
    size_t sent;             /* payload bytes handed out */
    size_t piece, piece_off; /* cursor: the next payload byte */
    size_t nframes, frame;   /* frames in the message, frames handed out */
    uint8_t hdr[PLX_STREAM_PREFIX_LEN + PLX_FRAME_HEADER_LEN];
};

plx_encoder *plx_encoder_new(const plx_allocator *a, const plx_encoder_config *cfg) {
    plx_allocator al;
    plx_alloc_init(&al, a);
    if (!cfg) return NULL;
    plx_encoder *e = plx_alloc(&al, sizeof(*e));
    if (!e) return NULL;
    memset(e, 0, sizeof(*e));
    e->a = al;
    e->cfg = *cfg;
    if (e->cfg.max_frame == 0) e->cfg.max_frame = PLX_DEFAULT_MAX_FRAME;
    if (e->cfg.max_message == 0) e->cfg.max_message = PLX_DEFAULT_MAX_MESSAGE;
    if (e->cfg.gzip_level <= 0 || e->cfg.gzip_level > 9) e->cfg.gzip_level = 6;
    if (e->cfg.gzip_sample == 0) e->cfg.gzip_sample = PLX_DEFAULT_GZIP_SAMPLE;
    if (e->cfg.gzip_margin == 0 || e->cfg.gzip_margin > 99)
        e->cfg.gzip_margin = PLX_DEFAULT_GZIP_MARGIN;
    return e;
}

void plx_encoder_free(plx_encoder *e) {
    if (!e) return;
    plx_free(&e->a, e->pieces);
    plx_free(&e->a, e->head);
    plx_free(&e->a, e->prefixes);
    plx_free(&e->a, e->gz);
    plx_free(&e->a, e->scratch);
    plx_free(&e->a, e);
}

/* Grows *buf to at least need bytes (contents kept). 0 or NOMEM. */
static int ensure(plx_encoder *e, void **buf, size_t *cap, size_t need) {
    if (*cap >= need) return PLX_OK;
    void *nb = plx_realloc(&e->a, *buf, need);
    if (!nb) return PLX_E_NOMEM;
    *buf = nb;
    *cap = need;
    return PLX_OK;
}

static void add_piece(plx_encoder *e, const uint8_t *data, size_t len) {
    if (len == 0) return;
    e->pieces[e->npieces].data = data;
    e->pieces[e->npieces].len = len;
    e->npieces++;
}

/* Prints json into the head after its 4-byte length: the codec's printer, or cJSON's for a
 * tree it leaves to it (deeper than PLX_JSONOUT_DEPTH). Sets *jlen. 0 or NOMEM. */
static int print_json(plx_encoder *e, const cJSON *json, size_t *jlen) {
    size_t end;
    int rc = plx_json_print(&e->a, json, &e->head, &e->head_cap, 4, &end);

    if (rc == PLX_OK) {
        *jlen = end - 4;
        return PLX_OK;
    }
    if (rc != PLX_E_INVAL) return rc;
    char *js = cJSON_PrintUnformatted(json);
    if (!js) return PLX_E_NOMEM;
    *jlen = strlen(js);
    rc = ensure(e, (void **)&e->head, &e->head_cap, 4 + *jlen);
    if (rc == PLX_OK) memcpy(e->head + 4, js, *jlen);
    cJSON_free(js);
    return rc;
}

/* Lays out the uncompressed body as pieces: head (the JSON text already printed after its
 * length), then prefix + bytes per attachment. */
static int layout(plx_encoder *e, size_t jlen, const plx_bytes *att, size_t natt) {
    size_t pcap = e->pieces_cap * sizeof(plx_bytes);
    int rc = ensure(e, (void **)&e->pieces, &pcap, (1 + 2 * natt) * sizeof(plx_bytes));
    if (rc != PLX_OK) return rc;
    e->pieces_cap = pcap / sizeof(plx_bytes);
    if ((rc = ensure(e, (void **)&e->prefixes, &e->prefixes_cap, 4 * natt)) != PLX_OK) return rc;
    plx_be32_write(e->head, (uint32_t)jlen);
    e->npieces = 0;
    add_piece(e, e->head, 4 + jlen);
    for (size_t i = 0; i < natt; i++) {
        plx_be32_write(e->prefixes + 4 * i, (uint32_t)att[i].len);
        add_piece(e, e->prefixes + 4 * i, 4);
        add_piece(e, att[i].data, att[i].len);
    }
    return PLX_OK;
}

/* Copies the first len bytes of the laid-out body to dst. */
static void gather(const plx_encoder *e, uint8_t *dst, size_t len) {
    for (size_t i = 0, n = 0; i < e->npieces && n < len; i++) {
        size_t k = e->pieces[i].len < len - n ? e->pieces[i].len : len - n;
        memcpy(dst + n, e->pieces[i].data, k);
        n += k;
    }
}

/* The compressibility check for a body above gzip_sample bytes: deflates its first
 * gzip_sample bytes alone. Sets *worth to 1 when they shrink by at least gzip_margin
 * percent, else 0. 0 or NOMEM. */
static int sample_gzip(plx_encoder *e, size_t body_len, int *worth) {
    size_t len = e->cfg.gzip_sample, gz_len;
    uint8_t *sample, *gz;

    *worth = 1;
    if (body_len <= len) return PLX_OK;
    sample = plx_alloc(&e->a, len);
    if (!sample) return PLX_E_NOMEM;
    gather(e, sample, len);
    int rc = plx_gzip_compress(&e->a, sample, len, e->cfg.gzip_level, &gz, &gz_len);
    plx_free(&e->a, sample);
    if (rc != PLX_OK) return rc;
    plx_free(&e->a, gz);
    *worth = (uint64_t)gz_len * 100 <= (uint64_t)len * (100 - e->cfg.gzip_margin);
    return PLX_OK;
}

/* Compresses the laid-out body; keeps the result only when strictly smaller. */
static int try_gzip(plx_encoder *e, size_t body_len) {
    int worth, rc = sample_gzip(e, body_len, &worth);
    if (rc != PLX_OK || !worth) return rc;
    uint8_t *body = plx_alloc(&e->a, body_len);
    if (!body) return PLX_E_NOMEM;
    gather(e, body, body_len);
    uint8_t *gz;
    size_t gz_len;
    rc = plx_gzip_compress(&e->a, body, body_len, e->cfg.gzip_level, &gz, &gz_len);
    plx_free(&e->a, body);
    if (rc != PLX_OK) return rc;
    if (gz_len >= body_len) {
        plx_free(&e->a, gz);
        return PLX_OK;
    }
    e->gz = gz;
    e->flags = PLX_FLAG_GZIP;
    e->npieces = 0;
    add_piece(e, gz, gz_len);
    e->payload_len = gz_len;
    return PLX_OK;
}

/* 1 if some frame may need more payload segments than fit in an iov. */
static int may_coalesce(const plx_encoder *e) {
    return e->npieces > PLX_ENCODER_MAX_IOV - 1;
}

int plx_encoder_begin(plx_encoder *e, uint32_t msg_id, const cJSON *json, const plx_bytes *att,
                      size_t natt) {
    if (!e || !json || (natt && !att)) return PLX_E_INVAL;
    if (e->active && e->frame < e->nframes) return PLX_E_INVAL;
    e->active = 0;
    if (natt > PLX_MAX_ATTACHMENTS) return PLX_E_TOO_MANY_ATTACHMENTS;
    plx_free(&e->a, e->gz);
    e->gz = NULL;

    for (size_t i = 0; i < natt; i++)
        if (!att[i].data && att[i].len) return PLX_E_INVAL;
    size_t jlen;
    int rc = print_json(e, json, &jlen);
    if (rc != PLX_OK) return rc;
    uint64_t body_len = 4 + (uint64_t)jlen;
    for (size_t i = 0; i < natt; i++)
        body_len += 4 + (uint64_t)att[i].len;
    if (body_len > e->cfg.max_message) return PLX_E_TOO_LARGE;
    if ((rc = layout(e, jlen, att, natt)) != PLX_OK) return rc;

    e->flags = 0;
    e->payload_len = (size_t)body_len;
    if (e->cfg.gzip && body_len >= e->cfg.gzip_threshold &&
        (rc = try_gzip(e, (size_t)body_len)) != PLX_OK)
        return rc;
    size_t mf = e->cfg.max_frame;
    if (may_coalesce(e)) {
        size_t need = e->payload_len < mf ? e->payload_len : mf;
        if ((rc = ensure(e, (void **)&e->scratch, &e->scratch_cap, need)) != PLX_OK) return rc;
    }
    e->msg_id = msg_id;
    e->sent = 0;
    e->piece = 0;
    e->piece_off = 0;
    e->nframes = e->payload_len == 0 ? 1 : (e->payload_len + mf - 1) / mf;
    e->frame = 0;
    e->active = 1;
    return PLX_OK;
}

size_t plx_encoder_total(const plx_encoder *e) {
    if (!e->active) return 0;
    size_t per = PLX_FRAME_HEADER_LEN + (e->cfg.stream_prefix ? PLX_STREAM_PREFIX_LEN : 0);
    return e->nframes * per + e->payload_len;
}

/* Number of payload segments the next len bytes span from the cursor. */
static size_t count_segments(const plx_encoder *e, size_t len) {
    size_t n = 0, i = e->piece, off = e->piece_off;
    while (len > 0) {
        size_t take = e->pieces[i].len - off;
        if (take > len) take = len;
        len -= take;
        n++;
        i++;
        off = 0;
    }
    return n;
}

/* Moves the cursor over len bytes, writing each span to seg (when not NULL) and/or copying
 * it to dst (when not NULL). */
static void take(plx_encoder *e, size_t len, plx_bytes *seg, uint8_t *dst) {
    while (len > 0) {
        const plx_bytes *p = &e->pieces[e->piece];
        size_t n = p->len - e->piece_off;
        if (n > len) n = len;
        if (seg) {
            seg->data = p->data + e->piece_off;
            seg->len = n;
            seg++;
        }
        if (dst) {
            memcpy(dst, p->data + e->piece_off, n);
            dst += n;
        }
        len -= n;
        e->piece_off += n;
        if (e->piece_off == p->len) {
            e->piece++;
            e->piece_off = 0;
        }
    }
}

int plx_encoder_next(plx_encoder *e, plx_bytes iov[PLX_ENCODER_MAX_IOV], size_t *niov) {
    *niov = 0;
    if (!e->active) return 0;
    if (e->frame == e->nframes) {
        e->active = 0; /* the attachments are no longer referenced */
        return 0;
    }
    size_t len = e->payload_len - e->sent;
    if (len > e->cfg.max_frame) len = e->cfg.max_frame;
    plx_frame_header h = {PLX_PROTOCOL_VERSION, e->flags,     0, e->msg_id,
                          (uint32_t)e->sent,    (uint32_t)len};
    if (e->frame + 1 < e->nframes) h.flags |= PLX_FLAG_MORE;
    uint8_t *hp = e->hdr;
    if (e->cfg.stream_prefix) {
        plx_stream_prefix((uint32_t)(PLX_FRAME_HEADER_LEN + len), hp);
        hp += PLX_STREAM_PREFIX_LEN;
    }
    plx_frame_header_encode(&h, hp);
    iov[0].data = e->hdr;
    iov[0].len = (size_t)(hp - e->hdr) + PLX_FRAME_HEADER_LEN;
    size_t segs = count_segments(e, len);
    if (segs <= PLX_ENCODER_MAX_IOV - 1) {
        take(e, len, &iov[1], NULL);
        *niov = 1 + segs;
    } else {
        take(e, len, NULL, e->scratch);
        iov[1].data = e->scratch;
        iov[1].len = len;
        *niov = 2;
    }
    e->sent += len;
    e->frame++;
    return 1;
}

int plx_encode_all(const plx_allocator *a, const plx_encoder_config *cfg, uint32_t msg_id,
                   const cJSON *json, const plx_bytes *att, size_t natt, uint8_t **out,
                   size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    plx_encoder *e = plx_encoder_new(a, cfg);
    if (!e) return cfg ? PLX_E_NOMEM : PLX_E_INVAL;
    int rc = plx_encoder_begin(e, msg_id, json, att, natt);
    uint8_t *buf = NULL;
    if (rc == PLX_OK) {
        size_t total = plx_encoder_total(e), n = 0;
        buf = plx_alloc(&e->a, total);
        if (!buf) rc = PLX_E_NOMEM;
        plx_bytes iov[PLX_ENCODER_MAX_IOV];
        size_t niov;
        while (buf && plx_encoder_next(e, iov, &niov) == 1) {
            for (size_t i = 0; i < niov; i++) {
                memcpy(buf + n, iov[i].data, iov[i].len);
                n += iov[i].len;
            }
        }
        *out_len = n;
    }
    if (rc == PLX_OK)
        *out = buf;
    else
        *out_len = 0;
    plx_encoder_free(e);
    return rc;
}
