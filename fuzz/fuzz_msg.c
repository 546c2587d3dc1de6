/*
 * fuzz_msg.c - fuzzes catalogue validation (plx_msg_validate) of parsed JSON objects.
 *
 * The input is JSON text; objects are validated for every receive direction and several
 * attachment counts. A reference validator reads spec/messages.json itself (the codec uses
 * tables generated from it) and gives the first rule the object breaks. Invariants:
 *  - the codec returns exactly the reference's first failure in SPEC.md MSG-6 order (t, type,
 *    direction, fields in catalogue order, one_of), err->code equals the return and
 *    err->field names the failing field;
 *  - validation is deterministic (same code and field twice);
 *  - a valid message stays valid with more attachments, and with an unknown field added;
 *  - the type index and name of a valid message's t agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

#ifndef PLX_SPEC_DIR
#error "PLX_SPEC_DIR must name the spec directory"
#endif

static cJSON *catalogue; /* spec/messages.json, loaded once */

static cJSON *load_catalogue(void) {
    FILE *fp = fopen(PLX_SPEC_DIR "/messages.json", "rb");
    FUZZ_CHECK(fp != NULL);
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof(text) - 1, fp);
    fclose(fp);
    text[n] = 0;
    cJSON *json = cJSON_Parse(text);
    FUZZ_CHECK(json != NULL);
    return json;
}

static const cJSON *find_type(const char *t) {
    const cJSON *def;
    cJSON_ArrayForEach(def, cJSON_GetObjectItemCaseSensitive(catalogue, "types")) {
        if (strcmp(cJSON_GetObjectItemCaseSensitive(def, "t")->valuestring, t) == 0) return def;
    }
    return NULL;
}

static int is_uint(const cJSON *v) {
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble;
    return d >= 0 && d <= 9007199254740991.0 && (double)(long long)d == d;
}

static int is_ref(const cJSON *v) {
    return cJSON_IsObject(v) && v->child && !v->child->next && v->child->string &&
           strcmp(v->child->string, "$bin") == 0;
}

static int ref_ok(const cJSON *v, size_t natt) {
    const cJSON *i = v->child;
    return cJSON_IsNumber(i) && i->valuedouble >= 0 && i->valuedouble < (double)natt &&
           (double)(long long)i->valuedouble == i->valuedouble;
}

/* BAD_ATTACHMENT_REF if any {"$bin": i} under v (any depth) is not below natt, else 0. */
static int tree_refs(const cJSON *v, size_t natt) {
    if (is_ref(v)) return ref_ok(v, natt) ? 0 : PLX_E_BAD_ATTACHMENT_REF;
    for (const cJSON *c = v->child; c; c = c->next)
        if (tree_refs(c, natt)) return PLX_E_BAD_ATTACHMENT_REF;
    return 0;
}

static int check_bytes(const cJSON *v, size_t natt) {
    if (cJSON_IsString(v)) return 0;
    if (!is_ref(v)) return PLX_E_BAD_FIELD_TYPE;
    return ref_ok(v, natt) ? 0 : PLX_E_BAD_ATTACHMENT_REF;
}

static int check_argv(const cJSON *v, size_t natt) {
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0) return PLX_E_BAD_FIELD_TYPE;
    for (const cJSON *e = v->child; e; e = e->next) {
        int rc = check_bytes(e, natt);
        if (rc) return rc;
    }
    return 0;
}

static int check_strings(const cJSON *v) {
    if (!cJSON_IsArray(v)) return PLX_E_BAD_FIELD_TYPE;
    for (const cJSON *e = v->child; e; e = e->next)
        if (!cJSON_IsString(e)) return PLX_E_BAD_FIELD_TYPE;
    return 0;
}

static int check_argvs(const cJSON *v, size_t natt) {
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0) return PLX_E_BAD_FIELD_TYPE;
    for (const cJSON *e = v->child; e; e = e->next) {
        int rc = check_argv(e, natt);
        if (rc) return rc;
    }
    return 0;
}

static int check_error_object(const cJSON *v, size_t natt) {
    if (!cJSON_IsObject(v) || !is_uint(cJSON_GetObjectItemCaseSensitive(v, "code")) ||
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(v, "name")) ||
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(v, "message")))
        return PLX_E_BAD_FIELD_TYPE;
    return tree_refs(v, natt);
}

/* The first failure of a present field value of the given catalogue type (SPEC.md MSG-3). */
static int check_type(const cJSON *v, const char *type, size_t natt) {
    if (!strcmp(type, "string")) return cJSON_IsString(v) ? 0 : PLX_E_BAD_FIELD_TYPE;
    if (!strcmp(type, "uint")) return is_uint(v) ? 0 : PLX_E_BAD_FIELD_TYPE;
    if (!strcmp(type, "bool")) return cJSON_IsBool(v) ? 0 : PLX_E_BAD_FIELD_TYPE;
    if (!strcmp(type, "number")) return cJSON_IsNumber(v) ? 0 : PLX_E_BAD_FIELD_TYPE;
    if (!strcmp(type, "object"))
        return cJSON_IsObject(v) ? tree_refs(v, natt) : PLX_E_BAD_FIELD_TYPE;
    if (!strcmp(type, "array")) return cJSON_IsArray(v) ? tree_refs(v, natt) : PLX_E_BAD_FIELD_TYPE;
    if (!strcmp(type, "any")) return tree_refs(v, natt);
    if (!strcmp(type, "bytes")) return check_bytes(v, natt);
    if (!strcmp(type, "argv")) return check_argv(v, natt);
    if (!strcmp(type, "strings")) return check_strings(v);
    if (!strcmp(type, "argvs")) return check_argvs(v, natt);
    if (!strcmp(type, "error")) return check_error_object(v, natt);
    FUZZ_CHECK(!"unknown field type in spec/messages.json");
    return 0;
}

