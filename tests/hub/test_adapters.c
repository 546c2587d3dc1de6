/*
 * test_adapters.c - adapted keys: reads forwarded to the owner and answered with its reply,
 * READ_ONLY writes, KEY_OWNED, pipelines over adapted keys, the owner leaving (change gone +
 * PEER_GONE), the adapter timeout (CALL_TIMEOUT), unadapt, LIMIT_REACHED.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"

static void adapt(th *t, plx_conn_id c, const char *key) {
    th_sendf(t, c, "{\"t\":\"adapt\",\"id\":77,\"key\":\"%s\"}", key);
    th_sent_free(th_ok(t, c, 77));
}

static void read_forwarded(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id o = th_client(t, "owner", NULL), c = th_client(t, "c", NULL);
    adapt(t, o, "data");
    adapt(t, o, "data"); /* again: fine */
    th_send(t, c, "{\"t\":\"adapt\",\"id\":1,\"key\":\"data\"}");
    th_err(t, c, 1, "KEY_OWNED");
    th_send(t, c, "{\"t\":\"unadapt\",\"id\":2,\"key\":\"data\"}");
    th_err(t, c, 2, "KEY_OWNED");
    th_send(t, c, "{\"t\":\"cmd\",\"id\":3,\"argv\":[\"LRANGE\",\"data\",\"0\",\"-1\"]}");
    th_sent *rd = th_take(t, o, "read");
    assert_non_null(rd);
    assert_string_equal(th_str(rd->json, "key"), "data");
    char *argv = cJSON_PrintUnformatted(cJSON_GetObjectItem(rd->json, "argv"));
    assert_string_equal(argv, "[\"LRANGE\",\"data\",\"0\",\"-1\"]");
    cJSON_free(argv);
    assert_int_equal(th_num(rd->json, "timeout_ms"), 30000);
    uint64_t sid = (uint64_t)th_num(rd->json, "id");
    th_sent_free(rd);
    uint8_t bin[2] = {0xff, 0};
    plx_bytes att = {bin, 2};
    char buf[128];
    snprintf(buf, sizeof(buf), "{\"t\":\"reply\",\"id\":%llu,\"result\":[\"a\",{\"$bin\":0}]}",
             (unsigned long long)sid);
    th_send_att(t, o, buf, &att, 1);
    th_sent *r = th_ok(t, c, 3);
    assert_int_equal(r->natt, 1);
    assert_memory_equal(r->att[0].data, bin, 2);
    th_sent_free(r);
    /* ADP-4: the owner's error object reaches the reader unchanged (not ROUTE_FAILED). */
    th_send(t, c, "{\"t\":\"cmd\",\"id\":4,\"argv\":[\"GET\",\"data\"]}");
    rd = th_take(t, o, "read");
    th_sendf(t, o,
             "{\"t\":\"reply\",\"id\":%llu,\"error\":{\"code\":903,\"name\":\"WRONGTYPE\","
             "\"message\":\"WRONGTYPE Operation against a key holding the wrong kind of value\","
             "\"detail\":[1]}}",
             (unsigned long long)th_num(rd->json, "id"));
    th_sent_free(rd);
    r = th_take(t, c, "reply");
    char *txt = cJSON_PrintUnformatted(cJSON_GetObjectItem(r->json, "error"));
    assert_string_equal(
        txt, "{\"code\":903,\"name\":\"WRONGTYPE\",\"message\":\"WRONGTYPE "
             "Operation against a key holding the wrong kind of value\",\"detail\":[1]}");
    cJSON_free(txt);
    th_sent_free(r);
    /* ADP-3: the read carries the command's attachment list unchanged, so does the answer. */
    uint8_t f0[1] = {1}, f1[2] = {0, 2};
    plx_bytes fa[2] = {{f0, 1}, {f1, 2}};
    th_send_att(t, c, "{\"t\":\"cmd\",\"id\":9,\"argv\":[\"HGET\",\"data\",{\"$bin\":1}]}", fa, 2);
    rd = th_take(t, o, "read");
    assert_int_equal(rd->natt, 2);
    assert_memory_equal(rd->att[1].data, f1, 2);
    assert_int_equal(th_num(cJSON_GetArrayItem(cJSON_GetObjectItem(rd->json, "argv"), 2), "$bin"),
                     1);
    snprintf(buf, sizeof(buf), "{\"t\":\"reply\",\"id\":%llu,\"result\":{\"$bin\":1}}",
             (unsigned long long)th_num(rd->json, "id"));
    th_sent_free(rd);
    th_send_att(t, o, buf, fa, 2);
    r = th_ok(t, c, 9);
    assert_int_equal(r->natt, 2);
    assert_int_equal(th_num(cJSON_GetObjectItem(r->json, "result"), "$bin"), 1);
    th_sent_free(r);
    /* Writes are refused; keys other than the adapted one are untouched. */
    th_send(t, c, "{\"t\":\"cmd\",\"id\":5,\"argv\":[\"SET\",\"data\",\"x\"]}");
    th_err(t, c, 5, "READ_ONLY");
    th_send(t, c, "{\"t\":\"cmd\",\"id\":6,\"argv\":[\"DEL\",\"other\",\"data\"]}");
    th_err(t, c, 6, "READ_ONLY");
    th_send(t, c, "{\"t\":\"cmd\",\"id\":7,\"argv\":[\"SET\",\"other\",\"x\"]}");
    th_sent_free(th_ok(t, c, 7));
    th_free(t);
}

