/*
 * test_client_ws.c - the client's own WebSocket framing (reference-client/ws.c) against a
 * scripted server on 127.0.0.1: the handshake, masked client frames, a ping answered with
 * the same payload, a binary message in fragments whose lengths take every header form
 * (7-bit, 16-bit incl. 126 and 127, 64-bit) with a control frame between fragments, and a
 * text message closed with 1003 (TRN-6); a silent server noticed by a blocked caller.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <libwebsockets.h>
#include <plexus/client.h>

#include "harness.h"

#define BIG_DATA 70000 /* bytes of the event's data string: a message past 64 KiB */

typedef struct script {
    int lfd, fd;
    int ok_handshake, masked, pong_ok, close_code;
    uint8_t hello_t[16]; /* "hello" seen in the first message */
} script;

/* Reads exactly n bytes within 5 s. 0 or -1. */
static int read_n(int fd, uint8_t *buf, size_t n) {
    struct pollfd p = {fd, POLLIN, 0};
    while (n) {
        if (poll(&p, 1, 5000) <= 0) return -1;
        ssize_t r = read(fd, buf, n);
        if (r <= 0) return -1;
        buf += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Reads one client frame: checks the mask bit, unmasks. Returns the payload (malloc'd) and
 * its opcode, or NULL. */
static uint8_t *read_frame(script *s, int *opcode, size_t *len) {
    uint8_t h[14], key[4], *p;
    uint64_t n;

    if (read_n(s->fd, h, 2)) return NULL;
    *opcode = h[0] & 0x0f;
    if (!(h[1] & 0x80)) s->masked = 0;
    n = h[1] & 0x7f;
    if (n == 126) {
        if (read_n(s->fd, h + 2, 2)) return NULL;
        n = (uint64_t)h[2] << 8 | h[3];
    } else if (n == 127) {
        if (read_n(s->fd, h + 2, 8)) return NULL;
        n = 0;
        for (int i = 0; i < 8; i++)
            n = n << 8 | h[2 + i];
    }
    if (read_n(s->fd, key, 4)) return NULL;
    p = malloc(n + 1);
    if (!p || read_n(s->fd, p, n)) {
        free(p);
        return NULL;
    }
    for (uint64_t i = 0; i < n; i++)
        p[i] ^= key[i & 3];
    *len = n;
    return p;
}

/* Writes a server frame (unmasked) with fin, opcode and payload (no assertions: this runs
 * on the script's thread). */
static void write_frame(int fd, int fin, int opcode, const uint8_t *p, size_t n) {
    uint8_t h[10];
    size_t hl = 2;

    h[0] = (uint8_t)((fin ? 0x80 : 0) | opcode);
    if (n < 126) {
        h[1] = (uint8_t)n;
    } else if (n <= 0xffff) {
        h[1] = 126;
        h[2] = (uint8_t)(n >> 8);
        h[3] = (uint8_t)n;
        hl = 4;
    } else {
        h[1] = 127;
        for (int i = 0; i < 8; i++)
            h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
        hl = 10;
    }
    /* a failed write (the client closed early) shows in the main thread's checks */
    if (send(fd, h, hl, MSG_NOSIGNAL) != (ssize_t)hl) return;
    if (n && send(fd, p, n, MSG_NOSIGNAL) != (ssize_t)n) return;
}

/* A Plexus frame (one unchunked message) for json text. */
static uint8_t *plexus_frame(const char *json_text, size_t *len) {
    plx_encoder_config cfg = {PLX_MAX_MAX_FRAME, PLX_DEFAULT_MAX_MESSAGE, 1024, 0, 0, 0, 0, 0};
    cJSON *j = cJSON_Parse(json_text);
    uint8_t *out = NULL;

    *len = 0;
    if (j && plx_encode_all(NULL, &cfg, 1, j, NULL, 0, &out, len)) out = NULL;
    cJSON_Delete(j);
    return out;
}

static void handshake(script *s) {
    s->ok_handshake = test_ws_accept(s->fd, PLX_SUBPROTOCOL);
}

static void *server_main(void *arg) {
    script *s = arg;
    static const char welcome[] =
        "{\"t\":\"welcome\",\"version\":1,\"name\":\"ws-test\",\"server\":\"script\","
        "\"max_frame\":1048576,\"max_message\":1048576,\"gzip\":false,\"gzip_threshold\":1024,"
        "\"ping_interval_ms\":0,\"call_timeout_ms\":5000,\"history\":0}";
    uint8_t *p, *frame = NULL;
    size_t len, flen, at;
    int op;
    char *ev;

    s->fd = accept(s->lfd, NULL, NULL);
    if (s->fd < 0) return NULL;
    handshake(s);
    p = read_frame(s, &op, &len); /* the hello */
    if (p && op == 2 && len > 16) memcpy(s->hello_t, p + 16 + 4, sizeof(s->hello_t) - 1);
    free(p);
    frame = plexus_frame(welcome, &flen);
    if (frame) write_frame(s->fd, 1, 2, frame, flen);
    free(frame);

    write_frame(s->fd, 1, 9, (const uint8_t *)"hi", 2); /* ping */
    p = read_frame(s, &op, &len);
    s->pong_ok = p && op == 10 && len == 2 && memcmp(p, "hi", 2) == 0;
    free(p);

    test_sleep_ms(200); /* the test sets its event handler meanwhile */
    /* an event of about 70 KB in four fragments: 125, 126, 127 (16-bit forms), the rest
     * (64-bit form), with a pong (ignored) between two of them */
    ev = malloc(BIG_DATA + 200);
    if (!ev) goto done;
    at = (size_t)sprintf(
        ev, "{\"t\":\"event\",\"from\":\"x\",\"to\":\"all\",\"event\":\"big\",\"data\":\"");
    memset(ev + at, 'a', BIG_DATA);
    strcpy(ev + at + BIG_DATA, "\"}");
    frame = plexus_frame(ev, &flen);
    free(ev);
    if (!frame || flen < 1000) goto done;
    write_frame(s->fd, 0, 2, frame, 125);
    write_frame(s->fd, 0, 0, frame + 125, 126);
    write_frame(s->fd, 1, 10, (const uint8_t *)"x", 1);
    write_frame(s->fd, 0, 0, frame + 251, 127);
    write_frame(s->fd, 1, 0, frame + 378, flen - 378);
    free(frame);
    frame = NULL;

    /* a text message: the client closes with 1003 */
    test_sleep_ms(100);
    write_frame(s->fd, 1, 1, (const uint8_t *)"text", 4);
    for (int i = 0; i < 4; i++) {
        p = read_frame(s, &op, &len);
        if (!p) break;
        if (op == 8 && len >= 2) s->close_code = p[0] << 8 | p[1];
        free(p);
        if (op == 8) break;
    }
done:
    free(frame);
    close(s->fd);
    return NULL;
}

typedef struct got {
    pthread_mutex_t mu;
    size_t data_len;
    int n;
} got;

static void on_event(plx_client *c, const plx_event *ev, void *ud) {
    got *g = ud;
    (void)c;
    pthread_mutex_lock(&g->mu);
    g->n++;
    g->data_len = cJSON_IsString(ev->data) ? strlen(ev->data->valuestring) : 0;
    pthread_mutex_unlock(&g->mu);
}

static void test_framing(void **state) {
    script s;
    got g = {PTHREAD_MUTEX_INITIALIZER, 0, 0};
    plx_client_options o;
    plx_client *c = NULL;
    pthread_t th;
    char url[64], err[256] = "";
    (void)state;

    memset(&s, 0, sizeof(s));
    s.masked = 1;
    assert_int_equal(test_listen_ws(&s.lfd, url, sizeof(url)), 0);
    pthread_create(&th, NULL, server_main, &s);
    plx_client_options_init(&o);
    o.no_reconnect = 1;
    o.connect_timeout_ms = 5000;
    assert_int_equal(plx_client_connect(url, &o, &c, err, sizeof(err)), 0);
    plx_client_on_event(c, on_event, &g);
    uint64_t deadline = test_now_ms() + 5000;
    while (test_now_ms() < deadline) {
        pthread_mutex_lock(&g.mu);
        int n = g.n;
        pthread_mutex_unlock(&g.mu);
        if (n) break;
        test_sleep_ms(10);
    }
    pthread_join(th, NULL);
    close(s.lfd);
    assert_int_equal(s.ok_handshake, 1);
    assert_memory_equal(s.hello_t, "{\"t\":\"hello\"", 12);
    assert_int_equal(s.masked, 1);
    assert_int_equal(s.pong_ok, 1);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.data_len, BIG_DATA);
    assert_int_equal(s.close_code, 1003);
    plx_client_close(c);
}

/* A server that welcomes (pings every 1000 ms announced), then never sends again; it reads
 * what the client sends until the client closes. */
static void *silent_main(void *arg) {
    script *s = arg;
    static const char welcome[] =
        "{\"t\":\"welcome\",\"version\":1,\"name\":\"ws-silent\",\"server\":\"script\","
        "\"max_frame\":1048576,\"max_message\":1048576,\"gzip\":false,\"gzip_threshold\":1024,"
        "\"ping_interval_ms\":1000,\"call_timeout_ms\":20000,\"history\":0}";
    uint8_t *p, *frame;
    size_t len, flen;
    int op;

    s->fd = accept(s->lfd, NULL, NULL);
    if (s->fd < 0) return NULL;
    handshake(s);
    free(read_frame(s, &op, &len)); /* the hello */
    frame = plexus_frame(welcome, &flen);
    if (frame) write_frame(s->fd, 1, 2, frame, flen);
    free(frame);
    for (int i = 0; i < 100 && (p = read_frame(s, &op, &len)); i++) {
        free(p);
        if (op == 8) break;
    }
    close(s->fd);
    return NULL;
}

/* A silent server is noticed by whoever reads the socket, here the blocked caller itself:
 * its request fails with DISCONNECTED after about three ping intervals, not after its own
 * 15 s timeout. */
static void test_silent_server(void **state) {
    script s;
    plx_client_options o;
    plx_client *c = NULL;
    plx_reply *r = NULL;
    pthread_t th;
    char url[64];
    (void)state;

    memset(&s, 0, sizeof(s));
    assert_int_equal(test_listen_ws(&s.lfd, url, sizeof(url)), 0);
    pthread_create(&th, NULL, silent_main, &s);
    plx_client_options_init(&o);
    o.no_reconnect = 1;
    o.connect_timeout_ms = 5000;
    assert_int_equal(plx_client_connect(url, &o, &c, NULL, 0), 0);
    uint64_t t0 = test_now_ms();
    assert_int_equal(plx_client_cmdv(c, 15000, &r, "GET", "k", NULL), PLX_E_DISCONNECTED);
    uint64_t took = test_now_ms() - t0;
    plx_reply_free(r);
    assert_true(took >= 2500);
    assert_true(took < 8000);
    plx_client_close(c);
    pthread_join(th, NULL);
    close(s.lfd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_framing),
        cmocka_unit_test(test_silent_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
