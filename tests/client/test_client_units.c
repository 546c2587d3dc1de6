/*
 * test_client_units.c - the client library's pieces without a server: URL parsing, the send
 * queue's frame interleaving and byte accounting, the pending-request table, reconnect
 * backoff bounds, storage reply decoding and encoding, error texts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "harness.h"
#include "internal.h"

static void test_url_parse(void **state) {
    plx_url u;
    (void)state;

    assert_int_equal(plx_url_parse("ws://127.0.0.1:7700", &u), 0);
    assert_int_equal(u.kind, PLX_URL_WS);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 7700);
    assert_string_equal(u.path, "/");
    assert_int_equal(plx_url_parse("ws://localhost:1/a/b?x=1", &u), 0);
    assert_string_equal(u.path, "/a/b?x=1");
    assert_int_equal(plx_url_parse("plexus://[::1]:9000", &u), 0);
    assert_int_equal(u.kind, PLX_URL_TCP);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 9000);
    assert_int_equal(plx_url_parse("plexus://h:9/", &u), 0);
    const char *bad[] = {"http://h:1",   "ws://h",    "ws://:1",           "ws://h:0",
                         "ws://h:65536", "ws://h:1x", "plexus://h:1/path", "ws://h:1/a b",
                         "ws://[::1]",   "",          "ws://h:-1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(plx_url_parse(bad[i], &u), PLX_E_BAD_URL);
    assert_int_equal(plx_url_parse(NULL, &u), PLX_E_BAD_URL);
}

/* Encodes a message of body size ~n with max_frame 512. */
static plx_outmsg *make(uint32_t id, size_t n) {
    plx_encoder_config cfg = {512, 1u << 20, 1024, 0, 0, 1, 0, 0};
    uint8_t *data = calloc(1, n);
    plx_bytes att = {data, n};
    cJSON *j = cJSON_Parse("{\"t\":\"ping\"}");
    plx_outmsg *m = NULL;
    plx_outenc spare = {NULL, {0}};
    plx_encoder *e = plx_outenc_take(&spare, &cfg);

    assert_non_null(e);
    assert_int_equal(plx_outmsg_encode(e, id, j, &att, 1, cfg.max_frame, &m), 0);
    plx_outenc_give(&spare, &cfg, e, 0);
    cJSON_Delete(j);
    free(data);
    return m;
}

/* The kept encoder: reused for the same configuration only, at most one kept, and the frames
 * it makes the second time are those a new encoder makes. */
static void test_outenc_reuse(void **state) {
    plx_encoder_config cfg = {512, 1u << 20, 1024, 0, 0, 0, 0, 0}, other = cfg;
    plx_outenc spare = {NULL, {0}};
    cJSON *j = cJSON_Parse("{\"t\":\"ping\",\"n\":7}");
    plx_outmsg *m1 = NULL, *m2 = NULL;
    plx_encoder *e = plx_outenc_take(&spare, &cfg), *e2, *e3;
    (void)state;

    assert_non_null(e);
    assert_int_equal(plx_outmsg_encode(e, 9, j, NULL, 0, cfg.max_frame, &m1), 0);
    plx_outenc_give(&spare, &cfg, e, 1);
    assert_ptr_equal(spare.enc, e);
    e2 = plx_outenc_take(&spare, &cfg); /* the same one, taken out */
    assert_ptr_equal(e2, e);
    assert_null(spare.enc);
    assert_int_equal(plx_outmsg_encode(e2, 9, j, NULL, 0, cfg.max_frame, &m2), 0);
    assert_int_equal(m1->nframes, 1);
    assert_int_equal(m2->nframes, 1);
    assert_int_equal(m1->frames[0].len, m2->frames[0].len);
    assert_memory_equal(m1->frames[0].buf + PLX_CLIENT_HEADROOM,
                        m2->frames[0].buf + PLX_CLIENT_HEADROOM, m1->frames[0].len);
    plx_outenc_give(&spare, &cfg, e2, 1);
    other.max_frame = 1024; /* another configuration: a new encoder */
    e3 = plx_outenc_take(&spare, &other);
    assert_non_null(e3);
    assert_true(e3 != e2);
    assert_ptr_equal(spare.enc, e2);
    plx_outenc_give(&spare, &other, e3, 1); /* one is kept already: e3 is freed */
    assert_ptr_equal(spare.enc, e2);
    plx_outenc_clear(&spare);
    assert_null(spare.enc);
    plx_outenc_give(&spare, &cfg, NULL, 1); /* nothing to give */
    assert_null(spare.enc);
    plx_outmsg_free(m1);
    plx_outmsg_free(m2);
    cJSON_Delete(j);
}

