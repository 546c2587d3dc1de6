/*
 * test_options.c - plexus-server's command line: defaults, every option at both ends of its
 * range (SPEC LIM-1) and one step outside, malformed numbers, both spellings (--name value,
 * --name=value), every usage error with its one-line message, the secret file, the checks
 * between options, the --help text and the connection bound the fd limit allows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <plexus/codec.h>

#include "options.h"

#define MAX_ARGS 16

/* Parses the NULL-terminated arguments (program name added). *err receives the message. */
static plx_options_result parse(plx_options *o, char *err, size_t errlen, ...) {
    char *argv[MAX_ARGS + 1] = {"plexus-server"};
    int argc = 1;
    va_list ap;
    char *a;

    va_start(ap, errlen);
    while ((a = va_arg(ap, char *)) != NULL) {
        assert_true(argc < MAX_ARGS);
        argv[argc++] = a;
    }
    va_end(ap);
    err[0] = '\0';
    return plx_options_parse(argc, argv, o, err, errlen);
}

/* Parses and expects a usage error whose one-line message contains want. */
#define EXPECT_ERROR(want, ...)                                                                    \
    do {                                                                                           \
        plx_options o_;                                                                            \
        char e_[512];                                                                              \
        assert_int_equal(parse(&o_, e_, sizeof(e_), __VA_ARGS__, NULL), PLX_OPTIONS_ERROR);        \
        if (!strstr(e_, want)) fail_msg("message '%s' lacks '%s'", e_, want);                      \
        assert_null(strchr(e_, '\n'));                                                             \
        assert_null(o_.secret); /* nothing left to free after an error */                          \
    } while (0)

static void test_defaults(void **state) {
    plx_options o;
    char err[256];

    (void)state;
    assert_int_equal(parse(&o, err, sizeof(err), NULL), PLX_OPTIONS_RUN);
    assert_string_equal(o.host, "127.0.0.1");
    assert_int_equal(o.port, PLX_DEFAULT_PORT);
    assert_int_equal(o.tcp_port, -1);
    assert_null(o.secret);
    assert_null(o.override_key);
    assert_int_equal(o.max_connections, 1024);
    assert_int_equal(o.max_message, 64u << 20);
    assert_int_equal(o.max_frame, 1u << 20);
    assert_int_equal(o.history, 0);
    assert_int_equal(o.ping_interval_ms, 20000);
    assert_int_equal(o.missed_pongs, 2);
    assert_int_equal(o.hello_timeout_ms, 10000);
    assert_int_equal(o.call_timeout_ms, 30000);
    assert_int_equal(o.max_call_timeout_ms, 300000);
    assert_int_equal(o.max_queue, 2 * (uint64_t)(64u << 20));
    assert_int_equal(o.log_level, PLX_LOG_INFO);
    assert_int_equal(o.storage, PLX_STORAGE_MEMORY);
    assert_int_equal(o.max_keys, 1000000);
    assert_int_equal(o.max_value, 512u << 20);
    plx_options_free(&o);
}

/* One numeric option: its name, where it lands, its range (LIM-1 where the table has it) and
 * the values just outside it that the range check refuses (NULL: refused by a check between
 * options instead, tested below). */
typedef enum field_kind { F_U32, F_INT, F_U64 } field_kind;

typedef struct num_opt {
    const char *name;
    size_t off;
    field_kind kind;
    uint64_t min, max;
    const char *below, *above;
    int zero_off; /* 0 is accepted too (off) */
} num_opt;

#define AT(f) offsetof(plx_options, f)

