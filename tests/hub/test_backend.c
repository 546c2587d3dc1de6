/*
 * test_backend.c - the hub over an asynchronous storage backend (plx_hub_new_backend): a fake
 * backend records each submitted batch and the test completes it when it chooses, by running
 * the batch on an in-memory store of its own (so replies are the engine's) or with a reply it
 * builds. Covers replies in and out of order, a caller leaving before completion, unknown
 * cookies, submit refusing, whole-batch errors, atomic batches, pipelines mixing adapter reads
 * and backend commands, binary values, big integers, the pending bound, change notifications
 * without `by`, and what plexus.info and welcome say per storage kind. Every assertion on a
 * message compares its exact JSON text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define FB_MAX 64

typedef struct fb_batch {
    uint64_t cookie;
    size_t n;
    plx_bytes *argv[16]; /* owned copies */
    size_t argc[16];
    int atomic;
    int done;
} fb_batch;

typedef struct fb {
    fb_batch b[FB_MAX];
    size_t nb;
    int refuse; /* submit answers PLX_E_LIMIT_REACHED */
    size_t refused;
    uint64_t barriers[FB_MAX]; /* cookies of the barriers asked for (fb_new_barrier) */
    size_t nbarriers;
    int barrier_refuse; /* the barrier hook answers this when not 0 */
    plx_store *store;   /* runs the batches the test completes with fb_run */
    th *t;
} fb;

static int fb_submit(void *ud, uint64_t cookie, const plx_bytes *const *argv, const size_t *argc,
                     size_t n, int atomic) {
    fb *f = ud;
    if (f->refuse) {
        f->refused++;
        return PLX_E_LIMIT_REACHED;
    }
    assert_true(f->nb < FB_MAX);
    assert_true(n > 0 && n <= 16);
    fb_batch *b = &f->b[f->nb++];
    memset(b, 0, sizeof(*b));
    b->cookie = cookie;
    b->n = n;
    b->atomic = atomic;
    for (size_t i = 0; i < n; i++) {
        b->argc[i] = argc[i];
        b->argv[i] = calloc(argc[i], sizeof(plx_bytes));
        for (size_t k = 0; k < argc[i]; k++) {
            uint8_t *d = malloc(argv[i][k].len + 1);
            memcpy(d, argv[i][k].data, argv[i][k].len);
            b->argv[i][k] = (plx_bytes){d, argv[i][k].len};
        }
    }
    return 0;
}

static int fb_barrier(void *ud, uint64_t cookie) {
    fb *f = ud;
    if (f->barrier_refuse) return f->barrier_refuse;
    assert_true(f->nbarriers < FB_MAX);
    f->barriers[f->nbarriers++] = cookie;
    return 0;
}

static void fb_batch_free(fb_batch *b) {
    for (size_t i = 0; i < b->n; i++) {
        for (size_t k = 0; k < b->argc[i]; k++)
            free((void *)b->argv[i][k].data);
        free(b->argv[i]);
    }
    b->n = 0;
}

/* A fake backend, with the barrier hook when barrier. */
static fb *fb_make(const plx_hub_config *cfg, int barrier) {
    fb *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->store = plx_store_new(NULL, NULL, NULL);
    assert_non_null(f->store);
    plx_hub_backend be = {fb_submit, f, "redis", barrier ? fb_barrier : NULL};
    plx_hub_config def = {.gzip = 1, .server_name = "test"};
    f->t = th_new_backend(cfg ? cfg : &def, &be);
    return f;
}

static fb *fb_new(const plx_hub_config *cfg) {
    return fb_make(cfg, 0);
}

static void fb_free(fb *f) {
    th_free(f->t);
    for (size_t i = 0; i < f->nb; i++)
        fb_batch_free(&f->b[i]);
    plx_store_free(f->store);
    free(f);
}

/* A reply tree the way the backend builds one. */
static plx_store_reply *rep(plx_store_reply_type type) {
    plx_store_reply *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->type = type;
    return r;
}

static plx_store_reply *rep_int(long long v) {
    plx_store_reply *r = rep(PLX_STORE_REPLY_INT);
    r->integer = v;
    return r;
}

static plx_store_reply *rep_bytes(plx_store_reply_type type, const void *data, size_t len) {
    plx_store_reply *r = rep(type);
    r->str = malloc(len + 1);
    memcpy(r->str, data, len);
    r->str[len] = 0;
    r->len = len;
    return r;
}

static plx_store_reply *rep_error(int code, const char *text) {
    plx_store_reply *r = rep_bytes(PLX_STORE_REPLY_ERROR, text, strlen(text));
    r->code = code;
    return r;
}

/* An ARRAY of n replies (taken). */
static plx_store_reply *rep_array(size_t n, plx_store_reply **e) {
    plx_store_reply *r = rep(PLX_STORE_REPLY_ARRAY);
    r->elem = calloc(n ? n : 1, sizeof(*r->elem));
    for (size_t i = 0; i < n; i++)
        r->elem[i] = e[i];
    r->nelem = n;
    return r;
}

/* Completes batch i with reply r (taken). */
static void fb_done(fb *f, size_t i, plx_store_reply *r) {
    assert_true(i < f->nb);
    assert_false(f->b[i].done);
    f->b[i].done = 1;
    plx_hub_store_done(f->t->hub, f->b[i].cookie, r, f->t->now);
}

