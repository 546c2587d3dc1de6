/*
 * json_ref.h - an independent, strict JSON validator used as a reference by the body harness:
 * RFC 8259's grammar plus SPEC.md BODY-4 and BODY-5 (no U+0000 in strings, no \u escape of a
 * lone surrogate, no two members of one object with the same name after unescaping, nesting at
 * most 128 levels with the top-level value at level 1).
 */
#ifndef PLX_FUZZ_JSON_REF_H
#define PLX_FUZZ_JSON_REF_H

#include <stddef.h>
#include <stdint.h>

#include <plexus/codec.h>

typedef enum json_ref_result {
    JSON_REF_INVALID = 0,
    JSON_REF_OBJECT, /* valid, the value is an object */
    JSON_REF_OTHER,  /* valid, the value is not an object */
} json_ref_result;

#define JSON_REF_MAX_DEPTH 128

/* Validates text[0..len): one value with optional whitespace around it. Bytes >= 0x80 are
 * taken as they are (the caller checks UTF-8 separately). */
json_ref_result json_ref_check(const uint8_t *text, size_t len);

/* 1 if a and b are the same JSON value: same types, members in the same order with the same
 * names, strings equal, numbers exactly equal (cJSON_Compare allows a relative error of
 * DBL_EPSILON, which hides a printer that rounds large integers). */
int json_ref_equal(const cJSON *a, const cJSON *b);

/* 1 if two decoded messages are the same: json_ref_equal JSON and equal attachments. */
int json_ref_msg_equal(const plx_msg *a, const plx_msg *b);

#endif
