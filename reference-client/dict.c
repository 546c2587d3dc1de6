/*
 * dict.c - the Dict helper: a Redis hash under a key used like a Python dict (length, get,
 * set, delete, update through one pipeline, keys, items).
 */
#include "internal.h"

int plx_dict_len(plx_client *c, plx_bytes key, int timeout_ms, long long *len) {
    plx_bytes argv[2] = {plx_str("HLEN"), key};
    return plx_cmd_integer(c, 2, argv, timeout_ms, len);
}

int plx_dict_get(plx_client *c, plx_bytes key, plx_bytes field, int timeout_ms, plx_reply **out) {
    plx_bytes argv[3] = {plx_str("HGET"), key, field};
    return plx_client_cmd(c, 3, argv, timeout_ms, out);
}

int plx_dict_set(plx_client *c, plx_bytes key, plx_bytes field, plx_bytes value, int timeout_ms) {
    plx_bytes argv[4] = {plx_str("HSET"), key, field, value};
    return plx_cmd_integer(c, 4, argv, timeout_ms, NULL);
}

int plx_dict_del(plx_client *c, plx_bytes key, plx_bytes field, int timeout_ms, int *removed) {
    plx_bytes argv[3] = {plx_str("HDEL"), key, field};
    long long n = 0;
    int rc = plx_cmd_integer(c, 3, argv, timeout_ms, &n);

    if (removed) *removed = rc == 0 && n > 0;
    return rc;
}

int plx_dict_update(plx_client *c, plx_bytes key, size_t n, const plx_bytes *fields,
                    const plx_bytes *values, int timeout_ms) {
    const plx_bytes *items[2] = {fields, values};
    return plx_cmd_batched(c, "HSET", key, n, 2, items, timeout_ms);
}

int plx_dict_keys(plx_client *c, plx_bytes key, int timeout_ms, plx_reply **out) {
    plx_bytes argv[2] = {plx_str("HKEYS"), key};
    return plx_client_cmd(c, 2, argv, timeout_ms, out);
}

int plx_dict_items(plx_client *c, plx_bytes key, int timeout_ms, plx_reply **out) {
    plx_bytes argv[2] = {plx_str("HGETALL"), key};
    return plx_client_cmd(c, 2, argv, timeout_ms, out);
}