/* Completes batch i by running its commands, back to back, on the fake's own store. */
static void fb_run(fb *f, size_t i) {
    plx_store_reply *e[16];
    for (size_t k = 0; k < f->b[i].n; k++) {
        e[k] = plx_store_exec(f->store, f->b[i].argv[k], f->b[i].argc[k], f->t->now);
        assert_non_null(e[k]);
    }
    fb_done(f, i, rep_array(f->b[i].n, e));
}

/* Checks command k of batch i is argv (a JSON array of strings). */
static void fb_check(fb *f, size_t i, size_t k, const char *argv) {
    cJSON *a = cJSON_Parse(argv);
    assert_non_null(a);
    assert_int_equal(f->b[i].argc[k], (size_t)cJSON_GetArraySize(a));
    size_t j = 0;
    for (cJSON *e = a->child; e; e = e->next, j++) {
        assert_int_equal(f->b[i].argv[k][j].len, strlen(e->valuestring));
        assert_memory_equal(f->b[i].argv[k][j].data, e->valuestring, strlen(e->valuestring));
    }
    cJSON_Delete(a);
}

/* Takes the next message to c and checks its exact JSON text. */
static void next_is(th *t, plx_conn_id c, const char *want) {
    th_sent *s = th_take(t, c, NULL);
    if (!s) fprintf(stderr, "nothing sent to %llu, want %s\n", (unsigned long long)c, want);
    assert_non_null(s);
    char *got = cJSON_PrintUnformatted(s->json);
    if (strcmp(got, want) != 0) fprintf(stderr, "got  %s\nwant %s\n", got, want);
    assert_string_equal(got, want);
    cJSON_free(got);
    th_sent_free(s);
}

static void cmd_round_trip(void **state) {
    (void)state;
    fb *f = fb_new(NULL);
    th *t = f->t;
    plx_conn_id c = th_client(t, "c", NULL);
    th_send(t, c, "{\"t\":\"cmd\",\"id\":1,\"argv\":[\"set\",\"k\",\"v\"]}");
    assert_int_equal(f->nb, 1);
    assert_int_equal(f->b[0].n, 1);
    assert_false(f->b[0].atomic);
    fb_check(f, 0, 0, "[\"set\",\"k\",\"v\"]");
    assert_int_equal(th_count(t, c, NULL), 0); /* nothing before the batch completes */
    fb_run(f, 0);
    next_is(t, c, "{\"t\":\"reply\",\"id\":1,\"result\":{\"$status\":\"OK\"}}");
    th_send(t, c, "{\"t\":\"cmd\",\"id\":2,\"argv\":[\"GET\",\"k\"]}");
    th_send(t, c, "{\"t\":\"cmd\",\"id\":3,\"argv\":[\"LRANGE\",\"k\",\"0\",\"-1\"]}");
    th_send(t, c, "{\"t\":\"cmd\",\"id\":4,\"argv\":[\"GET\",\"none\"]}");
    fb_run(f, 1);
    fb_run(f, 2);
    fb_run(f, 3);
    next_is(t, c, "{\"t\":\"reply\",\"id\":2,\"result\":\"v\"}");
    next_is(t, c,
            "{\"t\":\"reply\",\"id\":3,\"error\":{\"code\":903,\"name\":\"WRONGTYPE\",\"message\":"
            "\"WRONGTYPE Operation against a key holding the wrong kind of value\"}}");
    next_is(t, c, "{\"t\":\"reply\",\"id\":4,\"result\":null}");
    assert_int_equal(th_count(t, c, NULL), 0);
    fb_free(f);
}

static void out_of_order(void **state) {
    (void)state;
    fb *f = fb_new(NULL);
    th *t = f->t;
    plx_conn_id a = th_client(t, "a", NULL), b = th_client(t, "b", NULL);
    th_send(t, a, "{\"t\":\"cmd\",\"id\":7,\"argv\":[\"RPUSH\",\"l\",\"x\",\"y\"]}");
    th_send(t, b, "{\"t\":\"pipeline\",\"id\":7,\"cmds\":[[\"INCR\",\"n\"],[\"INCR\",\"n\"]]}");
    th_send(t, a, "{\"t\":\"cmd\",\"id\":8,\"argv\":[\"STRLEN\",\"l0\"]}");
    assert_int_equal(f->nb, 3);
    fb_check(f, 1, 1, "[\"INCR\",\"n\"]");
    /* The last submitted completes first, then the pipeline, then the first. */
    fb_run(f, 2);
    next_is(t, a, "{\"t\":\"reply\",\"id\":8,\"result\":0}");
    assert_int_equal(th_count(t, b, NULL), 0);
    fb_run(f, 1);
    next_is(t, b, "{\"t\":\"reply\",\"id\":7,\"result\":[{\"result\":1},{\"result\":2}]}");
    assert_int_equal(th_count(t, a, NULL), 0);
    fb_run(f, 0);
    next_is(t, a, "{\"t\":\"reply\",\"id\":7,\"result\":2}");
    /* The ids are free again once answered. */
    th_send(t, a, "{\"t\":\"cmd\",\"id\":7,\"argv\":[\"LLEN\",\"l\"]}");
    fb_run(f, 3);
    next_is(t, a, "{\"t\":\"reply\",\"id\":7,\"result\":2}");
    fb_free(f);
}

