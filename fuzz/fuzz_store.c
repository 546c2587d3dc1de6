/*
 * fuzz_store.c - fuzzes the storage engine's command path (plx_store_check, plx_store_keys,
 * plx_store_exec, plx_store_expire) with a fake clock.
 *
 * Input: lines of text. A line "~N" advances the clock by N ms (at most 10^7) and runs active
 * expiry; any other line is one command whose arguments are separated by single spaces (so
 * empty arguments and arbitrary bytes other than space and newline are possible). Every
 * command also advances the clock by 1 ms. The store has small limits (64 keys, 4 KiB per
 * value) so they are reached.
 *
 * Invariants: the engine never crashes, leaks or reads out of bounds; every reply tree is
 * well formed (strings NUL-terminated at len, arrays without holes, errors with a known code
 * and Redis-style text in valid UTF-8); a command plx_store_check refuses gets the same error
 * (code and text) from plx_store_exec; the keys plx_store_keys names are argument indices;
 * a command without the WRITE flag changes nothing (no notification other than "expired");
 * a notified key is one the command names (FLUSHALL aside) and its op is the command's
 * lower-case name or "expired"; active expiry notifies only "expired"; the store never holds
 * more than its max_keys keys.
 */
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "support.h"

#define MAX_KEYS  64u
#define MAX_VALUE 4096u
#define MAX_ARGS  64u
#define MAX_LINES 256u

typedef struct harness {
    plx_store *s;
    uint64_t now;
    const plx_bytes *argv; /* the command running, NULL during active expiry */
    size_t argc;
    int writes;      /* the running command has the WRITE flag */
    size_t notified; /* notifications during the current call */
} harness;

static int lower_eq(const plx_bytes *a, const char *op) {
    size_t n = strlen(op);
    if (a->len != n) return 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = a->data[i];
        if (c >= 'A' && c <= 'Z') c = (uint8_t)(c + 32);
        if (c != (uint8_t)op[i]) return 0;
    }
    return 1;
}

static int names_key(const harness *h, const uint8_t *key, size_t klen) {
    size_t idx[MAX_ARGS];
    size_t n = plx_store_keys(h->argv, h->argc, idx, MAX_ARGS);
    for (size_t i = 0; i < n && i < MAX_ARGS; i++) {
        const plx_bytes *k = &h->argv[idx[i]];
        if (k->len == klen && (klen == 0 || memcmp(k->data, key, klen) == 0)) return 1;
    }
    return 0;
}

static void on_notify(void *ud, const uint8_t *key, size_t klen, const char *op) {
    harness *h = ud;
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < klen; i++) /* the key must be readable */
        sink ^= key[i];
    (void)sink;
    FUZZ_CHECK(op != NULL && op[0] != 0);
    h->notified++;
    if (strcmp(op, "expired") == 0) return;
    FUZZ_CHECK(h->argv != NULL); /* active expiry only ever expires */
    FUZZ_CHECK(h->writes);       /* a command without WRITE changes nothing */
    FUZZ_CHECK(lower_eq(&h->argv[0], op));
    if (!lower_eq(&h->argv[0], "flushall")) FUZZ_CHECK(names_key(h, key, klen));
}

static int known_error_code(int code) {
    return code == PLX_E_UNKNOWN_COMMAND || code == PLX_E_WRONG_ARITY || code == PLX_E_WRONGTYPE ||
           code == PLX_E_COMMAND_ERROR;
}

static void check_reply(const plx_store_reply *r, int depth) {
    FUZZ_CHECK(r != NULL && depth < 8);
    switch (r->type) {
    case PLX_STORE_REPLY_NIL:
    case PLX_STORE_REPLY_INT:
        break;
    case PLX_STORE_REPLY_STATUS:
    case PLX_STORE_REPLY_BULK:
        FUZZ_CHECK(r->str != NULL && r->str[r->len] == 0);
        break;
    case PLX_STORE_REPLY_ERROR:
        FUZZ_CHECK(r->str != NULL && r->str[r->len] == 0 && r->len > 0);
        FUZZ_CHECK(known_error_code(r->code));
        FUZZ_CHECK(r->str[0] >= 'A' && r->str[0] <= 'Z'); /* "ERR ...", "WRONGTYPE ..." */
        FUZZ_CHECK(plx_utf8_valid((const uint8_t *)r->str, r->len));
        break;
    case PLX_STORE_REPLY_ARRAY:
        FUZZ_CHECK(r->nelem == 0 || r->elem != NULL);
        for (size_t i = 0; i < r->nelem; i++)
            check_reply(r->elem[i], depth + 1);
        break;
    default:
        FUZZ_CHECK(!"unknown reply type");
    }
}