static const num_opt num_opts[] = {
    {"port", AT(port), F_INT, 0, 65535, NULL, "65536", 0},
    {"tcp-port", AT(tcp_port), F_INT, 0, 65535, NULL, "65536", 0},
    {"max-connections", AT(max_connections), F_U32, 1, 1000000, "0", "1000001", 0},
    {"max-message", AT(max_message), F_U32, 65536, 1073741824, "65535", "1073741825", 0},
    {"max-frame", AT(max_frame), F_U32, 512, 16777216, "511", "16777217", 0},
    {"history", AT(history), F_U32, 0, 10000, NULL, "10001", 0},
    {"ping-interval", AT(ping_interval_ms), F_U32, 1000, 3600000, "999", "3600001", 1},
    {"missed-pongs", AT(missed_pongs), F_U32, 1, 100, "0", "101", 0},
    {"hello-timeout", AT(hello_timeout_ms), F_U32, 1000, 300000, "999", "300001", 0},
    /* 1..max-call-timeout: the default maximum is 300000 */
    {"call-timeout", AT(call_timeout_ms), F_U32, 1, 300000, "0", NULL, 0},
    {"max-call-timeout", AT(max_call_timeout_ms), F_U32, 1, UINT32_MAX, "0", "4294967296", 0},
    /* max-message + 65536 and up: with the default max-message */
    /* the store's bounds (STO-10) */
    {"max-keys", AT(max_keys), F_U32, 1, UINT32_MAX, "0", "4294967296", 0},
    {"max-value", AT(max_value), F_U32, 1024, UINT32_MAX, "1023", "4294967296", 0},
    {"max-queue", AT(max_queue), F_U64, (64u << 20) + 65536, UINT64_MAX, NULL,
     "18446744073709551616", 0},
};

static uint64_t field_value(const plx_options *o, const num_opt *n) {
    const char *p = (const char *)o + n->off;

    switch (n->kind) {
    case F_INT:
        return (uint64_t) * (const int *)p;
    case F_U64:
        return *(const uint64_t *)p;
    default:
        return *(const uint32_t *)p;
    }
}

/* Parses --name value and --name=value; returns the field's value, or fails the test. */
static uint64_t accepted(const num_opt *n, uint64_t v) {
    char name[64], val[32], eq[96], err[512];
    plx_options o;
    uint64_t got;

    snprintf(name, sizeof(name), "--%s", n->name);
    snprintf(val, sizeof(val), "%llu", (unsigned long long)v);
    snprintf(eq, sizeof(eq), "--%s=%llu", n->name, (unsigned long long)v);
    if (parse(&o, err, sizeof(err), name, val, NULL) != PLX_OPTIONS_RUN)
        fail_msg("%s %s refused: %s", name, val, err);
    got = field_value(&o, n);
    plx_options_free(&o);
    if (parse(&o, err, sizeof(err), eq, NULL) != PLX_OPTIONS_RUN)
        fail_msg("%s refused: %s", eq, err);
    assert_int_equal(field_value(&o, n), got);
    plx_options_free(&o);
    return got;
}

/* Expects --name val to be refused with "--name: 'val' is not ..." on one line. */
static void refused(const num_opt *n, const char *val) {
    char name[64], want[96], err[512];
    plx_options o;

    snprintf(name, sizeof(name), "--%s", n->name);
    if (parse(&o, err, sizeof(err), name, val, NULL) != PLX_OPTIONS_ERROR)
        fail_msg("%s '%s' accepted", name, val);
    snprintf(want, sizeof(want), "--%s: '%s' is not ", n->name, val);
    if (!strchr(val, '\n') && strncmp(err, want, strlen(want)) != 0) fail_msg("message '%s'", err);
    snprintf(want, sizeof(want), "--%s: '", n->name);
    if (strncmp(err, want, strlen(want)) != 0 || !strstr(err, "' is not "))
        fail_msg("message '%s'", err);
    assert_null(strchr(err, '\n'));
}

static void test_every_range_end(void **state) {
    static const char *const malformed[] = {
        "", "x", "-1", "+5", " 5", "5 ", "5x", "0x10", "1e3", "99999999999999999999", "1.5", "5\n"};

    (void)state;
    for (size_t i = 0; i < sizeof(num_opts) / sizeof(num_opts[0]); i++) {
        const num_opt *n = &num_opts[i];
        uint64_t mid = n->min + (n->max - n->min) / 2;

        assert_int_equal(accepted(n, n->min), n->min);
        assert_int_equal(accepted(n, n->max), n->max);
        assert_int_equal(accepted(n, mid), mid);
        if (n->below) refused(n, n->below);
        if (n->above) refused(n, n->above);
        for (size_t j = 0; j < sizeof(malformed) / sizeof(malformed[0]); j++)
            refused(n, malformed[j]);
        if (n->zero_off) assert_int_equal(accepted(n, 0), 0);
    }
}