static void caller_leaves(void **state) {
    (void)state;
    fb *f = fb_new(NULL);
    th *t = f->t;
    plx_conn_id a = th_client(t, "a", NULL), b = th_client(t, "b", NULL);
    th_send(t, a, "{\"t\":\"cmd\",\"id\":1,\"argv\":[\"SET\",\"k\",\"v\"]}");
    th_send(t, a, "{\"t\":\"pipeline\",\"id\":2,\"cmds\":[[\"GET\",\"k\"],[\"DEL\",\"k\"]]}");
    th_send(t, a,
            "{\"t\":\"pipeline\",\"id\":3,\"atomic\":true,\"cmds\":[[\"GET\",\"k\"],[\"DEL\",\"k\"]"
            "]}");
    assert_int_equal(f->nb, 3);
    plx_hub_closed(t->hub, a, t->now);
    fb_run(f, 1);
    fb_done(f, 0, rep_error(PLX_E_STORAGE_UNAVAILABLE, "ERR storage unavailable"));
    fb_run(f, 2);
    assert_int_equal(t->nout, 0); /* every answer dropped: its caller is gone */
    /* A cookie never handed out, and one completed already: dropped too. */
    plx_hub_store_done(t->hub, 999999, rep(PLX_STORE_REPLY_NIL), t->now);
    plx_hub_store_done(t->hub, f->b[0].cookie, rep(PLX_STORE_REPLY_NIL), t->now);
    assert_int_equal(t->nout, 0);
    /* A reply to a batch's cookie from a client is no answer to anything. */
    th_sendf(t, b, "{\"t\":\"cmd\",\"id\":1,\"argv\":[\"GET\",\"k\"]}");
    th_sendf(t, b, "{\"t\":\"reply\",\"id\":%llu,\"result\":1}",
             (unsigned long long)f->b[3].cookie);
    next_is(t, b,
            "{\"t\":\"error\",\"code\":707,\"name\":\"UNKNOWN_CALL\",\"message\":\"reply to an "
            "id that is not pending\",\"re\":4}");
    fb_run(f, 3);
    next_is(t, b, "{\"t\":\"reply\",\"id\":1,\"result\":null}");
    fb_free(f);
}

static void refused_and_failed(void **state) {
    (void)state;
    fb *f = fb_new(NULL);
    th *t = f->t;
    plx_conn_id c = th_client(t, "c", NULL);
    f->refuse = 1;
    th_send(t, c, "{\"t\":\"cmd\",\"id\":1,\"argv\":[\"GET\",\"k\"]}");
    next_is(t, c,
            "{\"t\":\"reply\",\"id\":1,\"error\":{\"code\":907,\"name\":\"STORAGE_UNAVAILABLE\","
            "\"message\":\"the storage backend is unreachable\"}}");
    /* A pipeline that is nothing but the refused batch fails as a whole (STO-20)... */
    th_send(t, c, "{\"t\":\"pipeline\",\"id\":2,\"cmds\":[[\"SET\",\"k\",\"v\"],[\"GET\",\"k\"]]}");
    next_is(t, c,
            "{\"t\":\"reply\",\"id\":2,\"error\":{\"code\":907,\"name\":\"STORAGE_UNAVAILABLE\","
            "\"message\":\"the storage backend is unreachable\"}}");
    /* ...one that ran in part gets an entry per command that did not run. */
    th_send(t, c, "{\"t\":\"pipeline\",\"id\":3,\"cmds\":[[\"NOPE\"],[\"GET\",\"k\"]]}");
    next_is(t, c,
            "{\"t\":\"reply\",\"id\":3,\"result\":[{\"error\":{\"code\":901,\"name\":\"UNKNOWN_"
            "COMMAND\",\"message\":\"ERR unknown command 'NOPE', with args beginning with: \"}},"
            "{\"error\":{\"code\":907,\"name\":\"STORAGE_UNAVAILABLE\",\"message\":\"the storage "
            "backend "
            "is unreachable\"}}]}");
    assert_int_equal(f->refused, 3);
    assert_int_equal(f->nb, 0);
    /* The ids are free again: nothing stayed pending. */
    f->refuse = 0;
    th_send(t, c, "{\"t\":\"cmd\",\"id\":1,\"argv\":[\"GET\",\"k\"]}");
    th_send(t, c, "{\"t\":\"pipeline\",\"id\":2,\"cmds\":[[\"SET\",\"k\",\"v\"],[\"GET\",\"k\"]]}");
    th_send(t, c, "{\"t\":\"pipeline\",\"id\":3,\"cmds\":[[\"NOPE\"],[\"GET\",\"k\"]]}");
    assert_int_equal(f->nb, 3);
    /* Batches failing as a whole once submitted: the same answers. */
    const char *text = "ERR Redis unreachable";
    fb_done(f, 0, rep_error(PLX_E_STORAGE_UNAVAILABLE, text));
    fb_done(f, 1, rep_error(PLX_E_STORAGE_UNAVAILABLE, text));
    fb_done(f, 2, rep_error(PLX_E_STORAGE_UNAVAILABLE, text));
    next_is(t, c,
            "{\"t\":\"reply\",\"id\":1,\"error\":{\"code\":907,\"name\":\"STORAGE_UNAVAILABLE\","
            "\"message\":\"ERR Redis unreachable\"}}");
    next_is(t, c,
            "{\"t\":\"reply\",\"id\":2,\"error\":{\"code\":907,\"name\":\"STORAGE_UNAVAILABLE\","
            "\"message\":\"ERR Redis unreachable\"}}");
    next_is(t, c,
            "{\"t\":\"reply\",\"id\":3,\"result\":[{\"error\":{\"code\":901,\"name\":\"UNKNOWN_"
            "COMMAND\",\"message\":\"ERR unknown command 'NOPE', with args beginning with: \"}},"
            "{\"error\":{\"code\":907,\"name\":\"STORAGE_UNAVAILABLE\",\"message\":\"ERR Redis "
            "unreachable\"}}]}");
    /* A reply of the wrong shape is an INTERNAL error, not a crash. */
    th_send(t, c, "{\"t\":\"cmd\",\"id\":4,\"argv\":[\"GET\",\"k\"]}");
    plx_store_reply *two[2] = {rep(PLX_STORE_REPLY_NIL), rep(PLX_STORE_REPLY_NIL)};
    fb_done(f, 3, rep_array(2, two));
    next_is(t, c,
            "{\"t\":\"reply\",\"id\":4,\"error\":{\"code\":3,\"name\":\"INTERNAL\",\"message\":"
            "\"ERR storage backend reply of the wrong shape\"}}");
    fb_free(f);
}

