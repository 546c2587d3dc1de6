/*
 * test_conform_link.c - unit tests of the connection both modes of plexus-conform use
 * (conformance/src/link.c) and of its WebSocket frames (ws.c): a client's frames are masked
 * and a server's are not, each side's parser refuses the other masking; over a socket pair a
 * client-side and a server-side link exchange chunked and fragmented messages (with the frames
 * that carried them), text messages, pings answered by an automatic pong and the close
 * handshake, on the WebSocket and the stream binding; invalid input stops decoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "link.h"
#include "ws.h"

static void test_ws_frames(void **state) {
    uint8_t payload[70000];
    uint64_t rng = 42;
    cf_buf b = {0};
    cf_ws_frame f;
    char err[200];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 7);
    /* a client's frame: masked (the payload on the wire differs), unmasked by the parser */
    assert_int_equal(cf_ws_build(&b, CF_WS_BINARY, payload, 300, 1, &rng), 0);
    assert_int_equal(b.data[1] & 0x80, 0x80);
    assert_int_equal(b.len, 4 + 4 + 300);
    assert_memory_not_equal(b.data + 8, payload, 300);
    assert_int_equal(cf_ws_parse(b.data, b.len - 1, 1, 1000, &f, err, sizeof(err)), 0);
    assert_int_equal(cf_ws_parse(b.data, b.len, 0, 1000, &f, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "masked WebSocket frame from the server"));
    assert_int_equal(cf_ws_parse(b.data, b.len, 1, 1000, &f, err, sizeof(err)), 1);
    assert_int_equal(f.fin, 1);
    assert_int_equal(f.opcode, CF_WS_BINARY);
    assert_int_equal(f.len, 300);
    assert_int_equal(f.consumed, b.len);
    assert_memory_equal(f.payload, payload, 300);
    cf_buf_free(&b);

    /* a server's frames: unmasked, 64-bit length, in three fragments */
    assert_int_equal(cf_ws_build(&b, CF_WS_BINARY, payload, sizeof(payload), 3, NULL), 0);
    assert_int_equal(b.data[1] & 0x80, 0);
    assert_int_equal(cf_ws_parse(b.data, b.len, 1, 1 << 20, &f, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unmasked WebSocket frame from the client"));
    {
        size_t off = 0, got = 0;
        int n = 0;

        while (off < b.len) {
            assert_int_equal(
                cf_ws_parse(b.data + off, b.len - off, 0, 1 << 20, &f, err, sizeof(err)), 1);
            assert_int_equal(f.opcode, n == 0 ? CF_WS_BINARY : CF_WS_CONT);
            assert_int_equal(f.fin, n == 2);
            assert_memory_equal(f.payload, payload + got, f.len);
            got += f.len;
            off += f.consumed;
            n++;
        }
        assert_int_equal(n, 3);
        assert_int_equal(got, sizeof(payload));
    }
    /* above the bound, and a control frame longer than 125 bytes */
    assert_int_equal(cf_ws_parse(b.data, b.len, 0, 100, &f, err, sizeof(err)), -1);
    cf_buf_free(&b);
    assert_int_equal(cf_ws_build(&b, CF_WS_PING, payload, 126, 1, NULL), 0);
    assert_int_equal(cf_ws_parse(b.data, b.len, 0, 1000, &f, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "control frame"));
    cf_buf_free(&b);
}

/* A client-side (c) and a server-side (s) link over a socket pair. */
static void pair(cf_link *c, cf_link *s, int stream) {
    int fds[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    assert_int_equal(cf_link_init(c, "c", fds[0], stream, 0, NULL, 0), 0);
    assert_int_equal(cf_link_init(s, "s", fds[1], stream, 1, NULL, 0), 0);
}

/* l's next event within about 2 s (NULL when none came). */
static cf_event *next(cf_link *l) {
    int i;

    for (i = 0; i < 200 && !l->head; i++)
        if (cf_link_read(l, 10) < 0) break;
    return cf_link_pop(l);
}

static cJSON *parse(const char *text) {
    cJSON *j = cJSON_Parse(text);

    assert_non_null(j);
    return j;
}

static const char *type_of(const cf_event *e) {
    return cJSON_GetObjectItemCaseSensitive(e->msg.json, "t")->valuestring;
}

/* Both bindings: a chunked message with an attachment from the client (the server sees each
 * chunk counted), a ping from the server answered by the client's automatic pong. */
static void exchange(int stream) {
    cf_link c, s;
    cf_send_opts o = {0};
    uint8_t blob[200];
    plx_bytes att = {blob, sizeof(blob)};
    cJSON *call = parse("{\"t\":\"call\",\"id\":1,\"route\":\"r\",\"args\":{\"$bin\":0}}");
    cJSON *ping = parse("{\"t\":\"ping\",\"n\":5}");
    char err[200];
    cf_event *e;

    pair(&c, &s, stream);
    memset(blob, 0xab, sizeof(blob));
    assert_int_equal(cf_link_limits(&c, 65536, 1 << 20, 0, 1024), 0);
    assert_int_equal(cf_link_limits(&s, 65536, 1 << 20, 0, 1024), 0);
    o.frame_end = -1;
    o.ws_fragments = stream ? 1 : 2;
    o.max_frame = 64;
    assert_int_equal(cf_link_send_msg(&c, call, &att, 1, &o, err, sizeof(err)), 0);
    e = next(&s);
    assert_non_null(e);
    assert_int_equal(e->kind, CF_EV_MSG);
    assert_true(e->from_client);
    assert_string_equal(type_of(e), "call");
    assert_int_equal(e->msg.natt, 1);
    assert_memory_equal(e->msg.att[0].data, blob, sizeof(blob));
    assert_true(e->frames.chunks > 3); /* 200 bytes of attachment in 64-byte frames */
    assert_int_equal(e->frames.max_len, 64);
    assert_int_equal(e->frames.gzip, 0);
    assert_int_equal(e->msg_id, 1);
    cf_event_free(e);

    o.ws_fragments = 1;
    o.max_frame = 0;
    assert_int_equal(cf_link_send_msg(&s, ping, NULL, 0, &o, err, sizeof(err)), 0);
    assert_int_equal(cf_link_read(&c, 1000), 0); /* the ping: answered, not queued */
    assert_null(c.head);
    e = next(&s);
    assert_non_null(e);
    assert_string_equal(type_of(e), "pong");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(e->msg.json, "n")->valueint, 5);
    cf_event_free(e);

    /* closing: WebSocket close frames (echoed), stream shutdown */
    assert_int_equal(cf_link_close(&c, 1000, 0), 0);
    e = next(&s);
    assert_non_null(e);
    assert_int_equal(e->kind, CF_EV_CLOSE);
    assert_int_equal(e->close_code, stream ? 0 : 1000);
    cf_event_free(e);
    if (!stream) {
        e = next(&c);
        assert_non_null(e);
        assert_int_equal(e->kind, CF_EV_CLOSE);
        assert_int_equal(e->close_code, 1000);
        assert_false(e->from_client);
        cf_event_free(e);
    }
    cJSON_Delete(call);
    cJSON_Delete(ping);
    cf_link_free(&c);
    cf_link_free(&s);
}

static void test_exchange_ws(void **state) {
    (void)state;
    exchange(0);
}

static void test_exchange_stream(void **state) {
    (void)state;
    exchange(1);
}

/* Text messages are events; a frame masked the wrong way, a chunk before welcome and a broken
 * stream are invalid and stop decoding. */
static void test_invalid(void **state) {
    cf_link c, s;
    cf_send_opts o = {0};
    cJSON *hello = parse("{\"t\":\"hello\",\"version\":1,\"name\":\"0123456789012345678901\"}");
    uint64_t rng = 7;
    cf_buf b = {0};
    char err[200], *d;
    cf_event *e;

    (void)state;
    pair(&c, &s, 0);
    assert_int_equal(cf_link_send_text(&c, "hi \xff", err, sizeof(err)), 0);
    e = next(&s);
    assert_non_null(e);
    assert_int_equal(e->kind, CF_EV_TEXT);
    assert_string_equal(e->text, "hi \xef\xbf\xbd"); /* not UTF-8: shown as U+FFFD */
    cf_event_free(e);
    /* before welcome a chunked frame is NOT_READY (SES-3) */
    o.frame_end = -1;
    o.ws_fragments = 1;
    o.max_frame = 16;
    assert_int_equal(cf_link_send_msg(&c, hello, NULL, 0, &o, err, sizeof(err)), 0);
    e = next(&s);
    assert_non_null(e);
    assert_int_equal(e->kind, CF_EV_INVALID);
    assert_int_equal(e->code, -PLX_E_NOT_READY);
    d = cf_event_describe(e);
    assert_non_null(strstr(d, "invalid input from the client: client sent a chunked frame"));
    free(d);
    cf_event_free(e);
    assert_true(s.broken);
    /* a server's frame must not be masked */
    assert_int_equal(cf_ws_build(&b, CF_WS_BINARY, (const uint8_t *)"x", 1, 1, &rng), 0);
    assert_int_equal(send(s.fd, b.data, b.len, 0), (ssize_t)b.len);
    e = next(&c);
    assert_non_null(e);
    assert_int_equal(e->kind, CF_EV_INVALID);
    assert_non_null(strstr(e->text, "masked WebSocket frame from the server"));
    cf_event_free(e);
    cf_buf_free(&b);
    cf_link_free(&c);
    cf_link_free(&s);

    /* stream binding: a length prefix shorter than a frame header */
    pair(&c, &s, 1);
    {
        uint8_t bad[4 + PLX_FRAME_HEADER_LEN] = {0, 0, 0, 3};

        assert_int_equal(cf_link_send_raw(&c, bad, sizeof(bad), err, sizeof(err)), 0);
    }
    e = next(&s);
    assert_non_null(e);
    assert_int_equal(e->kind, CF_EV_INVALID);
    assert_non_null(strstr(e->text, "client sent a stream that fails with"));
    assert_int_equal(e->code, -PLX_E_TRUNCATED);
    cf_event_free(e);
    cJSON_Delete(hello);
    cf_link_free(&c);
    cf_link_free(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ws_frames),
        cmocka_unit_test(test_exchange_ws),
        cmocka_unit_test(test_exchange_stream),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