/* The msg_id of the frame at p (stream binding: after the 4-byte prefix). */
static uint32_t frame_id(const plx_piece *p, int skip) {
    const uint8_t *h = p->data + (skip ? 0 : PLX_STREAM_PREFIX_LEN);
    return (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
}

static void test_outq(void **state) {
    plx_outq q;
    plx_piece p;
    plx_outmsg *big = make(1, 3000), *small = make(2, 10);
    uint32_t order[16];
    size_t n = 0, total = big->bytes + small->bytes;
    (void)state;

    memset(&q, 0, sizeof(q));
    assert_true(big->nframes >= 6);
    assert_int_equal(small->nframes, 1);
    plx_outq_push(&q, big);
    plx_outq_push(&q, small);
    assert_int_equal(q.bytes, total);
    /* frames take turns: big's first frame, then the small message, then the rest */
    while (plx_outq_peek(&q, 1u << 20, &p) && n < 16) {
        assert_true(p.first && p.last);
        order[n++] = frame_id(&p, 0);
        plx_outq_advance(&q, p.len);
    }
    assert_int_equal(q.bytes, 0);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 2);
    for (size_t i = 2; i < n; i++)
        assert_int_equal(order[i], 1);

    /* WebSocket: no prefix, pieces bounded by max, first/last flags per frame */
    q.skip_prefix = 1;
    plx_outq_push(&q, make(7, 100));
    assert_int_equal(plx_outq_peek(&q, 50, &p), 1);
    assert_true(p.first && !p.last);
    assert_int_equal(p.len, 50);
    assert_int_equal(frame_id(&p, 1), 7);
    plx_outq_advance(&q, 50);
    assert_int_equal(plx_outq_peek(&q, 1u << 20, &p), 1);
    assert_true(!p.first && p.last);
    plx_outq_advance(&q, p.len);
    assert_int_equal(plx_outq_peek(&q, 1u << 20, &p), 0);
    assert_int_equal(q.bytes, 0);
    /* more than 16 messages: the rest wait, clear frees all */
    for (uint32_t i = 0; i < 20; i++)
        plx_outq_push(&q, make(100 + i, 10));
    assert_int_equal(q.nactive, PLX_DEFAULT_MAX_PARTIAL);
    plx_outq_clear(&q);
    assert_int_equal(q.bytes, 0);
    assert_int_equal(plx_outq_peek(&q, 100, &p), 0);
}

static void test_pending(void **state) {
    plx_pending p;
    plx_waiter w;
    uint64_t ids[4], again;
    (void)state;

    assert_int_equal(plx_pending_init(&p, 4), 0);
    for (int i = 0; i < 4; i++) {
        ids[i] = plx_pending_add(&p, PLX_SLOT_WAITER, &w);
        assert_true(ids[i] > 0);
        for (int j = 0; j < i; j++)
            assert_true(ids[i] != ids[j]);
    }
    assert_int_equal(plx_pending_add(&p, PLX_SLOT_WAITER, &w), 0); /* full */
    assert_ptr_equal(plx_pending_find(&p, ids[2])->w, &w);
    plx_pending_remove(&p, ids[2]);
    assert_null(plx_pending_find(&p, ids[2]));
    again = plx_pending_add(&p, PLX_SLOT_RESTORE, NULL);
    assert_true(again != ids[2]); /* a reused slot gets a new id: late replies match nothing */
    assert_null(plx_pending_find(&p, ids[2]));
    assert_int_equal(plx_pending_find(&p, again)->kind, PLX_SLOT_RESTORE);
    assert_null(plx_pending_find(&p, 0));
    assert_null(plx_pending_find(&p, 999999));
    plx_pending_destroy(&p);
}