static void checks_stay_local(void **state) {
    (void)state;
    fb *f = fb_new(NULL);
    th *t = f->t;
    plx_conn_id c = th_client(t, "c", NULL);
    th_send(t, c, "{\"t\":\"cmd\",\"id\":1,\"argv\":[\"FLUSHDB\"]}");
    next_is(t, c,
            "{\"t\":\"reply\",\"id\":1,\"error\":{\"code\":901,\"name\":\"UNKNOWN_COMMAND\","
            "\"message\":\"ERR unknown command 'FLUSHDB', with args beginning with: \"}}");
    th_send(t, c, "{\"t\":\"cmd\",\"id\":2,\"argv\":[\"GET\"]}");
    next_is(t, c,
            "{\"t\":\"reply\",\"id\":2,\"error\":{\"code\":902,\"name\":\"WRONG_ARITY\","
            "\"message\":\"ERR wrong number of arguments for 'get' command\"}}");
    th_send(t, c,
            "{\"t\":\"pipeline\",\"id\":3,\"atomic\":true,\"cmds\":[[\"SET\",\"a\",\"1\"],"
            "[\"SET\",\"b\"]]}");
    next_is(t, c,
            "{\"t\":\"reply\",\"id\":3,\"error\":{\"code\":908,\"name\":\"EXEC_ABORTED\","
            "\"message\":\"EXECABORT Transaction discarded because of previous errors.\","
            "\"detail\":{\"index\":1,\"error\":{\"code\":902,\"name\":\"WRONG_ARITY\","
            "\"message\":\"ERR wrong number of arguments for 'set' command\"}}}}");
    assert_int_equal(f->nb, 0); /* nothing reached the backend */
    /* The checked commands of a pipeline go, in order, as one batch. */
    th_send(t, c,
            "{\"t\":\"pipeline\",\"id\":4,\"cmds\":[[\"SET\",\"a\",\"1\"],[\"GET\"],"
            "[\"GET\",\"a\"]]}");
    assert_int_equal(f->nb, 1);
    assert_int_equal(f->b[0].n, 2);
    fb_check(f, 0, 0, "[\"SET\",\"a\",\"1\"]");
    fb_check(f, 0, 1, "[\"GET\",\"a\"]");
    fb_run(f, 0);
    next_is(t, c,
            "{\"t\":\"reply\",\"id\":4,\"result\":[{\"result\":{\"$status\":\"OK\"}},{\"error\":"
            "{\"code\":902,\"name\":\"WRONG_ARITY\",\"message\":\"ERR wrong number of arguments "
            "for 'get' command\"}},{\"result\":\"1\"}]}");
    fb_free(f);
}

static void atomic_batch(void **state) {
    (void)state;
    fb *f = fb_new(NULL);
    th *t = f->t;
    plx_conn_id c = th_client(t, "c", NULL);
    th_send(t, c,
            "{\"t\":\"pipeline\",\"id\":1,\"atomic\":true,\"cmds\":[[\"SET\",\"s\",\"x\"],"
            "[\"INCR\",\"s\"],[\"APPEND\",\"s\",\"y\"]]}");
    assert_int_equal(f->nb, 1);
    assert_int_equal(f->b[0].n, 3);
    assert_true(f->b[0].atomic);
    fb_run(f, 0);
    next_is(t, c,
            "{\"t\":\"reply\",\"id\":1,\"result\":[{\"result\":{\"$status\":\"OK\"}},{\"error\":"
            "{\"code\":904,\"name\":\"COMMAND_ERROR\",\"message\":\"ERR value is not an integer "
            "or out of range\"}},{\"result\":2}]}");
    fb_free(f);
}

