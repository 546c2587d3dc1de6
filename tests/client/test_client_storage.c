/*
 * test_client_storage.c - storage through a real plexus-server over both bindings: reply types,
 * binary-safe values (NUL bytes, invalid UTF-8, 8 MiB), command errors, pipelines (errors
 * per command, atomic EXEC_ABORTED), and the List and Dict helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "harness.h"

static void reply_types(int tcp) {
    plx_client *c = test_connect(&srv, tcp, NULL, NULL);
    const char *k = tcp ? "tcp:k" : "ws:k";
    plx_reply *r;

    assert_non_null(c);
    assert_int_equal(plx_client_cmdv(c, 0, &r, "SET", k, "hello", NULL), 0);
    assert_int_equal(r->type, PLX_REPLY_STATUS);
    assert_string_equal(r->str, "OK");
    plx_reply_free(r);
    assert_int_equal(plx_client_cmdv(c, 0, &r, "GET", k, NULL), 0);
    assert_int_equal(r->type, PLX_REPLY_STRING);
    assert_int_equal(r->len, 5);
    assert_memory_equal(r->str, "hello", 5);
    plx_reply_free(r);
    assert_int_equal(plx_client_cmdv(c, 0, &r, "GET", "missing", NULL), 0);
    assert_int_equal(r->type, PLX_REPLY_NIL);
    plx_reply_free(r);
    assert_int_equal(plx_client_cmdv(c, 0, &r, "INCRBY", "n", "-9007199254740991", NULL), 0);
    assert_int_equal(r->type, PLX_REPLY_INTEGER);
    plx_reply_free(r);
    assert_int_equal(plx_client_cmdv(c, 0, &r, "DEL", "n", NULL), 0);
    assert_int_equal(r->integer, 1);
    plx_reply_free(r);
    /* STO-8: integer replies beyond +-2^53 come back exact, to the ends of the 64-bit range */
    assert_int_equal(plx_client_cmdv(c, 0, &r, "SET", "n", "9007199254740992", NULL), 0);
    plx_reply_free(r);
    assert_int_equal(plx_client_cmdv(c, 0, &r, "INCR", "n", NULL), 0);
    assert_int_equal(r->type, PLX_REPLY_INTEGER);
    assert_true(r->integer == 9007199254740993LL);
    plx_reply_free(r);
    assert_int_equal(plx_client_cmdv(c, 0, &r, "INCRBY", "n", "9214364837600034814", NULL), 0);
    assert_true(r->integer == 9223372036854775807LL);
    plx_reply_free(r);
    assert_int_equal(plx_client_cmdv(c, 0, &r, "DECRBY", "m", "9223372036854775807", NULL), 0);
    assert_true(r->integer == -9223372036854775807LL);
    plx_reply_free(r);
    assert_int_equal(plx_client_cmdv(c, 0, &r, "DECR", "m", NULL), 0);
    assert_true(r->integer == -9223372036854775807LL - 1);
    plx_reply_free(r);
    assert_int_equal(plx_client_cmdv(c, 0, &r, "HSET", "h", "a", "1234567890123456789", NULL), 0);
    plx_reply_free(r);
    assert_int_equal(plx_client_cmdv(c, 0, &r, "HINCRBY", "h", "a", "-2469135780246913578", NULL),
                     0);
    assert_true(r->integer == -1234567890123456789LL);
    plx_reply_free(r);
    assert_int_equal(plx_client_cmdv(c, 0, &r, "DEL", "n", "m", "h", NULL), 0);
    assert_int_equal(r->integer, 3);
    plx_reply_free(r);
    assert_int_equal(plx_client_cmdv(c, 0, &r, "RPUSH", "l", "a", "b", NULL), 0);
    plx_reply_free(r);
    assert_int_equal(plx_client_cmdv(c, 0, &r, "LRANGE", "l", "0", "-1", NULL), 0);
    assert_int_equal(r->type, PLX_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[1].str, "b");
    plx_reply_free(r);
    /* errors: the return code and an ERROR reply with Redis's text */
    assert_int_equal(plx_client_cmdv(c, 0, &r, "GET", "l", NULL), PLX_E_WRONGTYPE);
    assert_int_equal(r->type, PLX_REPLY_ERROR);
    assert_string_equal(r->name, "WRONGTYPE");
    assert_string_equal(r->str,
                        "WRONGTYPE Operation against a key holding the wrong kind of value");
    plx_reply_free(r);
    assert_int_equal(plx_client_cmdv(c, 0, &r, "GET", NULL), PLX_E_WRONG_ARITY);
    assert_string_equal(r->str, "ERR wrong number of arguments for 'get' command");
    plx_reply_free(r);
    assert_int_equal(plx_client_cmdv(c, 0, &r, "FLUSHDB", NULL), PLX_E_UNKNOWN_COMMAND);
    plx_reply_free(r);
    assert_int_equal(plx_client_cmdv(c, 0, &r, "DEL", "l", k, NULL), 0);
    plx_reply_free(r);
    plx_client_close(c);
}

