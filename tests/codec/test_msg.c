/*
 * test_msg.c - catalogue validation, driven by spec/messages.json read at run time: for every
 * message type a minimal valid instance passes; dropping each required field is
 * MISSING_FIELD naming it; a wrong value for each field is BAD_FIELD_TYPE naming it; bad
 * $bin references in each field that can hold one; every enum and one_of rule; directions;
 * the message-level errors and the order of the checks.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <plexus/codec.h>

#include "spec_json.h"

/* ------------------------------------------------------------ values per field type */

typedef struct type_values {
    const char *type;
    const char *good[3]; /* valid values (JSON text), NULL-terminated; natt is 1 */
    const char *bad[9];  /* BAD_FIELD_TYPE values, NULL-terminated */
    const char *bad_ref; /* a value whose $bin reference is out of range (natt 1), or NULL */
} type_values;

static const type_values values[] = {
    {"string",
     {"\"s\"", "\"\"", NULL},
     {"1", "true", "null", "[]", "{}", "{\"$bin\":0}", NULL},
     NULL},
    {"uint",
     {"0", "9007199254740991", "1.0"},
     {"-1", "1.5", "9007199254740992", "1e300", "\"1\"", "true", "null", "[]", NULL},
     NULL},
    {"bool", {"true", "false", NULL}, {"0", "1", "\"true\"", "null", "[]", NULL}, NULL},
    {"number", {"-1.5", "0", "1e300"}, {"\"1\"", "null", "true", "[]", "{}", NULL}, NULL},
    {"object",
     {"{}", "{\"a\":{\"$bin\":0}}", NULL},
     {"[]", "\"x\"", "null", "1", NULL},
     "{\"a\":[{\"$bin\":1}]}"},
    {"array",
     {"[]", "[1,\"a\",{\"$bin\":0}]", NULL},
     {"{}", "\"x\"", "null", NULL},
     "[{\"b\":{\"$bin\":1}}]"},
    {"any", {"null", "{\"$bin\":0}", "[1,{}]"}, {NULL}, "{\"x\":{\"$bin\":1}}"},
    {"strings",
     {"[]", "[\"a\",\"b\"]", NULL},
     {"\"a\"", "[\"a\",1]", "[null]", "{}", "null", NULL},
     NULL},
    {"bytes",
     {"\"k\"", "{\"$bin\":0}", NULL},
     {"1", "null", "[]", "{}", "{\"$bin\":0,\"x\":1}", "true", NULL},
     "{\"$bin\":1}"},
    {"argv",
     {"[\"GET\"]", "[\"SET\",\"k\",{\"$bin\":0}]", NULL},
     {"[]", "\"a\"", "[1]", "[[\"a\"]]", "{\"$bin\":0}", "null", "[\"a\",null]", NULL},
     "[\"a\",{\"$bin\":1}]"},
    {"argvs",
     {"[[\"GET\",\"k\"]]", "[[\"A\"],[{\"$bin\":0}]]", NULL},
     {"[]", "[[]]", "[[\"a\"],\"b\"]", "[\"a\"]", "null", "[[\"a\"],[1]]", NULL},
     "[[\"a\"],[{\"$bin\":1}]]"},
    {"error",
     {"{\"code\":1,\"name\":\"X\",\"message\":\"m\"}",
      "{\"code\":1,\"name\":\"X\",\"message\":\"m\",\"detail\":null,\"other\":[]}", NULL},
     {"{}", "{\"code\":1,\"name\":\"X\"}", "{\"code\":-1,\"name\":\"X\",\"message\":\"m\"}",
      "{\"code\":1,\"name\":2,\"message\":\"m\"}",
      "{\"code\":\"1\",\"name\":\"X\",\"message\":\"m\"}", "\"x\"", "null", "[]", NULL},
     "{\"code\":1,\"name\":\"X\",\"message\":\"m\",\"detail\":{\"$bin\":1}}"},
};

static const type_values *values_for(const char *type) {
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        if (!strcmp(values[i].type, type)) return &values[i];
    }
    fail_msg("spec/messages.json uses field type \"%s\" this test does not know", type);
    return NULL;
}

/* ------------------------------------------------------------ spec access */

