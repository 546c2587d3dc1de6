/*
 * jsonout.h - the codec's JSON printer (private): a cJSON tree as unformatted text, byte
 * for byte what cJSON_PrintUnformatted prints except that numbers read back exactly (see
 * jsonout.c), written straight into a caller's buffer.
 */
#ifndef PLX_CODEC_JSONOUT_H
#define PLX_CODEC_JSONOUT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "internal.h"

/* Appends the unformatted text of item to *buf from offset at, growing *buf (capacity *cap)
 * with a. On success *end is the offset after the text. Returns 0, PLX_E_NOMEM, or
 * PLX_E_INVAL for a tree cJSON cannot print either (an invalid type, a raw item without
 * text) or nested deeper than PLX_JSONOUT_DEPTH (the caller may then use cJSON's printer). */
int plx_json_print(const plx_allocator *a, const cJSON *item, uint8_t **buf, size_t *cap, size_t at,
                   size_t *end);

/* The unformatted text of item as a NUL-terminated string allocated with a (free with
 * plx_free), printed by plx_json_print, or by cJSON for a tree deeper than PLX_JSONOUT_DEPTH
 * (copied). NULL on no memory. */
char *plx_json_text(const plx_allocator *a, const cJSON *item);

#define PLX_JSONOUT_DEPTH 256

#endif
