/*
 * errors.c - lookups in the error registry generated from spec/errors.json: message, name,
 * fatality and close code of a code, and the code of a name.
 */
#include <string.h>

#include "tables.h"

/* The registry entry of code (negative or positive), or NULL. Binary search: the table is
 * sorted by code. */
static const plx_error_entry *error_find(int code) {
    long long key = code < 0 ? -(long long)code : (long long)code;
    size_t lo = 0, hi = plx_error_table_len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (plx_error_table[mid].code == key) return &plx_error_table[mid];
        if (plx_error_table[mid].code < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *plx_strerror(int code) {
    if (code == 0) return "success";
    const plx_error_entry *e = error_find(code);
    return e ? e->message : "unknown error";
}

const char *plx_error_name(int code) {
    const plx_error_entry *e = error_find(code);
    return e ? e->name : NULL;
}

int plx_error_by_name(const char *name) {
    if (!name) return 0;
    for (size_t i = 0; i < plx_error_table_len; i++) {
        if (!strcmp(plx_error_table[i].name, name)) return -plx_error_table[i].code;
    }
    return 0;
}

int plx_error_fatal(int code) {
    const plx_error_entry *e = error_find(code);
    return e ? e->fatal : 0;
}

int plx_error_close_code(int code) {
    const plx_error_entry *e = error_find(code);
    return e && e->fatal ? e->close_code : 0;
}