/* Answers the read o got with result (JSON text) and att; returns the read's argv text. */
static void answer_read(th *t, plx_conn_id o, const char *result, const plx_bytes *att,
                        size_t natt) {
    th_sent *rd = th_take(t, o, "read");
    assert_non_null(rd);
    char buf[256];
    snprintf(buf, sizeof(buf), "{\"t\":\"reply\",\"id\":%llu,%s}",
             (unsigned long long)th_num(rd->json, "id"), result);
    th_sent_free(rd);
    th_send_att(t, o, buf, att, natt);
}

static void pipeline_reads(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id o = th_client(t, "owner", NULL), c = th_client(t, "c", NULL);
    adapt(t, o, "data");
    th_send(t, c, "{\"t\":\"watch\",\"id\":1,\"pattern\":\"*\"}");
    th_clear(t);
    /* PIPE-3: reads of the adapted key go to the owner; the reply waits for its answer. */
    uint8_t b0[2] = {0, 1}, b1[1] = {2};
    plx_bytes ba[2] = {{b0, 2}, {b1, 1}};
    th_send(t, c,
            "{\"t\":\"pipeline\",\"id\":2,\"cmds\":[[\"SET\",\"data\",\"1\"],[\"GET\",\"data\"],"
            "[\"SET\",\"other\",\"x\"],[\"MGET\",\"data\",\"other\"],[\"GET\",\"data\"]]}");
    assert_int_equal(th_count(t, o, "read"), 2);
    assert_int_equal(th_count(t, c, NULL), 0); /* neither the reply nor the change yet */
    answer_read(t, o, "\"result\":[{\"$bin\":1},{\"$bin\":0}]", ba, 2);
    assert_int_equal(th_count(t, c, NULL), 0);
    answer_read(t, o, "\"error\":{\"code\":903,\"name\":\"WRONGTYPE\",\"message\":\"w\"}", NULL, 0);
    /* PIPE-6: then the reply, then the change of SET other. */
    assert_int_equal(th_count(t, c, NULL), 2);
    assert_string_equal(th_str(t->out[0].json, "t"), "reply");
    assert_string_equal(th_str(t->out[1].json, "t"), "change");
    th_sent *r = th_ok(t, c, 2);
    char *txt = cJSON_PrintUnformatted(cJSON_GetObjectItem(r->json, "result"));
    assert_string_equal(
        txt,
        "[{\"error\":{\"code\":905,\"name\":\"READ_ONLY\",\"message\":\"key is served by an "
        "adapter and cannot be written\"}},{\"result\":[{\"$bin\":0},{\"$bin\":1}]},{\"result\":{"
        "\"$status\":\"OK\"}},{\"error\":{\"code\":904,\"name\":\"COMMAND_ERROR\",\"message\":"
        "\"ERR adapted key in a multi-key command\"}},{\"error\":{\"code\":903,\"name\":"
        "\"WRONGTYPE\",\"message\":\"w\"}}]");
    cJSON_free(txt);
    /* PIPE-2: attachments numbered in the order their references appear. */
    assert_int_equal(r->natt, 2);
    assert_memory_equal(r->att[0].data, b1, 1);
    assert_memory_equal(r->att[1].data, b0, 2);
    th_sent_free(r);
    th_clear(t);
    /* The owner leaving fills its entries with PEER_GONE. */
    th_send(t, c,
            "{\"t\":\"pipeline\",\"id\":3,\"cmds\":[[\"GET\",\"data\"],[\"GET\",\"other\"]]}");
    plx_hub_closed(t->hub, o, t->now);
    r = th_ok(t, c, 3);
    assert_string_equal(
        th_str(th_get(cJSON_GetArrayItem(cJSON_GetObjectItem(r->json, "result"), 0), "error"),
               "name"),
        "PEER_GONE");
    assert_string_equal(
        th_str(cJSON_GetArrayItem(cJSON_GetObjectItem(r->json, "result"), 1), "result"), "x");
    th_sent_free(r);
    th_free(t);
}

