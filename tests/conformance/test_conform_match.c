/*
 * test_conform_match.c - unit tests of plexus-conform's matchers (conformance/src/match.c):
 * every matcher kind, captures and their rollback, unordered matching with backtracking,
 * attachments and byte specs, load-time checks, substitutions, and exact JSON numbers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "match.h"

static cJSON *J(const char *text) {
    cJSON *v = cf_json_parse(text, strlen(text), NULL);

    if (!v) fail_msg("bad JSON in test: %s", text);
    return v;
}

/* Matches value text against matcher text with the given captures and attachments. */
static int m_att(const char *matcher, const char *value, cJSON *captures, const plx_bytes *att,
                 size_t natt) {
    cJSON *m = J(matcher), *v = J(value);
    cf_match_ctx ctx;
    int ok;

    assert_int_equal(cf_match_init(&ctx, captures, NULL, att, natt), 0);
    ok = cf_match(&ctx, m, v);
    if (ok && captures) cf_match_commit(&ctx, captures);
    if (!ok) assert_true(ctx.why.len > 0); /* every mismatch says why */
    cf_match_free(&ctx);
    cJSON_Delete(m);
    cJSON_Delete(v);
    return ok;
}

static int m(const char *matcher, const char *value) {
    return m_att(matcher, value, NULL, NULL, 0);
}

static void test_literals(void **state) {
    (void)state;
    assert_true(m("\"a\"", "\"a\""));
    assert_false(m("\"a\"", "\"b\""));
    assert_true(m("1", "1.0"));
    assert_true(m("1e0", "1"));
    assert_false(m("1", "2"));
    assert_false(m("1", "\"1\""));
    assert_true(m("9223372036854775807", "9223372036854775807"));
    assert_false(m("9223372036854775807", "9223372036854775806")); /* equal as doubles */
    assert_true(m("-0", "0"));
    assert_true(m("true", "true"));
    assert_false(m("true", "false"));
    assert_true(m("null", "null"));
    assert_false(m("null", "0"));
}

static void test_objects_and_arrays(void **state) {
    (void)state;
    assert_true(m("{\"t\":\"reply\"}", "{\"t\":\"reply\",\"id\":1}")); /* partial */
    assert_false(m("{\"t\":\"reply\",\"id\":2}", "{\"t\":\"reply\",\"id\":1}"));
    assert_false(m("{\"x\":1}", "{\"t\":\"reply\"}"));
    assert_true(
        m("{\"a\":{\"b\":[1,{\"c\":2}]}}", "{\"a\":{\"b\":[1,{\"c\":2,\"d\":3}]},\"e\":0}"));
    assert_false(m("{\"a\":1}", "[1]"));
    assert_true(m("[1,2]", "[1,2]"));
    assert_false(m("[1,2]", "[2,1]"));
    assert_false(m("[1,2]", "[1,2,3]"));
    assert_true(m("{\"$exact\":{\"t\":\"reply\",\"id\":1}}", "{\"id\":1,\"t\":\"reply\"}"));
    assert_false(m("{\"$exact\":{\"t\":\"reply\"}}", "{\"t\":\"reply\",\"id\":1}"));
    assert_true(m("{\"$exact\":{\"t\":\"a\",\"x\":{\"$absent\":true}}}", "{\"t\":\"a\"}"));
    /* $bin and $status are protocol member names, matched literally */
    assert_true(m("{\"r\":{\"$status\":\"OK\"}}", "{\"r\":{\"$status\":\"OK\"}}"));
    assert_false(m("{\"r\":{\"$status\":\"OK\"}}", "{\"r\":{\"$status\":\"QUEUED\"}}"));
    assert_true(m("{\"$bin\":0}", "{\"$bin\":0}"));
}