static int check_field(const cJSON *json, const cJSON *fdef, size_t natt) {
    const char *name = cJSON_GetObjectItemCaseSensitive(fdef, "name")->valuestring;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(json, name);
    if (!v)
        return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fdef, "required"))
                   ? PLX_E_MISSING_FIELD
                   : 0;
    int rc = check_type(v, cJSON_GetObjectItemCaseSensitive(fdef, "type")->valuestring, natt);
    const cJSON *values = cJSON_GetObjectItemCaseSensitive(fdef, "enum");
    if (!rc && values) {
        const cJSON *e;
        int found = 0;
        cJSON_ArrayForEach(e, values) found |= strcmp(e->valuestring, v->valuestring) == 0;
        if (!found) rc = PLX_E_BAD_VALUE;
    }
    return rc;
}

static unsigned dir_bits(const char *dir) {
    return !strcmp(dir, "c2s") ? PLX_DIR_C2S : !strcmp(dir, "s2c") ? PLX_DIR_S2C : PLX_DIR_BOTH;
}

/* The first failure SPEC.md MSG-6 gives for json received in direction dir, or 0; *field
 * names the failing field for field-level failures. */
static int reference(const cJSON *json, size_t natt, plx_dir dir, const char **field) {
    *field = NULL;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(json, "t");
    if (!cJSON_IsString(t)) return PLX_E_MISSING_TYPE;
    const cJSON *def = find_type(t->valuestring);
    if (!def) return PLX_E_UNKNOWN_TYPE;
    const char *tdir = cJSON_GetObjectItemCaseSensitive(def, "dir")->valuestring;
    if ((dir_bits(tdir) & (unsigned)dir) == 0) return PLX_E_WRONG_DIRECTION;
    const cJSON *fdef;
    cJSON_ArrayForEach(fdef, cJSON_GetObjectItemCaseSensitive(def, "fields")) {
        int rc = check_field(json, fdef, natt);
        if (rc) {
            *field = cJSON_GetObjectItemCaseSensitive(fdef, "name")->valuestring;
            return rc;
        }
    }
    const cJSON *one_of = cJSON_GetObjectItemCaseSensitive(def, "one_of");
    if (one_of) {
        int present = 0;
        const cJSON *name;
        cJSON_ArrayForEach(name, one_of) present +=
            cJSON_GetObjectItemCaseSensitive(json, name->valuestring) != NULL;
        if (present != 1) return PLX_E_BAD_VALUE;
    }
    return 0;
}

static int validate(const cJSON *json, size_t natt, plx_dir dir, const char **field) {
    plx_msg_error err = {12345, "unset"};
    int rc = plx_msg_validate(json, natt, dir, &err);
    FUZZ_CHECK_EQ(err.code, rc);
    plx_msg_error again = {0, NULL};
    FUZZ_CHECK(plx_msg_validate(json, natt, dir, &again) == rc);
    FUZZ_CHECK(again.field == err.field ||
               (again.field && err.field && strcmp(again.field, err.field) == 0));
    FUZZ_CHECK(plx_msg_validate(json, natt, dir, NULL) == rc);
    *field = err.field;
    return rc;
}

static void check_one(cJSON *json, size_t natt, plx_dir dir) {
    const char *want_field = NULL;
    int want = reference(json, natt, dir, &want_field);
    const char *field = NULL;
    int rc = validate(json, natt, dir, &field);
    FUZZ_CHECK_EQ(rc, want);
    if (want_field) FUZZ_CHECK(field != NULL && strcmp(field, want_field) == 0);
    if (want != 0) return;
    FUZZ_CHECK(field == NULL);
    const char *t = cJSON_GetObjectItemCaseSensitive(json, "t")->valuestring;
    int index = plx_msg_type_index(t);
    FUZZ_CHECK(index >= 0 && (size_t)index < plx_msg_type_count());
    FUZZ_CHECK(strcmp(plx_msg_type_name((size_t)index), t) == 0);
    /* More attachments and an unknown field keep it valid. */
    FUZZ_CHECK(validate(json, natt + 1, dir, &field) == PLX_OK);
    FUZZ_CHECK(cJSON_AddNumberToObject(json, "zz_unknown_field", 1) != NULL);
    FUZZ_CHECK(validate(json, natt, dir, &field) == PLX_OK);
    cJSON_DeleteItemFromObjectCaseSensitive(json, "zz_unknown_field");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!catalogue) catalogue = load_catalogue();
    cJSON *json = cJSON_ParseWithLength((const char *)data, size);
    if (!json) return 0;
    if (cJSON_IsObject(json)) {
        static const size_t natts[] = {0, 1, 3};
        static const plx_dir dirs[] = {PLX_DIR_C2S, PLX_DIR_S2C, PLX_DIR_BOTH};
        for (size_t d = 0; d < 3; d++)
            for (size_t n = 0; n < 3; n++)
                check_one(json, natts[n], dirs[d]);
    } else {
        plx_msg_error err;
        FUZZ_CHECK(plx_msg_validate(json, 0, PLX_DIR_C2S, &err) < 0 && err.code < 0);
    }
    cJSON_Delete(json);
    return 0;
}