static void run_command(harness *h, const plx_bytes *argv, size_t argc) {
    plx_store_reply *err = NULL;
    int flags = plx_store_check(argv, argc, &err);
    size_t idx[MAX_ARGS];
    size_t nkeys = plx_store_keys(argv, argc, idx, MAX_ARGS);
    FUZZ_CHECK(nkeys <= argc);
    for (size_t i = 0; i < nkeys && i < MAX_ARGS; i++)
        FUZZ_CHECK(idx[i] < argc);

    h->now += 1;
    h->argv = argv;
    h->argc = argc;
    h->writes = flags > 0 && (flags & PLX_CMD_WRITE);
    h->notified = 0;
    plx_store_reply *r = plx_store_exec(h->s, argv, argc, h->now);
    h->argv = NULL;
    FUZZ_CHECK(r != NULL);
    check_reply(r, 0);
    if (flags < 0) {
        FUZZ_CHECK(flags == PLX_E_UNKNOWN_COMMAND || flags == PLX_E_WRONG_ARITY);
        FUZZ_CHECK(err != NULL && err->type == PLX_STORE_REPLY_ERROR && err->code == flags);
        FUZZ_CHECK(r->type == PLX_STORE_REPLY_ERROR && r->code == flags);
        FUZZ_CHECK(r->len == err->len && memcmp(r->str, err->str, r->len) == 0);
        FUZZ_CHECK(h->notified == 0);
    } else {
        FUZZ_CHECK(err == NULL);
    }
    plx_store_reply_free(err);
    plx_store_reply_free(r);
    FUZZ_CHECK(plx_store_size(h->s) <= MAX_KEYS);
}

/* Splits line[0..len) at single spaces into argv (at most MAX_ARGS). */
static size_t split(const uint8_t *line, size_t len, plx_bytes *argv) {
    size_t argc = 0, start = 0;
    for (size_t i = 0; i <= len && argc < MAX_ARGS; i++) {
        if (i == len || line[i] == ' ') {
            argv[argc].data = line + start;
            argv[argc].len = i - start;
            argc++;
            start = i + 1;
        }
    }
    return argc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* An exact copy, so reads past an argument's end into the next one are still in bounds
     * but reads past the input are caught. */
    uint8_t *text = malloc(size ? size : 1);
    FUZZ_CHECK(text != NULL);
    if (size) memcpy(text, data, size);
    harness h;
    memset(&h, 0, sizeof(h));
    h.now = 1700000000000ull;
    plx_store_limits limits = {MAX_KEYS, MAX_VALUE};
    h.s = plx_store_new(&limits, on_notify, &h);
    FUZZ_CHECK(h.s != NULL);

    size_t pos = 0;
    for (unsigned lines = 0; pos < size && lines < MAX_LINES; lines++) {
        const uint8_t *nl = memchr(text + pos, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - (text + pos)) : size - pos;
        const uint8_t *line = text + pos;
        pos += len + 1;
        if (len >= 1 && line[0] == '~') {
            uint64_t ms = 0;
            for (size_t i = 1; i < len && line[i] >= '0' && line[i] <= '9' && ms < 10000000; i++)
                ms = ms * 10 + (uint64_t)(line[i] - '0');
            h.now += ms;
            h.notified = 0;
            size_t removed = plx_store_expire(h.s, h.now, 16);
            FUZZ_CHECK(removed == h.notified && removed <= 16);
            continue;
        }
        plx_bytes argv[MAX_ARGS];
        size_t argc = split(line, len, argv);
        run_command(&h, argv, argc);
    }
    plx_store_free(h.s);
    free(text);
    return 0;
}