static void test_types_ws(void **state) {
    (void)state;
    reply_types(0);
}

static void test_types_tcp(void **state) {
    (void)state;
    reply_types(1);
}

static void test_binary_values(void **state) {
    plx_client *c = test_connect(&srv, 0, NULL, NULL);
    const uint8_t key[] = {'b', 0, 'k', 0xff};
    const uint8_t val[] = {0, 1, 2, 0, 0xc3, 0x28, 'x', 0};
    plx_bytes set[3] = {plx_str("SET"), {key, sizeof(key)}, {val, sizeof(val)}};
    plx_bytes get[2] = {plx_str("GET"), {key, sizeof(key)}};
    plx_reply *r;
    (void)state;

    assert_int_equal(plx_client_cmd(c, 3, set, 0, &r), 0);
    plx_reply_free(r);
    assert_int_equal(plx_client_cmd(c, 2, get, 0, &r), 0);
    assert_int_equal(r->type, PLX_REPLY_STRING);
    assert_int_equal(r->len, sizeof(val));
    assert_memory_equal(r->str, val, sizeof(val));
    plx_reply_free(r);
    /* the empty string is a valid key and value */
    plx_bytes e[3] = {plx_str("SET"), plx_str(""), plx_str("")};
    assert_int_equal(plx_client_cmd(c, 3, e, 0, &r), 0);
    plx_reply_free(r);
    assert_int_equal(plx_client_cmdv(c, 0, &r, "STRLEN", "", NULL), 0);
    assert_int_equal(r->integer, 0);
    plx_reply_free(r);
    plx_client_close(c);
}

/* SET then GET of an 8 MiB value with NUL bytes; prints the time per binding. */
static void big_value(int tcp) {
    plx_client *c = test_connect(&srv, tcp, NULL, NULL);
    size_t n = 8u << 20;
    uint8_t *v = malloc(n);
    uint64_t t0, t1, t2;
    plx_reply *r;
    (void)tcp;

    assert_non_null(c);
    for (size_t i = 0; i < n; i++)
        v[i] = (uint8_t)((i * 2654435761u) >> 13);
    v[0] = 0;
    plx_bytes set[3] = {plx_str("SET"), plx_str("big"), {v, n}};
    plx_bytes get[2] = {plx_str("GET"), plx_str("big")};
    t0 = test_now_ms();
    assert_int_equal(plx_client_cmd(c, 3, set, 20000, &r), 0);
    t1 = test_now_ms();
    assert_int_equal(r->type, PLX_REPLY_STATUS);
    plx_reply_free(r);
    assert_int_equal(plx_client_cmd(c, 2, get, 20000, &r), 0);
    t2 = test_now_ms();
    assert_int_equal(r->type, PLX_REPLY_STRING);
    assert_int_equal(r->len, n);
    assert_memory_equal(r->str, v, n);
    plx_reply_free(r);
    printf("# 8 MiB over %s: SET %llu ms, GET %llu ms\n", tcp ? "plexus://" : "ws://",
           (unsigned long long)(t1 - t0), (unsigned long long)(t2 - t1));
    free(v);
    plx_client_close(c);
}

static void test_big_ws(void **state) {
    (void)state;
    big_value(0);
}

static void test_big_tcp(void **state) {
    (void)state;
    big_value(1);
}

