/*
 * gentables.c - plx-gentables, the build-time host tool that turns spec/errors.json and
 * spec/messages.json into the codec's C tables.
 *
 *   plx-gentables errors.json messages.json out_tables.c out_check.h
 *
 * out_tables.c defines the error registry and the message catalogue declared in
 * codec/tables.h. out_check.h holds static assertions that fail to compile when the plx_error
 * enum of include/plexus/codec.h disagrees with errors.json (values, missing or extra names).
 * Every spec entry is checked (keys present, types right, no duplicates); on any problem the
 * tool prints "plx-gentables: FILE: where: what" on stderr and exits 1 without writing.
 * The output depends on the spec files only (sorted by code / spec order), never on the clock.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define MAX_SPEC_BYTES (16u << 20) /* a spec file larger than this is rejected */

/* The spec file being checked, for error messages. */
typedef struct spec {
    const char *path;
    cJSON *root;
} spec;

typedef struct error_def {
    long code;
    const char *name;
    const char *message;
    int fatal;
    long close_code;
} error_def;

static const char *const field_types[][2] = {
    {"string", "PLX_FT_STRING"}, {"uint", "PLX_FT_UINT"},       {"bool", "PLX_FT_BOOL"},
    {"number", "PLX_FT_NUMBER"}, {"object", "PLX_FT_OBJECT"},   {"array", "PLX_FT_ARRAY"},
    {"any", "PLX_FT_ANY"},       {"strings", "PLX_FT_STRINGS"}, {"bytes", "PLX_FT_BYTES"},
    {"argv", "PLX_FT_ARGV"},     {"argvs", "PLX_FT_ARGVS"},     {"error", "PLX_FT_ERROR"},
};
#define NFIELD_TYPES (sizeof(field_types) / sizeof(field_types[0]))

static const char *const directions[][2] = {
    {"c2s", "PLX_DIR_C2S"}, {"s2c", "PLX_DIR_S2C"}, {"both", "PLX_DIR_BOTH"}};

static void die(const char *path, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "plx-gentables: %s: ", path);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) die(path, "cannot open");
    char *buf = malloc(MAX_SPEC_BYTES + 1);
    if (!buf) die(path, "out of memory");
    size_t n = fread(buf, 1, MAX_SPEC_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) die(path, "read error");
    if (n > MAX_SPEC_BYTES) die(path, "larger than %u bytes", MAX_SPEC_BYTES);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static spec load_spec(const char *path) {
    size_t len;
    char *text = read_file(path, &len);
    const char *end = NULL;
    spec s = {path, cJSON_ParseWithLengthOpts(text, len, &end, 0)};
    if (!s.root) die(path, "invalid JSON near byte %ld", end ? (long)(end - text) : 0L);
    for (; end < text + len; end++) {
        if (!strchr(" \t\r\n", *end)) die(path, "trailing data at byte %ld", (long)(end - text));
    }
    free(text);
    if (!cJSON_IsObject(s.root)) die(path, "top level is not an object");
    return s;
}

/* The member key of obj, which must exist and be of the kind checked by is (cJSON_IsString...). */
static cJSON *member(const spec *s, const char *where, const cJSON *obj, const char *key,
                     cJSON_bool (*is)(const cJSON *), const char *kind) {
    cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) die(s->path, "%s: missing key \"%s\"", where, key);
    if (!is(v)) die(s->path, "%s: \"%s\" is not %s", where, key, kind);
    return v;
}

static const char *member_string(const spec *s, const char *where, const cJSON *obj,
                                 const char *key) {
    const char *v = member(s, where, obj, key, cJSON_IsString, "a string")->valuestring;
    if (!*v) die(s->path, "%s: \"%s\" is empty", where, key);
    return v;
}

static long member_int(const spec *s, const char *where, const cJSON *obj, const char *key,
                       long min, long max) {
    double d = member(s, where, obj, key, cJSON_IsNumber, "a number")->valuedouble;
    if (!(d >= (double)min && d <= (double)max) || d != (double)(long)d)
        die(s->path, "%s: \"%s\" is not an integer in %ld..%ld", where, key, min, max);
    return (long)d;
}