static void test_backoff(void **state) {
    plx_client_options o;
    unsigned seed = 1, d;
    (void)state;

    plx_client_options_init(&o);
    o.backoff_initial_ms = 100;
    o.backoff_max_ms = 1000;
    for (int i = 0; i < 200; i++) {
        d = plx_backoff_delay(&o, 0, &seed);
        assert_true(d >= 50 && d <= 100);
        d = plx_backoff_delay(&o, 2, &seed);
        assert_true(d >= 200 && d <= 400);
        d = plx_backoff_delay(&o, 40, &seed); /* bounded, no overflow */
        assert_true(d >= 500 && d <= 1000);
    }
}

static void test_reply_decode(void **state) {
    const char *text = "[null, 42, -7, \"s\", {\"$bin\": 0}, {\"$status\": \"OK\"}, [1, [2]]]";
    cJSON *j = cJSON_Parse(text);
    uint8_t bin[] = {0, 1, 0xff};
    plx_bytes att = {bin, sizeof(bin)};
    plx_reply *h = calloc(1, sizeof(*h)), r;
    (void)state;

    assert_int_equal(plx_reply_from_json(j, &att, 1, h), 0);
    r = *h;
    assert_int_equal(r.type, PLX_REPLY_ARRAY);
    assert_int_equal(r.elements, 7);
    assert_int_equal(r.element[0].type, PLX_REPLY_NIL);
    assert_int_equal(r.element[1].integer, 42);
    assert_int_equal(r.element[2].integer, -7);
    assert_string_equal(r.element[3].str, "s");
    assert_int_equal(r.element[4].type, PLX_REPLY_STRING);
    assert_int_equal(r.element[4].len, 3);
    assert_memory_equal(r.element[4].str, bin, 3);
    assert_int_equal(r.element[5].type, PLX_REPLY_STATUS);
    assert_string_equal(r.element[5].str, "OK");
    assert_int_equal(r.element[6].element[1].element[0].integer, 2);
    plx_reply_free(h);
    cJSON_Delete(j);

    /* beyond +-2^53 without the literal's digits (a tree not from the client's reader), a
     * fraction, an exponent form, bad references, values outside the mapping: errors, never
     * rounding */
    const char *bad[] = {"9007199254740993", "1.5", "1e300", "{\"$bin\": 3}", "true", "{\"a\": 1}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        j = cJSON_Parse(bad[i]);
        assert_int_equal(plx_reply_from_json(j, &att, 1, &r), 0);
        assert_int_equal(r.type, PLX_REPLY_ERROR);
        assert_int_equal(r.code, PLX_E_BAD_REPLY);
        free(r.str);
        cJSON_Delete(j);
    }
}

/* Decodes the reply text through a reader set as the client's (exact integers), maps it. */
static int reader_reply(const char *json, plx_reply *r) {
    plx_reader_config rc;
    plx_reader *rd;
    plx_msg m;
    plx_msg_error e;
    char text[256];
    uint8_t frame[512];
    size_t len;
    int got;

    memset(&rc, 0, sizeof(rc));
    rc.limits.max_message = 1 << 20;
    rc.limits.max_partial = 4;
    rc.limits.expiry_ms = 1000;
    rc.dir = PLX_DIR_S2C;
    rd = plx_reader_new(NULL, &rc);
    assert_non_null(rd);
    plx_reader_exact_integers(rd, 1);
    snprintf(text, sizeof(text), "{\"t\":\"reply\",\"id\":1,\"result\":%s}", json);
    len = strlen(text);
    /* a frame by hand: header, then the body: u32 JSON length, the JSON, no attachments */
    plx_frame_header h = {1, 0, 0, 1, 0, (uint32_t)(4 + len)};
    assert_int_equal(plx_frame_header_encode(&h, frame), 0);
    frame[16] = 0;
    frame[17] = 0;
    frame[18] = (uint8_t)(len >> 8);
    frame[19] = (uint8_t)len;
    memcpy(frame + 20, text, len);
    memset(&m, 0, sizeof(m));
    got = plx_reader_frame(rd, frame, 20 + len, 0, &m, &e);
    assert_int_equal(got, 1);
    got = plx_reply_from_json(cJSON_GetObjectItemCaseSensitive(m.json, "result"), m.att, m.natt, r);
    plx_msg_clear(&m);
    plx_reader_free(rd);
    return got;
}

