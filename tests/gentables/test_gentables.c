/*
 * test_gentables.c - the build-time generator plx-gentables, run as a program: every kind of
 * malformed spec file fails with exit 1, a message naming the file and the problem, and no
 * output; valid specs give byte-identical output on every run; generated strings survive
 * escaping (compiled and printed back); and the generated plx_tables_check.h refuses to
 * compile when the registry and enum plx_error of plexus/codec.h disagree.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#define OUTPUT_MAX 65536 /* bytes of a child's stdout+stderr kept */

typedef struct workdir {
    char dir[64];
    char errors[128], messages[128], out_c[128], out_h[128], check_c[128], exe[128], main_c[128];
    char output[OUTPUT_MAX]; /* the last child's stdout and stderr */
} workdir;

static const char *const MIN_ERRORS =
    "{\"errors\":[{\"code\":1,\"name\":\"NOMEM\",\"message\":\"m\",\"fatal\":false,\"close\":0},"
    "{\"code\":101,\"name\":\"TRUNCATED\",\"message\":\"t\",\"fatal\":true,\"close\":1002}]}";
static const char *const MIN_MESSAGES =
    "{\"types\":[{\"t\":\"ping\",\"dir\":\"both\",\"fields\":[{\"name\":\"n\",\"type\":\"uint\","
    "\"required\":false}]},{\"t\":\"bye\",\"dir\":\"c2s\",\"fields\":[]}]}";

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static void write_json(const char *path, const cJSON *json) {
    char *text = cJSON_Print(json);
    assert_non_null(text);
    write_text(path, text);
    free(text);
}

