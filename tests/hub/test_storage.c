/*
 * test_storage.c - cmd and pipeline through the hub over the real store: reply mapping (nil,
 * integer, bulk as string or $bin, status, array, errors with Redis's text), binary values
 * through attachments, pipelines with mixed errors, atomic pipelines and EXEC_ABORTED,
 * watches (glob patterns, change with op and by, expired without by, unwatch, limits).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* Runs a cmd and returns the printed result (caller frees with cJSON_free). */
static char *cmd(th *t, plx_conn_id c, uint64_t id, const char *argv) {
    th_sendf(t, c, "{\"t\":\"cmd\",\"id\":%llu,\"argv\":%s}", (unsigned long long)id, argv);
    th_sent *r = th_ok(t, c, id);
    char *txt = cJSON_PrintUnformatted(cJSON_GetObjectItem(r->json, "result"));
    th_sent_free(r);
    return txt;
}

static void expect(th *t, plx_conn_id c, const char *argv, const char *want) {
    static uint64_t id = 1000;
    char *got = cmd(t, c, ++id, argv);
    if (strcmp(got, want) != 0) fprintf(stderr, "%s -> %s, want %s\n", argv, got, want);
    assert_string_equal(got, want);
    cJSON_free(got);
}

/* Runs a cmd expecting an error; checks name and message. */
static void expect_err(th *t, plx_conn_id c, const char *argv, const char *name,
                       const char *message_prefix) {
    th_sendf(t, c, "{\"t\":\"cmd\",\"id\":1,\"argv\":%s}", argv);
    th_sent *r = th_take(t, c, "reply");
    assert_non_null(r);
    cJSON *e = cJSON_GetObjectItem(r->json, "error");
    assert_non_null(e);
    assert_string_equal(th_str(e, "name"), name);
    if (strncmp(th_str(e, "message"), message_prefix, strlen(message_prefix)) != 0)
        fprintf(stderr, "message: %s\n", th_str(e, "message"));
    assert_int_equal(strncmp(th_str(e, "message"), message_prefix, strlen(message_prefix)), 0);
    th_sent_free(r);
}

static void reply_mapping(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id c = th_client(t, "c", NULL);
    expect(t, c, "[\"SET\",\"k\",\"v\"]", "{\"$status\":\"OK\"}");
    expect(t, c, "[\"GET\",\"k\"]", "\"v\"");
    expect(t, c, "[\"GET\",\"missing\"]", "null");
    expect(t, c, "[\"INCR\",\"n\"]", "1");
    expect(t, c, "[\"INCRBY\",\"n\",\"41\"]", "42");
    expect(t, c, "[\"RPUSH\",\"l\",\"a\",\"b\"]", "2");
    expect(t, c, "[\"LRANGE\",\"l\",\"0\",\"-1\"]", "[\"a\",\"b\"]");
    expect(t, c, "[\"del\",\"k\",\"l\"]", "2");
    /* Integers beyond 2^53 keep every digit. */
    expect(t, c, "[\"SET\",\"big\",\"9223372036854775806\"]", "{\"$status\":\"OK\"}");
    expect(t, c, "[\"INCR\",\"big\"]", "9223372036854775807");
    /* 16 digits below 2^53: cJSON's 15-digit shortcut would round it (STO-6). */
    expect(t, c, "[\"SET\",\"n16\",\"9007199254740000\"]", "{\"$status\":\"OK\"}");
    expect(t, c, "[\"INCR\",\"n16\"]", "9007199254740001");
    expect(t, c, "[\"DECRBY\",\"n16\",\"9007199254740002\"]", "-1");
    th_free(t);
}

static void reply_errors(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id c = th_client(t, "c", NULL);
    expect(t, c, "[\"RPUSH\",\"l\",\"a\"]", "1");
    expect_err(t, c, "[\"GET\",\"l\"]", "WRONGTYPE",
               "WRONGTYPE Operation against a key holding the wrong kind of value");
    expect_err(t, c, "[\"GET\"]", "WRONG_ARITY", "ERR wrong number of arguments for 'get' command");
    expect_err(t, c, "[\"NOPE\",\"x\"]", "UNKNOWN_COMMAND", "ERR unknown command");
    expect(t, c, "[\"SET\",\"s\",\"abc\"]", "{\"$status\":\"OK\"}");
    expect_err(t, c, "[\"INCR\",\"s\"]", "COMMAND_ERROR",
               "ERR value is not an integer or out of range");
    th_free(t);
}