/* STO-8: integers over the whole signed 64-bit range are read exactly; beyond it, or not
 * written as integers, they are errors. */
static void test_reply_exact_integers(void **state) {
    static const struct {
        const char *json;
        long long v;
    } ok[] = {{"9007199254740991", 9007199254740991LL},
              {"9007199254740992", 9007199254740992LL},
              {"9007199254740993", 9007199254740993LL},
              {"-9007199254740993", -9007199254740993LL},
              {"1234567890123456789", 1234567890123456789LL},
              {"9223372036854775807", 9223372036854775807LL},
              {"-9223372036854775808", -9223372036854775807LL - 1}};
    static const char *bad[] = {"9223372036854775808",  "-9223372036854775809",
                                "18446744073709551616", "9007199254740993.0",
                                "9.007199254740993e15", "1e19"};
    plx_reply r;
    (void)state;

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(reader_reply(ok[i].json, &r), 0);
        assert_int_equal(r.type, PLX_REPLY_INTEGER);
        assert_true(r.integer == ok[i].v);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(reader_reply(bad[i], &r), 0);
        assert_int_equal(r.type, PLX_REPLY_ERROR);
        assert_int_equal(r.code, PLX_E_BAD_REPLY);
        free(r.str);
    }
    /* inside an array, after strings holding digits and numbers that stay doubles */
    assert_int_equal(reader_reply("[\"12345678901234567890\", 1.5, [-9223372036854775807, 7]]", &r),
                     0);
    assert_int_equal(r.type, PLX_REPLY_ARRAY);
    assert_int_equal(r.element[0].type, PLX_REPLY_STRING);
    assert_int_equal(r.element[1].type, PLX_REPLY_ERROR); /* 1.5: not an integer */
    assert_true(r.element[2].element[0].integer == -9223372036854775807LL);
    assert_int_equal(r.element[2].element[1].integer, 7);
    plx_reply *h = malloc(sizeof(*h)); /* plx_reply_free frees the top too */
    *h = r;
    plx_reply_free(h);

    /* an adapter's answer writes them back exactly */
    plx_reply big = {0};
    big.type = PLX_REPLY_INTEGER;
    big.integer = -9223372036854775807LL - 1;
    cJSON *j = plx_reply_to_json(&big, NULL);
    char *p = cJSON_PrintUnformatted(j);
    assert_string_equal(p, "-9223372036854775808");
    free(p);
    cJSON_Delete(j);
}

/* argv as one raw JSON text: strings escaped so they parse back to the same bytes, the rest
 * (not UTF-8, a NUL, 1024 bytes or more) as {"$bin": k} attachments in order. */
static void test_argv_json(void **state) {
    static const char ctl[] = "a\"b\\c\x01\x1f\n\t/\xc3\xa9\xf0\x9f\x98\x80";
    static const uint8_t bad_utf8[] = {'x', 0xff, 'y'}, nul[] = {'a', 0, 'b'};
    uint8_t *big = calloc(1, 1024);
    plx_bytes argv[7] = {{(const uint8_t *)"HSET", 4},
                         {(const uint8_t *)ctl, sizeof(ctl) - 1},
                         {bad_utf8, sizeof(bad_utf8)},
                         {(const uint8_t *)"", 0},
                         {nul, sizeof(nul)},
                         {big, 1024},
                         {big, 1023}}; /* set below: 1023 'z', a string */
    plx_bytes att[7];
    size_t natt = 0;
    cJSON *raw, *parsed;
    (void)state;

    assert_non_null(big);
    memset(big, 'z', 1023); /* big[1023] stays 0: the 1024-byte value holds a NUL */
    raw = plx_wire_argv_json(7, argv, att, &natt);
    assert_non_null(raw);
    assert_true(cJSON_IsRaw(raw));
    parsed = cJSON_Parse(raw->valuestring);
    assert_true(cJSON_IsArray(parsed));
    assert_int_equal(cJSON_GetArraySize(parsed), 7);
    assert_string_equal(cJSON_GetArrayItem(parsed, 0)->valuestring, "HSET");
    assert_string_equal(cJSON_GetArrayItem(parsed, 1)->valuestring, ctl);
    assert_string_equal(cJSON_GetArrayItem(parsed, 3)->valuestring, "");
    assert_int_equal(strlen(cJSON_GetArrayItem(parsed, 6)->valuestring), 1023);
    assert_int_equal(natt, 3);
    size_t k;
    assert_true(plx_wire_is_bin(cJSON_GetArrayItem(parsed, 2), &k) && k == 0);
    assert_true(plx_wire_is_bin(cJSON_GetArrayItem(parsed, 4), &k) && k == 1);
    assert_true(plx_wire_is_bin(cJSON_GetArrayItem(parsed, 5), &k) && k == 2);
    assert_ptr_equal(att[0].data, bad_utf8);
    assert_ptr_equal(att[1].data, nul);
    assert_int_equal(att[2].len, 1024);
    /* '"' and '\\' escaped, control bytes as \u00xx, the rest (UTF-8 too) as it is */
    assert_non_null(strstr(raw->valuestring, "\"a\\\"b\\\\c\\u0001\\u001f\\u000a\\u0009/"));
    cJSON_Delete(parsed);
    cJSON_Delete(raw);
    raw = plx_wire_argv_json(0, argv, att, &natt); /* no arguments: [] */
    assert_string_equal(raw->valuestring, "[]");
    cJSON_Delete(raw);
    free(big);
}