static void mixed_with_adapters(void **state) {
    (void)state;
    fb *f = fb_new(NULL);
    th *t = f->t;
    plx_conn_id o = th_client(t, "o", NULL), c = th_client(t, "c", NULL);
    th_send(t, o, "{\"t\":\"adapt\",\"id\":1,\"key\":\"ad\"}");
    next_is(t, o, "{\"t\":\"reply\",\"id\":1,\"result\":true}");
    const char *pipe = "{\"t\":\"pipeline\",\"id\":%d,\"cmds\":[[\"SET\",\"x\",\"1\"],[\"GET\","
                       "\"ad\"],[\"SET\",\"ad\",\"2\"],[\"GET\",\"x\"]]}";
    const char *want =
        "{\"t\":\"reply\",\"id\":%d,\"result\":[{\"result\":{\"$status\":\"OK\"}},"
        "{\"result\":\"from-o\"},{\"error\":{\"code\":905,\"name\":\"READ_ONLY\","
        "\"message\":\"key is served by an adapter and cannot be written\"}},{\"result\":\"1\"}]}";
    char buf[1024];
    for (int round = 0; round < 2; round++) {
        int id = 10 + round;
        th_sendf(t, c, pipe, id);
        assert_int_equal(f->nb, (size_t)round + 1);
        assert_int_equal(f->b[round].n, 2); /* the adapted read and the refused write stay out */
        fb_check(f, round, 0, "[\"SET\",\"x\",\"1\"]");
        fb_check(f, round, 1, "[\"GET\",\"x\"]");
        th_sent *r = th_take(t, o, "read");
        assert_non_null(r);
        uint64_t sid = (uint64_t)th_num(r->json, "id");
        th_sent_free(r);
        /* Round 0: the backend completes first; round 1: the owner answers first. */
        if (round == 0) fb_run(f, round);
        th_sendf(t, o, "{\"t\":\"reply\",\"id\":%llu,\"result\":\"from-o\"}",
                 (unsigned long long)sid);
        assert_int_equal(th_count(t, c, NULL), (size_t)(round == 0));
        if (round == 1) fb_run(f, round);
        snprintf(buf, sizeof(buf), want, id);
        next_is(t, c, buf);
    }
    /* The caller leaves while both parts are out: nothing is answered, nothing leaks. */
    th_sendf(t, c, pipe, 12);
    th_sent *r = th_take(t, o, "read");
    assert_non_null(r);
    uint64_t sid = (uint64_t)th_num(r->json, "id");
    th_sent_free(r);
    plx_hub_closed(t->hub, c, t->now);
    fb_run(f, 2);
    th_sendf(t, o, "{\"t\":\"reply\",\"id\":%llu,\"result\":\"late\"}", (unsigned long long)sid);
    assert_int_equal(t->nout, 0);
    fb_free(f);
}

static void binary_and_big(void **state) {
    (void)state;
    fb *f = fb_new(NULL);
    th *t = f->t;
    plx_conn_id c = th_client(t, "c", NULL);
    static const uint8_t bin[] = {0, 1, 2, 0xff, 0xfe, 'z', 0};
    plx_bytes att[1] = {{bin, sizeof(bin)}};
    th_send_att(t, c, "{\"t\":\"cmd\",\"id\":1,\"argv\":[\"SET\",{\"$bin\":0},{\"$bin\":0}]}", att,
                1);
    assert_int_equal(f->b[0].argv[0][1].len, sizeof(bin));
    assert_memory_equal(f->b[0].argv[0][1].data, bin, sizeof(bin));
    assert_memory_equal(f->b[0].argv[0][2].data, bin, sizeof(bin));
    fb_run(f, 0);
    next_is(t, c, "{\"t\":\"reply\",\"id\":1,\"result\":{\"$status\":\"OK\"}}");
    th_send_att(
        t, c,
        "{\"t\":\"pipeline\",\"id\":2,\"cmds\":[[\"GET\",{\"$bin\":0}],[\"STRLEN\",{\"$bin\":0}],"
        "[\"GET\",{\"$bin\":0}]]}",
        att, 1);
    fb_run(f, 1);
    th_sent *s = th_take(t, c, "reply");
    assert_non_null(s);
    char *got = cJSON_PrintUnformatted(s->json);
    assert_string_equal(got, "{\"t\":\"reply\",\"id\":2,\"result\":[{\"result\":{\"$bin\":0}},"
                             "{\"result\":7},{\"result\":{\"$bin\":1}}]}");
    cJSON_free(got);
    assert_int_equal(s->natt, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(s->att[i].len, sizeof(bin));
        assert_memory_equal(s->att[i].data, bin, sizeof(bin));
    }
    th_sent_free(s);
    /* Integers keep every digit over the signed 64-bit range; a status stays a status. */
    th_send(t, c,
            "{\"t\":\"pipeline\",\"id\":3,\"cmds\":[[\"TYPE\",\"k\"],[\"INCR\",\"k\"],"
            "[\"DECR\",\"k\"],[\"INCR\",\"k\"]]}");
    plx_store_reply *e[4] = {rep_bytes(PLX_STORE_REPLY_STATUS, "string", 6), rep_int(INT64_MAX),
                             rep_int(INT64_MIN), rep_int(9007199254740993LL)};
    fb_done(f, 2, rep_array(4, e));
    next_is(t, c,
            "{\"t\":\"reply\",\"id\":3,\"result\":[{\"result\":{\"$status\":\"string\"}},"
            "{\"result\":9223372036854775807},{\"result\":-9223372036854775808},"
            "{\"result\":9007199254740993}]}");
    /* Nested arrays with nils, and a bulk of 1024 bytes (an attachment, STO-7). */
    th_send(t, c, "{\"t\":\"cmd\",\"id\":4,\"argv\":[\"MGET\",\"a\",\"b\",\"c\"]}");
    char big[1024];
    memset(big, 'q', sizeof(big));
    plx_store_reply *m[3] = {rep(PLX_STORE_REPLY_NIL),
                             rep_bytes(PLX_STORE_REPLY_BULK, big, sizeof(big)),
                             rep_bytes(PLX_STORE_REPLY_BULK, "", 0)};
    plx_store_reply *one[1] = {rep_array(3, m)};
    fb_done(f, 3, rep_array(1, one));
    s = th_take(t, c, "reply");
    assert_non_null(s);
    got = cJSON_PrintUnformatted(s->json);
    assert_string_equal(got, "{\"t\":\"reply\",\"id\":4,\"result\":[null,{\"$bin\":0},\"\"]}");
    cJSON_free(got);
    assert_int_equal(s->natt, 1);
    assert_int_equal(s->att[0].len, sizeof(big));
    assert_memory_equal(s->att[0].data, big, sizeof(big));
    th_sent_free(s);
    fb_free(f);
}