static void pipeline_read_timeout_and_caller_gone(void **state) {
    (void)state;
    plx_hub_config cfg = {.call_timeout_ms = 1000, .gzip = 1};
    th *t = th_new(&cfg);
    plx_conn_id o = th_client(t, "owner", NULL), c = th_client(t, "c", NULL);
    plx_conn_id w = th_client(t, "w", NULL);
    adapt(t, o, "k");
    th_send(t, w, "{\"t\":\"watch\",\"id\":1,\"pattern\":\"*\"}");
    th_clear(t);
    th_send(t, c, "{\"t\":\"pipeline\",\"id\":1,\"cmds\":[[\"GET\",\"k\"],[\"SET\",\"x\",\"1\"]]}");
    /* The pipeline is one pending request: its id is taken until it is answered. */
    th_send(t, c, "{\"t\":\"cmd\",\"id\":1,\"argv\":[\"GET\",\"x\"]}");
    th_errmsg_re(t, c, "DUPLICATE_ID", 1);
    assert_int_equal(th_count(t, w, "change"), 0);
    th_tick(t, 1000);
    th_sent *r = th_ok(t, c, 1);
    assert_string_equal(
        th_str(th_get(cJSON_GetArrayItem(cJSON_GetObjectItem(r->json, "result"), 0), "error"),
               "name"),
        "CALL_TIMEOUT");
    th_sent_free(r);
    assert_int_equal(th_count(t, w, "change"), 1);
    th_clear(t);
    /* The caller leaving: no answer, but the changes its commands made still reach w. */
    th_send(t, c, "{\"t\":\"pipeline\",\"id\":2,\"cmds\":[[\"GET\",\"k\"],[\"SET\",\"x\",\"2\"]]}");
    assert_int_equal(th_count(t, w, "change"), 0);
    plx_hub_closed(t->hub, c, t->now);
    assert_int_equal(th_count(t, w, "change"), 1);
    answer_read(t, o, "\"result\":1", NULL, 0);
    assert_int_equal(th_count(t, o, "error"), 0);
    th_free(t);
}

