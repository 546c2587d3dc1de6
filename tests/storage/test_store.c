/*
 * test_store.c - the store's entry points: the command table (exactly SPEC.md 11.5-11.10,
 * sorted), plx_store_check (flags, unknown command and arity texts), plx_store_keys (key
 * positions), Redis's unknown-command text (truncation, NUL, CR/LF, UTF-8 repair), and the
 * key and value bounds (STO-10).
 */
#include "helpers.h"

static void test_table(void **state) {
    static const char *spec[] = {
        "append",   "copy",    "dbsize",        "decr",        "decrby", "del",
        "exists",   "expire",  "flushall",      "get",         "hdel",   "hexists",
        "hget",     "hgetall", "hincrby",       "hkeys",       "hlen",   "hmget",
        "hset",     "hsetnx",  "hvals",         "incr",        "incrby", "keys",
        "lindex",   "linsert", "llen",          "lpop",        "lpush",  "lrange",
        "lrem",     "lset",    "ltrim",         "mget",        "mset",   "persist",
        "pexpire",  "pttl",    "rename",        "rpop",        "rpush",  "sadd",
        "scan",     "scard",   "sdiff",         "set",         "sinter", "sismember",
        "smembers", "smove",   "spop",          "srandmember", "srem",   "strlen",
        "sunion",   "ttl",     "type",          "zadd",        "zcard",  "zcount",
        "zincrby",  "zrange",  "zrangebyscore", "zrank",       "zrem",   "zrevrangebyscore",
        "zscore",
    };
    const char *names[128];
    size_t n = plx_store_commands(names, 128);
    assert_int_equal(n, sizeof(spec) / sizeof(spec[0]));
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(names[i], spec[i]);
        if (i) assert_true(strcmp(names[i - 1], names[i]) < 0);
    }
}

static int check(const char *name, int argc) {
    plx_bytes argv[8];
    for (int i = 0; i < argc; i++)
        argv[i] = (plx_bytes){(const uint8_t *)(i ? "x" : name), i ? 1 : strlen(name)};
    return plx_store_check(argv, (size_t)argc, NULL);
}

static void test_check(void **state) {
    assert_true(check("get", 2) > 0);
    assert_true(check("get", 2) & PLX_CMD_READ);
    assert_false(check("get", 2) & PLX_CMD_WRITE);
    assert_true(check("SET", 3) & PLX_CMD_WRITE);
    assert_true(check("dbsize", 1) & PLX_CMD_KNOWN);
    assert_int_equal(check("get", 1), PLX_E_WRONG_ARITY);
    assert_int_equal(check("get", 3), PLX_E_WRONG_ARITY);
    assert_int_equal(check("set", 2), PLX_E_WRONG_ARITY);
    assert_true(check("set", 7) > 0);
    assert_int_equal(check("nosuch", 1), PLX_E_UNKNOWN_COMMAND);
    assert_int_equal(check("ping", 1), PLX_E_UNKNOWN_COMMAND); /* not in Plexus v1 */
    assert_int_equal(check("incrbyfloat", 3), PLX_E_UNKNOWN_COMMAND);
    assert_int_equal(check("ge", 2), PLX_E_UNKNOWN_COMMAND);
    assert_int_equal(check("gett", 2), PLX_E_UNKNOWN_COMMAND);
    plx_bytes nul[] = {T_B("get\0"), T_B("k")};
    assert_int_equal(plx_store_check(nul, 2, NULL), PLX_E_UNKNOWN_COMMAND);
    assert_int_equal(plx_store_check(NULL, 0, NULL), PLX_E_UNKNOWN_COMMAND);

    plx_store_reply *err = NULL;
    plx_bytes hset[] = {T_B("HSET"), T_B("h"), T_B("f")};
    assert_int_equal(plx_store_check(hset, 3, &err), PLX_E_WRONG_ARITY);
    assert_non_null(err);
    assert_int_equal(err->code, PLX_E_WRONG_ARITY);
    assert_string_equal(err->str, "ERR wrong number of arguments for 'hset' command");
    plx_store_reply_free(err);
    plx_bytes hset4[] = {T_B("hset"), T_B("h"), T_B("f"), T_B("v")};
    err = (plx_store_reply *)1;
    assert_true(plx_store_check(hset4, 4, &err) > 0);
    assert_null(err);
}

