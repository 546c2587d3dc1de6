/*
 * test_client_messaging.c - events and presence through a real plexus-server: send to a client, a
 * group and all (with and without a delivery count, echo, attachments), errors of send,
 * join / leave / rename, and presence events (join, leave, rename, regroup).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "harness.h"

#define MAX_SEEN 64

/* What one client's handlers saw, as "kind:detail" lines. */
typedef struct seen {
    test_counter k;
    pthread_mutex_t mu;
    char lines[MAX_SEEN][160];
    size_t att_len[MAX_SEEN];
} seen;

static void seen_init(seen *s) {
    memset(s, 0, sizeof(*s));
    counter_init(&s->k);
    pthread_mutex_init(&s->mu, NULL);
}

static void seen_add(seen *s, const char *line, size_t att_len) {
    int i = counter_get(&s->k);
    if (i >= MAX_SEEN) return;
    pthread_mutex_lock(&s->mu);
    snprintf(s->lines[i], sizeof(s->lines[i]), "%s", line);
    s->att_len[i] = att_len;
    pthread_mutex_unlock(&s->mu);
    counter_bump(&s->k);
}

static void on_event(plx_client *c, const plx_event *ev, void *ud) {
    char line[160], *data = ev->data ? cJSON_PrintUnformatted(ev->data) : NULL;
    (void)c;
    snprintf(line, sizeof(line), "event:%s>%s:%s:%s", ev->from, ev->to, ev->event,
             data ? data : "-");
    free(data);
    seen_add(ud, line, ev->natt ? ev->att[0].len : 0);
}

static void on_presence(plx_client *c, const plx_presence *p, void *ud) {
    char line[160];
    size_t n;
    (void)c;
    n = (size_t)snprintf(line, sizeof(line), "presence:%s:%s:%s", p->kind, p->name,
                         p->old ? p->old : "-");
    for (size_t i = 0; i < p->ngroups && n < sizeof(line); i++)
        n += (size_t)snprintf(line + n, sizeof(line) - n, ":%s", p->groups[i]);
    seen_add(ud, line, 0);
}