static void test_ping_interval_zero_is_off(void **state) {
    (void)state;
    /* LIM-1: 0 (off) or 1000..3600000 */
    EXPECT_ERROR("--ping-interval: '999' is not 0 (off) or an integer in 1000..3600000",
                 "--ping-interval", "999");
    EXPECT_ERROR("--ping-interval: '1' is not 0 (off)", "--ping-interval", "1");
    EXPECT_ERROR("--ping-interval: '3600001'", "--ping-interval", "3600001");
    EXPECT_ERROR("--hello-timeout: '999' is not an integer in 1000..300000", "--hello-timeout",
                 "999");
    EXPECT_ERROR("--hello-timeout: '300001'", "--hello-timeout", "300001");
    EXPECT_ERROR("--hello-timeout: '0'", "--hello-timeout", "0");
    EXPECT_ERROR("--history: '10001' is not an integer in 0..10000", "--history", "10001");
    EXPECT_ERROR("--max-connections: '1000001' is not an integer in 1..1000000",
                 "--max-connections", "1000001");
    EXPECT_ERROR("--max-connections: '0'", "--max-connections", "0");
}

static void test_call_timeouts(void **state) {
    plx_options o;
    char err[512];

    (void)state;
    EXPECT_ERROR("--call-timeout: 300001 is above max-call-timeout (300000)", "--call-timeout",
                 "300001");
    EXPECT_ERROR("--call-timeout: 2000 is above max-call-timeout (1000)", "--call-timeout", "2000",
                 "--max-call-timeout", "1000");
    EXPECT_ERROR("--max-call-timeout: '0'", "--max-call-timeout", "0");
    /* a larger maximum allows a larger default */
    assert_int_equal(parse(&o, err, sizeof(err), "--max-call-timeout", "600000", "--call-timeout",
                           "600000", NULL),
                     PLX_OPTIONS_RUN);
    assert_int_equal(o.call_timeout_ms, 600000);
    assert_int_equal(o.max_call_timeout_ms, 600000);
    plx_options_free(&o);
    /* a lower maximum lowers the default when --call-timeout is not given */
    assert_int_equal(parse(&o, err, sizeof(err), "--max-call-timeout", "1", NULL), PLX_OPTIONS_RUN);
    assert_int_equal(o.call_timeout_ms, 1);
    plx_options_free(&o);
    assert_int_equal(
        parse(&o, err, sizeof(err), "--call-timeout", "5", "--max-call-timeout", "5", NULL),
        PLX_OPTIONS_RUN);
    assert_int_equal(o.call_timeout_ms, 5);
    plx_options_free(&o);
}

static void test_max_queue_follows_max_message(void **state) {
    plx_options o;
    char err[512];

    (void)state;
    assert_int_equal(parse(&o, err, sizeof(err), "--max-message", "65536", NULL), PLX_OPTIONS_RUN);
    assert_int_equal(o.max_queue, 131072); /* default: 2 x max-message */
    plx_options_free(&o);
    assert_int_equal(
        parse(&o, err, sizeof(err), "--max-message", "65536", "--max-queue", "131072", NULL),
        PLX_OPTIONS_RUN);
    assert_int_equal(o.max_queue, 131072); /* exactly max-message + 65536 */
    plx_options_free(&o);
    EXPECT_ERROR("--max-queue: 131071 is below max-message + 65536 (131072)", "--max-message",
                 "65536", "--max-queue", "131071");
    EXPECT_ERROR("--max-queue: 67174399 is below max-message + 65536 (67174400)", "--max-queue",
                 "67174399");
    EXPECT_ERROR("--max-queue: '65535'", "--max-queue", "65535");
}

