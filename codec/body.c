/*
 * body.c - message bodies: u32 json_len | json_len bytes of UTF-8 JSON (an object) |
 * { u32 len | len bytes }*, all lengths big-endian. Decoding checks, in order: lengths
 * (BODY_TRUNCATED), UTF-8 (BAD_UTF8), JSON (BAD_JSON: cJSON plus the strict lexical check of
 * jsonstrict.c, nothing but whitespace after the value), object (NOT_OBJECT), attachment count
 * (TOO_MANY_ATTACHMENTS, more than PLX_MAX_ATTACHMENTS) and every {"$bin": i} at any depth
 * (BAD_ATTACHMENT_REF). BAD_JSON covers SPEC.md BODY-4 and BODY-5: cJSON's parse plus the
 * checks of jsonstrict.c (grammar details cJSON lets through, U+0000, duplicate member names,
 * nesting deeper than PLX_JSON_MAX_DEPTH).
 */
#include <string.h>

#include "binref.h"
#include "internal.h"
#include "jsonout.h"
#include "jsonstrict.h"

#define BODY_PREFIX_LEN 4 /* bytes of every length prefix in a body */

/* Walks the attachment section p[0..len) and counts its attachments (no bound on the count:
 * the caller applies PLX_MAX_ATTACHMENTS). 0 or PLX_E_BODY_TRUNCATED. */
static int count_attachments(const uint8_t *p, size_t len, size_t *natt) {
    size_t n = 0;
    while (len > 0) {
        if (len < BODY_PREFIX_LEN) return PLX_E_BODY_TRUNCATED;
        uint32_t alen = plx_be32_read(p);
        if (alen > len - BODY_PREFIX_LEN) return PLX_E_BODY_TRUNCATED;
        p += BODY_PREFIX_LEN + alen;
        len -= BODY_PREFIX_LEN + (size_t)alen;
        n++;
    }
    *natt = n;
    return 0;
}

/* Points att[0..natt) at the attachments of the section starting at p (already counted). */
static void split_attachments(const uint8_t *p, plx_bytes *att, size_t natt) {
    for (size_t i = 0; i < natt; i++) {
        att[i].len = plx_be32_read(p);
        att[i].data = p + BODY_PREFIX_LEN;
        p += BODY_PREFIX_LEN + att[i].len;
    }
}