static void pending_bound(void **state) {
    (void)state;
    plx_hub_config cfg = {.gzip = 1, .server_name = "test", .max_pending = 2};
    fb *f = fb_new(&cfg);
    th *t = f->t;
    plx_conn_id c = th_client(t, "c", NULL);
    th_send(t, c, "{\"t\":\"cmd\",\"id\":1,\"argv\":[\"INCR\",\"n\"]}");
    th_send(t, c, "{\"t\":\"cmd\",\"id\":1,\"argv\":[\"INCR\",\"n\"]}");
    next_is(t, c,
            "{\"t\":\"error\",\"code\":708,\"name\":\"DUPLICATE_ID\",\"message\":\"request id "
            "already pending on this connection\",\"re\":1}");
    th_send(t, c, "{\"t\":\"pipeline\",\"id\":2,\"cmds\":[[\"INCR\",\"n\"]]}");
    th_send(t, c, "{\"t\":\"cmd\",\"id\":3,\"argv\":[\"INCR\",\"n\"]}");
    next_is(t, c,
            "{\"t\":\"reply\",\"id\":3,\"error\":{\"code\":613,\"name\":\"LIMIT_REACHED\","
            "\"message\":\"too many pending requests\"}}");
    assert_int_equal(f->nb, 2);
    fb_run(f, 0);
    fb_run(f, 1);
    next_is(t, c, "{\"t\":\"reply\",\"id\":1,\"result\":1}");
    next_is(t, c, "{\"t\":\"reply\",\"id\":2,\"result\":[{\"result\":2}]}");
    fb_free(f);
}

static void changes_without_by(void **state) {
    (void)state;
    fb *f = fb_new(NULL);
    th *t = f->t;
    plx_conn_id w = th_client(t, "w", NULL);
    th_send(t, w, "{\"t\":\"watch\",\"id\":1,\"pattern\":\"k*\"}");
    next_is(t, w, "{\"t\":\"reply\",\"id\":1,\"result\":true}");
    th_send(t, w, "{\"t\":\"cmd\",\"id\":2,\"argv\":[\"SET\",\"k1\",\"v\"]}");
    fb_run(f, 0);
    plx_hub_store_notify(t->hub, (const uint8_t *)"k1", 2, "set");
    plx_hub_store_notify(t->hub, (const uint8_t *)"other", 5, "del");
    plx_hub_store_notify(t->hub, (const uint8_t *)"k2", 2, "expired");
    next_is(t, w, "{\"t\":\"reply\",\"id\":2,\"result\":{\"$status\":\"OK\"}}");
    next_is(t, w, "{\"t\":\"change\",\"key\":\"k1\",\"op\":\"set\",\"pattern\":\"k*\"}");
    next_is(t, w, "{\"t\":\"change\",\"key\":\"k2\",\"op\":\"expired\",\"pattern\":\"k*\"}");
    assert_int_equal(t->nout, 0);
    /* No expiry of its own: ticks never reach a store. */
    th_tick(t, 60000);
    assert_int_equal(f->nb, 1);
    fb_free(f);
}

/* With a barrier hook: a new watch is answered, and gets changes, only once its barrier is
 * done; changes that come before (from commands completed earlier) do not reach it. */