static void test_any_absent_type(void **state) {
    plx_bytes att[1] = {{(const uint8_t *)"\x00\xff", 2}};

    (void)state;
    assert_true(m("{\"x\":{\"$any\":true}}", "{\"x\":null}"));
    assert_false(m("{\"x\":{\"$any\":true}}", "{}"));
    assert_true(m("{\"x\":{\"$absent\":true}}", "{}"));
    assert_false(m("{\"x\":{\"$absent\":true}}", "{\"x\":null}"));
    assert_true(m("{\"$type\":\"string\"}", "\"s\""));
    assert_false(m("{\"$type\":\"string\"}", "1"));
    assert_true(m("{\"$type\":\"number\"}", "1.5"));
    assert_true(m("{\"$type\":\"int\"}", "-3"));
    assert_true(m("{\"$type\":\"int\"}", "2.0"));
    assert_false(m("{\"$type\":\"int\"}", "2.5"));
    assert_true(m("{\"$type\":\"uint\"}", "9007199254740991"));
    assert_false(m("{\"$type\":\"uint\"}", "9007199254740992"));
    assert_false(m("{\"$type\":\"uint\"}", "-1"));
    assert_true(m("{\"$type\":\"bool\"}", "false"));
    assert_true(m("{\"$type\":\"null\"}", "null"));
    assert_true(m("{\"$type\":\"object\"}", "{}"));
    assert_true(m("{\"$type\":\"array\"}", "[]"));
    assert_false(m("{\"$type\":\"array\"}", "{}"));
    assert_true(m_att("{\"$type\":\"bin\"}", "{\"$bin\":0}", NULL, att, 1));
    assert_false(m_att("{\"$type\":\"bin\"}", "{\"$bin\":1}", NULL, att, 1));
    assert_false(m_att("{\"$type\":\"bin\"}", "{\"$bin\":0,\"x\":1}", NULL, att, 1));
    assert_true(m_att("{\"$type\":\"bytes\"}", "\"text\"", NULL, att, 1));
    assert_true(m_att("{\"$type\":\"bytes\"}", "{\"$bin\":0}", NULL, att, 1));
    assert_false(m_att("{\"$type\":\"bytes\"}", "7", NULL, att, 1));
}

static void test_capture_and_ref(void **state) {
    cJSON *cap = cJSON_CreateObject();

    (void)state;
    assert_true(
        m_att("{\"id\":{\"$capture\":\"cid\",\"$type\":\"uint\"}}", "{\"id\":1025}", cap, NULL, 0));
    assert_int_equal(cJSON_GetObjectItem(cap, "cid")->valuedouble, 1025);
    assert_true(m_att("{\"id\":{\"$ref\":\"cid\"}}", "{\"id\":1025}", cap, NULL, 0));
    assert_false(m_att("{\"id\":{\"$ref\":\"cid\"}}", "{\"id\":1026}", cap, NULL, 0));
    assert_false(m_att("{\"id\":{\"$ref\":\"nothing\"}}", "{\"id\":1}", cap, NULL, 0));
    /* a capture combined with a failing operator captures nothing */
    assert_false(
        m_att("{\"v\":{\"$capture\":\"s\",\"$type\":\"string\"}}", "{\"v\":1}", cap, NULL, 0));
    assert_null(cJSON_GetObjectItem(cap, "s"));
    /* a failed match rolls back captures made before the failing member */
    assert_false(
        m_att("{\"a\":{\"$capture\":\"early\"},\"b\":2}", "{\"a\":1,\"b\":3}", cap, NULL, 0));
    assert_null(cJSON_GetObjectItem(cap, "early"));
    /* a capture and a $ref to it in the same matcher */
    assert_true(m_att("[{\"$capture\":\"x\"},{\"$ref\":\"x\"}]", "[5,5]", cap, NULL, 0));
    assert_false(m_att("[{\"$capture\":\"y\"},{\"$ref\":\"y\"}]", "[5,6]", cap, NULL, 0));
    /* paths into captured objects, whole-value equality */
    assert_true(m_att("{\"$capture\":\"w\"}", "{\"name\":\"client-1\",\"l\":[1,2]}", cap, NULL, 0));
    assert_true(m_att("{\"from\":{\"$ref\":\"w.name\"}}", "{\"from\":\"client-1\"}", cap, NULL, 0));
    assert_true(m_att("{\"$ref\":\"w.l.1\"}", "2", cap, NULL, 0));
    assert_false(
        m_att("{\"$ref\":\"w\"}", "{\"name\":\"client-1\",\"l\":[1,2],\"x\":0}", cap, NULL, 0));
    cJSON_Delete(cap);
}