static int is_json_space(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Parses text[0..len) as exactly one JSON value: the text must be valid UTF-8 (BAD_UTF8) and
 * hold one value and nothing but whitespace after it, with distinct member names (BAD_JSON).
 * cJSON reports running out of memory as a parse failure, so that is BAD_JSON too. */
static int parse_json(const plx_allocator *a, const uint8_t *text, size_t len, cJSON **out) {
    if (!plx_utf8_valid(text, len)) return PLX_E_BAD_UTF8;
    if (!plx_json_lex_ok(text, len)) return PLX_E_BAD_JSON;
    /* require_null_terminated is 0 because cJSON 1.7.15 then demands a NUL inside len; the
     * same rule (nothing but whitespace after the value) is checked below. */
    const char *end = NULL;
    cJSON *json = cJSON_ParseWithLengthOpts((const char *)text, len, &end, 0);
    if (!json) return PLX_E_BAD_JSON;
    const uint8_t *p = (const uint8_t *)end;
    while (p < text + len && is_json_space(*p))
        p++;
    int rc = p == text + len ? plx_json_tree_ok(a, json) : PLX_E_BAD_JSON;
    if (rc) {
        cJSON_Delete(json);
        return rc;
    }
    *out = json;
    return 0;
}

static int body_split(plx_bytes body, plx_msg *m) {
    if (body.len < BODY_PREFIX_LEN) return PLX_E_BODY_TRUNCATED;
    uint32_t jlen = plx_be32_read(body.data);
    if (jlen > body.len - BODY_PREFIX_LEN) return PLX_E_BODY_TRUNCATED;
    const uint8_t *text = body.data + BODY_PREFIX_LEN;
    const uint8_t *section = text + jlen;
    size_t natt;
    int rc = count_attachments(section, body.len - BODY_PREFIX_LEN - jlen, &natt);
    if (rc) return rc;
    if ((rc = parse_json(&m->alloc, text, jlen, &m->json))) return rc;
    if (!cJSON_IsObject(m->json)) return PLX_E_NOT_OBJECT;
    if (natt > PLX_MAX_ATTACHMENTS) return PLX_E_TOO_MANY_ATTACHMENTS;
    if (natt) {
        m->att = plx_alloc(&m->alloc, natt * sizeof(*m->att));
        if (!m->att) return PLX_E_NOMEM;
        m->natt = natt;
        split_attachments(section, m->att, natt);
    }
    return plx_bin_check_tree(m->json, m->natt) ? PLX_E_BAD_ATTACHMENT_REF : 0;
}

int plx_body_decode(const plx_allocator *a, plx_bytes body, plx_msg *m) {
    if (!m) return PLX_E_INVAL;
    memset(m, 0, sizeof(*m));
    if (!body.data && body.len) return PLX_E_INVAL;
    plx_alloc_init(&m->alloc, a);
    int rc = body_split(body, m);
    if (rc) plx_msg_clear(m);
    return rc;
}

int plx_msg_own(plx_msg *m) {
    if (!m) return PLX_E_INVAL;
    if (m->own || m->natt == 0) return 0;
    if (!m->att || !m->alloc.alloc) return PLX_E_INVAL;
    size_t total = 0;
    for (size_t i = 0; i < m->natt; i++) {
        if (m->att[i].len > SIZE_MAX - total) return PLX_E_NOMEM;
        total += m->att[i].len;
    }
    uint8_t *block = plx_alloc(&m->alloc, total);
    if (!block) return PLX_E_NOMEM;
    size_t off = 0;
    for (size_t i = 0; i < m->natt; i++) {
        if (m->att[i].len) memcpy(block + off, m->att[i].data, m->att[i].len);
        m->att[i].data = block + off;
        off += m->att[i].len;
    }
    m->own = block;
    return 0;
}

void plx_msg_clear(plx_msg *m) {
    if (!m) return;
    cJSON_Delete(m->json);
    if (m->att || m->own) {
        plx_free(&m->alloc, m->att);
        plx_free(&m->alloc, m->own);
    }
    memset(m, 0, sizeof(*m));
}

/* Bytes of the body for a JSON text of jlen bytes and the attachments, or 0 when a length
 * does not fit its u32 prefix or the total overflows size_t. */
static size_t body_size(size_t jlen, const plx_bytes *att, size_t natt) {
    if (jlen > UINT32_MAX) return 0;
    size_t total = BODY_PREFIX_LEN + jlen;
    for (size_t i = 0; i < natt; i++) {
        if (att[i].len > UINT32_MAX || att[i].len > SIZE_MAX - BODY_PREFIX_LEN - total) return 0;
        total += BODY_PREFIX_LEN + att[i].len;
    }
    return total;
}

int plx_body_encode(const plx_allocator *a, const cJSON *json, const plx_bytes *att, size_t natt,
                    uint8_t **out, size_t *out_len) {
    if (!json || !out || !out_len || (natt && !att)) return PLX_E_INVAL;
    if (natt > PLX_MAX_ATTACHMENTS) return PLX_E_TOO_MANY_ATTACHMENTS;
    plx_allocator al;
    plx_alloc_init(&al, a);
    char *text = plx_json_text(&al, json);
    if (!text) return PLX_E_NOMEM;
    size_t jlen = strlen(text);
    size_t total = body_size(jlen, att, natt);
    uint8_t *buf = total ? plx_alloc(&al, total) : NULL;
    if (!buf) {
        plx_free(&al, text);
        return total ? PLX_E_NOMEM : PLX_E_INVAL;
    }
    plx_be32_write(buf, (uint32_t)jlen);
    memcpy(buf + BODY_PREFIX_LEN, text, jlen);
    plx_free(&al, text);
    size_t off = BODY_PREFIX_LEN + jlen;
    for (size_t i = 0; i < natt; i++) {
        plx_be32_write(buf + off, (uint32_t)att[i].len);
        if (att[i].len) memcpy(buf + off + BODY_PREFIX_LEN, att[i].data, att[i].len);
        off += BODY_PREFIX_LEN + att[i].len;
    }
    *out = buf;
    *out_len = total;
    return 0;
}
