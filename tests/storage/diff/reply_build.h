/*
 * reply_build.h - building and freeing the differential test's comparison form (store.h's
 * plx_store_reply tree) from the wire client's translation unit, which speaks only
 * libplexus-client's API and handles the comparison form as an opaque void pointer.
 */
#ifndef PLX_DIFF_REPLY_BUILD_H
#define PLX_DIFF_REPLY_BUILD_H

#include <stddef.h>

/* Kinds of text replies (store.h's STATUS, BULK and ERROR). */
typedef enum plx_diff_text { PLX_DIFF_STATUS, PLX_DIFF_BULK, PLX_DIFF_ERROR } plx_diff_text;

/* Each constructor returns an owned reply, or NULL on no memory. */
void *plx_diff_nil(void);
void *plx_diff_int(long long v);
/* A copy of data[0..len); code is the PLX_E_* error code of an ERROR (else ignored). */
void *plx_diff_text_reply(plx_diff_text kind, const void *data, size_t len, int code);
/* An array of n slots, each to be filled once with plx_diff_array_set. */
void *plx_diff_array(size_t n);
/* Stores elem (owned) in slot i of arr. 0, or -1 (i out of range: elem is freed). */
int plx_diff_array_set(void *arr, size_t i, void *elem);

/* Frees a comparison-form reply and everything under it. NULL is a no-op. */
void plx_diff_reply_free(void *r);

#endif
