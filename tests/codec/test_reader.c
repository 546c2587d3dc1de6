/*
 * test_reader.c - the receive path: frames (WebSocket binding) and stream bytes in, validated
 * messages out; fatal errors are sticky, catalogue errors are not and keep the JSON when the
 * message has an id; chunked, interleaved and gzip messages; limits changed after welcome;
 * expiry through tick; attachments owned with plx_msg_own; the type of the last decoded
 * message, also when a message error dropped its JSON (an error is never answered, ERR-3).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <plexus/codec.h>

#include "internal.h"

/* Encodes json_text (+ attachments) into consecutive frames, with prefixes when stream. */
static uint8_t *enc(const char *json_text, const plx_bytes *att, size_t natt, uint32_t id,
                    uint32_t max_frame, int gzip, int stream, size_t *len) {
    cJSON *j = cJSON_Parse(json_text);
    assert_non_null(j);
    plx_encoder_config cfg = {max_frame, PLX_DEFAULT_MAX_MESSAGE, 64, gzip, 0, stream, 0, 0};
    uint8_t *out;
    assert_int_equal(plx_encode_all(NULL, &cfg, id, j, att, natt, &out, len), 0);
    cJSON_Delete(j);
    return out;
}

static plx_reader *make(uint32_t max_frame, int gzip, plx_dir dir) {
    plx_reader_config cfg = {{PLX_DEFAULT_MAX_MESSAGE, 4, 1000, gzip}, max_frame, dir};
    plx_reader *r = plx_reader_new(NULL, &cfg);
    assert_non_null(r);
    return r;
}

static const char *type_of(const plx_msg *m) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(m->json, "t");
    return cJSON_IsString(t) ? t->valuestring : "";
}

static size_t frame_len(const uint8_t *f) {
    return 16 + ((size_t)f[12] << 24 | (size_t)f[13] << 16 | (size_t)f[14] << 8 | f[15]);
}

static void test_frames_and_message_errors(void **state) {
    (void)state;
    plx_reader *r = make(PLX_DEFAULT_MAX_FRAME, 1, PLX_DIR_C2S);
    plx_msg m;
    plx_msg_error err;
    size_t n;
    uint8_t *f = enc("{\"t\":\"hello\",\"version\":1}", NULL, 0, 1, 4096, 0, 0, &n);
    assert_int_equal(plx_reader_frame(r, f, n, 0, &m, &err), 1);
    assert_string_equal(type_of(&m), "hello");
    assert_int_equal(err.code, 0);
    plx_msg_clear(&m);
    free(f);

    /* catalogue errors are not fatal; the JSON stays when there is an id to answer */
    f = enc("{\"t\":\"call\",\"id\":7}", NULL, 0, 2, 4096, 0, 0, &n);
    assert_int_equal(plx_reader_frame(r, f, n, 0, &m, &err), PLX_E_MISSING_FIELD);
    assert_int_equal(err.code, PLX_E_MISSING_FIELD);
    assert_non_null(err.field);
    assert_string_equal(err.field, "route");
    assert_non_null(m.json);
    assert_int_equal(cJSON_GetObjectItem(m.json, "id")->valueint, 7);
    plx_msg_clear(&m);
    free(f);
    f = enc("{\"t\":\"nosuchtype\"}", NULL, 0, 3, 4096, 0, 0, &n);
    assert_int_equal(plx_reader_frame(r, f, n, 0, &m, &err), PLX_E_UNKNOWN_TYPE);
    assert_null(m.json); /* no id: nothing to reply to */
    free(f);
    const char *not_uint[] = {
        "{\"t\":\"nosuchtype\",\"id\":1e300}", "{\"t\":\"nosuchtype\",\"id\":-1}",
        "{\"t\":\"nosuchtype\",\"id\":1.5}", "{\"t\":\"nosuchtype\",\"id\":\"7\"}"};
    for (size_t i = 0; i < 4; i++) { /* an id that is not a uint cannot be answered */
        f = enc(not_uint[i], NULL, 0, 3, 4096, 0, 0, &n);
        assert_int_equal(plx_reader_frame(r, f, n, 0, &m, &err), PLX_E_UNKNOWN_TYPE);
        assert_null(m.json);
        free(f);
    }
    f = enc("{\"t\":\"nosuchtype\",\"id\":9007199254740991}", NULL, 0, 3, 4096, 0, 0, &n);
    assert_int_equal(plx_reader_frame(r, f, n, 0, &m, &err), PLX_E_UNKNOWN_TYPE);
    assert_non_null(m.json);
    plx_msg_clear(&m);
    free(f);
    f = enc("{\"t\":\"welcome\"}", NULL, 0, 4, 4096, 0, 0, &n);
    assert_int_equal(plx_reader_frame(r, f, n, 0, &m, &err), PLX_E_WRONG_DIRECTION);
    free(f);
    f = enc("{\"t\":\"ping\",\"n\":3}", NULL, 0, 5, 4096, 0, 0, &n);
    assert_int_equal(plx_reader_frame(r, f, n, 0, &m, &err), 1);
    assert_string_equal(type_of(&m), "ping");
    plx_msg_clear(&m);

    /* a frame error is fatal and sticky */
    f[0] = 2;
    assert_int_equal(plx_reader_frame(r, f, n, 0, &m, &err), PLX_E_BAD_VERSION);
    assert_int_equal(err.code, PLX_E_BAD_VERSION);
    f[0] = 1;
    assert_int_equal(plx_reader_frame(r, f, n, 0, &m, &err), PLX_E_BAD_VERSION);
    assert_int_equal(err.code, PLX_E_BAD_VERSION); /* err says it again */
    assert_null(m.json);
    free(f);
    plx_reader_free(r);
}

