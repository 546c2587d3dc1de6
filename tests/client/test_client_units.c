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

    assert_int_equal(plx_outmsg_encode(&cfg, id, j, &att, 1, &m), 0);
    cJSON_Delete(j);
    free(data);
    return m;
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

    /* not exact, bad references, values outside the mapping: errors, never rounding */
    const char *bad[] = {"9007199254740993", "1.5", "{\"$bin\": 3}", "true", "{\"a\": 1}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        j = cJSON_Parse(bad[i]);
        assert_int_equal(plx_reply_from_json(j, &att, 1, &r), 0);
        assert_int_equal(r.type, PLX_REPLY_ERROR);
        assert_int_equal(r.code, PLX_E_BAD_REPLY);
        free(r.str);
        cJSON_Delete(j);
    }
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
        cmocka_unit_test(test_url_parse),    cmocka_unit_test(test_outq),
        cmocka_unit_test(test_pending),      cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_reply_decode), cmocka_unit_test(test_reply_encode),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