static const cJSON *spec_types(void **state) {
    return cJSON_GetObjectItemCaseSensitive((cJSON *)*state, "types");
}

static const char *str_of(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int required(const cJSON *field) {
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(field, "required"));
}

static const cJSON *one_of(const cJSON *ty) {
    return cJSON_GetObjectItemCaseSensitive(ty, "one_of");
}

static int in_one_of(const cJSON *ty, const char *name) {
    const cJSON *v;
    cJSON_ArrayForEach(v, one_of(ty)) {
        if (!strcmp(v->valuestring, name)) return 1;
    }
    return 0;
}

/* A valid value for field (the first enum value for an enum field). */
static cJSON *good_value(const cJSON *field, int variant) {
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(field, "enum");
    if (en) return cJSON_CreateString(cJSON_GetArrayItem(en, 0)->valuestring);
    const type_values *tv = values_for(str_of(field, "type"));
    const char *text = tv->good[variant];
    if (!text) text = tv->good[0];
    cJSON *v = cJSON_Parse(text);
    assert_non_null(v);
    return v;
}

static const cJSON *field_named(const cJSON *ty, const char *name) {
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(ty, "fields")) {
        if (!strcmp(str_of(f, "name"), name)) return f;
    }
    return NULL;
}

/* The minimal valid instance of ty: t, every required field and the first one_of field.
 * With all_fields, every field (one_of: still only the first). variant picks the values. */
static cJSON *instance(const cJSON *ty, int all_fields, int variant) {
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "t", str_of(ty, "t"));
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(ty, "fields")) {
        const char *name = str_of(f, "name");
        int first_of = one_of(ty) && !strcmp(cJSON_GetArrayItem(one_of(ty), 0)->valuestring, name);
        if (in_one_of(ty, name) && !first_of) continue;
        if (required(f) || first_of || all_fields)
            cJSON_AddItemToObject(m, name, good_value(f, variant));
    }
    return m;
}

/* The direction a receiver validating ty sees it in. */
static plx_dir receive_dir(const cJSON *ty) {
    const char *dir = str_of(ty, "dir");
    return !strcmp(dir, "s2c") ? PLX_DIR_S2C : PLX_DIR_C2S;
}

static void expect(const cJSON *m, size_t natt, plx_dir dir, int code, const char *field) {
    plx_msg_error err = {12345, "garbage"};
    int rc = plx_msg_validate(m, natt, dir, &err);
    if (rc != code || err.code != code ||
        (field ? !err.field || strcmp(err.field, field) : err.field != NULL)) {
        char *text = cJSON_PrintUnformatted(m);
        fail_msg("%s: got %d (%s) field %s, want %d (%s) field %s", text, rc,
                 plx_error_name(rc) ? plx_error_name(rc) : "OK", err.field ? err.field : "-", code,
                 plx_error_name(code) ? plx_error_name(code) : "OK", field ? field : "-");
    }
    assert_int_equal(plx_msg_validate(m, natt, dir, NULL), code);
}

/* ------------------------------------------------------------ tests */

static int setup(void **state) {
    *state = spec_json_load("spec/messages.json");
    return *state ? 0 : -1;
}

static int teardown(void **state) {
    cJSON_Delete(*state);
    return 0;
}

static void test_catalogue_matches_spec(void **state) {
    const cJSON *ty;
    size_t i = 0;
    cJSON_ArrayForEach(ty, spec_types(state)) {
        const char *t = str_of(ty, "t");
        assert_non_null(plx_msg_type_name(i));
        assert_string_equal(plx_msg_type_name(i), t);
        assert_int_equal(plx_msg_type_index(t), (int)i);
        i++;
    }
    assert_int_equal(plx_msg_type_count(), i);
    assert_null(plx_msg_type_name(i));
    assert_null(plx_msg_type_name((size_t)-1));
    assert_int_equal(plx_msg_type_index("no_such_type"), -1);
    assert_int_equal(plx_msg_type_index("Hello"), -1);
    assert_int_equal(plx_msg_type_index(""), -1);
    assert_int_equal(plx_msg_type_index(NULL), -1);
}