static void test_fatal_body_and_chunk_errors(void **state) {
    (void)state;
    plx_msg m;
    /* body shorter than its json_len */
    uint8_t bad[16 + 6] = {1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 9, '{', '}'};
    plx_reader *r = make(PLX_DEFAULT_MAX_FRAME, 1, PLX_DIR_C2S);
    assert_int_equal(plx_reader_frame(r, bad, sizeof(bad), 0, &m, NULL), PLX_E_BODY_TRUNCATED);
    assert_int_equal(plx_reader_frame(r, bad, sizeof(bad), 0, &m, NULL), PLX_E_BODY_TRUNCATED);
    plx_reader_free(r);
    /* gzip not negotiated */
    size_t n;
    uint8_t *f =
        enc("{\"t\":\"ping\",\"pad\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            "aaaaaaaaaaaaaaaaaaaaa\"}",
            NULL, 0, 1, 4096, 1, 0, &n);
    assert_int_equal(f[1], PLX_FLAG_GZIP);
    r = make(PLX_DEFAULT_MAX_FRAME, 0, PLX_DIR_C2S);
    assert_int_equal(plx_reader_frame(r, f, n, 0, &m, NULL), PLX_E_GZIP_NOT_NEGOTIATED);
    plx_reader_free(r);
    r = make(PLX_DEFAULT_MAX_FRAME, 1, PLX_DIR_C2S);
    assert_int_equal(plx_reader_frame(r, f, n, 0, &m, NULL), 1);
    assert_string_equal(type_of(&m), "ping");
    plx_msg_clear(&m);
    plx_reader_free(r);
    free(f);
}

/* Stream binding: a chunked gzip message with a single one interleaved, three messages in
 * one buffer, read whole and one byte at a time. */
static void test_stream(void **state) {
    (void)state;
    uint8_t blob[3000];
    for (size_t i = 0; i < sizeof(blob); i++)
        blob[i] = (uint8_t)(i % 17);
    plx_bytes att = {blob, sizeof(blob)};
    size_t la, lb, lc;
    uint8_t *a = enc("{\"t\":\"send\",\"to\":\"all\",\"event\":\"e\",\"data\":{\"$bin\":0}}", &att,
                     1, 10, 512, 0, 1, &la);
    uint8_t *b = enc("{\"t\":\"ping\"}", NULL, 0, 11, 512, 0, 1, &lb);
    uint8_t *c = enc("{\"t\":\"cmd\",\"id\":3,\"argv\":[\"SET\",\"k\",{\"$bin\":0}]}", &att, 1, 12,
                     512, 1, 1, &lc);
    /* a's first frame, then b, then the rest of a, then c */
    size_t a1 = 4 + frame_len(a + 4), total = la + lb + lc;
    uint8_t *s = malloc(total);
    memcpy(s, a, a1);
    memcpy(s + a1, b, lb);
    memcpy(s + a1 + lb, a + a1, la - a1);
    memcpy(s + la + lb, c, lc);
    const char *want[] = {"ping", "send", "cmd"};
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        plx_reader *r = make(512, 1, PLX_DIR_C2S);
        size_t pos = 0, got = 0;
        while (pos < total) {
            size_t len = bytewise ? 1 : total - pos, used;
            plx_msg m;
            int rc = plx_reader_stream(r, s + pos, len, &used, 0, &m, NULL);
            assert_true(rc == 0 || rc == 1);
            pos += used;
            if (rc == 0) {
                assert_int_equal(used, len);
                continue;
            }
            assert_string_equal(type_of(&m), want[got]);
            if (got > 0) {
                assert_int_equal(m.natt, 1);
                assert_int_equal(m.att[0].len, sizeof(blob));
                assert_memory_equal(m.att[0].data, blob, sizeof(blob));
            }
            got++;
            plx_msg_clear(&m);
        }
        assert_int_equal(got, 3);
        plx_reader_free(r);
    }
    /* the end of a recording inside a frame is TRUNCATED; on a frame boundary it is fine */
    for (size_t cut = 0; cut <= lb; cut++) {
        plx_reader *r = make(512, 1, PLX_DIR_C2S);
        size_t used;
        plx_msg m;
        int rc = plx_reader_stream(r, b, cut, &used, 0, &m, NULL);
        assert_int_equal(rc, cut == lb);
        plx_msg_clear(&m);
        assert_int_equal(plx_reader_end(r), cut == 0 || cut == lb ? 0 : PLX_E_TRUNCATED);
        plx_reader_free(r);
    }
    /* a stream error is fatal */
    plx_reader *r = make(512, 1, PLX_DIR_C2S);
    uint8_t zero[4] = {0, 0, 0, 3};
    size_t used;
    plx_msg m;
    assert_int_equal(plx_reader_stream(r, zero, 4, &used, 0, &m, NULL), PLX_E_TRUNCATED);
    assert_int_equal(plx_reader_stream(r, b, lb, &used, 0, &m, NULL), PLX_E_TRUNCATED);
    plx_reader_free(r);
    free(s);
    free(a);
    free(b);
    free(c);
}