static void binary_values(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id c = th_client(t, "c", NULL);
    uint8_t bin[6] = {0, 1, 0xff, 0xfe, 0, 'x'};
    plx_bytes att = {bin, 6};
    th_send_att(t, c, "{\"t\":\"cmd\",\"id\":1,\"argv\":[\"SET\",{\"$bin\":0},{\"$bin\":0}]}", &att,
                1);
    th_sent_free(th_ok(t, c, 1));
    th_send_att(t, c, "{\"t\":\"cmd\",\"id\":2,\"argv\":[\"GET\",{\"$bin\":0}]}", &att, 1);
    th_sent *r = th_ok(t, c, 2);
    assert_int_equal(r->natt, 1);
    assert_int_equal(th_num(cJSON_GetObjectItem(r->json, "result"), "$bin"), 0);
    assert_int_equal(r->att[0].len, 6);
    assert_memory_equal(r->att[0].data, bin, 6);
    th_sent_free(r);
    /* Valid UTF-8 of 1024 bytes or more travels as an attachment too; 1023 inline. */
    char big[1100];
    memset(big, 'a', 1024);
    big[1024] = 0;
    th_sendf(t, c, "{\"t\":\"cmd\",\"id\":3,\"argv\":[\"SET\",\"big\",\"%s\"]}", big);
    th_sent_free(th_ok(t, c, 3));
    th_send(t, c, "{\"t\":\"cmd\",\"id\":4,\"argv\":[\"GET\",\"big\"]}");
    r = th_ok(t, c, 4);
    assert_int_equal(r->natt, 1);
    assert_int_equal(r->att[0].len, 1024);
    th_sent_free(r);
    big[1023] = 0;
    th_sendf(t, c, "{\"t\":\"cmd\",\"id\":5,\"argv\":[\"SET\",\"big\",\"%s\"]}", big);
    th_sent_free(th_ok(t, c, 5));
    th_send(t, c, "{\"t\":\"cmd\",\"id\":6,\"argv\":[\"GET\",\"big\"]}");
    r = th_ok(t, c, 6);
    assert_int_equal(r->natt, 0);
    assert_int_equal(strlen(cJSON_GetObjectItem(r->json, "result")->valuestring), 1023);
    th_sent_free(r);
    /* Binary elements of an array each get their attachment. */
    th_send_att(t, c, "{\"t\":\"cmd\",\"id\":7,\"argv\":[\"RPUSH\",\"bl\",{\"$bin\":0},\"t\"]}",
                &att, 1);
    th_sent_free(th_ok(t, c, 7));
    th_send(t, c, "{\"t\":\"cmd\",\"id\":8,\"argv\":[\"LRANGE\",\"bl\",\"0\",\"-1\"]}");
    r = th_ok(t, c, 8);
    char *txt = cJSON_PrintUnformatted(cJSON_GetObjectItem(r->json, "result"));
    assert_string_equal(txt, "[{\"$bin\":0},\"t\"]");
    cJSON_free(txt);
    assert_memory_equal(r->att[0].data, bin, 6);
    th_sent_free(r);
    th_free(t);
}

static char *pipeline(th *t, plx_conn_id c, uint64_t id, const char *cmds, int atomic) {
    th_sendf(t, c, "{\"t\":\"pipeline\",\"id\":%llu,\"cmds\":%s%s}", (unsigned long long)id, cmds,
             atomic ? ",\"atomic\":true" : "");
    th_sent *r = th_ok(t, c, id);
    char *txt = cJSON_PrintUnformatted(cJSON_GetObjectItem(r->json, "result"));
    th_sent_free(r);
    return txt;
}