static void atomic_pipeline_adapted(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id o = th_client(t, "owner", NULL), c = th_client(t, "c", NULL);
    adapt(t, o, "k");
    /* PIPE-4: a write of an adapted key aborts with READ_ONLY, a read with COMMAND_ERROR. */
    th_send(t, c,
            "{\"t\":\"pipeline\",\"id\":1,\"atomic\":true,\"cmds\":[[\"SET\",\"x\",\"1\"],"
            "[\"SET\",\"k\",\"v\"]]}");
    th_sent *r = th_take(t, c, "reply");
    char *txt = cJSON_PrintUnformatted(cJSON_GetObjectItem(r->json, "error"));
    assert_string_equal(txt,
                        "{\"code\":908,\"name\":\"EXEC_ABORTED\",\"message\":\"EXECABORT "
                        "Transaction discarded because of previous errors.\",\"detail\":{"
                        "\"index\":1,\"error\":{\"code\":905,\"name\":\"READ_ONLY\",\"message\":"
                        "\"key is served by an adapter and cannot be written\"}}}");
    cJSON_free(txt);
    th_sent_free(r);
    th_send(t, c, "{\"t\":\"pipeline\",\"id\":2,\"atomic\":true,\"cmds\":[[\"GET\",\"k\"]]}");
    r = th_take(t, c, "reply");
    assert_string_equal(th_str(th_get(r->json, "error"), "name"), "EXEC_ABORTED");
    assert_string_equal(th_str(th_get(r->json, "error.detail.error"), "message"),
                        "ERR adapted key in an atomic pipeline");
    th_sent_free(r);
    assert_int_equal(th_count(t, o, "read"), 0);
    /* Nothing ran. */
    th_send(t, c, "{\"t\":\"cmd\",\"id\":3,\"argv\":[\"EXISTS\",\"x\"]}");
    r = th_ok(t, c, 3);
    assert_int_equal(th_num(r->json, "result"), 0);
    th_sent_free(r);
    th_free(t);
}

static void owner_leaves(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id o = th_client(t, "owner", NULL), c = th_client(t, "c", NULL);
    plx_conn_id w = th_client(t, "w", NULL);
    th_send(t, w, "{\"t\":\"watch\",\"id\":1,\"pattern\":\"d*\"}");
    th_sent_free(th_ok(t, w, 1));
    adapt(t, o, "data");
    th_send(t, c, "{\"t\":\"cmd\",\"id\":2,\"argv\":[\"GET\",\"data\"]}");
    assert_int_equal(th_count(t, o, "read"), 1);
    plx_hub_closed(t->hub, o, t->now);
    th_err(t, c, 2, "PEER_GONE");
    th_sent *ch = th_take(t, w, "change");
    assert_string_equal(th_str(ch->json, "op"), "gone");
    assert_string_equal(th_str(ch->json, "key"), "data");
    assert_null(cJSON_GetObjectItem(ch->json, "by"));
    th_sent_free(ch);
    /* The key is free: reads run locally again, someone else may adapt it. */
    th_send(t, c, "{\"t\":\"cmd\",\"id\":3,\"argv\":[\"GET\",\"data\"]}");
    th_sent *r = th_ok(t, c, 3);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(r->json, "result")));
    th_sent_free(r);
    adapt(t, c, "data");
    th_send(t, c, "{\"t\":\"unadapt\",\"id\":4,\"key\":\"data\"}");
    th_sent_free(th_ok(t, c, 4));
    ch = th_take(t, w, "change");
    assert_string_equal(th_str(ch->json, "op"), "gone");
    assert_null(cJSON_GetObjectItem(ch->json, "by")); /* WAT-4, ADP-7: unadapt too */
    th_sent_free(ch);
    th_send(t, c, "{\"t\":\"unadapt\",\"id\":5,\"key\":\"data\"}"); /* not owned: fine */
    th_sent_free(th_ok(t, c, 5));
    th_free(t);
}

