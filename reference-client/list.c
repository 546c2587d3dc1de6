/*
 * list.c - the List helper: a Redis list under a key used like a Python list (length,
 * get and set by index, append, extend through one pipeline, all items).
 */
#include <stdio.h>

#include "internal.h"

/* A decimal index as a span over buf. */
static plx_bytes num(char *buf, size_t len, long long v) {
    plx_bytes b;
    int n = snprintf(buf, len, "%lld", v);

    b.data = (const uint8_t *)buf;
    b.len = n > 0 ? (size_t)n : 0;
    return b;
}

int plx_list_len(plx_client *c, plx_bytes key, int timeout_ms, long long *len) {
    plx_bytes argv[2] = {plx_str("LLEN"), key};
    return plx_cmd_integer(c, 2, argv, timeout_ms, len);
}

int plx_list_get(plx_client *c, plx_bytes key, long long index, int timeout_ms, plx_reply **out) {
    char buf[32];
    plx_bytes argv[3] = {plx_str("LINDEX"), key, num(buf, sizeof(buf), index)};
    return plx_client_cmd(c, 3, argv, timeout_ms, out);
}

int plx_list_set(plx_client *c, plx_bytes key, long long index, plx_bytes value, int timeout_ms) {
    char buf[32];
    plx_bytes argv[4] = {plx_str("LSET"), key, num(buf, sizeof(buf), index), value};
    return plx_cmd_ok(c, 4, argv, timeout_ms);
}

int plx_list_append(plx_client *c, plx_bytes key, plx_bytes value, int timeout_ms) {
    plx_bytes argv[3] = {plx_str("RPUSH"), key, value};
    return plx_cmd_integer(c, 3, argv, timeout_ms, NULL);
}

int plx_list_extend(plx_client *c, plx_bytes key, size_t n, const plx_bytes *values,
                    int timeout_ms) {
    const plx_bytes *items[1] = {values};
    return plx_cmd_batched(c, "RPUSH", key, n, 1, items, timeout_ms);
}

int plx_list_items(plx_client *c, plx_bytes key, int timeout_ms, plx_reply **out) {
    plx_bytes argv[4] = {plx_str("LRANGE"), key, plx_str("0"), plx_str("-1")};
    return plx_client_cmd(c, 4, argv, timeout_ms, out);
}