static void test_param(void **state) {
    cJSON *params = J("{\"secret\":\"s3\"}"), *mm = J("{\"$param\":\"secret\"}"), *v = J("\"s3\""),
          *w = J("\"no\""), *u = J("{\"$param\":\"unset\"}");
    cf_match_ctx ctx;

    (void)state;
    cf_match_init(&ctx, NULL, params, NULL, 0);
    assert_true(cf_match(&ctx, mm, v));
    assert_false(cf_match(&ctx, mm, w));
    assert_false(cf_match(&ctx, u, v));
    assert_non_null(strstr((char *)ctx.why.data, "unset"));
    cf_match_free(&ctx);
    cJSON_Delete(params);
    cJSON_Delete(mm);
    cJSON_Delete(v);
    cJSON_Delete(w);
    cJSON_Delete(u);
}

static void test_unordered_contains(void **state) {
    cJSON *cap = cJSON_CreateObject();

    (void)state;
    assert_true(m("{\"$unordered\":[\"a\",\"b\",\"c\"]}", "[\"c\",\"a\",\"b\"]"));
    assert_false(m("{\"$unordered\":[\"a\",\"b\"]}", "[\"a\",\"a\"]"));
    assert_true(m("{\"$unordered\":[\"a\",\"a\"]}", "[\"a\",\"a\"]"));
    assert_false(m("{\"$unordered\":[\"a\"]}", "[\"a\",\"b\"]"));
    /* greedy would give 1 to the $type matcher first and then fail: backtracking must not */
    assert_true(m("{\"$unordered\":[{\"$type\":\"number\"},1]}", "[1,2]"));
    /* HGETALL-style pairs */
    assert_true(m("{\"$unordered\":[[\"f1\",\"v1\"],[\"f2\",\"v2\"]]}",
                  "[[\"f2\",\"v2\"],[\"f1\",\"v1\"]]"));
    /* captures come from the assignment that matched */
    assert_true(m_att("{\"$unordered\":[{\"k\":\"a\",\"v\":{\"$capture\":\"va\"}},{\"k\":\"b\"}]}",
                      "[{\"k\":\"b\",\"v\":1},{\"k\":\"a\",\"v\":2}]", cap, NULL, 0));
    assert_int_equal(cJSON_GetObjectItem(cap, "va")->valuedouble, 2);
    assert_true(m("{\"$contains\":[\"b\"]}", "[\"a\",\"b\",\"c\"]"));
    assert_false(m("{\"$contains\":[\"d\"]}", "[\"a\",\"b\",\"c\"]"));
    assert_false(m("{\"$contains\":[\"a\",\"a\"]}", "[\"a\",\"b\"]"));
    assert_false(m("{\"$unordered\":[1]}", "{\"a\":1}"));
    cJSON_Delete(cap);
}

static void test_range_len_one_of(void **state) {
    (void)state;
    assert_true(m("{\"$range\":[1,10]}", "10"));
    assert_false(m("{\"$range\":[1,10]}", "10.5"));
    assert_true(m("{\"$range\":[null,0]}", "-100"));
    assert_false(m("{\"$range\":[0,null]}", "\"5\""));
    assert_true(m("{\"$len\":3}", "\"abc\""));
    assert_true(m("{\"$len\":2}", "[1,[2,3]]"));
    assert_true(m("{\"$len\":1}", "{\"a\":1}"));
    assert_false(m("{\"$len\":3}", "\"ab\""));
    assert_false(m("{\"$len\":0}", "0"));
    assert_true(m("{\"$one_of\":[1,\"one\"]}", "\"one\""));
    assert_false(m("{\"$one_of\":[1,\"one\"]}", "2"));
    /* an alternative may be $absent: an optional member that, when present, has a type */
    assert_true(m("{\"f\":{\"$one_of\":[{\"$absent\":true},{\"$type\":\"array\"}]}}", "{}"));
    assert_true(
        m("{\"f\":{\"$one_of\":[{\"$absent\":true},{\"$type\":\"array\"}]}}", "{\"f\":[]}"));
    assert_false(
        m("{\"f\":{\"$one_of\":[{\"$absent\":true},{\"$type\":\"array\"}]}}", "{\"f\":1}"));
    assert_false(m("{\"f\":{\"$one_of\":[1,2]}}", "{}"));
    /* $substring: a string containing the text */
    assert_true(m("{\"$substring\":\"route\"}", "\"missing field \\\"route\\\"\""));
    assert_false(m("{\"$substring\":\"route\"}", "\"missing field\""));
    assert_false(m("{\"$substring\":\"1\"}", "1"));
    assert_true(m("{\"$len\":3,\"$type\":\"array\"}", "[0,0,0]"));
}