static void pipelines(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id c = th_client(t, "c", NULL);
    char *got = pipeline(t, c, 1,
                         "[[\"SET\",\"a\",\"1\"],[\"INCR\",\"a\"],[\"LPUSH\",\"a\",\"x\"],"
                         "[\"NOPE\"],[\"GET\"],[\"GET\",\"a\"]]",
                         0);
    cJSON *arr = cJSON_Parse(got);
    cJSON_free(got);
    assert_int_equal(cJSON_GetArraySize(arr), 6);
    assert_string_equal(th_str(th_get(cJSON_GetArrayItem(arr, 0), "result"), "$status"), "OK");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "result")->valuedouble, 2);
    assert_string_equal(th_str(th_get(cJSON_GetArrayItem(arr, 2), "error"), "name"), "WRONGTYPE");
    assert_string_equal(th_str(th_get(cJSON_GetArrayItem(arr, 3), "error"), "name"),
                        "UNKNOWN_COMMAND");
    assert_string_equal(th_str(th_get(cJSON_GetArrayItem(arr, 4), "error"), "name"), "WRONG_ARITY");
    assert_string_equal(th_str(cJSON_GetArrayItem(arr, 5), "result"), "2");
    cJSON_Delete(arr);
    /* Atomic with an invalid command: nothing runs. */
    th_send(t, c,
            "{\"t\":\"pipeline\",\"id\":2,\"atomic\":true,\"cmds\":[[\"SET\",\"a\",\"99\"],"
            "[\"NOPE\"]]}");
    th_sent *r = th_take(t, c, "reply");
    cJSON *e = cJSON_GetObjectItem(r->json, "error");
    assert_string_equal(th_str(e, "name"), "EXEC_ABORTED");
    assert_string_equal(th_str(e, "message"),
                        "EXECABORT Transaction discarded because of previous errors.");
    assert_int_equal(th_num(cJSON_GetObjectItem(e, "detail"), "index"), 1);
    th_sent_free(r);
    expect(t, c, "[\"GET\",\"a\"]", "\"2\"");
    /* Atomic with a runtime error: every command runs, the error is an entry. */
    got = pipeline(t, c, 3, "[[\"INCR\",\"a\"],[\"LPUSH\",\"a\",\"x\"],[\"INCR\",\"a\"]]", 1);
    assert_string_equal(got, "[{\"result\":3},{\"error\":{\"code\":903,\"name\":\"WRONGTYPE\","
                             "\"message\":\"WRONGTYPE Operation against a key holding the "
                             "wrong kind of value\"}},{\"result\":4}]");
    cJSON_free(got);
    th_free(t);
}

static void watches(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id w = th_client(t, "w", NULL), c = th_client(t, "c", NULL);
    th_send(t, w, "{\"t\":\"watch\",\"id\":1,\"pattern\":\"user:*\"}");
    th_sent_free(th_ok(t, w, 1));
    th_send(t, w, "{\"t\":\"watch\",\"id\":2,\"pattern\":\"h[ae]llo\"}");
    th_sent_free(th_ok(t, w, 2));
    expect(t, c, "[\"SET\",\"user:1\",\"x\"]", "{\"$status\":\"OK\"}");
    th_sent *ch = th_take(t, w, "change");
    assert_non_null(ch);
    assert_string_equal(th_str(ch->json, "key"), "user:1");
    assert_string_equal(th_str(ch->json, "op"), "set");
    assert_string_equal(th_str(ch->json, "by"), "c");
    assert_string_equal(th_str(ch->json, "pattern"), "user:*");
    th_sent_free(ch);
    assert_int_equal(th_count(t, c, "change"), 0); /* c watches nothing */
    expect(t, c, "[\"SET\",\"other\",\"x\"]", "{\"$status\":\"OK\"}");
    expect(t, c, "[\"HSET\",\"hello\",\"f\",\"v\"]", "1");
    expect(t, c, "[\"SET\",\"hillo\",\"x\"]", "{\"$status\":\"OK\"}");
    ch = th_take(t, w, "change");
    assert_string_equal(th_str(ch->json, "key"), "hello");
    assert_string_equal(th_str(ch->json, "op"), "hset");
    th_sent_free(ch);
    assert_int_equal(th_count(t, w, "change"), 0);
    /* The changing client is told too when it watches. */
    th_send(t, c, "{\"t\":\"watch\",\"id\":3,\"pattern\":\"*\"}");
    th_sent_free(th_ok(t, c, 3));
    expect(t, c, "[\"DEL\",\"user:1\"]", "1");
    ch = th_take(t, c, "change");
    assert_string_equal(th_str(ch->json, "op"), "del");
    assert_string_equal(th_str(ch->json, "by"), "c");
    th_sent_free(ch);
    assert_int_equal(th_count(t, w, "change"), 1);
    th_clear(t);
    /* TTL expiry: op expired, no by. */
    expect(t, c, "[\"SET\",\"user:tmp\",\"x\",\"PX\",\"100\"]", "{\"$status\":\"OK\"}");
    th_clear(t);
    th_tick(t, 200);
    ch = th_take(t, w, "change");
    assert_non_null(ch);
    assert_string_equal(th_str(ch->json, "op"), "expired");
    assert_null(cJSON_GetObjectItem(ch->json, "by"));
    th_sent_free(ch);
    /* Unwatch (idempotent): no more changes. */
    th_send(t, w, "{\"t\":\"unwatch\",\"id\":4,\"pattern\":\"user:*\"}");
    th_sent_free(th_ok(t, w, 4));
    th_send(t, w, "{\"t\":\"unwatch\",\"id\":5,\"pattern\":\"user:*\"}");
    th_sent_free(th_ok(t, w, 5));
    expect(t, c, "[\"SET\",\"user:2\",\"x\"]", "{\"$status\":\"OK\"}");
    assert_int_equal(th_count(t, w, "change"), 0);
    th_free(t);
}