/* Attachments are borrowed from the input until plx_msg_own copies them. */
static void test_own(void **state) {
    (void)state;
    uint8_t blob[100];
    memset(blob, 0x42, sizeof(blob));
    plx_bytes att = {blob, sizeof(blob)};
    size_t n;
    uint8_t *f =
        enc("{\"t\":\"cmd\",\"id\":1,\"argv\":[{\"$bin\":0}]}", &att, 1, 1, 4096, 0, 0, &n);
    plx_reader *r = make(PLX_DEFAULT_MAX_FRAME, 1, PLX_DIR_C2S);
    plx_msg m;
    assert_int_equal(plx_reader_frame(r, f, n, 0, &m, NULL), 1);
    assert_true(m.att[0].data >= f && m.att[0].data < f + n); /* zero copy */
    assert_int_equal(plx_msg_own(&m), 0);
    memset(f, 0, n);
    free(f);
    assert_int_equal(m.att[0].len, sizeof(blob));
    assert_memory_equal(m.att[0].data, blob, sizeof(blob));
    plx_msg_clear(&m);
    plx_reader_free(r);
}

static void test_set_limits_and_tick(void **state) {
    (void)state;
    char text[2100];
    memcpy(text, "{\"t\":\"ping\",\"pad\":\"", 19);
    for (int i = 0; i < 2000; i++)
        text[19 + i] = (char)('a' + i % 26);
    memcpy(text + 2019, "\"}", 3);
    size_t n;
    uint8_t *big = enc(text, NULL, 0, 1, 4096, 0, 0, &n);
    plx_reader *r = make(512, 1, PLX_DIR_C2S);
    plx_assembler_limits l = {PLX_DEFAULT_MAX_MESSAGE, 4, 1000, 1};
    assert_int_equal(plx_reader_set_limits(r, PLX_MAX_MAX_FRAME + 1, &l), PLX_E_INVAL);
    assert_int_equal(plx_reader_set_limits(r, 4096, &l), 0);
    plx_msg m;
    assert_int_equal(plx_reader_frame(r, big, n, 0, &m, NULL), 1);
    plx_msg_clear(&m);
    plx_reader_free(r);
    r = make(512, 1, PLX_DIR_C2S);
    assert_int_equal(plx_reader_frame(r, big, n, 0, &m, NULL), PLX_E_FRAME_TOO_LARGE);
    plx_reader_free(r);
    free(big);

    /* an incomplete message expires through tick */
    uint8_t *ch = enc(text, NULL, 0, 9, 512, 0, 0, &n);
    r = make(512, 1, PLX_DIR_C2S);
    assert_int_equal(plx_reader_frame(r, ch, frame_len(ch), 100, &m, NULL), 0);
    assert_int_equal(plx_reader_tick(r, 1100), 0);
    assert_int_equal(plx_reader_tick(r, 1101), PLX_E_EXPIRED);
    assert_int_equal(plx_reader_frame(r, ch, frame_len(ch), 1101, &m, NULL), PLX_E_EXPIRED);
    plx_reader_free(r);
    /* the same message arriving in time completes */
    r = make(512, 1, PLX_DIR_C2S);
    size_t pos = 0, done = 0;
    uint64_t now = 0;
    while (pos < n) {
        int rc = plx_reader_frame(r, ch + pos, frame_len(ch + pos), now, &m, NULL);
        assert_true(rc == 0 || rc == 1);
        done += (size_t)rc;
        if (rc == 1) plx_msg_clear(&m);
        pos += frame_len(ch + pos);
        now += 900; /* total well past expiry_ms, each gap below it */
    }
    assert_int_equal(done, 1);
    plx_reader_free(r);
    free(ch);
}