static void watch_waits_for_barrier(void **state) {
    (void)state;
    fb *f = fb_make(NULL, 1);
    th *t = f->t;
    plx_conn_id w = th_client(t, "w", NULL), o = th_client(t, "o", NULL);
    th_send(t, o, "{\"t\":\"watch\",\"id\":1,\"pattern\":\"*\"}");
    assert_int_equal(f->nbarriers, 1);
    plx_hub_barrier_done(t->hub, f->barriers[0], t->now);
    next_is(t, o, "{\"t\":\"reply\",\"id\":1,\"result\":true}");
    th_send(t, w, "{\"t\":\"cmd\",\"id\":1,\"argv\":[\"SET\",\"k\",\"v\"]}");
    fb_run(f, 0);
    next_is(t, w, "{\"t\":\"reply\",\"id\":1,\"result\":{\"$status\":\"OK\"}}");
    th_send(t, w, "{\"t\":\"watch\",\"id\":2,\"pattern\":\"k*\"}");
    assert_int_equal(f->nbarriers, 2);
    assert_int_equal(th_count(t, w, NULL), 0); /* no reply before the barrier */
    /* the first SET's change, late from the backend: an active watcher gets it, w does not */
    plx_hub_store_notify(t->hub, (const uint8_t *)"k", 1, "set");
    assert_int_equal(th_count(t, w, NULL), 0);
    next_is(t, o, "{\"t\":\"change\",\"key\":\"k\",\"op\":\"set\",\"pattern\":\"*\"}");
    /* the request is pending meanwhile: its id is taken */
    th_send(t, w, "{\"t\":\"cmd\",\"id\":2,\"argv\":[\"GET\",\"k\"]}");
    th_errmsg_re(t, w, "DUPLICATE_ID", 2);
    assert_int_equal(f->nb, 1);
    plx_hub_barrier_done(t->hub, f->barriers[1], t->now);
    next_is(t, w, "{\"t\":\"reply\",\"id\":2,\"result\":true}");
    plx_hub_store_notify(t->hub, (const uint8_t *)"k2", 2, "del");
    next_is(t, w, "{\"t\":\"change\",\"key\":\"k2\",\"op\":\"del\",\"pattern\":\"k*\"}");
    th_clear(t);
    /* a cookie done twice or never handed out: nothing */
    plx_hub_barrier_done(t->hub, f->barriers[1], t->now);
    plx_hub_barrier_done(t->hub, 987654, t->now);
    assert_int_equal(t->nout, 0);
    /* a pattern already active is answered at once, without a barrier */
    th_send(t, w, "{\"t\":\"watch\",\"id\":3,\"pattern\":\"k*\"}");
    next_is(t, w, "{\"t\":\"reply\",\"id\":3,\"result\":true}");
    assert_int_equal(f->nbarriers, 2);
    /* a refused barrier answers the watch with the backend's error, nothing registered */
    f->barrier_refuse = PLX_E_LIMIT_REACHED;
    th_send(t, w, "{\"t\":\"watch\",\"id\":4,\"pattern\":\"x*\"}");
    th_err(t, w, 4, "LIMIT_REACHED");
    f->barrier_refuse = PLX_E_STORAGE_UNAVAILABLE;
    th_send(t, w, "{\"t\":\"watch\",\"id\":5,\"pattern\":\"x*\"}");
    th_err(t, w, 5, "STORAGE_UNAVAILABLE");
    plx_hub_store_notify(t->hub, (const uint8_t *)"x1", 2, "set");
    assert_int_equal(th_count(t, w, "change"), 0);
    fb_free(f);
}

/* A watcher that leaves, or unwatches, before its barrier is done. */
static void watch_barrier_left_or_unwatched(void **state) {
    (void)state;
    fb *f = fb_make(NULL, 1);
    th *t = f->t;
    plx_conn_id a = th_client(t, "a", NULL), b = th_client(t, "b", NULL);
    th_send(t, a, "{\"t\":\"watch\",\"id\":1,\"pattern\":\"k*\"}");
    th_send(t, b, "{\"t\":\"watch\",\"id\":1,\"pattern\":\"k*\"}");
    th_send(t, b, "{\"t\":\"unwatch\",\"id\":2,\"pattern\":\"k*\"}");
    next_is(t, b, "{\"t\":\"reply\",\"id\":2,\"result\":true}");
    assert_int_equal(f->nbarriers, 2);
    plx_hub_closed(t->hub, a, t->now);
    th_clear(t);
    plx_hub_barrier_done(t->hub, f->barriers[0], t->now); /* a is gone: nothing */
    assert_int_equal(t->nout, 0);
    plx_hub_barrier_done(t->hub, f->barriers[1], t->now); /* answered, not active */
    next_is(t, b, "{\"t\":\"reply\",\"id\":1,\"result\":true}");
    plx_hub_store_notify(t->hub, (const uint8_t *)"k1", 2, "set");
    assert_int_equal(t->nout, 0);
    /* a watch still waiting when the hub is freed is freed with it (ASan checks) */
    th_send(t, b, "{\"t\":\"watch\",\"id\":3,\"pattern\":\"z\"}");
    assert_int_equal(f->nbarriers, 3);
    fb_free(f);
}