static void test_valid_instances(void **state) {
    const cJSON *ty;
    cJSON_ArrayForEach(ty, spec_types(state)) {
        for (int all = 0; all <= 1; all++) {
            for (int variant = 0; variant < 3; variant++) {
                cJSON *m = instance(ty, all, variant);
                expect(m, 1, receive_dir(ty), 0, NULL);
                /* unknown members are ignored, whatever they hold */
                cJSON_AddItemToObject(m, "x_unknown", cJSON_CreateString("x"));
                cJSON_AddItemToObject(m, "T", cJSON_CreateNumber(1));
                expect(m, 1, receive_dir(ty), 0, NULL);
                cJSON_Delete(m);
            }
        }
    }
}

/* m with field name set to the JSON value text (the other one_of fields removed). */
static cJSON *with_field(const cJSON *ty, const char *name, const char *text) {
    cJSON *m = instance(ty, 0, 0);
    if (in_one_of(ty, name)) {
        const cJSON *v;
        cJSON_ArrayForEach(v, one_of(ty))
            cJSON_DeleteItemFromObjectCaseSensitive(m, v->valuestring);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(m, name);
    cJSON *v = cJSON_Parse(text);
    assert_non_null(v);
    cJSON_AddItemToObject(m, name, v);
    return m;
}

/* Runs check on every field of every type of the spec; returns how many fields it checked
 * (check returns 0 for a field it does not apply to). */
static int each_field(void **state, int (*check)(const cJSON *ty, const cJSON *f)) {
    const cJSON *ty, *f;
    int checked = 0;
    cJSON_ArrayForEach(ty, spec_types(state)) {
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(ty, "fields")) {
            checked += check(ty, f);
        }
    }
    return checked;
}