static void test_bytes_and_attachments(void **state) {
    const uint8_t bin[3] = {0x00, 0xff, 0x10};
    plx_bytes att[2] = {{bin, 3}, {(const uint8_t *)"abc", 3}};
    cJSON *cap = cJSON_CreateObject(), *list;
    cf_match_ctx ctx;

    (void)state;
    assert_true(m_att("{\"$bytes\":\"00ff10\"}", "{\"$bin\":0}", NULL, att, 2));
    assert_false(m_att("{\"$bytes\":\"00ff11\"}", "{\"$bin\":0}", NULL, att, 2));
    assert_true(m_att("{\"$bytes\":\"616263\"}", "\"abc\"", NULL, att, 2)); /* STO-7: both forms */
    assert_true(m_att("{\"$bytes\":{\"text\":\"abc\"}}", "{\"$bin\":1}", NULL, att, 2));
    assert_true(m_att("{\"$bytes\":{\"len\":3}}", "{\"$bin\":0}", NULL, att, 2));
    assert_false(m_att("{\"$bytes\":\"00\"}", "{\"$bin\":5}", NULL, att, 2));
    /* attachment lists: count, hex with spaces, repeat, sha256, $any, $capture */
    cf_match_init(&ctx, cap, NULL, att, 2);
    list = J("[\"00 FF 10\", {\"$capture\":\"second\"}]");
    assert_true(cf_match_attachments(&ctx, list));
    cf_match_commit(&ctx, cap);
    assert_string_equal(cJSON_GetObjectItem(cap, "second")->valuestring, "616263");
    cJSON_Delete(list);
    list = J("[{\"len\":3},{\"sha256\":"
             "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"}]");
    assert_true(cf_match_attachments(&ctx, list));
    cJSON_Delete(list);
    list = J("[{\"$any\":true},{\"sha256\":"
             "\"0000000000000000000000000000000000000000000000000000000000000000\"}]");
    assert_false(cf_match_attachments(&ctx, list));
    cJSON_Delete(list);
    list = J("[{\"$any\":true}]");
    assert_false(cf_match_attachments(&ctx, list)); /* 1 matcher, 2 attachments */
    assert_non_null(strstr((char *)ctx.why.data, "attachments"));
    cJSON_Delete(list);
    cf_match_free(&ctx);
    cJSON_Delete(cap);
}

static void test_byte_specs(void **state) {
    cf_buf b = {0};
    char err[200];
    cJSON *s;

    (void)state;
    s = J("[\"01 02\", {\"repeat\":\"ab\",\"count\":3}, {\"text\":\"\\u00e9\"}]");
    assert_int_equal(cf_bytes_build(s, &b, err, sizeof(err)), 0);
    assert_int_equal(b.len, 2 + 3 + 2);
    assert_memory_equal(b.data, "\x01\x02\xab\xab\xab\xc3\xa9", 7);
    cJSON_Delete(s);
    b.len = 0;
    s = J("\"0g\"");
    assert_int_equal(cf_bytes_build(s, &b, err, sizeof(err)), -1);
    cJSON_Delete(s);
    s = J("\"abc\"");
    assert_int_equal(cf_bytes_build(s, &b, err, sizeof(err)), -1); /* odd digit count */
    cJSON_Delete(s);
    s = J("{\"repeat\":\"00\",\"count\":1000000000}");
    assert_int_equal(cf_bytes_build(s, &b, err, sizeof(err)), -1); /* above CF_MAX_BUILD */
    cJSON_Delete(s);
    cf_buf_free(&b);
}

