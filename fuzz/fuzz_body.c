/*
 * fuzz_body.c - fuzzes body decoding (plx_body_decode), encoding and UTF-8 validation.
 *
 * The input is a body: u32 json_len | JSON text | { u32 len | bytes }*. Invariants:
 *  - plx_body_decode returns exactly the error of a reference check of the body in SPEC.md's
 *    order (ERR-1: lengths, UTF-8 by an independent decoder, JSON by an independent strict
 *    validator, object, attachment count, {"$bin": i} references), or succeeds with it;
 *  - plx_utf8_valid agrees with the independent UTF-8 decoder on the JSON text;
 *  - for a valid body: attachments point into the body at the right places; encoding the
 *    message with plx_body_encode and decoding that gives an equal JSON tree and equal
 *    attachments, and encoding is idempotent; plx_msg_own keeps the bytes after the body
 *    is gone.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_ref.h"
#include "support.h"

static uint32_t be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Independent UTF-8 check by decoding code points (RFC 3629). */
static int utf8_ref(const uint8_t *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        uint32_t c = s[i];
        size_t n;
        uint32_t min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 2, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 3, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 4, min = 0x10000, c &= 0x07;
        } else {
            return 0;
        }
        if (len - i < n) return 0;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            c = (c << 6) | (s[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
        i += n;
    }
    return 1;
}

/* 1 if every {"$bin": i} under item names an attachment: i an integer in [0, natt). */
static int refs_ok(const cJSON *item, size_t natt) {
    if (cJSON_IsObject(item) && item->child && !item->child->next && item->child->string &&
        strcmp(item->child->string, "$bin") == 0) {
        const cJSON *v = item->child;
        return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < (double)natt &&
               floor(v->valuedouble) == v->valuedouble;
    }
    for (const cJSON *c = item ? item->child : NULL; c; c = c->next)
        if (!refs_ok(c, natt)) return 0;
    return 1;
}

/* The error SPEC.md ERR-1 steps 7-9 give for a body, or 0. */
static int reference(const uint8_t *data, size_t size, size_t *natt_out) {
    *natt_out = 0;
    if (size < 4 || be32(data) > size - 4) return PLX_E_BODY_TRUNCATED;
    size_t jlen = be32(data);
    const uint8_t *text = data + 4;
    size_t natt = 0, pos = 4 + jlen;
    while (pos < size) {
        if (size - pos < 4 || be32(data + pos) > size - pos - 4) return PLX_E_BODY_TRUNCATED;
        pos += 4 + (size_t)be32(data + pos);
        natt++;
    }
    *natt_out = natt;
    if (!utf8_ref(text, jlen)) return PLX_E_BAD_UTF8;
    json_ref_result jr = json_ref_check(text, jlen);
    if (jr == JSON_REF_INVALID) return PLX_E_BAD_JSON;
    if (jr == JSON_REF_OTHER) return PLX_E_NOT_OBJECT;
    if (natt > PLX_MAX_ATTACHMENTS) return PLX_E_TOO_MANY_ATTACHMENTS;
    cJSON *json = cJSON_ParseWithLength((const char *)text, jlen);
    if (!json) return 0; /* valid JSON that cJSON cannot parse: decoding must not fail */
    int rc = refs_ok(json, natt) ? 0 : PLX_E_BAD_ATTACHMENT_REF;
    cJSON_Delete(json);
    return rc;
}

/* Encode, decode, compare; encode again and compare bytes. */
static void round_trip(const plx_msg *m) {
    uint8_t *enc = NULL;
    size_t enc_len = 0;
    FUZZ_CHECK(plx_body_encode(NULL, m->json, m->att, m->natt, &enc, &enc_len) == PLX_OK);
    plx_msg again;
    int rc = plx_body_decode(NULL, (plx_bytes){enc, enc_len}, &again);
    FUZZ_CHECK_EQ(rc, PLX_OK);
    FUZZ_CHECK(json_ref_msg_equal(m, &again));

    uint8_t *enc2 = NULL;
    size_t enc2_len = 0;
    FUZZ_CHECK(plx_body_encode(NULL, again.json, again.att, again.natt, &enc2, &enc2_len) ==
               PLX_OK);
    FUZZ_CHECK(enc2_len == enc_len && memcmp(enc, enc2, enc_len) == 0);

    /* plx_msg_own: the copy survives the body it came from. */
    FUZZ_CHECK(plx_msg_own(&again) == PLX_OK);
    memset(enc, 0xA5, enc_len);
    free(enc);
    FUZZ_CHECK(json_ref_msg_equal(m, &again));
    plx_msg_clear(&again);
    free(enc2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* A copy: the body must not be read past its end, and attachments must point into it. */
    uint8_t *body = malloc(size ? size : 1);
    FUZZ_CHECK(body != NULL);
    if (size) memcpy(body, data, size);

    if (size >= 4 && be32(body) <= size - 4)
        FUZZ_CHECK(plx_utf8_valid(body + 4, be32(body)) == utf8_ref(body + 4, be32(body)));
    FUZZ_CHECK(plx_utf8_valid(body, size) == utf8_ref(body, size));

    size_t natt = 0;
    int want = reference(body, size, &natt);
    plx_msg m;
    int rc = plx_body_decode(NULL, (plx_bytes){body, size}, &m);
    FUZZ_CHECK_EQ(rc, want);
    if (rc != PLX_OK) {
        FUZZ_CHECK(m.json == NULL && m.att == NULL && m.natt == 0);
        free(body);
        return 0;
    }
    FUZZ_CHECK(cJSON_IsObject(m.json) && m.natt == natt);
    size_t pos = 4 + be32(body);
    for (size_t i = 0; i < m.natt; i++) {
        FUZZ_CHECK(m.att[i].data == body + pos + 4 && m.att[i].len == be32(body + pos));
        pos += 4 + m.att[i].len;
    }
    round_trip(&m);
    plx_msg_clear(&m);
    FUZZ_CHECK(m.json == NULL && m.natt == 0);
    free(body);
    return 0;
}