static int check_missing(const cJSON *ty, const cJSON *f) {
    if (!required(f)) return 0;
    const char *name = str_of(f, "name");
    cJSON *m = instance(ty, 1, 0);
    cJSON_DeleteItemFromObjectCaseSensitive(m, name);
    expect(m, 1, receive_dir(ty), PLX_E_MISSING_FIELD, name);
    /* names are case-sensitive: an upper-case spelling does not count */
    char upper[128];
    snprintf(upper, sizeof(upper), "%s", name);
    for (char *p = upper; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    cJSON_AddItemToObject(m, upper, good_value(f, 0));
    expect(m, 1, receive_dir(ty), PLX_E_MISSING_FIELD, name);
    cJSON_Delete(m);
    return 1;
}

static void test_missing_required_fields(void **state) {
    assert_true(each_field(state, check_missing) > 0);
}

static int check_wrong_types(const cJSON *ty, const cJSON *f) {
    const char *name = str_of(f, "name");
    const type_values *tv = values_for(str_of(f, "type"));
    for (size_t i = 0; tv->bad[i]; i++) {
        cJSON *m = with_field(ty, name, tv->bad[i]);
        expect(m, 1, receive_dir(ty), PLX_E_BAD_FIELD_TYPE, name);
        cJSON_Delete(m);
    }
    for (size_t i = 0; i < 3 && tv->good[i] && !cJSON_GetObjectItemCaseSensitive(f, "enum"); i++) {
        cJSON *m = with_field(ty, name, tv->good[i]);
        expect(m, 1, receive_dir(ty), 0, NULL);
        cJSON_Delete(m);
    }
    return tv->bad[0] != NULL;
}

static void test_wrong_field_types(void **state) {
    assert_true(each_field(state, check_wrong_types) > 0);
}

static int check_bad_reference(const cJSON *ty, const cJSON *f) {
    const char *name = str_of(f, "name");
    const type_values *tv = values_for(str_of(f, "type"));
    if (!tv->bad_ref) return 0;
    cJSON *m = with_field(ty, name, tv->bad_ref);
    expect(m, 1, receive_dir(ty), PLX_E_BAD_ATTACHMENT_REF, name);
    expect(m, 2, receive_dir(ty), 0, NULL); /* index 1 is fine with two */
    cJSON_Delete(m);
    return 1;
}

static void test_bad_references_in_fields(void **state) {
    assert_true(each_field(state, check_bad_reference) > 0);
}

static void expect_enum_value(const cJSON *ty, const char *name, const char *value, int code) {
    cJSON *m = instance(ty, 0, 0);
    cJSON_ReplaceItemInObjectCaseSensitive(m, name, cJSON_CreateString(value));
    expect(m, 0, receive_dir(ty), code, code ? name : NULL);
    cJSON_Delete(m);
}

static int check_enum(const cJSON *ty, const cJSON *f) {
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(f, "enum"), *v;
    if (!en) return 0;
    const char *name = str_of(f, "name");
    cJSON_ArrayForEach(v, en) {
        expect_enum_value(ty, name, v->valuestring, 0);
        char upper[128];
        snprintf(upper, sizeof(upper), "%s", v->valuestring);
        upper[0] = (char)toupper((unsigned char)upper[0]);
        expect_enum_value(ty, name, upper, PLX_E_BAD_VALUE);
    }
    expect_enum_value(ty, name, "not-a-listed-value", PLX_E_BAD_VALUE);
    expect_enum_value(ty, name, "", PLX_E_BAD_VALUE);
    return 1;
}

static void test_enums(void **state) {
    assert_true(each_field(state, check_enum) > 0);
}

static void test_one_of(void **state) {
    const cJSON *ty, *v, *w;
    int checked = 0;
    cJSON_ArrayForEach(ty, spec_types(state)) {
        if (!one_of(ty)) continue;
        const char *first = cJSON_GetArrayItem(one_of(ty), 0)->valuestring;
        cJSON *m = instance(ty, 0, 0);
        cJSON_DeleteItemFromObjectCaseSensitive(m, first);
        expect(m, 1, receive_dir(ty), PLX_E_BAD_VALUE, first); /* none */
        cJSON_Delete(m);
        cJSON_ArrayForEach(v, one_of(ty)) {
            m = with_field(ty, v->valuestring, "null");
            cJSON_ReplaceItemInObjectCaseSensitive(m, v->valuestring,
                                                   good_value(field_named(ty, v->valuestring), 0));
            expect(m, 1, receive_dir(ty), 0, NULL); /* exactly this one */
            cJSON_ArrayForEach(w, one_of(ty)) {
                if (w == v) continue;
                cJSON_AddItemToObject(m, w->valuestring,
                                      good_value(field_named(ty, w->valuestring), 0));
            }
            expect(m, 1, receive_dir(ty), PLX_E_BAD_VALUE,
                   cJSON_GetArrayItem(one_of(ty), 1)->valuestring); /* all of them */
            cJSON_Delete(m);
        }
        checked++;
    }
    assert_true(checked > 0);
}

static void test_directions(void **state) {
    const cJSON *ty;
    int c2s = 0, s2c = 0, both = 0;
    cJSON_ArrayForEach(ty, spec_types(state)) {
        const char *dir = str_of(ty, "dir");
        cJSON *m = instance(ty, 0, 0);
        int ok_c2s = strcmp(dir, "s2c") != 0, ok_s2c = strcmp(dir, "c2s") != 0;
        expect(m, 1, PLX_DIR_C2S, ok_c2s ? 0 : PLX_E_WRONG_DIRECTION, ok_c2s ? NULL : "t");
        expect(m, 1, PLX_DIR_S2C, ok_s2c ? 0 : PLX_E_WRONG_DIRECTION, ok_s2c ? NULL : "t");
        expect(m, 1, PLX_DIR_BOTH, 0, NULL);
        /* direction is checked before the fields */
        cJSON *bare = cJSON_CreateObject();
        cJSON_AddStringToObject(bare, "t", str_of(ty, "t"));
        cJSON_AddNumberToObject(bare, "id", -1);
        if (!ok_c2s) expect(bare, 0, PLX_DIR_C2S, PLX_E_WRONG_DIRECTION, "t");
        if (!ok_s2c) expect(bare, 0, PLX_DIR_S2C, PLX_E_WRONG_DIRECTION, "t");
        cJSON_Delete(bare);
        cJSON_Delete(m);
        c2s += !ok_s2c, s2c += !ok_c2s, both += ok_c2s && ok_s2c;
    }
    assert_true(c2s > 0 && s2c > 0 && both > 0);
}

static void test_message_level_errors(void **state) {
    (void)state;
    static const struct {
        const char *json;
        int code;
        const char *field;
    } cases[] = {
        {"[]", PLX_E_NOT_OBJECT, NULL},
        {"\"ping\"", PLX_E_NOT_OBJECT, NULL},
        {"{}", PLX_E_MISSING_TYPE, "t"},
        {"{\"T\":\"ping\"}", PLX_E_MISSING_TYPE, "t"},
        {"{\"t\":7}", PLX_E_MISSING_TYPE, "t"},
        {"{\"t\":null}", PLX_E_MISSING_TYPE, "t"},
        {"{\"t\":[\"ping\"]}", PLX_E_MISSING_TYPE, "t"},
        {"{\"t\":\"nope\"}", PLX_E_UNKNOWN_TYPE, "t"},
        {"{\"t\":\"Ping\"}", PLX_E_UNKNOWN_TYPE, "t"},
        {"{\"t\":\"\"}", PLX_E_UNKNOWN_TYPE, "t"},
        {"{\"t\":\"nope\",\"id\":\"x\"}", PLX_E_UNKNOWN_TYPE, "t"},
        /* per field in catalogue order: call is id, route, ... */
        {"{\"t\":\"call\",\"route\":1}", PLX_E_MISSING_FIELD, "id"},
        {"{\"t\":\"call\",\"id\":\"x\"}", PLX_E_BAD_FIELD_TYPE, "id"},
        {"{\"t\":\"call\",\"id\":1}", PLX_E_MISSING_FIELD, "route"},
        {"{\"t\":\"call\",\"id\":1,\"route\":\"r\",\"to\":null}", PLX_E_BAD_FIELD_TYPE, "to"},
        {"{\"t\":\"call\",\"id\":1,\"route\":\"r\",\"args\":null}", 0, NULL},
        /* fields before one_of */
        {"{\"t\":\"reply\",\"id\":-1}", PLX_E_BAD_FIELD_TYPE, "id"},
        {"{\"t\":\"reply\",\"id\":1,\"result\":null}", 0, NULL},
        {"{\"t\":\"ping\",\"n\":9007199254740991}", 0, NULL},
        {"{\"t\":\"ping\",\"n\":1e0}", 0, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *m = cJSON_Parse(cases[i].json);
        assert_non_null(m);
        expect(m, 0, PLX_DIR_C2S, cases[i].code, cases[i].field);
        cJSON_Delete(m);
    }
    plx_msg_error err;
    assert_int_equal(plx_msg_validate(NULL, 0, PLX_DIR_C2S, &err), PLX_E_NOT_OBJECT);
    assert_int_equal(err.code, PLX_E_NOT_OBJECT);
    assert_null(err.field);
}

/* The spec vectors' JSON for messages flow through decode + validate (end to end of this
 * module pair): a body built from a catalogue instance decodes and validates. */
static void test_decoded_instances_validate(void **state) {
    const cJSON *ty;
    cJSON_ArrayForEach(ty, spec_types(state)) {
        cJSON *m = instance(ty, 1, 1);
        const uint8_t att0[] = {0, 1, 2};
        plx_bytes att[1] = {{att0, sizeof(att0)}};
        uint8_t *body;
        size_t len;
        assert_int_equal(plx_body_encode(NULL, m, att, 1, &body, &len), 0);
        plx_msg msg;
        assert_int_equal(plx_body_decode(NULL, (plx_bytes){body, len}, &msg), 0);
        expect(msg.json, msg.natt, receive_dir(ty), 0, NULL);
        plx_msg_clear(&msg);
        free(body);
        cJSON_Delete(m);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalogue_matches_spec),
        cmocka_unit_test(test_valid_instances),
        cmocka_unit_test(test_missing_required_fields),
        cmocka_unit_test(test_wrong_field_types),
        cmocka_unit_test(test_bad_references_in_fields),
        cmocka_unit_test(test_enums),
        cmocka_unit_test(test_one_of),
        cmocka_unit_test(test_directions),
        cmocka_unit_test(test_message_level_errors),
        cmocka_unit_test(test_decoded_instances_validate),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
