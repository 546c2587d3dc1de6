/*
 * helpers.h - shared helpers of the storage unit tests: run a command written as one
 * space-separated string (or as explicit binary arguments) at a fake clock time, and assert
 * the reply's type and value; record notifications.
 */
#ifndef PLX_STORAGE_TEST_HELPERS_H
#define PLX_STORAGE_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store.h"

#define T_MAX_ARGS  64
#define T_MAX_NOTES 256

/* Notifications received, as "op key" strings (keys printed with \xHH for odd bytes). */
typedef struct t_notes {
    char note[T_MAX_NOTES][128];
    size_t n;
} t_notes;

static inline void t_notify(void *ud, const uint8_t *key, size_t klen, const char *op) {
    t_notes *n = ud;
    if (n->n >= T_MAX_NOTES) return;
    char *p = n->note[n->n++];
    int w = snprintf(p, 128, "%s ", op);
    for (size_t i = 0; i < klen && w < 120; i++)
        w += key[i] >= 0x20 && key[i] < 0x7f ? snprintf(p + w, 128 - w, "%c", key[i])
                                             : snprintf(p + w, 128 - w, "\\x%02x", key[i]);
}

/* 1 if a notification equal to text was recorded. */
static inline int t_noted(const t_notes *n, const char *text) {
    for (size_t i = 0; i < n->n; i++)
        if (strcmp(n->note[i], text) == 0) return 1;
    return 0;
}

/* Runs cmd (arguments split at spaces; no empty arguments) at time now. */
static inline plx_store_reply *t_run(plx_store *s, uint64_t now, const char *cmd) {
    char buf[4096];
    plx_bytes argv[T_MAX_ARGS];
    size_t argc = 0;
    snprintf(buf, sizeof(buf), "%s", cmd);
    for (char *tok = strtok(buf, " "); tok && argc < T_MAX_ARGS; tok = strtok(NULL, " ")) {
        argv[argc].data = (const uint8_t *)tok;
        argv[argc].len = strlen(tok);
        argc++;
    }
    plx_store_reply *r = plx_store_exec(s, argv, argc, now);
    assert_non_null(r);
    return r;
}

static inline void t_fail(const char *cmd, const plx_store_reply *r, const char *want) {
    print_error("command '%s': expected %s, got type %d int %lld str '%s'\n", cmd, want, r->type,
                r->integer, r->str ? r->str : "");
}

static inline void t_int(plx_store *s, uint64_t now, const char *cmd, long long want) {
    plx_store_reply *r = t_run(s, now, cmd);
    if (r->type != PLX_STORE_REPLY_INT || r->integer != want) {
        char w[64];
        snprintf(w, sizeof(w), "integer %lld", want);
        t_fail(cmd, r, w);
        fail();
    }
    plx_store_reply_free(r);
}

static inline void t_nil(plx_store *s, uint64_t now, const char *cmd) {
    plx_store_reply *r = t_run(s, now, cmd);
    if (r->type != PLX_STORE_REPLY_NIL) {
        t_fail(cmd, r, "nil");
        fail();
    }
    plx_store_reply_free(r);
}

static inline void t_status(plx_store *s, uint64_t now, const char *cmd, const char *want) {
    plx_store_reply *r = t_run(s, now, cmd);
    if (r->type != PLX_STORE_REPLY_STATUS || strcmp(r->str, want) != 0) {
        t_fail(cmd, r, want);
        fail();
    }
    plx_store_reply_free(r);
}

static inline void t_ok(plx_store *s, uint64_t now, const char *cmd) {
    t_status(s, now, cmd, "OK");
}

static inline void t_bulk(plx_store *s, uint64_t now, const char *cmd, const char *want) {
    plx_store_reply *r = t_run(s, now, cmd);
    if (r->type != PLX_STORE_REPLY_BULK || r->len != strlen(want) || memcmp(r->str, want, r->len)) {
        t_fail(cmd, r, want);
        fail();
    }
    plx_store_reply_free(r);
}

static inline void t_err(plx_store *s, uint64_t now, const char *cmd, int code, const char *want) {
    plx_store_reply *r = t_run(s, now, cmd);
    if (r->type != PLX_STORE_REPLY_ERROR || r->code != code || strcmp(r->str, want) != 0) {
        t_fail(cmd, r, want);
        fail();
    }
    plx_store_reply_free(r);
}