static void test_strings(void **state) {
    plx_options o;
    char err[512];

    (void)state;
    assert_int_equal(parse(&o, err, sizeof(err), "--host", "::1", "--override-key", "k", "--secret",
                           "s3cret", "--log-level", "debug", NULL),
                     PLX_OPTIONS_RUN);
    assert_string_equal(o.host, "::1");
    assert_string_equal(o.override_key, "k");
    assert_string_equal(o.secret, "s3cret");
    assert_int_equal(o.log_level, PLX_LOG_DEBUG);
    plx_options_free(&o);
    assert_null(o.secret);
    static const char *levels[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(parse(&o, err, sizeof(err), "--log-level", levels[i], NULL),
                         PLX_OPTIONS_RUN);
        assert_int_equal(o.log_level, (plx_log_level)i);
        plx_options_free(&o);
    }
    EXPECT_ERROR("--log-level: 'loud' is not one of error, warn, info, debug", "--log-level",
                 "loud");
    EXPECT_ERROR("--host: must not be empty", "--host", "");
    EXPECT_ERROR("--override-key: must not be empty", "--override-key=");
    EXPECT_ERROR("--secret: must be 1..4096 bytes", "--secret", "");
    char long_secret[PLX_SECRET_MAX + 2];
    memset(long_secret, 'a', sizeof(long_secret) - 1);
    long_secret[sizeof(long_secret) - 1] = '\0';
    EXPECT_ERROR("--secret: must be 1..4096 bytes", "--secret", long_secret);
    long_secret[PLX_SECRET_MAX] = '\0';
    assert_int_equal(parse(&o, err, sizeof(err), "--secret", long_secret, NULL), PLX_OPTIONS_RUN);
    assert_int_equal(strlen(o.secret), PLX_SECRET_MAX);
    plx_options_free(&o);
}