static void test_reply_encode(void **state) {
    plx_answer a;
    plx_reply *arr = plx_reply_array(4);
    uint8_t big[2000];
    char *text;
    cJSON *j;
    (void)state;

    memset(&a, 0, sizeof(a));
    memset(big, 'x', sizeof(big));
    assert_int_equal(plx_reply_set(arr, 0, plx_reply_integer(-5)), 0);
    assert_int_equal(plx_reply_set(arr, 1, plx_reply_string("short", 5)), 0);
    assert_int_equal(plx_reply_set(arr, 2, plx_reply_string(big, sizeof(big))), 0);
    assert_int_equal(plx_reply_set(arr, 3, plx_reply_status("OK")), 0);
    assert_int_equal(plx_reply_set(arr, 4, plx_reply_nil()), PLX_E_INVAL);
    j = plx_reply_to_json(arr, &a);
    text = cJSON_PrintUnformatted(j);
    assert_string_equal(text, "[-5,\"short\",{\"$bin\":0},{\"$status\":\"OK\"}]");
    assert_int_equal(a.natt, 1);
    assert_int_equal(a.att[0].len, sizeof(big));
    free(text);
    cJSON_Delete(j);
    plx_answer_clear(&a);
    plx_reply_free(arr);
}

static void test_errors(void **state) {
    cJSON *e;
    (void)state;

    assert_string_equal(plx_client_error_name(PLX_E_DISCONNECTED), "DISCONNECTED");
    assert_string_equal(plx_client_error_name(PLX_E_CALL_TIMEOUT), "CALL_TIMEOUT");
    assert_string_equal(plx_client_error_name(-4242), "UNKNOWN");
    assert_string_equal(plx_client_strerror(PLX_E_CLOSED), "the client is closed");
    /* local codes never go on the wire (ERR-6): they become INTERNAL with their text */
    assert_null(plx_error_name(PLX_E_DISCONNECTED));
    e = plx_error_json(PLX_E_DISCONNECTED, NULL, NULL);
    assert_int_equal((int)cJSON_GetObjectItem(e, "code")->valuedouble, 3);
    assert_string_equal(cJSON_GetObjectItem(e, "message")->valuestring,
                        "not connected to the server");
    cJSON_Delete(e);
    e = plx_error_json(PLX_E_WRONGTYPE, "WRONGTYPE x", NULL);
    assert_string_equal(cJSON_GetObjectItem(e, "name")->valuestring, "WRONGTYPE");
    cJSON_Delete(e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_parse),
        cmocka_unit_test(test_outq),
        cmocka_unit_test(test_outenc_reuse),
        cmocka_unit_test(test_argv_json),
        cmocka_unit_test(test_reply_exact_integers),
        cmocka_unit_test(test_pending),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_reply_decode),
        cmocka_unit_test(test_reply_encode),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