static int member_bool(const spec *s, const char *where, const cJSON *obj, const char *key) {
    return cJSON_IsTrue(member(s, where, obj, key, cJSON_IsBool, "a boolean"));
}

/* Error names become C identifiers (upper case, digits, _); message type and field names
 * are identifiers too (letters, digits, _, not starting with a digit). */
static void check_name(const spec *s, const char *where, const char *name, int upper) {
    for (const char *p = name; *p; p++) {
        int ok = (*p >= 'A' && *p <= 'Z') || *p == '_' || (p > name && *p >= '0' && *p <= '9') ||
                 (!upper && *p >= 'a' && *p <= 'z');
        if (!ok)
            die(s->path, "%s: bad name \"%s\" (%s, 0-9 and _ only, no leading digit)", where, name,
                upper ? "A-Z" : "letters");
    }
}

static int by_code(const void *a, const void *b) {
    const error_def *x = a, *y = b;
    return (x->code > y->code) - (x->code < y->code);
}

/* Reads and checks every entry of errors.json; returns them sorted by code. */
static error_def *load_errors(const spec *s, size_t *count) {
    cJSON *list = member(s, "top level", s->root, "errors", cJSON_IsArray, "an array");
    size_t n = (size_t)cJSON_GetArraySize(list), i = 0;
    if (n == 0) die(s->path, "\"errors\" is empty");
    error_def *defs = calloc(n, sizeof(*defs));
    if (!defs) die(s->path, "out of memory");
    const cJSON *e;
    cJSON_ArrayForEach(e, list) {
        char where[64];
        snprintf(where, sizeof(where), "errors[%zu]", i);
        if (!cJSON_IsObject(e)) die(s->path, "%s: not an object", where);
        error_def *d = &defs[i++];
        d->code = member_int(s, where, e, "code", 1, 65535);
        d->name = member_string(s, where, e, "name");
        d->message = member_string(s, where, e, "message");
        d->fatal = member_bool(s, where, e, "fatal");
        d->close_code = member_int(s, where, e, "close", 0, 4999);
        check_name(s, where, d->name, 1);
        if (d->fatal && d->close_code < 1000)
            die(s->path, "%s (%s): fatal but close code %ld is not 1000..4999", where, d->name,
                d->close_code);
        if (!d->fatal && d->close_code != 0)
            die(s->path, "%s (%s): not fatal but close code is %ld, not 0", where, d->name,
                d->close_code);
        for (size_t j = 0; j + 1 < i; j++) {
            if (defs[j].code == d->code)
                die(s->path, "%s: duplicate code %ld (also errors[%zu])", where, d->code, j);
            if (!strcmp(defs[j].name, d->name))
                die(s->path, "%s: duplicate name \"%s\" (also errors[%zu])", where, d->name, j);
        }
    }
    qsort(defs, n, sizeof(*defs), by_code);
    *count = n;
    return defs;
}

/* Index of name in a two-column table (spec name, C name), or -1. */
static int lookup(const char *const table[][2], size_t n, const char *name) {
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(table[i][0], name)) return (int)i;
    }
    return -1;
}

/* A non-empty array of distinct non-empty strings. */
static void check_string_set(const spec *s, const char *where, const cJSON *arr, const char *what) {
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        die(s->path, "%s: \"%s\" is not a non-empty array", where, what);
    const cJSON *v, *w;
    cJSON_ArrayForEach(v, arr) {
        if (!cJSON_IsString(v) || !*v->valuestring)
            die(s->path, "%s: \"%s\" holds something other than a non-empty string", where, what);
        for (w = arr->child; w != v; w = w->next) {
            if (!strcmp(w->valuestring, v->valuestring))
                die(s->path, "%s: \"%s\" lists \"%s\" twice", where, what, v->valuestring);
        }
    }
}

static const cJSON *find_field(const cJSON *fields, const char *name) {
    const cJSON *f;
    cJSON_ArrayForEach(f, fields) {
        if (!strcmp(cJSON_GetObjectItemCaseSensitive(f, "name")->valuestring, name)) return f;
    }
    return NULL;
}