static inline void t_wrongtype(plx_store *s, uint64_t now, const char *cmd) {
    t_err(s, now, cmd, PLX_E_WRONGTYPE,
          "WRONGTYPE Operation against a key holding the wrong kind of value");
}

static inline void t_syntax(plx_store *s, uint64_t now, const char *cmd) {
    t_err(s, now, cmd, PLX_E_COMMAND_ERROR, "ERR syntax error");
}

static inline void t_notint(plx_store *s, uint64_t now, const char *cmd) {
    t_err(s, now, cmd, PLX_E_COMMAND_ERROR, "ERR value is not an integer or out of range");
}

/* The array reply's elements joined with ',' (bulk/status text, integers, "nil"), compared
 * with want; order matters. */
static inline void t_array(plx_store *s, uint64_t now, const char *cmd, const char *want) {
    plx_store_reply *r = t_run(s, now, cmd);
    char got[4096] = "";
    size_t w = 0;
    if (r->type != PLX_STORE_REPLY_ARRAY) {
        t_fail(cmd, r, want);
        fail();
    }
    for (size_t i = 0; i < r->nelem && w < sizeof(got) - 64; i++) {
        const plx_store_reply *e = r->elem[i];
        if (i) got[w++] = ',';
        if (e->type == PLX_STORE_REPLY_INT)
            w += (size_t)snprintf(got + w, sizeof(got) - w, "%lld", e->integer);
        else if (e->type == PLX_STORE_REPLY_NIL)
            w += (size_t)snprintf(got + w, sizeof(got) - w, "nil");
        else if (e->type == PLX_STORE_REPLY_ARRAY)
            w += (size_t)snprintf(got + w, sizeof(got) - w, "[%zu]", e->nelem);
        else
            w += (size_t)snprintf(got + w, sizeof(got) - w, "%.*s", (int)e->len, e->str);
    }
    got[w] = 0;
    if (strcmp(got, want) != 0) {
        print_error("command '%s': expected [%s], got [%s]\n", cmd, want, got);
        fail();
    }
    plx_store_reply_free(r);
}

/* Sorts the elements of an array reply by bytes (for unordered replies). */
static inline int t_cmp_elem(const void *a, const void *b) {
    const plx_store_reply *x = *(plx_store_reply *const *)a, *y = *(plx_store_reply *const *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->str, y->str, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Like t_array, but the elements (bulk strings) are sorted first. */
static inline void t_set(plx_store *s, uint64_t now, const char *cmd, const char *want) {
    plx_store_reply *r = t_run(s, now, cmd);
    if (r->type != PLX_STORE_REPLY_ARRAY) {
        t_fail(cmd, r, want);
        fail();
    }
    if (r->nelem) qsort(r->elem, r->nelem, sizeof(*r->elem), t_cmp_elem);
    char got[4096] = "";
    size_t w = 0;
    for (size_t i = 0; i < r->nelem && w < sizeof(got) - 64; i++)
        w += (size_t)snprintf(got + w, sizeof(got) - w, "%s%.*s", i ? "," : "",
                              (int)r->elem[i]->len, r->elem[i]->str);
    if (strcmp(got, want) != 0) {
        print_error("command '%s': expected {%s}, got {%s}\n", cmd, want, got);
        fail();
    }
    plx_store_reply_free(r);
}

/* Runs a command given as explicit binary arguments. */
static inline plx_store_reply *t_runb(plx_store *s, uint64_t now, size_t argc,
                                      const plx_bytes *argv) {
    plx_store_reply *r = plx_store_exec(s, argv, argc, now);
    assert_non_null(r);
    return r;
}

#define T_B(lit)                                                                                   \
    { (const uint8_t *)(lit), sizeof(lit) - 1 }

/* The per-test fixture of the command tests: a fresh store `s` recording into `notes`. */
#define T_STORE_FIXTURE                                                                            \
    static plx_store *s;                                                                           \
    static t_notes notes;                                                                          \
    static int setup(void **state) {                                                               \
        memset(&notes, 0, sizeof(notes));                                                          \
        s = plx_store_new(NULL, t_notify, &notes);                                                 \
        return s ? 0 : -1;                                                                         \
    }                                                                                              \
    static int teardown(void **state) {                                                            \
        plx_store_free(s);                                                                         \
        return 0;                                                                                  \
    }

#endif
