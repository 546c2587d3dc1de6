/*
 * binref.h - attachment references: recognising {"$bin": i} and checking i. Not installed.
 */
#ifndef PLX_CODEC_BINREF_H
#define PLX_CODEC_BINREF_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "jsonstrict.h"

/* 1 if item is an attachment reference: an object whose only member is "$bin". */
int plx_bin_is_ref(const cJSON *item);
/* 1 if the reference ref (plx_bin_is_ref) holds an integer in [0, natt), else 0. */
int plx_bin_ref_ok(const cJSON *ref, size_t natt);
/* Checks every reference in the tree under item at any depth: 0, PLX_E_BAD_ATTACHMENT_REF,
 * or PLX_E_INVAL for arrays and objects nested deeper than PLX_JSON_MAX_DEPTH (the decoder
 * never builds such a tree; a caller's own tree may be one). */
int plx_bin_check_tree(const cJSON *item, size_t natt);

#endif
