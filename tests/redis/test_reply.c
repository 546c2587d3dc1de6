/*
 * test_reply.c - hiredis replies to plx_store_reply trees, the error text -> PLX_E_* mapping and
 * the keyspace event -> change op mapping (no Redis needed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static void test_error_codes(void **state) {
    (void)state;
    static const struct {
        const char *text;
        int code;
    } cases[] = {
        {"WRONGTYPE Operation against a key holding the wrong kind of value", PLX_E_WRONGTYPE},
        {"ERR wrong number of arguments for 'get' command", PLX_E_WRONG_ARITY},
        {"ERR unknown command 'nope', with args beginning with: ", PLX_E_UNKNOWN_COMMAND},
        {"EXECABORT Transaction discarded because of previous errors.", PLX_E_EXEC_ABORTED},
        {"ERR value is not an integer or out of range", PLX_E_COMMAND_ERROR},
        {"ERR syntax error", PLX_E_COMMAND_ERROR},
        {"ERR no such key", PLX_E_COMMAND_ERROR},
        {"OOM command not allowed when used memory > 'maxmemory'.", PLX_E_COMMAND_ERROR},
        {"LOADING Redis is loading the dataset in memory", PLX_E_STORAGE_UNAVAILABLE},
        {"READONLY You can't write against a read only replica.", PLX_E_STORAGE_UNAVAILABLE},
        {"MISCONF Redis is configured to save RDB snapshots", PLX_E_STORAGE_UNAVAILABLE},
        {"NOAUTH Authentication required.", PLX_E_STORAGE_UNAVAILABLE},
        {"WRONGTYPEX", PLX_E_COMMAND_ERROR}, /* a prefix needs its word boundary */
        {"", PLX_E_COMMAND_ERROR},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(plx_rstore_error_code(cases[i].text, strlen(cases[i].text)),
                         cases[i].code);
    /* len bounds the comparison: a cut text does not match */
    assert_int_equal(plx_rstore_error_code("WRONGTYPE x", 5), PLX_E_COMMAND_ERROR);
    assert_int_equal(plx_rstore_error_code(NULL, 0), PLX_E_COMMAND_ERROR);
}

static void test_ops(void **state) {
    (void)state;
    static const char *pairs[][2] = {
        {"set", "set"},
        {"del", "del"},
        {"expired", "expired"},
        {"rename_from", "rename"},
        {"rename_to", "rename"},
        {"copy_to", "copy"},
        {"zincr", "zincrby"},
        {"lpush", "lpush"},
        {"hset", "hset"},
        {"incrby", "incrby"},
        {"zrembyscore", "zremrangebyscore"},
        {"expire", "expire"},
        {"no-such-event", "unknown"},
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
        assert_string_equal(plx_rstore_op(pairs[i][0], strlen(pairs[i][0])), pairs[i][1]);
    assert_string_equal(plx_rstore_op("setx", 3), "set"); /* len, not the NUL, ends it */
    assert_string_equal(plx_rstore_op("se", 2), "unknown");
}

static void test_reply_tree(void **state) {
    (void)state;
    redisReply bulk = {.type = REDIS_REPLY_STRING, .str = "a\0b", .len = 3};
    redisReply st = {.type = REDIS_REPLY_STATUS, .str = "OK", .len = 2};
    redisReply in = {.type = REDIS_REPLY_INTEGER, .integer = -42};
    redisReply nil = {.type = REDIS_REPLY_NIL};
    redisReply err = {.type = REDIS_REPLY_ERROR, .str = "WRONGTYPE Operation x", .len = 21};
    redisReply inner_e[1] = {{.type = REDIS_REPLY_INTEGER, .integer = 7}};
    redisReply *inner_p[1] = {&inner_e[0]};
    redisReply inner = {.type = REDIS_REPLY_ARRAY, .elements = 1, .element = inner_p};
    redisReply *el[6] = {&bulk, &st, &in, &nil, &err, &inner};
    redisReply arr = {.type = REDIS_REPLY_ARRAY, .elements = 6, .element = el};

    plx_store_reply *r = plx_rstore_reply(&arr);
    assert_non_null(r);
    assert_int_equal(r->type, PLX_STORE_REPLY_ARRAY);
    assert_int_equal(r->nelem, 6);
    assert_int_equal(r->elem[0]->type, PLX_STORE_REPLY_BULK);
    assert_int_equal(r->elem[0]->len, 3);
    assert_memory_equal(r->elem[0]->str, "a\0b", 3);
    assert_int_equal(r->elem[1]->type, PLX_STORE_REPLY_STATUS);
    assert_string_equal(r->elem[1]->str, "OK");
    assert_int_equal(r->elem[2]->type, PLX_STORE_REPLY_INT);
    assert_int_equal(r->elem[2]->integer, -42);
    assert_int_equal(r->elem[3]->type, PLX_STORE_REPLY_NIL);
    assert_int_equal(r->elem[4]->type, PLX_STORE_REPLY_ERROR);
    assert_int_equal(r->elem[4]->code, PLX_E_WRONGTYPE);
    assert_string_equal(r->elem[4]->str, "WRONGTYPE Operation x");
    assert_int_equal(r->elem[5]->type, PLX_STORE_REPLY_ARRAY);
    assert_int_equal(r->elem[5]->elem[0]->integer, 7);
    plx_store_reply_free(r);

    /* an error text that is not UTF-8 gets U+FFFD, as the engine does (STO-11) */
    redisReply bad = {.type = REDIS_REPLY_ERROR, .str = "ERR x\xff", .len = 6};
    r = plx_rstore_reply(&bad);
    assert_string_equal(r->str, "ERR x\xef\xbf\xbd");
    assert_int_equal(r->code, PLX_E_COMMAND_ERROR);
    plx_store_reply_free(r);
    assert_null(plx_rstore_reply(NULL));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_codes),
        cmocka_unit_test(test_ops),
        cmocka_unit_test(test_reply_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
