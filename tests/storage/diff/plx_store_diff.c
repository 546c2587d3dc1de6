/*
 * plx_store_diff.c - plx-store-diff: runs a command script against a real redis-server and
 * against plexus-storage, and compares every reply.
 *
 * Usage: plx-store-diff SCRIPT            (the in-process plexus-storage engine)
 *        plx-store-diff-server SCRIPT [BIN]  (a plexus-server over the wire; built from the same
 *        sources with PLX_DIFF_SERVER_BIN, the default BIN)
 * Starts its own redis-server on a free 127.0.0.1 port (stopped at the end), runs FLUSHALL on
 * both engines, then each line of SCRIPT (format: script.h). Replies are compared exactly,
 * except: SMEMBERS SINTER SUNION SDIFF KEYS HKEYS HVALS as multisets; HGETALL as a set of
 * pairs; SCAN with cursor 0 is iterated to the end on both sides and the unions compared
 * (another cursor: errors exactly, else the reply shape);
 * SRANDMEMBER and SPOP by reply type, count, distinctness and membership in the set as it was
 * before the command; TTL within 1 s and PTTL within 250 ms. A command marked @expect (outside
 * the Plexus subset) runs on plexus-storage only and must give the stated error. Prints each
 * mismatch, then "N passed, N failed"; exits 1 on any mismatch (or when nothing ran), 2 on a setup
 * error.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compare.h"
#include "engine.h"
#include "redis_proc.h"
#include "reply_build.h"
#include "script.h"

#define SCAN_MAX_CALLS 100000 /* bound on the calls of one full SCAN iteration */

static int name_is(const plx_script_line *l, const char *lower) {
    if (l->argc == 0 || l->argv[0].len != strlen(lower)) return 0;
    for (size_t i = 0; i < l->argv[0].len; i++)
        if (tolower(l->argv[0].data[i]) != lower[i]) return 0;
    return 1;
}

static plx_cmp_mode mode_for(const plx_script_line *l) {
    static const char *unordered[] = {"smembers", "sinter", "sunion", "sdiff",
                                      "keys",     "hkeys",  "hvals"};
    for (size_t i = 0; i < sizeof(unordered) / sizeof(unordered[0]); i++)
        if (name_is(l, unordered[i])) return PLX_CMP_UNORDERED;
    return name_is(l, "hgetall") ? PLX_CMP_PAIRS : PLX_CMP_EXACT;
}

static int ttl_close(const plx_script_line *l, const plx_store_reply *a, const plx_store_reply *b) {
    long long tol = name_is(l, "ttl") ? 1 : name_is(l, "pttl") ? 250 : -1;
    if (tol < 0 || !a || !b || a->type != PLX_STORE_REPLY_INT || b->type != PLX_STORE_REPLY_INT)
        return 0;
    if (a->integer < 0 || b->integer < 0) return a->integer == b->integer;
    long long d = a->integer - b->integer;
    return d >= -tol && d <= tol;
}

/* ---------------------------------------------------------------- SCAN */

/* Runs a SCAN from cursor 0 to the end; returns an array of the distinct keys, or the first
 * reply that is not a well-formed SCAN reply (an error). */
static plx_store_reply *scan_all(plx_engine *e, const plx_script_line *l) {
    plx_script_arg *argv = malloc(l->argc * sizeof(*argv));
    plx_store_reply *all = calloc(1, sizeof(*all));
    if (!argv || !all) goto fail;
    all->type = PLX_STORE_REPLY_ARRAY;
    memcpy(argv, l->argv, l->argc * sizeof(*argv));
    char cursor[32] = "0";
    for (int calls = 0; calls < SCAN_MAX_CALLS; calls++) {
        argv[1].data = (uint8_t *)cursor;
        argv[1].len = strlen(cursor);
        plx_store_reply *r = e->exec(e->ud, argv, l->argc);
        if (!r || r->type != PLX_STORE_REPLY_ARRAY || r->nelem != 2 ||
            r->elem[0]->type != PLX_STORE_REPLY_BULK || r->elem[0]->len >= sizeof(cursor) ||
            r->elem[1]->type != PLX_STORE_REPLY_ARRAY) {
            free(argv);
            plx_diff_reply_free(all);
            return r;
        }
        plx_store_reply *keys = r->elem[1];
        plx_store_reply **n = realloc(all->elem, (all->nelem + keys->nelem + 1) * sizeof(*n));
        if (!n) {
            plx_diff_reply_free(r);
            goto fail;
        }
        all->elem = n;
        for (size_t i = 0; i < keys->nelem; i++) {
            size_t j;
            for (j = 0; j < all->nelem; j++)
                if (plx_store_reply_equal(all->elem[j], keys->elem[i], PLX_CMP_EXACT)) break;
            if (j == all->nelem) {
                all->elem[all->nelem++] = keys->elem[i];
                keys->elem[i] = NULL;
            }
        }
        for (size_t i = 0; i < keys->nelem; i++)
            plx_diff_reply_free(keys->elem[i]);
        keys->nelem = 0;
        memcpy(cursor, r->elem[0]->str, r->elem[0]->len);
        cursor[r->elem[0]->len] = 0;
        plx_diff_reply_free(r);
        if (strcmp(cursor, "0") == 0) {
            free(argv);
            return all;
        }
    }
fail:
    free(argv);
    plx_diff_reply_free(all);
    return NULL;
}

