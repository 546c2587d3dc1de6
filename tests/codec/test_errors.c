/*
 * test_errors.c - the error registry: the C enum, the generated table and spec/errors.json
 * must agree. plx_tables_check.h fails to compile on any mismatch of the enum; at run time
 * every spec entry is checked against plx_strerror/name/by_name/fatal/close_code, and the
 * enum lines of include/plexus/codec.h are parsed and checked against the spec.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <plexus/codec.h>

#include "plx_tables_check.h"
#include "spec_json.h"
#include "tables.h"

static const cJSON *spec_errors(void **state) {
    return cJSON_GetObjectItemCaseSensitive((cJSON *)*state, "errors");
}

static int setup(void **state) {
    *state = spec_json_load("spec/errors.json");
    return *state ? 0 : -1;
}

static int teardown(void **state) {
    cJSON_Delete(*state);
    return 0;
}

/* Every spec entry, looked up by negative and by positive code and by name. */
static void test_spec_entries_match(void **state) {
    const cJSON *e;
    int n = 0;
    cJSON_ArrayForEach(e, spec_errors(state)) {
        int code = cJSON_GetObjectItemCaseSensitive(e, "code")->valueint;
        const char *name = cJSON_GetObjectItemCaseSensitive(e, "name")->valuestring;
        const char *msg = cJSON_GetObjectItemCaseSensitive(e, "message")->valuestring;
        int fatal = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "fatal"));
        int close = cJSON_GetObjectItemCaseSensitive(e, "close")->valueint;
        for (int sign = -1; sign <= 1; sign += 2) {
            assert_string_equal(plx_strerror(sign * code), msg);
            assert_non_null(plx_error_name(sign * code));
            assert_string_equal(plx_error_name(sign * code), name);
            assert_int_equal(plx_error_fatal(sign * code), fatal);
            assert_int_equal(plx_error_close_code(sign * code), fatal ? close : 0);
        }
        assert_int_equal(plx_error_by_name(name), -code);
        n++;
    }
    assert_int_equal(n, PLX_SPEC_ERROR_COUNT);
    assert_int_equal(plx_error_table_len, PLX_SPEC_ERROR_COUNT);
}

/* Every enum value (as the generated check header lists them) round-trips through the API. */
static void test_enum_round_trips(void **state) {
    (void)state;
    for (size_t i = 0; i < PLX_SPEC_ERROR_COUNT; i++) {
        int code = plx_spec_error_codes()[i];
        assert_true(code < 0);
        const char *name = plx_spec_error_enum_name((plx_error)code);
        assert_non_null(name);
        assert_string_equal(plx_error_name(code), name);
        assert_int_equal(plx_error_by_name(name), code);
        assert_string_not_equal(plx_strerror(code), "unknown error");
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(plx_spec_error_codes()[j], code);
    }
    assert_string_equal(plx_spec_error_enum_name(PLX_OK), "OK");
}

/* Parses the "PLX_E_NAME = -N," lines of include/plexus/codec.h: every one must be in the
 * spec with that code, and there must be as many as spec entries. */
static void test_codec_h_enum_matches_spec(void **state) {
    (void)state;
    char *text = source_file_read("include/plexus/codec.h");
    assert_non_null(text);
    int n = 0;
    for (char *p = strstr(text, "PLX_E_"); p; p = strstr(p + 1, "PLX_E_")) {
        char name[64];
        int value, used = 0;
        if (sscanf(p, "PLX_E_%63[A-Z0-9_] = %d%n", name, &value, &used) != 2 || used == 0)
            continue; /* a use of a code in a comment or prototype, not its definition */
        assert_int_equal(plx_error_by_name(name), value);
        assert_non_null(plx_error_name(value));
        assert_string_equal(plx_error_name(value), name);
        n++;
    }
    free(text);
    assert_int_equal(n, PLX_SPEC_ERROR_COUNT);
}

static void test_generated_table_sorted(void **state) {
    (void)state;
    for (size_t i = 1; i < plx_error_table_len; i++)
        assert_true(plx_error_table[i - 1].code < plx_error_table[i].code);
    for (size_t i = 0; i < plx_error_table_len; i++) {
        const plx_error_entry *e = &plx_error_table[i];
        if (e->fatal)
            assert_in_range(e->close_code, 1000, 4999);
        else
            assert_int_equal(e->close_code, 0);
    }
}

static void test_unknown_codes(void **state) {
    (void)state;
    int unknown[] = {4, -4, 100, -107, 999, -1000, 65536, INT_MAX, INT_MIN, INT_MIN + 1};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        assert_string_equal(plx_strerror(unknown[i]), "unknown error");
        assert_null(plx_error_name(unknown[i]));
        assert_int_equal(plx_error_fatal(unknown[i]), 0);
        assert_int_equal(plx_error_close_code(unknown[i]), 0);
    }
    assert_string_equal(plx_strerror(PLX_OK), "success");
    assert_null(plx_error_name(PLX_OK));
    assert_int_equal(plx_error_by_name("NO_SUCH_ERROR"), 0);
    assert_int_equal(plx_error_by_name("bad_json"), 0); /* names are case-sensitive */
    assert_int_equal(plx_error_by_name(""), 0);
    assert_int_equal(plx_error_by_name(NULL), 0);
}

/* A few registry facts other modules rely on, spelled out. */
static void test_known_facts(void **state) {
    (void)state;
    assert_int_equal(plx_error_close_code(PLX_E_FRAME_TOO_LARGE), 1009);
    assert_int_equal(plx_error_close_code(PLX_E_BAD_JSON), 1002);
    assert_int_equal(plx_error_close_code(PLX_E_SHUTTING_DOWN), 1001);
    assert_int_equal(plx_error_fatal(PLX_E_UNKNOWN_ROUTE), 0);
    assert_int_equal(plx_error_by_name("OFFSET_GAP"), PLX_E_OFFSET_GAP);
    assert_string_equal(plx_error_name(-PLX_E_WRONGTYPE), "WRONGTYPE");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_entries_match),
        cmocka_unit_test(test_enum_round_trips),
        cmocka_unit_test(test_codec_h_enum_matches_spec),
        cmocka_unit_test(test_generated_table_sorted),
        cmocka_unit_test(test_unknown_codes),
        cmocka_unit_test(test_known_facts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