static void check_field(const spec *s, const char *where, const cJSON *f, const cJSON *fields) {
    if (!cJSON_IsObject(f)) die(s->path, "%s: not an object", where);
    const char *name = member_string(s, where, f, "name");
    const char *type = member_string(s, where, f, "type");
    member_bool(s, where, f, "required");
    check_name(s, where, name, 0);
    if (lookup(field_types, NFIELD_TYPES, type) < 0)
        die(s->path, "%s (%s): unknown field type \"%s\"", where, name, type);
    if (!strcmp(name, "t")) die(s->path, "%s: a field may not be named \"t\"", where);
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(f, "enum");
    if (en) {
        if (strcmp(type, "string") != 0)
            die(s->path, "%s (%s): enum on a field of type %s, not string", where, name, type);
        check_string_set(s, where, en, "enum");
    }
    const cJSON *g;
    cJSON_ArrayForEach(g, fields) {
        if (g == f) break;
        if (!strcmp(cJSON_GetObjectItemCaseSensitive(g, "name")->valuestring, name))
            die(s->path, "%s: duplicate field name \"%s\"", where, name);
    }
}

static void check_one_of(const spec *s, const char *where, const cJSON *one_of,
                         const cJSON *fields) {
    check_string_set(s, where, one_of, "one_of");
    if (cJSON_GetArraySize(one_of) < 2) die(s->path, "%s: one_of lists fewer than 2", where);
    const cJSON *v;
    cJSON_ArrayForEach(v, one_of) {
        const cJSON *f = find_field(fields, v->valuestring);
        if (!f) die(s->path, "%s: one_of names unknown field \"%s\"", where, v->valuestring);
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "required")))
            die(s->path, "%s: one_of names required field \"%s\"", where, v->valuestring);
    }
}

static void check_type(const spec *s, const cJSON *ty, size_t index, const cJSON *types) {
    char where[160], fwhere[200];
    snprintf(where, sizeof(where), "types[%zu]", index);
    if (!cJSON_IsObject(ty)) die(s->path, "%s: not an object", where);
    const char *t = member_string(s, where, ty, "t");
    check_name(s, where, t, 0);
    snprintf(where, sizeof(where), "types[%zu] (%.64s)", index, t);
    const char *dir = member_string(s, where, ty, "dir");
    if (lookup(directions, 3, dir) < 0)
        die(s->path, "%s: unknown dir \"%s\" (c2s, s2c, both)", where, dir);
    const cJSON *fields = member(s, where, ty, "fields", cJSON_IsArray, "an array");
    const cJSON *f;
    size_t i = 0;
    cJSON_ArrayForEach(f, fields) {
        snprintf(fwhere, sizeof(fwhere), "%s: fields[%zu]", where, i++);
        check_field(s, fwhere, f, fields);
    }
    const cJSON *one_of = cJSON_GetObjectItemCaseSensitive(ty, "one_of");
    if (one_of) check_one_of(s, where, one_of, fields);
    const cJSON *other;
    cJSON_ArrayForEach(other, types) {
        if (other == ty) break;
        if (!strcmp(cJSON_GetObjectItemCaseSensitive(other, "t")->valuestring, t))
            die(s->path, "%s: duplicate message type \"%s\"", where, t);
    }
}

static const cJSON *load_types(const spec *s) {
    const cJSON *types = member(s, "top level", s->root, "types", cJSON_IsArray, "an array");
    if (cJSON_GetArraySize(types) == 0) die(s->path, "\"types\" is empty");
    const cJSON *ty;
    size_t i = 0;
    cJSON_ArrayForEach(ty, types) check_type(s, ty, i++, types);
    return types;
}

/* ------------------------------------------------------------------ output */