/* Options Redis 7 runs but Plexus v1 refuses (STO-4) are answered here, never submitted. */
static void syntax_outside_subset(void **state) {
    (void)state;
    fb *f = fb_new(NULL);
    th *t = f->t;
    plx_conn_id c = th_client(t, "c", NULL);
    const char *refused[] = {
        "[\"SET\",\"k\",\"v\",\"GET\"]", "[\"set\",\"k\",\"v\",\"EXAT\",\"9\"]",
        "[\"COPY\",\"a\",\"b\",\"DB\",\"1\"]", "[\"ZRANGE\",\"z\",\"0\",\"-1\",\"BYSCORE\"]",
        "[\"zrange\",\"z\",\"0\",\"-1\",\"REV\"]"};
    th_send(t, c, "{\"t\":\"cmd\",\"id\":8,\"argv\":[\"SRANDMEMBER\",\"s\",\"-1048577\"]}");
    next_is(t, c,
            "{\"t\":\"reply\",\"id\":8,\"error\":{\"code\":904,\"name\":\"COMMAND_ERROR\","
            "\"message\":\"ERR value is out of range, value must between -1048576 and "
            "9223372036854775807\"}}");
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        th_sendf(t, c, "{\"t\":\"cmd\",\"id\":%zu,\"argv\":%s}", i + 1, refused[i]);
        char want[256];
        snprintf(want, sizeof(want),
                 "{\"t\":\"reply\",\"id\":%zu,\"error\":{\"code\":904,\"name\":\"COMMAND_"
                 "ERROR\",\"message\":\"ERR syntax error\"}}",
                 i + 1);
        next_is(t, c, want);
    }
    assert_int_equal(f->nb, 0);
    /* The subset's own options go to the backend. */
    th_send(t, c, "{\"t\":\"cmd\",\"id\":9,\"argv\":[\"SET\",\"k\",\"v\",\"NX\",\"PX\",\"50\"]}");
    th_send(t, c,
            "{\"t\":\"cmd\",\"id\":10,\"argv\":[\"ZRANGE\",\"z\",\"0\",\"-1\",\"WITHSCORES\"]}");
    th_send(t, c, "{\"t\":\"cmd\",\"id\":11,\"argv\":[\"COPY\",\"k\",\"k2\",\"REPLACE\"]}");
    assert_int_equal(f->nb, 3);
    fb_check(f, 0, 0, "[\"SET\",\"k\",\"v\",\"NX\",\"PX\",\"50\"]");
    fb_run(f, 0);
    fb_run(f, 1);
    fb_run(f, 2);
    next_is(t, c, "{\"t\":\"reply\",\"id\":9,\"result\":{\"$status\":\"OK\"}}");
    next_is(t, c, "{\"t\":\"reply\",\"id\":10,\"result\":[]}");
    next_is(t, c, "{\"t\":\"reply\",\"id\":11,\"result\":1}");
    /* In an atomic pipeline it is a run-time entry (as inside EXEC), not an abort; the rest
     * runs as one atomic batch. */
    th_send(t, c,
            "{\"t\":\"pipeline\",\"id\":12,\"atomic\":true,\"cmds\":[[\"SET\",\"a\",\"1\"],"
            "[\"SET\",\"b\",\"2\",\"GET\"],[\"GET\",\"a\"]]}");
    assert_int_equal(f->nb, 4);
    assert_int_equal(f->b[3].n, 2);
    assert_true(f->b[3].atomic);
    fb_check(f, 3, 1, "[\"GET\",\"a\"]");
    fb_run(f, 3);
    next_is(t, c,
            "{\"t\":\"reply\",\"id\":12,\"result\":[{\"result\":{\"$status\":\"OK\"}},"
            "{\"error\":{\"code\":904,\"name\":\"COMMAND_ERROR\",\"message\":\"ERR syntax "
            "error\"}},{\"result\":\"1\"}]}");
    fb_free(f);
}

/* What welcome.features and plexus.info's storage say with storage kind be. */
static void check_kind(const plx_hub_backend *be, const char *features, const char *storage) {
    plx_hub_config cfg = {.gzip = 1, .server_name = "test"};
    th *t = th_new_backend(&cfg, be);
    plx_conn_id c = th_open(t);
    th_send(t, c, "{\"t\":\"hello\",\"version\":1,\"name\":\"c\"}");
    char want[1024];
    snprintf(want, sizeof(want),
             "{\"t\":\"welcome\",\"version\":1,\"name\":\"c\",\"server\":\"test\",\"max_frame\":"
             "1048576,\"max_message\":67108864,\"gzip\":true,\"gzip_threshold\":1024,\"ping_"
             "interval_ms\":20000,\"call_timeout_ms\":30000,\"history\":0%s}",
             features);
    next_is(t, c, want);
    th_send(t, c, "{\"t\":\"call\",\"id\":1,\"route\":\"plexus.info\"}");
    th_sent *s = th_take(t, c, "reply");
    assert_non_null(s);
    assert_string_equal(th_str(cJSON_GetObjectItem(s->json, "result"), "storage"), storage);
    th_sent_free(s);
    th_free(t);
}

static int never_called(void *ud, uint64_t cookie, const plx_bytes *const *argv, const size_t *argc,
                        size_t n, int atomic) {
    (void)ud, (void)cookie, (void)argv, (void)argc, (void)n, (void)atomic;
    fail();
    return 0;
}

static void storage_kinds(void **state) {
    (void)state;
    plx_hub_backend redis = {never_called, NULL, NULL, NULL},
                    other = {never_called, NULL, "other", NULL};
    check_kind(NULL, ",\"features\":[\"change-by\"]", "memory");
    check_kind(&redis, "", "redis");
    check_kind(&other, "", "other");
    plx_hub_backend none = {NULL, NULL, NULL, NULL}; /* the harness makes a hub without storage */
    check_kind(&none, "", "none");
    plx_hub_io io = {NULL, NULL, NULL};
    assert_null(plx_hub_new_backend(NULL, &io, &none)); /* a backend needs submit */
    assert_null(plx_hub_new_backend(NULL, &io, NULL));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cmd_round_trip),
        cmocka_unit_test(out_of_order),
        cmocka_unit_test(caller_leaves),
        cmocka_unit_test(refused_and_failed),
        cmocka_unit_test(checks_stay_local),
        cmocka_unit_test(atomic_batch),
        cmocka_unit_test(mixed_with_adapters),
        cmocka_unit_test(binary_and_big),
        cmocka_unit_test(pending_bound),
        cmocka_unit_test(changes_without_by),
        cmocka_unit_test(storage_kinds),
        cmocka_unit_test(syntax_outside_subset),
        cmocka_unit_test(watch_waits_for_barrier),
        cmocka_unit_test(watch_barrier_left_or_unwatched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
