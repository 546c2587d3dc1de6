/*
 * compare.h - comparing and printing reply trees for the differential test.
 */
#ifndef PLX_DIFF_COMPARE_H
#define PLX_DIFF_COMPARE_H

#include <stdio.h>

#include "store.h"

typedef enum plx_cmp_mode {
    PLX_CMP_EXACT,     /* type, bytes, integers, element order */
    PLX_CMP_UNORDERED, /* a top-level array compared as a multiset */
    PLX_CMP_PAIRS      /* a top-level array of field, value pairs compared as a set of pairs */
} plx_cmp_mode;

/* 1 when a and b are equal under mode (errors: same text and same code). */
int plx_store_reply_equal(const plx_store_reply *a, const plx_store_reply *b, plx_cmp_mode mode);
/* Prints a reply on one line in a redis-cli-like notation, bytes escaped as \xHH. */
void plx_store_reply_print(FILE *f, const plx_store_reply *r);

#endif