static void keys(const char *cmd, const char *want) {
    char buf[256];
    plx_bytes argv[16];
    size_t argc = 0, idx[16];
    snprintf(buf, sizeof(buf), "%s", cmd);
    for (char *t = strtok(buf, " "); t; t = strtok(NULL, " "))
        argv[argc++] = (plx_bytes){(const uint8_t *)t, strlen(t)};
    size_t n = plx_store_keys(argv, argc, idx, 16);
    char got[64] = "";
    for (size_t i = 0; i < n; i++)
        snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%zu", i ? "," : "", idx[i]);
    if (strcmp(got, want) != 0) fail_msg("%s: keys %s, want %s", cmd, got, want);
}

static void test_keys(void **state) {
    keys("GET k", "1");
    keys("MSET a 1 b 2 c 3", "1,3,5");
    keys("MGET a b c", "1,2,3");
    keys("DEL a b", "1,2");
    keys("RENAME a b", "1,2");
    keys("COPY a b REPLACE", "1,2");
    keys("SMOVE a b m", "1,2");
    keys("SINTER a b c", "1,2,3");
    keys("ZADD z 1 m", "1");
    keys("KEYS *", "");
    keys("SCAN 0", "");
    keys("FLUSHALL", "");
    keys("GET", "");      /* wrong arity: no keys */
    keys("NOSUCH a", ""); /* unknown */
    plx_bytes argv[] = {T_B("MGET"), T_B("a"), T_B("b"), T_B("c")};
    size_t idx[2];
    assert_int_equal(plx_store_keys(argv, 4, idx, 2), 2); /* bounded by max */
}

static void test_unknown_command_text(void **state) {
    plx_store *s = plx_store_new(NULL, NULL, NULL);
    t_err(s, 1, "foo", PLX_E_UNKNOWN_COMMAND,
          "ERR unknown command 'foo', with args beginning with: ");
    t_err(s, 1, "foo a b", PLX_E_UNKNOWN_COMMAND,
          "ERR unknown command 'foo', with args beginning with: 'a' 'b' ");
    t_err(s, 1, "PING", PLX_E_UNKNOWN_COMMAND,
          "ERR unknown command 'PING', with args beginning with: ");
    /* Arguments: the list stops growing once it reaches 128 bytes; each is cut to fit. */
    char cmd[600], want[600];
    char a100[101], b100[101];
    memset(a100, 'a', 100);
    a100[100] = 0;
    memset(b100, 'b', 100);
    b100[100] = 0;
    snprintf(cmd, sizeof(cmd), "foo %s %s c", a100, b100);
    snprintf(want, sizeof(want),
             "ERR unknown command 'foo', with args beginning with: '%s' '%.25s' ", a100,
             b100); /* 103 bytes used, 25 left for the second */
    t_err(s, 1, cmd, PLX_E_UNKNOWN_COMMAND, want);
    /* The name is cut to 128 bytes. */
    char name[201];
    memset(name, 'n', 200);
    name[200] = 0;
    snprintf(want, sizeof(want), "ERR unknown command '%.128s', with args beginning with: ", name);
    t_err(s, 1, name, PLX_E_UNKNOWN_COMMAND, want);
    /* NUL ends an argument, CR and LF become spaces, invalid UTF-8 becomes U+FFFD. */
    plx_bytes argv[] = {T_B("f\xffo"), T_B("a\0b"), T_B("x\r\ny"), T_B("\xc3\xa9")};
    plx_store_reply *r = t_runb(s, 1, 4, argv);
    assert_int_equal(r->code, PLX_E_UNKNOWN_COMMAND);
    assert_string_equal(r->str, "ERR unknown command 'f\xef\xbf\xbdo', with args beginning "
                                "with: 'a' 'x  y' '\xc3\xa9' ");
    plx_store_reply_free(r);
    plx_store_reply *e = plx_store_exec(s, NULL, 0, 1);
    assert_int_equal(e->code, PLX_E_UNKNOWN_COMMAND);
    plx_store_reply_free(e);
    plx_store_free(s);
}