static void test_events(void **state) {
    seen sa, sb, sc;
    plx_client *a = test_connect(&srv, 0, "ev-a", NULL);
    plx_client *b = test_connect(&srv, 1, "ev-b", NULL);
    plx_client *c = test_connect(&srv, 0, "ev-c", NULL);
    cJSON *data = cJSON_Parse("{\"x\":1}"), *ref = cJSON_Parse("{\"$bin\":0}");
    uint8_t blob[5000];
    plx_bytes att = {blob, sizeof(blob)};
    uint64_t n;
    (void)state;

    memset(blob, 0, sizeof(blob));
    seen_init(&sa);
    seen_init(&sb);
    seen_init(&sc);
    plx_client_on_event(a, on_event, &sa);
    plx_client_on_event(b, on_event, &sb);
    plx_client_on_event(c, on_event, &sc);
    assert_int_equal(plx_client_join(b, "g", 0), 0);
    assert_int_equal(plx_client_join(c, "g", 0), 0);

    assert_int_equal(plx_client_send(a, "client:ev-b", "hi", data, NULL, 0, 0, 0, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(counter_wait(&sb.k, 1), 1);
    assert_string_equal(sb.lines[0], "event:ev-a>client:ev-b:hi:{\"x\":1}");

    /* a group, with an attachment, without waiting for the count */
    assert_int_equal(plx_client_send(a, "group:g", "blob", ref, &att, 1, 0, 0, NULL), 0);
    assert_int_equal(counter_wait(&sb.k, 2), 2);
    assert_int_equal(counter_wait(&sc.k, 1), 1);
    assert_string_equal(sb.lines[1], "event:ev-a>group:g:blob:{\"$bin\":0}");
    assert_int_equal(sb.att_len[1], sizeof(blob));
    assert_int_equal(sc.att_len[0], sizeof(blob));

    /* all, sender excluded unless echo */
    assert_int_equal(plx_client_send(b, "all", "everyone", NULL, NULL, 0, 0, 0, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(plx_client_send(b, "all", "echoed", NULL, NULL, 0, 1, 0, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(counter_wait(&sb.k, 3), 3);
    assert_string_equal(sb.lines[2], "event:ev-b>all:echoed:-");
    assert_int_equal(counter_wait(&sa.k, 2), 2);
    assert_string_equal(sa.lines[0], "event:ev-b>all:everyone:-");

    /* errors */
    assert_int_equal(plx_client_send(a, "client:nobody", "x", NULL, NULL, 0, 0, 0, &n),
                     PLX_E_UNKNOWN_CLIENT);
    assert_int_equal(plx_client_send(a, "somewhere", "x", NULL, NULL, 0, 0, 0, &n),
                     PLX_E_BAD_TARGET);
    assert_int_equal(plx_client_join(a, "bad:group", 0), PLX_E_BAD_NAME);
    /* leave: no more group events */
    assert_int_equal(plx_client_leave(c, "g", 0), 0);
    assert_int_equal(plx_client_send(a, "group:g", "after", NULL, NULL, 0, 0, 0, &n), 0);
    assert_int_equal(n, 1);
    cJSON_Delete(data);
    cJSON_Delete(ref);
    plx_client_close(a);
    plx_client_close(b);
    plx_client_close(c);
}

static void test_presence_and_rename(void **state) {
    seen sw;
    plx_client_options o;
    plx_client *w, *x;
    const char *groups[] = {"g2", "g1"};
    char name[64];
    (void)state;

    seen_init(&sw);
    plx_client_options_init(&o);
    o.presence = 1;
    w = test_connect(&srv, 1, "watcher", &o);
    assert_non_null(w);
    plx_client_on_presence(w, on_presence, &sw);
    plx_client_options_init(&o);
    o.groups = groups;
    o.ngroups = 2;
    x = test_connect(&srv, 0, "px", &o);
    assert_non_null(x);
    assert_int_equal(counter_wait(&sw.k, 1), 1);
    assert_string_equal(sw.lines[0], "presence:join:px:-:g1:g2");
    assert_int_equal(plx_client_join(x, "g3", 0), 0);
    assert_int_equal(counter_wait(&sw.k, 2), 2);
    assert_string_equal(sw.lines[1], "presence:regroup:px:-:g1:g2:g3");
    assert_int_equal(plx_client_rename(x, "py", 0), 0);
    assert_int_equal(plx_client_name(x, name, sizeof(name)), 0);
    assert_string_equal(name, "py");
    assert_int_equal(counter_wait(&sw.k, 3), 3);
    assert_string_equal(sw.lines[2], "presence:rename:py:px");
    assert_int_equal(plx_client_rename(x, "watcher", 0), PLX_E_NAME_TAKEN);
    assert_int_equal(plx_client_rename(x, "", 0), PLX_E_BAD_NAME);
    plx_client_close(x);
    assert_int_equal(counter_wait(&sw.k, 4), 4);
    assert_string_equal(sw.lines[3], "presence:leave:py:-");
    plx_client_close(w);
}

static void test_hello_refusals(void **state) {
    plx_client *a = test_connect(&srv, 0, "taken", NULL), *b = NULL;
    plx_client_options o;
    char url[64], err[256];
    (void)state;

    assert_non_null(a);
    plx_client_options_init(&o);
    o.name = "taken";
    test_url(&srv, 1, url, sizeof(url));
    assert_int_equal(plx_client_connect(url, &o, &b, err, sizeof(err)), PLX_E_NAME_TAKEN);
    assert_null(b);
    assert_non_null(strstr(err, "NAME_TAKEN"));
    o.name = "bad\x01name";
    assert_int_equal(plx_client_connect(url, &o, &b, err, sizeof(err)), PLX_E_BAD_NAME);
    assert_int_equal(plx_client_connect("http://x:1", &o, &b, err, sizeof(err)), PLX_E_BAD_URL);
    assert_int_equal(plx_client_connect("plexus://127.0.0.1:1", &o, &b, err, sizeof(err)),
                     PLX_E_CONNECT);
    plx_client_close(a);
}

/* A WebSocket server that completes the handshake without selecting plexus.v1 and reports
 * whether any byte followed it. */
typedef struct fake_ws {
    int lfd, port;
    int got_frame; /* bytes arrived after the handshake */
    int had_key;   /* the request carried Sec-WebSocket-Key (the answer was valid) */
} fake_ws;

static void *fake_ws_main(void *arg) {
    fake_ws *f = arg;
    char buf[512];
    struct pollfd pf;
    int fd = accept(f->lfd, NULL, NULL);

    if (fd < 0) return NULL;
    f->had_key = test_ws_accept(fd, NULL);
    pf.fd = fd;
    pf.events = POLLIN;
    if (poll(&pf, 1, 1000) > 0 && read(fd, buf, sizeof(buf)) > 0 && !(buf[0] & 0x08))
        f->got_frame = 1; /* a data frame (not a close) */
    close(fd);
    return NULL;
}

static void test_subprotocol_required(void **state) {
    fake_ws f = {0, 0, 0, 0};
    plx_client *c = NULL;
    pthread_t th;
    char url[64];
    (void)state;

    assert_int_equal(test_listen_ws(&f.lfd, url, sizeof(url)), 0);
    pthread_create(&th, NULL, fake_ws_main, &f);
    /* TRN-2: no plexus.v1 in the answer: the connection fails and no frame is sent */
    assert_int_equal(plx_client_connect(url, NULL, &c, NULL, 0), PLX_E_CONNECT);
    assert_null(c);
    pthread_join(th, NULL);
    close(f.lfd);
    assert_int_equal(f.had_key, 1);
    assert_int_equal(f.got_frame, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_presence_and_rename),
        cmocka_unit_test(test_hello_refusals),
        cmocka_unit_test(test_subprotocol_required),
    };
    return cmocka_run_group_tests(tests, server_setup, server_teardown);
}