/* Writes str as a C string literal; octal escapes keep every byte exact. */
static void put_cstring(FILE *out, const char *str) {
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f || *p == '?')
            fprintf(out, "\\%03o", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static void put_string_array(FILE *out, const char *ident, const cJSON *arr, const char *note) {
    fprintf(out, "static const char *const %s[] = { /* %s */\n", ident, note);
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) {
        fputs("    ", out);
        put_cstring(out, v->valuestring);
        fputs(",\n", out);
    }
    fputs("};\n", out);
}

static void emit_errors(FILE *out, const error_def *defs, size_t n) {
    fputs("const plx_error_entry plx_error_table[] = {\n", out);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "    {%ld, ", defs[i].code);
        put_cstring(out, defs[i].name);
        fputs(", ", out);
        put_cstring(out, defs[i].message);
        fprintf(out, ", %d, %ld},\n", defs[i].fatal, defs[i].close_code);
    }
    fputs("};\nconst size_t plx_error_table_len = sizeof(plx_error_table) / "
          "sizeof(plx_error_table[0]);\n\n",
          out);
}

/* The field table of type ti (and the enum arrays it points to). Returns the field count. */
static size_t emit_fields(FILE *out, const cJSON *ty, size_t ti) {
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(ty, "fields"), *f;
    const char *t = cJSON_GetObjectItemCaseSensitive(ty, "t")->valuestring;
    size_t fi = 0, n = (size_t)cJSON_GetArraySize(fields);
    cJSON_ArrayForEach(f, fields) {
        const cJSON *en = cJSON_GetObjectItemCaseSensitive(f, "enum");
        char ident[64], note[256];
        snprintf(ident, sizeof(ident), "plx_enum_%zu_%zu", ti, fi++);
        snprintf(note, sizeof(note), "%.64s.%.64s", t,
                 cJSON_GetObjectItemCaseSensitive(f, "name")->valuestring);
        if (en) put_string_array(out, ident, en, note);
    }
    if (n == 0) return 0;
    fprintf(out, "static const plx_field_def plx_fields_%zu[] = { /* %s */\n", ti, t);
    fi = 0;
    cJSON_ArrayForEach(f, fields) {
        const char *type = cJSON_GetObjectItemCaseSensitive(f, "type")->valuestring;
        const cJSON *en = cJSON_GetObjectItemCaseSensitive(f, "enum");
        fputs("    {", out);
        put_cstring(out, cJSON_GetObjectItemCaseSensitive(f, "name")->valuestring);
        fprintf(out, ", %s, %d, ", field_types[lookup(field_types, NFIELD_TYPES, type)][1],
                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "required")));
        if (en)
            fprintf(out, "plx_enum_%zu_%zu, %d},\n", ti, fi, cJSON_GetArraySize(en));
        else
            fputs("NULL, 0},\n", out);
        fi++;
    }
    fputs("};\n", out);
    return n;
}

static void emit_catalogue(FILE *out, const cJSON *types) {
    const cJSON *ty;
    size_t ti = 0, n = (size_t)cJSON_GetArraySize(types);
    size_t *nfields = calloc(n, sizeof(*nfields));
    if (!nfields) die("output", "out of memory");
    cJSON_ArrayForEach(ty, types) {
        const cJSON *one_of = cJSON_GetObjectItemCaseSensitive(ty, "one_of");
        char ident[64];
        nfields[ti] = emit_fields(out, ty, ti);
        snprintf(ident, sizeof(ident), "plx_one_of_%zu", ti);
        if (one_of) put_string_array(out, ident, one_of, "one_of");
        ti++;
    }
    fputs("\nconst plx_msg_def plx_msg_table[] = {\n", out);
    ti = 0;
    cJSON_ArrayForEach(ty, types) {
        const char *dir = cJSON_GetObjectItemCaseSensitive(ty, "dir")->valuestring;
        const cJSON *one_of = cJSON_GetObjectItemCaseSensitive(ty, "one_of");
        fputs("    {", out);
        put_cstring(out, cJSON_GetObjectItemCaseSensitive(ty, "t")->valuestring);
        fprintf(out, ", %s, ", directions[lookup(directions, 3, dir)][1]);
        if (nfields[ti])
            fprintf(out, "plx_fields_%zu, %zu, ", ti, nfields[ti]);
        else
            fputs("NULL, 0, ", out);
        if (one_of)
            fprintf(out, "plx_one_of_%zu, %d},\n", ti, cJSON_GetArraySize(one_of));
        else
            fputs("NULL, 0},\n", out);
        ti++;
    }
    fputs("};\nconst size_t plx_msg_table_len = sizeof(plx_msg_table) / "
          "sizeof(plx_msg_table[0]);\n",
          out);
    free(nfields);
}