/* The whole file, malloc'd and NUL-terminated; NULL if it does not exist. */
static char *read_text(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

/* Runs argv with stdout and stderr into w->output; returns the exit status (-1 if killed). */
static int run(workdir *w, char *const argv[]) {
    char log[160];
    snprintf(log, sizeof(log), "%s/child.log", w->dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    size_t n = 0;
    char *text = read_text(log, &n);
    assert_non_null(text);
    snprintf(w->output, sizeof(w->output), "%s", text);
    free(text);
    unlink(log);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int gentables(workdir *w) {
    unlink(w->out_c);
    unlink(w->out_h);
    char *argv[] = {PLX_GENTABLES, w->errors, w->messages, w->out_c, w->out_h, NULL};
    return run(w, argv);
}

static int setup(void **state) {
    workdir *w = calloc(1, sizeof(*w));
    if (!w) return -1;
    snprintf(w->dir, sizeof(w->dir), "/tmp/plx-gentables-XXXXXX");
    if (!mkdtemp(w->dir)) return -1;
    snprintf(w->errors, sizeof(w->errors), "%s/errors.json", w->dir);
    snprintf(w->messages, sizeof(w->messages), "%s/messages.json", w->dir);
    snprintf(w->out_c, sizeof(w->out_c), "%s/plx_tables.c", w->dir);
    snprintf(w->out_h, sizeof(w->out_h), "%s/plx_tables_check.h", w->dir);
    snprintf(w->check_c, sizeof(w->check_c), "%s/check.c", w->dir);
    snprintf(w->main_c, sizeof(w->main_c), "%s/main.c", w->dir);
    snprintf(w->exe, sizeof(w->exe), "%s/prog", w->dir);
    *state = w;
    return 0;
}

static int teardown(void **state) {
    workdir *w = *state;
    const char *files[] = {w->errors,  w->messages, w->out_c, w->out_h,
                           w->check_c, w->main_c,   w->exe};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        unlink(files[i]);
    rmdir(w->dir);
    free(w);
    return 0;
}

/* ------------------------------------------------------------ malformed specs */

typedef struct bad_spec {
    int in_messages; /* 0: errors.json is the bad file, 1: messages.json */
    const char *text;
    const char *says; /* expected in the message */
} bad_spec;

#define ERR_ENTRY(body)   "{\"errors\":[" body "]}"
#define OK_E              "{\"code\":1,\"name\":\"NOMEM\",\"message\":\"m\",\"fatal\":false,\"close\":0}"
#define TYPES(body)       "{\"types\":[" body "]}"
#define FIELD(name, type) "{\"name\":\"" name "\",\"type\":\"" type "\",\"required\":false}"

static const bad_spec bad_specs[] = {
    {0, "not json", "invalid JSON"},
    {0, OK_E " x", "trailing data"},
    {0, "[]", "top level is not an object"},
    {0, "{}", "missing key \"errors\""},
    {0, "{\"errors\":{}}", "\"errors\" is not an array"},
    {0, ERR_ENTRY(""), "\"errors\" is empty"},
    {0, ERR_ENTRY("1"), "errors[0]: not an object"},
    {0, ERR_ENTRY("{\"name\":\"X\",\"message\":\"m\",\"fatal\":false,\"close\":0}"),
     "errors[0]: missing key \"code\""},
    {0, ERR_ENTRY("{\"code\":1,\"message\":\"m\",\"fatal\":false,\"close\":0}"),
     "missing key \"name\""},
    {0, ERR_ENTRY("{\"code\":1,\"name\":\"X\",\"fatal\":false,\"close\":0}"),
     "missing key \"message\""},
    {0, ERR_ENTRY("{\"code\":1,\"name\":\"X\",\"message\":\"m\",\"close\":0}"),
     "missing key \"fatal\""},
    {0, ERR_ENTRY("{\"code\":1,\"name\":\"X\",\"message\":\"m\",\"fatal\":false}"),
     "missing key \"close\""},
    {0, ERR_ENTRY("{\"code\":1.5,\"name\":\"X\",\"message\":\"m\",\"fatal\":false,\"close\":0}"),
     "\"code\" is not an integer"},
    {0, ERR_ENTRY("{\"code\":0,\"name\":\"X\",\"message\":\"m\",\"fatal\":false,\"close\":0}"),
     "\"code\" is not an integer in 1..65535"},
    {0, ERR_ENTRY("{\"code\":\"1\",\"name\":\"X\",\"message\":\"m\",\"fatal\":false,\"close\":0}"),
     "\"code\" is not a number"},
    {0,
     ERR_ENTRY(OK_E ","
                    "{\"code\":1,\"name\":\"Y\",\"message\":\"m\",\"fatal\":false,\"close\":0}"),
     "errors[1]: duplicate code 1"},
    {0,
     ERR_ENTRY(OK_E
               ","
               "{\"code\":2,\"name\":\"NOMEM\",\"message\":\"m\",\"fatal\":false,\"close\":0}"),
     "errors[1]: duplicate name \"NOMEM\""},
    {0, ERR_ENTRY("{\"code\":1,\"name\":\"nomem\",\"message\":\"m\",\"fatal\":false,\"close\":0}"),
     "bad name \"nomem\""},
    {0, ERR_ENTRY("{\"code\":1,\"name\":\"1X\",\"message\":\"m\",\"fatal\":false,\"close\":0}"),
     "bad name \"1X\""},
    {0, ERR_ENTRY("{\"code\":1,\"name\":\"\",\"message\":\"m\",\"fatal\":false,\"close\":0}"),
     "\"name\" is empty"},
    {0, ERR_ENTRY("{\"code\":1,\"name\":\"X\",\"message\":\"\",\"fatal\":false,\"close\":0}"),
     "\"message\" is empty"},
    {0, ERR_ENTRY("{\"code\":1,\"name\":\"X\",\"message\":\"m\",\"fatal\":1,\"close\":0}"),
     "\"fatal\" is not a boolean"},
    {0, ERR_ENTRY("{\"code\":1,\"name\":\"X\",\"message\":\"m\",\"fatal\":true,\"close\":0}"),
     "fatal but close code 0"},
    {0, ERR_ENTRY("{\"code\":1,\"name\":\"X\",\"message\":\"m\",\"fatal\":false,\"close\":1002}"),
     "not fatal but close code is 1002"},
    {1, "{}", "missing key \"types\""},
    {1, TYPES(""), "\"types\" is empty"},
    {1, TYPES("{\"dir\":\"both\",\"fields\":[]}"), "types[0]: missing key \"t\""},
    {1, TYPES("{\"t\":\"ping\",\"fields\":[]}"), "missing key \"dir\""},
    {1, TYPES("{\"t\":\"ping\",\"dir\":\"both\"}"), "missing key \"fields\""},
    {1, TYPES("{\"t\":\"ping\",\"dir\":\"both\",\"fields\":{}}"), "\"fields\" is not an array"},
    {1, TYPES("{\"t\":\"ping\",\"dir\":\"up\",\"fields\":[]}"), "unknown dir \"up\""},
    {1, TYPES("{\"t\":\"pi ng\",\"dir\":\"both\",\"fields\":[]}"), "bad name \"pi ng\""},
    {1,
     TYPES("{\"t\":\"ping\",\"dir\":\"both\",\"fields\":[]},{\"t\":\"ping\",\"dir\":\"c2s\","
           "\"fields\":[]}"),
     "types[1] (ping): duplicate message type \"ping\""},
    {1, TYPES("{\"t\":\"ping\",\"dir\":\"both\",\"fields\":[" FIELD("n", "blob") "]}"),
     "types[0] (ping): fields[0] (n): unknown field type \"blob\""},
    {1, TYPES("{\"t\":\"ping\",\"dir\":\"both\",\"fields\":[{\"name\":\"n\",\"type\":\"uint\"}]}"),
     "missing key \"required\""},
    {1,
     TYPES("{\"t\":\"ping\",\"dir\":\"both\",\"fields\":[{\"type\":\"uint\",\"required\":true}]}"),
     "missing key \"name\""},
    {1,
     TYPES("{\"t\":\"ping\",\"dir\":\"both\",\"fields\":[" FIELD("n", "uint") "," FIELD(
         "n", "string") "]}"),
     "fields[1]: duplicate field name \"n\""},
    {1, TYPES("{\"t\":\"ping\",\"dir\":\"both\",\"fields\":[" FIELD("t", "string") "]}"),
     "may not be named \"t\""},
    {1,
     TYPES("{\"t\":\"ping\",\"dir\":\"both\",\"fields\":[{\"name\":\"n\",\"type\":\"uint\","
           "\"required\":false,\"enum\":[\"a\"]}]}"),
     "enum on a field of type uint"},
    {1,
     TYPES("{\"t\":\"ping\",\"dir\":\"both\",\"fields\":[{\"name\":\"k\",\"type\":\"string\","
           "\"required\":false,\"enum\":[]}]}"),
     "\"enum\" is not a non-empty array"},
    {1,
     TYPES("{\"t\":\"ping\",\"dir\":\"both\",\"fields\":[{\"name\":\"k\",\"type\":\"string\","
           "\"required\":false,\"enum\":[\"a\",\"a\"]}]}"),
     "\"enum\" lists \"a\" twice"},
    {1,
     TYPES("{\"t\":\"r\",\"dir\":\"both\",\"one_of\":[\"a\",\"z\"],\"fields\":[" FIELD("a",
                                                                                       "any") "]}"),
     "one_of names unknown field \"z\""},
    {1,
     TYPES("{\"t\":\"r\",\"dir\":\"both\",\"one_of\":[\"a\",\"b\"],\"fields\":[" FIELD(
         "a", "any") ","
                     "{\"name\":\"b\",\"type\":\"any\",\"required\":true}]}"),
     "one_of names required field \"b\""},
    {1,
     TYPES("{\"t\":\"r\",\"dir\":\"both\",\"one_of\":[\"a\"],\"fields\":[" FIELD("a", "any") "]}"),
     "one_of lists fewer than 2"},
};

static void test_malformed_specs_fail(void **state) {
    workdir *w = *state;
    for (size_t i = 0; i < sizeof(bad_specs) / sizeof(bad_specs[0]); i++) {
        const bad_spec *b = &bad_specs[i];
        write_text(w->errors, b->in_messages ? MIN_ERRORS : b->text);
        write_text(w->messages, b->in_messages ? b->text : MIN_MESSAGES);
        int rc = gentables(w);
        const char *file = b->in_messages ? w->messages : w->errors;
        char prefix[200];
        snprintf(prefix, sizeof(prefix), "plx-gentables: %s: ", file);
        if (rc != 1 || strncmp(w->output, prefix, strlen(prefix)) != 0 ||
            !strstr(w->output, b->says))
            fail_msg("case %zu: exit %d, output \"%s\", want exit 1 and \"%s%s\"", i, rc, w->output,
                     prefix, b->says);
        assert_int_equal(access(w->out_c, F_OK), -1); /* nothing written */
        assert_int_equal(access(w->out_h, F_OK), -1);
    }
}

static void test_usage_and_missing_files(void **state) {
    workdir *w = *state;
    char *argv[] = {PLX_GENTABLES, w->errors, NULL};
    assert_int_equal(run(w, argv), 2);
    assert_non_null(strstr(w->output, "usage: plx-gentables"));
    write_text(w->messages, MIN_MESSAGES);
    unlink(w->errors);
    assert_int_equal(gentables(w), 1);
    assert_non_null(strstr(w->output, "cannot open"));
}

/* ------------------------------------------------------------ valid specs */

static void check_deterministic(workdir *w) {
    assert_int_equal(gentables(w), 0);
    size_t len_c, len_h;
    char *c1 = read_text(w->out_c, &len_c), *h1 = read_text(w->out_h, &len_h);
    assert_non_null(c1);
    assert_non_null(h1);
    assert_int_equal(gentables(w), 0);
    size_t len_c2, len_h2;
    char *c2 = read_text(w->out_c, &len_c2), *h2 = read_text(w->out_h, &len_h2);
    assert_int_equal(len_c, len_c2);
    assert_int_equal(len_h, len_h2);
    assert_memory_equal(c1, c2, len_c);
    assert_memory_equal(h1, h2, len_h);
    free(c1), free(c2), free(h1), free(h2);
}

static void test_real_spec_is_deterministic(void **state) {
    workdir *w = *state;
    char *e = read_text(PLX_SOURCE_DIR "/spec/errors.json", NULL);
    char *m = read_text(PLX_SOURCE_DIR "/spec/messages.json", NULL);
    assert_non_null(e);
    assert_non_null(m);
    write_text(w->errors, e);
    write_text(w->messages, m);
    free(e), free(m);
    check_deterministic(w);
}

/* Compiles the generated tables with a main that prints them back; the strings must come out
 * exactly as written in the spec (quotes, backslashes, control characters, UTF-8, trigraph
 * look-alikes). */
static void test_strings_survive_escaping(void **state) {
    workdir *w = *state;
    const char *tricky = "q\"b\\s\tn\nu\xC3\xA9?\?=end";
    cJSON *errors = cJSON_Parse(MIN_ERRORS);
    cJSON_ReplaceItemInObject(cJSON_GetArrayItem(cJSON_GetObjectItem(errors, "errors"), 0),
                              "message", cJSON_CreateString(tricky));
    write_json(w->errors, errors);
    cJSON_Delete(errors);
    write_text(w->messages, MIN_MESSAGES);
    check_deterministic(w);
    write_text(w->main_c, "#include <stdio.h>\n#include \"tables.h\"\n"
                          "int main(void) {\n"
                          "    printf(\"%zu %zu|%s|%d %s %d\", plx_error_table_len,\n"
                          "           plx_msg_table_len, plx_error_table[0].message,\n"
                          "           plx_error_table[1].close_code, plx_msg_table[1].name,\n"
                          "           (int)plx_msg_table[1].dir);\n"
                          "    return 0;\n}\n");
    char *cc[] = {PLX_CC,
                  "-std=c11",
                  "-Wall",
                  "-Werror",
                  "-I" PLX_INCLUDE_DIR,
                  "-I" PLX_SOURCE_DIR "/codec",
                  "-o",
                  w->exe,
                  w->main_c,
                  w->out_c,
                  NULL};
    if (run(w, cc) != 0) fail_msg("compiling the generated tables failed: %s", w->output);
    char *prog[] = {w->exe, NULL};
    assert_int_equal(run(w, prog), 0);
    char want[256];
    snprintf(want, sizeof(want), "2 2|%s|1002 bye 1", tricky);
    assert_string_equal(w->output, want);
}

/* ------------------------------------------------------------ the enum check header */

/* Generates the check header from errors (the real registry, changed) and compiles it with
 * plexus/codec.h. Returns the compiler's exit status; its messages are in w->output. */
static int compile_check(workdir *w, cJSON *errors) {
    write_json(w->errors, errors);
    write_text(w->messages, MIN_MESSAGES);
    assert_int_equal(gentables(w), 0);
    write_text(w->check_c, "#include <plexus/codec.h>\n#include \"plx_tables_check.h\"\n"
                           "int main(void) {\n"
                           "    return plx_spec_error_enum_name(PLX_E_NOMEM)[0] != 'N';\n}\n");
    char inc[160];
    snprintf(inc, sizeof(inc), "-I%s", w->dir);
    char *cc[] = {PLX_CC,          "-std=c11",           "-Wall", "-Wextra",  "-Werror",
                  "-fsyntax-only", "-I" PLX_INCLUDE_DIR, inc,     w->check_c, NULL};
    return run(w, cc);
}

static cJSON *real_errors(void) {
    char *text = read_text(PLX_SOURCE_DIR "/spec/errors.json", NULL);
    assert_non_null(text);
    cJSON *e = cJSON_Parse(text);
    free(text);
    assert_non_null(e);
    return e;
}

static cJSON *entry_named(cJSON *errors, const char *name) {
    cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(errors, "errors")) {
        if (!strcmp(cJSON_GetObjectItem(e, "name")->valuestring, name)) return e;
    }
    fail_msg("no %s in spec/errors.json", name);
    return NULL;
}

static void test_check_header_accepts_real_registry(void **state) {
    cJSON *e = real_errors();
    int rc = compile_check(*state, e);
    if (rc != 0) fail_msg("the real registry fails its own check: %s", ((workdir *)*state)->output);
    cJSON_Delete(e);
}

static void test_check_header_rejects_changed_code(void **state) {
    workdir *w = *state;
    cJSON *e = real_errors();
    cJSON_ReplaceItemInObject(entry_named(e, "BAD_JSON"), "code", cJSON_CreateNumber(499));
    assert_int_not_equal(compile_check(w, e), 0);
    assert_non_null(strstr(w->output, "PLX_E_BAD_JSON must be -499"));
    cJSON_Delete(e);
}

static void test_check_header_rejects_entry_missing_from_enum(void **state) {
    workdir *w = *state;
    cJSON *e = real_errors();
    cJSON *extra = cJSON_Duplicate(entry_named(e, "EXPIRED"), 1);
    cJSON_ReplaceItemInObject(extra, "name", cJSON_CreateString("BRAND_NEW"));
    cJSON_ReplaceItemInObject(extra, "code", cJSON_CreateNumber(299));
    cJSON_AddItemToArray(cJSON_GetObjectItem(e, "errors"), extra);
    assert_int_not_equal(compile_check(w, e), 0);
    assert_non_null(strstr(w->output, "PLX_E_BRAND_NEW"));
    cJSON_Delete(e);
}

static void test_check_header_rejects_enum_value_missing_from_spec(void **state) {
    workdir *w = *state;
    cJSON *e = real_errors();
    cJSON *list = cJSON_GetObjectItem(e, "errors");
    int n = cJSON_GetArraySize(list);
    for (int i = 0; i < n; i++) {
        if (!strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(list, i), "name")->valuestring,
                    "EXEC_ABORTED")) {
            cJSON_DeleteItemFromArray(list, i);
            break;
        }
    }
    assert_int_equal(cJSON_GetArraySize(list), n - 1);
    assert_int_not_equal(compile_check(w, e), 0);
    assert_non_null(strstr(w->output, "PLX_E_EXEC_ABORTED"));
    cJSON_Delete(e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_specs_fail),
        cmocka_unit_test(test_usage_and_missing_files),
        cmocka_unit_test(test_real_spec_is_deterministic),
        cmocka_unit_test(test_strings_survive_escaping),
        cmocka_unit_test(test_check_header_accepts_real_registry),
        cmocka_unit_test(test_check_header_rejects_changed_code),
        cmocka_unit_test(test_check_header_rejects_entry_missing_from_enum),
        cmocka_unit_test(test_check_header_rejects_enum_value_missing_from_spec),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