/* ---------------------------------------------------------------- SRANDMEMBER, SPOP */

static int is_member(const plx_store_reply *set, const plx_store_reply *x) {
    if (!set || set->type != PLX_STORE_REPLY_ARRAY || x->type != PLX_STORE_REPLY_BULK) return 0;
    for (size_t i = 0; i < set->nelem; i++)
        if (plx_store_reply_equal(set->elem[i], x, PLX_CMP_EXACT)) return 1;
    return 0;
}

/* A random reply r is plausible against the members the set had before the command. */
static int random_ok(const plx_store_reply *r, const plx_store_reply *members, int distinct) {
    if (r->type == PLX_STORE_REPLY_BULK) return is_member(members, r);
    if (r->type != PLX_STORE_REPLY_ARRAY) return 1;
    for (size_t i = 0; i < r->nelem; i++) {
        if (!is_member(members, r->elem[i])) return 0;
        for (size_t j = 0; distinct && j < i; j++)
            if (plx_store_reply_equal(r->elem[i], r->elem[j], PLX_CMP_EXACT)) return 0;
    }
    return 1;
}

static int random_equal(const plx_store_reply *a, const plx_store_reply *b) {
    if (!a || !b || a->type != b->type) return 0;
    if (a->type == PLX_STORE_REPLY_BULK) return 1;
    if (a->type == PLX_STORE_REPLY_ARRAY) return a->nelem == b->nelem;
    return plx_store_reply_equal(a, b, PLX_CMP_EXACT);
}

/* ---------------------------------------------------------------- main */

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void report(const plx_script_line *l, const plx_store_reply *a, const plx_store_reply *b,
                   const char *why, const char *plexus) {
    printf("MISMATCH line %zu: %s%s\n  redis: ", l->lineno, l->text, why);
    plx_store_reply_print(stdout, a);
    printf("\n  %s: ", plexus);
    plx_store_reply_print(stdout, b);
    printf("\n");
}

/* A line outside the Plexus subset (@expect): only the Plexus engine runs it, and it must
 * answer with exactly the expected error. */
static int run_expect(plx_engine *st, const plx_script_line *l) {
    plx_store_reply *b = st->exec(st->ud, l->argv, l->argc);
    const char *want = (const char *)l->expect.data;
    int ok = b && b->type == PLX_STORE_REPLY_ERROR && b->len == l->expect.len &&
             memcmp(b->str, want, b->len) == 0 && b->code == plx_error_code_for_text(want);
    if (!ok) {
        printf("MISMATCH line %zu: %s\n  expected: (error %d) %s\n  %s: ", l->lineno, l->text,
               plx_error_code_for_text(want), want, st->name);
        plx_store_reply_print(stdout, b);
        printf("\n");
    }
    plx_diff_reply_free(b);
    return ok;
}

/* Runs one line on both engines; 1 when the replies agree, 0 when not, -1 when an engine
 * gave no reply at all (connection lost, timeout, no memory). */