/* plx_reader_last_type: the catalogue type of the message the last call decoded, kept when a
 * message error without an id clears *m, so an `error` message is never answered (ERR-3). */
static void test_last_type(void **state) {
    (void)state;
    plx_msg m;
    plx_msg_error err;
    size_t n, used;
    uint8_t *f;
    plx_reader *r = make(PLX_DEFAULT_MAX_FRAME, 1, PLX_DIR_C2S);

    assert_null(plx_reader_last_type(r));
    /* an error message without id that fails validation: *m is cleared, the type stays */
    f = enc("{\"t\":\"error\",\"code\":500,\"name\":\"X\"}", NULL, 0, 1, 4096, 0, 0, &n);
    assert_int_equal(plx_reader_frame(r, f, n, 0, &m, &err), PLX_E_MISSING_FIELD);
    assert_string_equal(err.field, "message");
    assert_null(m.json);
    assert_non_null(plx_reader_last_type(r));
    assert_string_equal(plx_reader_last_type(r), "error");
    free(f);
    /* another type without id: its name, not "error" */
    f = enc("{\"t\":\"send\"}", NULL, 0, 2, 4096, 0, 0, &n);
    assert_int_equal(plx_reader_frame(r, f, n, 0, &m, &err), PLX_E_MISSING_FIELD);
    assert_null(m.json);
    assert_string_equal(plx_reader_last_type(r), "send");
    free(f);
    /* an unknown or missing t has no catalogue name */
    f = enc("{\"t\":\"nosuchtype\"}", NULL, 0, 3, 4096, 0, 0, &n);
    assert_int_equal(plx_reader_frame(r, f, n, 0, &m, &err), PLX_E_UNKNOWN_TYPE);
    assert_null(plx_reader_last_type(r));
    free(f);
    f = enc("{\"t\":7}", NULL, 0, 4, 4096, 0, 0, &n);
    assert_int_equal(plx_reader_frame(r, f, n, 0, &m, &err), PLX_E_MISSING_TYPE);
    assert_null(plx_reader_last_type(r));
    free(f);
    /* a valid message: its type; a chunk that completes nothing: NULL again */
    f = enc("{\"t\":\"ping\"}", NULL, 0, 5, 4096, 0, 0, &n);
    assert_int_equal(plx_reader_frame(r, f, n, 0, &m, &err), 1);
    assert_string_equal(plx_reader_last_type(r), "ping");
    plx_msg_clear(&m);
    free(f);
    f = enc("{\"t\":\"ping\",\"pad\":\"0123456789012345678901234567890123456789\"}", NULL, 0, 6, 32,
            0, 0, &n);
    assert_int_equal(plx_reader_frame(r, f, frame_len(f), 0, &m, &err), 0);
    assert_null(plx_reader_last_type(r));
    free(f);
    plx_reader_free(r);

    /* stream binding: the same, for the message the call stopped at */
    r = make(512, 1, PLX_DIR_C2S);
    f = enc("{\"t\":\"error\",\"code\":\"500\",\"name\":\"X\",\"message\":\"m\"}", NULL, 0, 7, 512,
            0, 1, &n);
    assert_int_equal(plx_reader_stream(r, f, n, &used, 0, &m, &err), PLX_E_BAD_FIELD_TYPE);
    assert_int_equal(used, n);
    assert_null(m.json);
    assert_string_equal(plx_reader_last_type(r), "error");
    free(f);
    /* a fatal error decodes no body */
    uint8_t zero[4] = {0, 0, 0, 3};
    assert_int_equal(plx_reader_stream(r, zero, 4, &used, 0, &m, NULL), PLX_E_TRUNCATED);
    assert_null(plx_reader_last_type(r));
    plx_reader_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_and_message_errors),
        cmocka_unit_test(test_fatal_body_and_chunk_errors),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_own),
        cmocka_unit_test(test_set_limits_and_tick),
        cmocka_unit_test(test_last_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
