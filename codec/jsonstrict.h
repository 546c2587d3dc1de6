/*
 * jsonstrict.h - the JSON rules of SPEC.md BODY-4 and BODY-5 that cJSON's parser does not
 * enforce, checked before (lexical) and after (tree) cJSON parses the text. Not installed.
 */
#ifndef PLX_CODEC_JSONSTRICT_H
#define PLX_CODEC_JSONSTRICT_H

#include <stddef.h>
#include <stdint.h>

#include <plexus/codec.h>

/* Deepest nesting of arrays and objects in a message (the top-level value is level 1). */
#define PLX_JSON_MAX_DEPTH 128

/* Checks, in one pass without allocation, what cJSON's parser lets through: numbers outside
 * the JSON grammar ("01", "1.", "-.5", "+1"), raw control characters in strings, the escape
 * \u0000 (cJSON would cut the string there), non-ASCII bytes or control characters outside
 * strings (a byte order mark, a trailing NUL) and nesting deeper than PLX_JSON_MAX_DEPTH.
 * text must already be valid UTF-8. Returns 1 when none is found, else 0. */
int plx_json_lex_ok(const uint8_t *text, size_t len);

/* Checks the parsed tree under item: no object has two members of the same name, and no
 * number overflowed to infinity (e.g. 1e999, which would print back as null). Large objects
 * are checked by sorting a scratch array of member pointers allocated with a (one pointer per
 * member, freed before returning). Returns 0, PLX_E_BAD_JSON or PLX_E_NOMEM. */
int plx_json_tree_ok(const plx_allocator *a, const cJSON *item);

/* 2^53: integers of this magnitude or more are not all exact as doubles. */
#define PLX_JSON_EXACT_LIMIT 9007199254740992.0

/* For every number of the tree under root (parsed from text[0..len)) written as an integer
 * literal of magnitude 2^53 or more, keeps the literal's digits in the node's valuestring
 * (allocated with cJSON_malloc; cJSON_Delete frees it), so a reader can take the exact value
 * (STO-8). Nothing is done when the tree has no such number. 0 or PLX_E_NOMEM. */
int plx_json_keep_digits(cJSON *root, const uint8_t *text, size_t len);

#endif