static int run_line(plx_engine *ra, plx_engine *st, const plx_script_line *l) {
    plx_store_reply *a = NULL, *b = NULL;
    int ok;
    const char *why = "";
    if (l->expect.data) return run_expect(st, l);
    if (name_is(l, "scan") && l->argc >= 2 && l->argv[1].len == 1 && l->argv[1].data[0] == '0') {
        a = scan_all(ra, l);
        b = scan_all(st, l);
        ok = plx_store_reply_equal(a, b, PLX_CMP_UNORDERED);
        why = " (full iteration, union of keys)";
    } else if (name_is(l, "scan") && l->argc >= 2) {
        /* Cursors are engine-specific positions: compare errors, else only the shape. */
        a = ra->exec(ra->ud, l->argv, l->argc);
        b = st->exec(st->ud, l->argv, l->argc);
        ok = a && b &&
             (a->type == PLX_STORE_REPLY_ERROR || b->type == PLX_STORE_REPLY_ERROR
                  ? plx_store_reply_equal(a, b, PLX_CMP_EXACT)
                  : a->type == b->type && a->type == PLX_STORE_REPLY_ARRAY && a->nelem == 2 &&
                        b->nelem == 2);
        why = " (non-zero cursor: errors or reply shape)";
    } else if ((name_is(l, "srandmember") || name_is(l, "spop")) && l->argc >= 2) {
        plx_script_arg sm[2] = {{(uint8_t *)"SMEMBERS", 8}, l->argv[1]};
        plx_store_reply *ma = ra->exec(ra->ud, sm, 2), *mb = st->exec(st->ud, sm, 2);
        a = ra->exec(ra->ud, l->argv, l->argc);
        b = st->exec(st->ud, l->argv, l->argc);
        int distinct = name_is(l, "spop") || l->argc < 3 || l->argv[2].data[0] != '-';
        ok = random_equal(a, b) && random_ok(a, ma, distinct) && random_ok(b, mb, distinct);
        why = " (random: type, count, membership)";
        plx_diff_reply_free(ma);
        plx_diff_reply_free(mb);
    } else {
        a = ra->exec(ra->ud, l->argv, l->argc);
        b = st->exec(st->ud, l->argv, l->argc);
        ok = plx_store_reply_equal(a, b, mode_for(l)) || ttl_close(l, a, b);
    }
    if (!a || !b) ok = -1; /* an engine failed: the run cannot go on */
    if (ok != 1) report(l, a, b, why, st->name);
    plx_diff_reply_free(a);
    plx_diff_reply_free(b);
    return ok;
}

/* The Plexus engine of this build: plexus-server over the wire, or plexus-storage. */
static int plexus_engine(plx_engine *e, int argc, char **argv) {
#ifdef PLX_DIFF_SERVER_BIN
    return plx_engine_server(e, argc > 2 ? argv[2] : PLX_DIFF_SERVER_BIN);
#else
    (void)argc;
    (void)argv;
    return plx_engine_store(e);
#endif
}

int main(int argc, char **argv) {
#ifdef PLX_DIFF_SERVER_BIN
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: plx-store-diff-server SCRIPT [PLEXUS-SERVER]\n");
        return 2;
    }
#else
    if (argc != 2) {
        fprintf(stderr, "usage: plx-store-diff SCRIPT\n");
        return 2;
    }
#endif
    plx_script sc;
    if (plx_script_open(&sc, argv[1]) != 0) {
        perror(argv[1]);
        return 2;
    }
    plx_redis_proc rp = {0};
    if (plx_redis_start(&rp, 5000) != 0) {
        plx_script_close(&sc);
        return 2;
    }
    plx_engine ra, st;
    int have_ra = plx_engine_redis(&ra, rp.port) == 0;
    if (!have_ra || plexus_engine(&st, argc, argv) != 0) {
        fprintf(stderr, "plx-store-diff: cannot set up the engines\n");
        if (have_ra) ra.close(ra.ud);
        plx_redis_stop(&rp);
        plx_script_close(&sc);
        return 2;
    }
    plx_script_arg flush = {(uint8_t *)"FLUSHALL", 8};
    plx_diff_reply_free(ra.exec(ra.ud, &flush, 1));
    plx_diff_reply_free(st.exec(st.ud, &flush, 1));

    int passed = 0, failed = 0, rc = 0;
    char err[256];
    plx_script_line l;
    int got;
    while ((got = plx_script_next(&sc, &l, err, sizeof(err))) == 1) {
        int r = 1;
        if (l.sleep_ms >= 0)
            sleep_ms(l.sleep_ms);
        else if ((r = run_line(&ra, &st, &l)) == 1)
            passed++;
        else
            failed++;
        plx_script_line_clear(&l);
        if (r < 0) {
            fprintf(stderr, "plx-store-diff: an engine stopped answering; run aborted\n");
            rc = 2;
            break;
        }
    }
    if (got < 0 && rc == 0) {
        fprintf(stderr, "plx-store-diff: %s: %s\n", argv[1], err);
        rc = 2;
    }
    ra.close(ra.ud);
    st.close(st.ud);
    plx_redis_stop(&rp);
    plx_script_close(&sc);
    printf("%d passed, %d failed\n", passed, failed);
    if (rc) return rc;
    return failed || passed == 0 ? 1 : 0;
}