/* Writes text to a temporary file; returns its path (static buffer per call site). */
static void write_file(char *path, const char *text, size_t len) {
    int fd;

    strcpy(path, "/tmp/plx-test-secret-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

/* --storage memory|none|redis://... (STO-20, SPEC 11.11), and the store's bounds only with the
 * in-memory store. */
static void test_storage(void **state) {
    plx_options o;
    char err[512];

    (void)state;
    assert_int_equal(parse(&o, err, sizeof(err), "--storage", "none", NULL), PLX_OPTIONS_RUN);
    assert_int_equal(o.storage, PLX_STORAGE_NONE);
    plx_options_free(&o);
    assert_int_equal(parse(&o, err, sizeof(err), "--storage=memory", "--max-keys", "3",
                           "--max-value", "1024", NULL),
                     PLX_OPTIONS_RUN);
    assert_int_equal(o.storage, PLX_STORAGE_MEMORY);
    assert_int_equal(o.max_keys, 3);
    assert_int_equal(o.max_value, 1024);
    plx_options_free(&o);
    assert_int_equal(parse(&o, err, sizeof(err), "--storage", "redis://127.0.0.1:6379/3", NULL),
                     PLX_OPTIONS_RUN);
    assert_int_equal(o.storage, PLX_STORAGE_REDIS);
    assert_string_equal(o.storage_url, "redis://127.0.0.1:6379/3");
    plx_options_free(&o);
    assert_int_equal(parse(&o, err, sizeof(err), "--storage=redis://localhost", NULL),
                     PLX_OPTIONS_RUN);
    assert_int_equal(o.storage, PLX_STORAGE_REDIS);
    plx_options_free(&o);
    EXPECT_ERROR("--storage: 'redis://127.0.0.1:99999': port must be a number 1..65535",
                 "--storage", "redis://127.0.0.1:99999");
    EXPECT_ERROR("--max-keys: applies to the in-memory store only; with --storage redis:// "
                 "Redis's own limits apply (maxmemory, proto-max-bulk-len)",
                 "--storage", "redis://127.0.0.1", "--max-keys", "5");
    EXPECT_ERROR("--max-value: applies to the in-memory store only; with --storage redis:// "
                 "Redis's own limits apply (maxmemory, proto-max-bulk-len)",
                 "--max-value", "2048", "--storage", "redis://127.0.0.1");
    EXPECT_ERROR("--storage: 'Memory' is not memory, none or redis://HOST[:PORT][/DB]", "--storage",
                 "Memory");
    EXPECT_ERROR("--storage: '' is not memory, none or redis://HOST[:PORT][/DB]", "--storage=");
    EXPECT_ERROR("--storage needs a value (KIND)", "--storage");
    EXPECT_ERROR("--storage given twice", "--storage", "none", "--storage", "none");
    EXPECT_ERROR("--max-keys: there is no store with --storage none", "--storage", "none",
                 "--max-keys", "5");
    EXPECT_ERROR("--max-value: there is no store with --storage none", "--max-value", "2048",
                 "--storage", "none");
    EXPECT_ERROR("--max-value: '1023' is not an integer in 1024..4294967295", "--max-value",
                 "1023");
    EXPECT_ERROR("--max-keys: '0' is not an integer in 1..4294967295", "--max-keys", "0");
}

static void test_secret_file(void **state) {
    plx_options o;
    char err[512], path[64];

    (void)state;
    write_file(path, "first line\r\nsecond\n", 19);
    assert_int_equal(parse(&o, err, sizeof(err), "--secret-file", path, NULL), PLX_OPTIONS_RUN);
    assert_string_equal(o.secret, "first line");
    plx_options_free(&o);
    EXPECT_ERROR("--secret-file: the secret was already given", "--secret", "x", "--secret-file",
                 path);
    EXPECT_ERROR("--secret: the secret was already given", "--secret-file", path, "--secret", "x");
    unlink(path);
    EXPECT_ERROR("--secret-file: cannot open", "--secret-file", path);
    write_file(path, "\nsecret on line two\n", 20);
    EXPECT_ERROR("holds no secret on its first line", "--secret-file", path);
    unlink(path);
    write_file(path, "ab\0cd\n", 6); /* not silently cut to "ab" */
    EXPECT_ERROR("holds a NUL byte", "--secret-file", path);
    unlink(path);
    char big[PLX_SECRET_MAX + 10];
    memset(big, 's', sizeof(big));
    write_file(path, big, sizeof(big));
    EXPECT_ERROR("--secret-file: the secret is longer than 4096 bytes", "--secret-file", path);
    unlink(path);
    write_file(path, big, PLX_SECRET_MAX); /* exactly the maximum, no newline */
    assert_int_equal(parse(&o, err, sizeof(err), "--secret-file", path, NULL), PLX_OPTIONS_RUN);
    assert_int_equal(strlen(o.secret), PLX_SECRET_MAX);
    plx_options_free(&o);
    unlink(path);
}

static void test_usage_errors(void **state) {
    (void)state;
    EXPECT_ERROR("unknown option '--bogus' (see --help)", "--bogus");
    EXPECT_ERROR("unknown option '--por'", "--por", "1");
    EXPECT_ERROR("unknown option '--'", "--");
    EXPECT_ERROR("unexpected argument 'port' (options start with --)", "port");
    EXPECT_ERROR("unexpected argument '-p'", "-p", "1");
    EXPECT_ERROR("--port needs a value (N)", "--port");
    EXPECT_ERROR("--port given twice", "--port", "1", "--port=2");
    EXPECT_ERROR("--help takes no value", "--help=yes");
    EXPECT_ERROR("--port: '' is not an integer in 0..65535", "--port=");
    EXPECT_ERROR("--max-frame: '100' is not an integer in 512..16777216", "--max-frame", "100");
    /* a message stays one line whatever the argument holds, and short */
    EXPECT_ERROR("unknown option '--a\\x0ab\\x1b' (see --help)", "--a\nb\x1b");
    EXPECT_ERROR("--port: '1\\x0d\\x0a' is not", "--port", "1\r\n");
    EXPECT_ERROR("--log-level: 'x\\x7f'", "--log-level", "x\x7f");
    char longarg[300];
    memset(longarg, 'z', sizeof(longarg) - 1);
    longarg[sizeof(longarg) - 1] = '\0';
    EXPECT_ERROR("zzz...' is not", "--port", longarg);
    /* the first mistake is the one reported, even after --help */
    EXPECT_ERROR("unknown option '--x'", "--help", "--x");
}

static void test_help_and_version(void **state) {
    plx_options o;
    char err[64];

    (void)state;
    assert_int_equal(parse(&o, err, sizeof(err), "--help", NULL), PLX_OPTIONS_HELP);
    assert_int_equal(parse(&o, err, sizeof(err), "--port", "5", "--help", "--help", NULL),
                     PLX_OPTIONS_HELP);
    assert_int_equal(parse(&o, err, sizeof(err), "--version", NULL), PLX_OPTIONS_VERSION);
    /* help wins over version; neither leaves anything to free */
    assert_int_equal(parse(&o, err, sizeof(err), "--version", "--secret", "s", "--help", NULL),
                     PLX_OPTIONS_HELP);
    assert_null(o.secret);
}

static void test_usage_text_shows_every_range(void **state) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    static const char *const want[] = {
        "--host ADDR",
        "--port N",
        "0..65535 (default 7700)",
        "--tcp-port N",
        "--secret TEXT",
        "--secret-file PATH",
        "--override-key TEXT",
        "--max-connections N",
        "1..1000000 (default 1024)",
        "ulimit -Hn",
        "--max-message BYTES",
        "65536..1073741824 (default 67108864)",
        "--max-frame BYTES",
        "512..16777216 (default 1048576)",
        "--history N",
        "0..10000 (default 0: off)",
        "--ping-interval MS",
        "0 (off) or 1000..3600000 (default 20000)",
        "--missed-pongs N",
        "1..100 (default 2)",
        "--hello-timeout MS",
        "1000..300000 (default 10000)",
        "--call-timeout MS",
        "1..max-call-timeout (default 30000",
        "--max-call-timeout MS",
        "4294967295 (default 300000)",
        "--max-queue BYTES",
        "max-message + 65536..",
        "--log-level LEVEL",
        "--storage KIND",
        "memory (default)",
        "STORAGE_UNAVAILABLE",
        "--max-keys N",
        "1..4294967295 (default 1000000)",
        "--max-value BYTES",
        "1024..4294967295 (default 536870912)",
        "proto-max-bulk-len",
        "--help",
        "--version",
        "exit codes",
        "2  usage error",
    };

    (void)state;
    assert_non_null(f);
    plx_options_usage(f);
    fclose(f);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(text, want[i])) fail_msg("--help lacks '%s'", want[i]);
    free(text);
}

static void test_connection_cap(void **state) {
    (void)state;
    assert_int_equal(plx_options_connection_cap(1024, 1024 + PLX_FD_RESERVE), 1024);
    assert_int_equal(plx_options_connection_cap(1024, 1 << 20), 1024);
    assert_int_equal(plx_options_connection_cap(1024, 1024), 1024 - PLX_FD_RESERVE);
    assert_int_equal(plx_options_connection_cap(1000000, 20000), 20000 - PLX_FD_RESERVE);
    assert_int_equal(plx_options_connection_cap(1, PLX_FD_RESERVE + 1), 1);
    assert_int_equal(plx_options_connection_cap(5, PLX_FD_RESERVE), 0);
    assert_int_equal(plx_options_connection_cap(5, 0), 0);
    assert_int_equal(plx_options_connection_cap(1000000, UINT64_MAX), 1000000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_range_end),
        cmocka_unit_test(test_ping_interval_zero_is_off),
        cmocka_unit_test(test_call_timeouts),
        cmocka_unit_test(test_max_queue_follows_max_message),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_storage),
        cmocka_unit_test(test_secret_file),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_usage_text_shows_every_range),
        cmocka_unit_test(test_connection_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
