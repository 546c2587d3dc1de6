/*
 * jsonlex.h - the strict lexical check run on JSON text before cJSON parses it. Not installed.
 */
#ifndef PLX_CODEC_JSONLEX_H
#define PLX_CODEC_JSONLEX_H

#include <stddef.h>
#include <stdint.h>

/* Checks what cJSON's parser lets through but RFC 8259 (or a C string) does not: numbers
 * outside the JSON grammar ("01", "1.", "-.5"), raw control characters in strings, the
 * escape \u0000 (cJSON would cut the string there), and non-ASCII bytes or control
 * characters outside strings (a byte order mark included). text must already be valid UTF-8.
 * Returns 1 when none is found, else 0. Runs in one pass, no allocation. */
int plx_json_lex_ok(const uint8_t *text, size_t len);

#endif