static void emit_tables(FILE *out, const error_def *defs, size_t n, const cJSON *types) {
    fputs("/*\n * plx_tables.c - GENERATED by tools/gentables.c from spec/errors.json and\n"
          " * spec/messages.json. Do not edit: edit the spec and rebuild.\n */\n"
          "#include <stddef.h>\n\n#include \"tables.h\"\n\n",
          out);
    emit_errors(out, defs, n);
    emit_catalogue(out, types);
}

static void emit_check(FILE *out, const error_def *defs, size_t n) {
    fputs("/*\n * plx_tables_check.h - GENERATED by tools/gentables.c from spec/errors.json.\n"
          " * Compiling it (with -Wall -Werror) fails when enum plx_error in plexus/codec.h\n"
          " * and the registry disagree: a value differs, a name is missing, the enum has a\n"
          " * name the registry lacks (-Wswitch) or two names share a value.\n */\n"
          "#ifndef PLX_TABLES_CHECK_H\n#define PLX_TABLES_CHECK_H\n\n"
          "#include <plexus/codec.h>\n\n",
          out);
    fprintf(out, "#define PLX_SPEC_ERROR_COUNT %zu\n\n", n);
    for (size_t i = 0; i < n; i++)
        fprintf(out,
                "_Static_assert(PLX_E_%s == -%ld, \"PLX_E_%s must be -%ld as in "
                "spec/errors.json\");\n",
                defs[i].name, defs[i].code, defs[i].name, defs[i].code);
    fputs("\n/* Every registry code as the enum spells it, in registry order\n"
          " * (PLX_SPEC_ERROR_COUNT of them). */\n"
          "static inline const int *plx_spec_error_codes(void) {\n"
          "    static const int codes[] = {\n",
          out);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "        PLX_E_%s,\n", defs[i].name);
    fputs("    };\n    _Static_assert(sizeof(codes) / sizeof(codes[0]) == PLX_SPEC_ERROR_COUNT,\n"
          "                   \"registry entry count\");\n    return codes;\n}\n\n",
          out);
    fputs("/* The registry name of an enum value. No default label: -Wswitch reports any enum\n"
          " * value of codec.h that the registry lacks. */\n"
          "static inline const char *plx_spec_error_enum_name(plx_error e) {\n"
          "    switch (e) {\n    case PLX_OK:\n        return \"OK\";\n",
          out);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "    case PLX_E_%s:\n        return \"%s\";\n", defs[i].name, defs[i].name);
    fputs("    }\n    return NULL;\n}\n\n#endif\n", out);
}

/* Writes through a temporary file renamed into place, so a failed run leaves no output. */
static void write_output(const char *path, const error_def *defs, size_t n, const cJSON *types) {
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) die(path, "path too long");
    FILE *out = fopen(tmp, "wb");
    if (!out) die(tmp, "cannot create");
    if (types)
        emit_tables(out, defs, n, types);
    else
        emit_check(out, defs, n);
    if (fclose(out) != 0) die(tmp, "write error");
    if (rename(tmp, path) != 0) die(path, "cannot rename %s into place", tmp);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: plx-gentables errors.json messages.json out_tables.c "
                        "out_check.h\n");
        return 2;
    }
    spec errors = load_spec(argv[1]);
    spec messages = load_spec(argv[2]);
    size_t n;
    error_def *defs = load_errors(&errors, &n);
    const cJSON *types = load_types(&messages);
    write_output(argv[3], defs, n, types);
    write_output(argv[4], defs, n, NULL);
    free(defs);
    cJSON_Delete(errors.root);
    cJSON_Delete(messages.root);
    return 0;
}