/* The types of the messages recorded for c, in order, comma-separated. */
static void order(th *t, plx_conn_id c, char *buf, size_t size) {
    buf[0] = 0;
    for (size_t i = 0; i < t->nout; i++) {
        if (t->out[i].c != c) continue;
        const char *op = th_str(t->out[i].json, "op");
        size_t n = strlen(buf);
        snprintf(buf + n, size - n, "%s%s%s%s", n ? "," : "", th_str(t->out[i].json, "t"),
                 op ? ":" : "", op ? op : "");
    }
}

static void changes_after_reply(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id c = th_client(t, "c", NULL);
    char buf[256];
    th_send(t, c, "{\"t\":\"watch\",\"id\":1,\"pattern\":\"k*\"}");
    th_clear(t);
    /* WAT-5: the change a command causes is queued after its reply. */
    th_send(t, c, "{\"t\":\"cmd\",\"id\":2,\"argv\":[\"SET\",\"k1\",\"v\"]}");
    order(t, c, buf, sizeof(buf));
    assert_string_equal(buf, "reply,change:set");
    th_clear(t);
    /* A command changing several keys: after the reply, in the order of its keys. */
    th_send(t, c, "{\"t\":\"cmd\",\"id\":3,\"argv\":[\"MSET\",\"k2\",\"a\",\"k1\",\"b\"]}");
    order(t, c, buf, sizeof(buf));
    assert_string_equal(buf, "reply,change:mset,change:mset");
    assert_string_equal(th_str(t->out[1].json, "key"), "k2");
    th_clear(t);
    /* PIPE-6: a pipeline's changes follow its reply, in the order they happened. */
    th_send(t, c,
            "{\"t\":\"pipeline\",\"id\":4,\"cmds\":[[\"SET\",\"ka\",\"1\"],[\"SET\",\"kb\",\"2\"],"
            "[\"DEL\",\"ka\"]]}");
    order(t, c, buf, sizeof(buf));
    assert_string_equal(buf, "reply,change:set,change:set,change:del");
    th_clear(t);
    /* TTL expiry found by a command: also after that command's reply. */
    th_send(t, c, "{\"t\":\"cmd\",\"id\":5,\"argv\":[\"SET\",\"kt\",\"v\",\"PX\",\"10\"]}");
    th_clear(t);
    t->now += 50;
    th_send(t, c, "{\"t\":\"cmd\",\"id\":6,\"argv\":[\"GET\",\"kt\"]}");
    order(t, c, buf, sizeof(buf));
    assert_string_equal(buf, "reply,change:expired");
    th_free(t);
}

static void notes_bound(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id c = th_client(t, "c", NULL), w = th_client(t, "w", "\"max_message\":65536");
    th_send(t, w, "{\"t\":\"watch\",\"id\":1,\"pattern\":\"*\"}");
    th_send(t, c, "{\"t\":\"cmd\",\"id\":1,\"argv\":[\"SET\",\"k\",\"v\"]}");
    th_clear(t);
    /* Held changes for w are bounded by 2 x its max_message: past it, SLOW_READER. */
    char big[1100];
    memset(big, 'k', 1000);
    big[1000] = 0;
    char cmd[4096];
    int n = snprintf(cmd, sizeof(cmd), "{\"t\":\"pipeline\",\"id\":2,\"cmds\":[");
    for (int i = 0; i < 140; i++)
        n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, "%s[\"SET\",\"%s\",\"v\"]", i ? "," : "",
                      "k");
    snprintf(cmd + n, sizeof(cmd) - (size_t)n, "]}");
    th_send(t, c, cmd);
    assert_int_equal(th_count(t, w, "change"), 140); /* 140 small notes fit */
    th_clear(t);
    /* 140 notes of a 1000-byte key each (131 KiB) do not fit in 128 KiB. */
    char *p = malloc(200000);
    n = snprintf(p, 200000, "{\"t\":\"pipeline\",\"id\":3,\"cmds\":[");
    for (int i = 0; i < 140; i++)
        n += snprintf(p + n, 200000 - (size_t)n, "%s[\"SET\",\"%s\",\"v\"]", i ? "," : "", big);
    snprintf(p + n, 200000 - (size_t)n, "]}");
    th_send(t, c, p);
    free(p);
    th_sent_free(th_ok(t, c, 3));
    assert_int_equal(th_closed(t, w), 1008);
    assert_true(th_count(t, w, "change") < 140);
    th_free(t);
}