/* Small negotiated frames: every message is chunked (and gzipped when it shrinks), replies
 * and requests of several threads interleave. */
static void *small_frames_worker(void *arg) {
    plx_client *c = arg;
    uint8_t v[20000];
    char key[32];
    plx_reply *r;
    long ok = 0;

    snprintf(key, sizeof(key), "sf:%p", (void *)&v);
    for (size_t i = 0; i < sizeof(v); i++)
        v[i] = (uint8_t)(i % 251 < 200 ? 'a' : i);
    plx_bytes set[3] = {plx_str("SET"), plx_str(key), {v, sizeof(v)}};
    plx_bytes get[2] = {plx_str("GET"), plx_str(key)};
    for (int i = 0; i < 20; i++) {
        v[0] = (uint8_t)i;
        if (plx_client_cmd(c, 3, set, 10000, &r) == 0) ok++;
        plx_reply_free(r);
        if (plx_client_cmd(c, 2, get, 10000, &r) == 0 && r->len == sizeof(v) &&
            memcmp(r->str, v, sizeof(v)) == 0)
            ok++;
        plx_reply_free(r);
    }
    return (void *)ok;
}

static void test_small_frames(void **state) {
    plx_client_options o;
    plx_client_stats st;
    plx_client *c;
    pthread_t th[4];
    void *ok;
    (void)state;

    plx_client_options_init(&o);
    o.max_frame = 600;
    o.gzip_threshold = 100;
    c = test_connect(&srv, 1, NULL, &o);
    assert_non_null(c);
    plx_client_stats_get(c, &st);
    assert_int_equal(st.max_frame, 600);
    assert_int_equal(st.gzip, 1);
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, small_frames_worker, c);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], &ok);
        assert_int_equal((long)ok, 40);
    }
    plx_client_close(c);
}

static void test_pipeline(void **state) {
    plx_client *c = test_connect(&srv, 1, NULL, NULL);
    plx_pipeline *p = plx_pipeline_new();
    plx_reply *r;
    (void)state;

    assert_int_equal(plx_pipeline_addv(p, "SET", "p1", "1", NULL), 0);
    assert_int_equal(plx_pipeline_addv(p, "LPUSH", "p1", "x", NULL), 0); /* WRONGTYPE */
    assert_int_equal(plx_pipeline_addv(p, "INCR", "p1", NULL), 0);       /* still runs */
    assert_int_equal(plx_pipeline_addv(p, "NOSUCHCMD", NULL), 0);        /* UNKNOWN_COMMAND */
    assert_int_equal(plx_pipeline_addv(p, "GET", "p1", NULL), 0);
    assert_int_equal(plx_pipeline_count(p), 5);
    assert_int_equal(plx_client_pipeline(c, p, 0, 0, &r), 0);
    assert_int_equal(r->type, PLX_REPLY_ARRAY);
    assert_int_equal(r->elements, 5);
    assert_int_equal(r->element[0].type, PLX_REPLY_STATUS);
    assert_int_equal(r->element[1].type, PLX_REPLY_ERROR);
    assert_int_equal(r->element[1].code, PLX_E_WRONGTYPE);
    assert_int_equal(r->element[2].type, PLX_REPLY_INTEGER);
    assert_int_equal(r->element[2].integer, 2);
    assert_int_equal(r->element[3].code, PLX_E_UNKNOWN_COMMAND);
    assert_string_equal(r->element[4].str, "2");
    plx_reply_free(r);
    /* atomic: an invalid command aborts everything */
    assert_int_equal(plx_client_pipeline(c, p, 1, 0, &r), PLX_E_EXEC_ABORTED);
    assert_int_equal(r->type, PLX_REPLY_ERROR);
    assert_string_equal(r->name, "EXEC_ABORTED");
    assert_non_null(r->detail);
    assert_int_equal((int)cJSON_GetObjectItem(r->detail, "index")->valuedouble, 3);
    plx_reply_free(r);
    assert_int_equal(plx_client_cmdv(c, 0, &r, "GET", "p1", NULL), 0);
    assert_string_equal(r->str, "2"); /* nothing ran */
    plx_reply_free(r);
    plx_pipeline_free(p);
    /* an empty pipeline is refused locally */
    p = plx_pipeline_new();
    assert_int_equal(plx_client_pipeline(c, p, 0, 0, &r), PLX_E_INVAL);
    plx_reply_free(r);
    plx_pipeline_free(p);
    plx_client_close(c);
}