static void test_key_bound(void **state) {
    t_notes notes = {0};
    plx_store_limits lim = {.max_keys = 3};
    plx_store *s = plx_store_new(&lim, t_notify, &notes);
    const char *oom = "OOM command not allowed when used memory > 'maxmemory'.";
    t_ok(s, 1, "SET a 1");
    t_ok(s, 1, "SET b 1");
    t_int(s, 1, "RPUSH c x", 1);
    t_err(s, 1, "SET d 1", PLX_E_COMMAND_ERROR, oom);
    t_err(s, 1, "HSET h f v", PLX_E_COMMAND_ERROR, oom);
    t_int(s, 1, "EXISTS d h", 0);
    t_ok(s, 1, "SET a 2"); /* existing keys can still be written */
    t_int(s, 1, "RPUSH c y", 2);
    t_int(s, 1, "DEL b", 1);
    t_err(s, 1, "MSET x 1 y 2", PLX_E_COMMAND_ERROR, oom); /* two new, one free */
    t_int(s, 1, "EXISTS x y", 0);
    t_ok(s, 1, "MSET a 3 x 1");
    t_int(s, 1, "DBSIZE", 3);
    t_int(s, 1, "DEL x", 1);
    size_t n = notes.n;
    t_ok(s, 1, "SET b 1");
    assert_int_equal(notes.n, n + 1);
    t_err(s, 1, "SET e 1", PLX_E_COMMAND_ERROR, oom);
    assert_int_equal(notes.n, n + 1); /* a refused write notifies nobody */
    /* SMOVE to a new set would create a key (found by fuzz_store). */
    t_int(s, 1, "DEL a b", 2);
    t_int(s, 1, "SADD s1 x y", 2);
    t_ok(s, 1, "SET a 1");
    t_err(s, 1, "SMOVE s1 s2 x", PLX_E_COMMAND_ERROR, oom);
    t_int(s, 1, "DBSIZE", 3);
    t_int(s, 1, "SCARD s1", 2);
    plx_store_free(s);
}

static void test_value_bound(void **state) {
    plx_store_limits lim = {.max_value = 8};
    plx_store *s = plx_store_new(&lim, NULL, NULL);
    const char *big = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
    t_ok(s, 1, "SET k 12345678");
    t_err(s, 1, "SET k 123456789", PLX_E_COMMAND_ERROR, big);
    t_bulk(s, 1, "GET k", "12345678");
    t_err(s, 1, "SET 123456789 v", PLX_E_COMMAND_ERROR, big); /* keys too */
    t_err(s, 1, "APPEND k 9", PLX_E_COMMAND_ERROR, big);
    t_bulk(s, 1, "GET k", "12345678");
    t_int(s, 1, "APPEND j 1234", 4);
    t_int(s, 1, "APPEND j 5678", 8);
    t_err(s, 1, "APPEND j x", PLX_E_COMMAND_ERROR, big);
    t_err(s, 1, "HSET h f 123456789", PLX_E_COMMAND_ERROR, big);
    t_err(s, 1, "SADD st 123456789", PLX_E_COMMAND_ERROR, big);
    t_int(s, 1, "EXISTS h st", 0);
    plx_store_free(s);
}

static void test_defaults(void **state) {
    /* 0 means the default: a 1,000-key store accepts many keys and long values. */
    plx_store_limits lim = {0};
    plx_store *s = plx_store_new(&lim, NULL, NULL);
    char cmd[64];
    for (int i = 0; i < 1000; i++) {
        snprintf(cmd, sizeof(cmd), "SET k%d v", i);
        t_ok(s, 1, cmd);
    }
    assert_int_equal(plx_store_size(s), 1000);
    plx_store_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),     cmocka_unit_test(test_check),
        cmocka_unit_test(test_keys),      cmocka_unit_test(test_unknown_command_text),
        cmocka_unit_test(test_key_bound), cmocka_unit_test(test_value_bound),
        cmocka_unit_test(test_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