static void watch_patterns_are_redis_globs(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id w = th_client(t, "w", NULL), c = th_client(t, "c", NULL);
    /* STO-15: the store's matcher, exactly Redis's: '!' does not negate a set, and a
     * pathological pattern is no trouble. */
    th_send(t, w, "{\"t\":\"watch\",\"id\":1,\"pattern\":\"h[!e]llo\"}");
    th_send(t, w, "{\"t\":\"watch\",\"id\":2,\"pattern\":\"a*a*a*a*a*a*a*a*a*a*a*b\"}");
    th_clear(t);
    expect(t, c, "[\"SET\",\"hallo\",\"x\"]", "{\"$status\":\"OK\"}");
    assert_int_equal(th_count(t, w, "change"), 0);
    expect(t, c, "[\"SET\",\"hello\",\"x\"]", "{\"$status\":\"OK\"}");
    expect(t, c, "[\"SET\",\"h!llo\",\"x\"]", "{\"$status\":\"OK\"}");
    assert_int_equal(th_count(t, w, "change"), 2);
    char key[600];
    memset(key, 'a', 599);
    key[599] = 0;
    th_sendf(t, c, "{\"t\":\"cmd\",\"id\":3,\"argv\":[\"SET\",\"%s\",\"x\"]}", key);
    assert_int_equal(th_count(t, w, "change"), 2);
    th_free(t);
}

static void watch_limits(void **state) {
    (void)state;
    plx_hub_config cfg = {.max_watches = 1, .gzip = 1};
    th *t = th_new(&cfg);
    plx_conn_id w = th_client(t, "w", NULL);
    th_send(t, w, "{\"t\":\"watch\",\"id\":1,\"pattern\":\"a*\"}");
    th_sent_free(th_ok(t, w, 1));
    th_send(t, w, "{\"t\":\"watch\",\"id\":2,\"pattern\":\"a*\"}"); /* the same: fine */
    th_sent_free(th_ok(t, w, 2));
    th_send(t, w, "{\"t\":\"watch\",\"id\":3,\"pattern\":\"b*\"}");
    th_err(t, w, 3, "LIMIT_REACHED");
    char big[1100];
    memset(big, 'p', 1025);
    big[1025] = 0;
    th_sendf(t, w, "{\"t\":\"unwatch\",\"id\":4,\"pattern\":\"%s\"}", big);
    th_err(t, w, 4, "BAD_VALUE");
    /* A binary pattern and key: both travel as attachments in change. */
    th_send(t, w, "{\"t\":\"unwatch\",\"id\":5,\"pattern\":\"a*\"}");
    th_sent_free(th_ok(t, w, 5));
    uint8_t p[3] = {0xff, '*', 0};
    plx_bytes pa = {p, 2};
    th_send_att(t, w, "{\"t\":\"watch\",\"id\":6,\"pattern\":{\"$bin\":0}}", &pa, 1);
    th_sent_free(th_ok(t, w, 6));
    uint8_t k[3] = {0xff, 'k', 0};
    plx_bytes ka = {k, 3};
    th_send_att(t, w, "{\"t\":\"cmd\",\"id\":7,\"argv\":[\"SET\",{\"$bin\":0},\"v\"]}", &ka, 1);
    th_sent_free(th_ok(t, w, 7));
    th_sent *ch = th_take(t, w, "change");
    assert_non_null(ch);
    assert_int_equal(ch->natt, 2);
    int ki = (int)th_num(cJSON_GetObjectItem(ch->json, "key"), "$bin");
    int pi = (int)th_num(cJSON_GetObjectItem(ch->json, "pattern"), "$bin");
    assert_memory_equal(ch->att[ki].data, k, 3);
    assert_memory_equal(ch->att[pi].data, p, 2);
    th_sent_free(ch);
    th_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reply_mapping),
        cmocka_unit_test(reply_errors),
        cmocka_unit_test(binary_values),
        cmocka_unit_test(pipelines),
        cmocka_unit_test(watches),
        cmocka_unit_test(watch_limits),
        cmocka_unit_test(changes_after_reply),
        cmocka_unit_test(notes_bound),
        cmocka_unit_test(watch_patterns_are_redis_globs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