static void test_list_dict(void **state) {
    plx_client *c = test_connect(&srv, 0, NULL, NULL);
    plx_bytes lk = plx_str("mylist"), dk = plx_str("mydict");
    plx_bytes vals[600], fields[600];
    char vbuf[600][16], fbuf[600][16];
    long long n;
    plx_reply *r;
    int removed;
    (void)state;

    for (int i = 0; i < 600; i++) {
        snprintf(vbuf[i], sizeof(vbuf[i]), "v%d", i);
        snprintf(fbuf[i], sizeof(fbuf[i]), "f%d", i);
        vals[i] = plx_str(vbuf[i]);
        fields[i] = plx_str(fbuf[i]);
    }
    assert_int_equal(plx_list_append(c, lk, plx_str("first"), 0), 0);
    assert_int_equal(plx_list_extend(c, lk, 600, vals, 0), 0);
    assert_int_equal(plx_list_len(c, lk, 0, &n), 0);
    assert_int_equal(n, 601);
    assert_int_equal(plx_list_get(c, lk, -1, 0, &r), 0);
    assert_string_equal(r->str, "v599");
    plx_reply_free(r);
    assert_int_equal(plx_list_get(c, lk, 1000, 0, &r), 0);
    assert_int_equal(r->type, PLX_REPLY_NIL);
    plx_reply_free(r);
    assert_int_equal(plx_list_set(c, lk, 0, plx_str("zero"), 0), 0);
    assert_int_equal(plx_list_set(c, lk, 5000, plx_str("x"), 0), PLX_E_COMMAND_ERROR);
    assert_int_equal(plx_list_items(c, lk, 0, &r), 0);
    assert_int_equal(r->elements, 601);
    assert_string_equal(r->element[0].str, "zero");
    assert_string_equal(r->element[300].str, "v299");
    plx_reply_free(r);

    assert_int_equal(plx_dict_set(c, dk, plx_str("a"), plx_str("1"), 0), 0);
    assert_int_equal(plx_dict_update(c, dk, 600, fields, vals, 0), 0);
    assert_int_equal(plx_dict_len(c, dk, 0, &n), 0);
    assert_int_equal(n, 601);
    assert_int_equal(plx_dict_get(c, dk, plx_str("f42"), 0, &r), 0);
    assert_string_equal(r->str, "v42");
    plx_reply_free(r);
    assert_int_equal(plx_dict_get(c, dk, plx_str("nope"), 0, &r), 0);
    assert_int_equal(r->type, PLX_REPLY_NIL);
    plx_reply_free(r);
    assert_int_equal(plx_dict_del(c, dk, plx_str("a"), 0, &removed), 0);
    assert_int_equal(removed, 1);
    assert_int_equal(plx_dict_del(c, dk, plx_str("a"), 0, &removed), 0);
    assert_int_equal(removed, 0);
    assert_int_equal(plx_dict_keys(c, dk, 0, &r), 0);
    assert_int_equal(r->elements, 600);
    plx_reply_free(r);
    assert_int_equal(plx_dict_items(c, dk, 0, &r), 0);
    assert_int_equal(r->elements, 1200);
    for (size_t i = 0; i < r->elements; i += 2)
        assert_int_equal(atoi(r->element[i].str + 1), atoi(r->element[i + 1].str + 1));
    plx_reply_free(r);
    /* a dict helper on a list key reports WRONGTYPE */
    assert_int_equal(plx_dict_len(c, lk, 0, &n), PLX_E_WRONGTYPE);
    plx_client_close(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types_ws),      cmocka_unit_test(test_types_tcp),
        cmocka_unit_test(test_binary_values), cmocka_unit_test(test_big_ws),
        cmocka_unit_test(test_big_tcp),       cmocka_unit_test(test_small_frames),
        cmocka_unit_test(test_pipeline),      cmocka_unit_test(test_list_dict),
    };
    return cmocka_run_group_tests(tests, server_setup, server_teardown);
}