static void adapter_timeout(void **state) {
    (void)state;
    plx_hub_config cfg = {.call_timeout_ms = 1000, .gzip = 1};
    th *t = th_new(&cfg);
    plx_conn_id o = th_client(t, "owner", NULL), c = th_client(t, "c", NULL);
    adapt(t, o, "k");
    th_send(t, c, "{\"t\":\"cmd\",\"id\":1,\"argv\":[\"GET\",\"k\"]}");
    th_sent *rd = th_take(t, o, "read");
    uint64_t sid = (uint64_t)th_num(rd->json, "id");
    th_sent_free(rd);
    th_tick(t, 999);
    assert_int_equal(th_count(t, c, "reply"), 0);
    th_tick(t, 1);
    th_err(t, c, 1, "CALL_TIMEOUT");
    th_sendf(t, o, "{\"t\":\"reply\",\"id\":%llu,\"result\":1}", (unsigned long long)sid);
    th_errmsg(t, o, "UNKNOWN_CALL");
    th_free(t);
}

/* A cmd on c answered with an error: checks name and message. */
static void cmd_err(th *t, plx_conn_id c, const char *argv, const char *name, const char *msg) {
    th_sendf(t, c, "{\"t\":\"cmd\",\"id\":50,\"argv\":%s}", argv);
    th_sent *r = th_take(t, c, "reply");
    assert_non_null(r);
    assert_string_equal(th_str(th_get(r->json, "error"), "name"), name);
    if (msg) assert_string_equal(th_str(th_get(r->json, "error"), "message"), msg);
    th_sent_free(r);
}

static void multi_key_reads(void **state) {
    (void)state;
    th *t = th_new(NULL);
    plx_conn_id o = th_client(t, "owner", NULL), c = th_client(t, "c", NULL);
    adapt(t, o, "k");
    /* ADP-3 rule 2: a read naming the adapted key and other keys is refused, not forwarded. */
    const char *text = "ERR adapted key in a multi-key command";
    cmd_err(t, c, "[\"MGET\",\"k\",\"x\"]", "COMMAND_ERROR", text);
    cmd_err(t, c, "[\"EXISTS\",\"x\",\"k\"]", "COMMAND_ERROR", text);
    cmd_err(t, c, "[\"SINTER\",\"k\",\"x\"]", "COMMAND_ERROR", text);
    assert_int_equal(th_count(t, o, "read"), 0);
    /* Rule 1 wins for writes naming other keys too. */
    cmd_err(t, c, "[\"MSET\",\"x\",\"1\",\"k\",\"2\"]", "READ_ONLY", NULL);
    /* Rule 3: the adapted key named several times and nothing else is forwarded. */
    th_send(t, c, "{\"t\":\"cmd\",\"id\":51,\"argv\":[\"MGET\",\"k\",\"k\"]}");
    th_sent *rd = th_take(t, o, "read");
    assert_non_null(rd);
    assert_string_equal(th_str(rd->json, "key"), "k");
    th_sent_free(rd);
    th_free(t);
}

static void adapter_limit(void **state) {
    (void)state;
    plx_hub_config cfg = {.max_adapters = 1, .gzip = 1};
    th *t = th_new(&cfg);
    plx_conn_id o = th_client(t, "owner", NULL);
    adapt(t, o, "k1");
    th_send(t, o, "{\"t\":\"adapt\",\"id\":1,\"key\":\"k2\"}");
    th_err(t, o, 1, "LIMIT_REACHED");
    th_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(read_forwarded),
        cmocka_unit_test(owner_leaves),
        cmocka_unit_test(adapter_timeout),
        cmocka_unit_test(adapter_limit),
        cmocka_unit_test(multi_key_reads),
        cmocka_unit_test(pipeline_reads),
        cmocka_unit_test(pipeline_read_timeout_and_caller_gone),
        cmocka_unit_test(atomic_pipeline_adapted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