static void test_checks(void **state) {
    static const char *const good[] = {
        "{\"t\":\"reply\",\"id\":{\"$capture\":\"x\",\"$type\":\"uint\"}}",
        "{\"r\":{\"$status\":\"OK\"},\"b\":{\"$bin\":0}}",
        "{\"$unordered\":[{\"$any\":true}]}",
        "{\"$range\":[null,5]}",
        "{\"$bytes\":{\"sha256\":"
        "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"}}",
        NULL};
    static const char *const bad[] = {"{\"$typo\":1}",           "{\"x\":{\"$type\":\"strng\"}}",
                                      "{\"$capture\":\"1bad\"}", "{\"$any\":true,\"x\":1}",
                                      "{\"$range\":[1]}",        "{\"$len\":-1}",
                                      "{\"$unordered\":{}}",     "{\"$bytes\":\"zz\"}",
                                      "{\"$exact\":[1]}",        NULL};
    char err[300];
    int i;

    (void)state;
    for (i = 0; good[i]; i++) {
        cJSON *v = J(good[i]);

        if (cf_match_check(v, err, sizeof(err))) fail_msg("%s rejected: %s", good[i], err);
        cJSON_Delete(v);
    }
    for (i = 0; bad[i]; i++) {
        cJSON *v = J(bad[i]);

        err[0] = 0;
        if (!cf_match_check(v, err, sizeof(err))) fail_msg("%s accepted", bad[i]);
        assert_true(err[0] != 0);
        cJSON_Delete(v);
    }
}

static void test_subst(void **state) {
    cJSON *cap = J("{\"cid\":1025,\"a\":{\"name\":\"client-3\"}}"), *params = J("{\"k\":\"v\"}");
    cJSON *t = J("{\"t\":\"reply\",\"id\":{\"$ref\":\"cid\"},\"to\":{\"$ref\":\"a.name\"},"
                 "\"p\":{\"$param\":\"k\"},\"big\":{\"$repeat\":\"ab\",\"count\":3},"
                 "\"b\":{\"$bin\":0}}");
    cJSON *bad = J("{\"id\":{\"$ref\":\"missing\"}}"), *out;
    char err[200];

    (void)state;
    assert_int_equal(cf_subst_check(t, err, sizeof(err)), 0);
    out = cf_subst(t, cap, params, err, sizeof(err));
    assert_non_null(out);
    assert_int_equal(cJSON_GetObjectItem(out, "id")->valuedouble, 1025);
    assert_string_equal(cJSON_GetObjectItem(out, "to")->valuestring, "client-3");
    assert_string_equal(cJSON_GetObjectItem(out, "p")->valuestring, "v");
    assert_string_equal(cJSON_GetObjectItem(out, "big")->valuestring, "ababab");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "b"), "$bin")->valuedouble, 0);
    cJSON_Delete(out);
    assert_null(cf_subst(bad, cap, params, err, sizeof(err)));
    assert_non_null(strstr(err, "missing"));
    cJSON_Delete(bad);
    bad = J("{\"id\":{\"$ref\":\"cid\",\"x\":1}}");
    assert_int_equal(cf_subst_check(bad, err, sizeof(err)), -1);
    cJSON_Delete(bad);
    cJSON_Delete(t);
    cJSON_Delete(cap);
    cJSON_Delete(params);
}

static void test_exact_numbers(void **state) {
    cJSON *v = J("{\"a\":1.0,\"b\":9223372036854775807,\"c\":[1e0,-0.5]}");
    char *s;

    (void)state;
    s = cf_json_print(v);
    assert_string_equal(s, "{\"a\":1.0,\"b\":9223372036854775807,\"c\":[1e0,-0.5]}");
    free(s);
    assert_true(cf_json_is_int(cJSON_GetObjectItem(v, "b")));
    assert_false(cf_json_is_int(cJSON_GetArrayItem(cJSON_GetObjectItem(v, "c"), 1)));
    cJSON_Delete(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_objects_and_arrays),
        cmocka_unit_test(test_any_absent_type),
        cmocka_unit_test(test_capture_and_ref),
        cmocka_unit_test(test_param),
        cmocka_unit_test(test_unordered_contains),
        cmocka_unit_test(test_range_len_one_of),
        cmocka_unit_test(test_bytes_and_attachments),
        cmocka_unit_test(test_byte_specs),
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_subst),
        cmocka_unit_test(test_exact_numbers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
