/*
 * msg.c - validation of a message object against the catalogue generated from
 * spec/messages.json: t, direction, required fields, field types, enums and one_of rules.
 * Every failure of a field's type (a uint that is negative, fractional or above 2^53-1
 * included) is BAD_FIELD_TYPE; enum and one_of failures are BAD_VALUE; a {"$bin": i} whose i
 * is not an integer below natt is BAD_ATTACHMENT_REF. Fields are checked in catalogue order
 * and the first failure is reported; unknown fields are ignored.
 */
#include <string.h>

#include "binref.h"
#include "tables.h"

#define MAX_UINT53 9007199254740991.0 /* 2^53 - 1, the largest uint */

static int is_uint(const cJSON *v) {
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble; /* NaN fails both comparisons */
    return d >= 0 && d <= MAX_UINT53 && d == (double)(uint64_t)d;
}

static int check_strings(const cJSON *v) {
    if (!cJSON_IsArray(v)) return PLX_E_BAD_FIELD_TYPE;
    for (const cJSON *e = v->child; e; e = e->next) {
        if (!cJSON_IsString(e)) return PLX_E_BAD_FIELD_TYPE;
    }
    return 0;
}

static int check_bytes(const cJSON *v, size_t natt) {
    if (cJSON_IsString(v)) return 0;
    if (!plx_bin_is_ref(v)) return PLX_E_BAD_FIELD_TYPE;
    return plx_bin_ref_ok(v, natt) ? 0 : PLX_E_BAD_ATTACHMENT_REF;
}

static int check_argv(const cJSON *v, size_t natt) {
    if (!cJSON_IsArray(v) || !v->child) return PLX_E_BAD_FIELD_TYPE;
    for (const cJSON *e = v->child; e; e = e->next) {
        int rc = check_bytes(e, natt);
        if (rc) return rc;
    }
    return 0;
}

static int check_argvs(const cJSON *v, size_t natt) {
    if (!cJSON_IsArray(v) || !v->child) return PLX_E_BAD_FIELD_TYPE;
    for (const cJSON *e = v->child; e; e = e->next) {
        int rc = check_argv(e, natt);
        if (rc) return rc;
    }
    return 0;
}

/* An error object: uint code, string name, string message; detail (any) is optional. */
static int check_error_object(const cJSON *v, size_t natt) {
    if (!cJSON_IsObject(v) || !is_uint(cJSON_GetObjectItemCaseSensitive(v, "code")) ||
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(v, "name")) ||
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(v, "message")))
        return PLX_E_BAD_FIELD_TYPE;
    return plx_bin_check_tree(v, natt);
}

/* Checks a present field's value against its type: 0 or the error code. */
static int check_type(const cJSON *v, plx_field_type type, size_t natt) {
    switch (type) {
    case PLX_FT_STRING:
        return cJSON_IsString(v) ? 0 : PLX_E_BAD_FIELD_TYPE;
    case PLX_FT_UINT:
        return is_uint(v) ? 0 : PLX_E_BAD_FIELD_TYPE;
    case PLX_FT_BOOL:
        return cJSON_IsBool(v) ? 0 : PLX_E_BAD_FIELD_TYPE;
    case PLX_FT_NUMBER:
        return cJSON_IsNumber(v) ? 0 : PLX_E_BAD_FIELD_TYPE;
    case PLX_FT_OBJECT:
        return cJSON_IsObject(v) ? plx_bin_check_tree(v, natt) : PLX_E_BAD_FIELD_TYPE;
    case PLX_FT_ARRAY:
        return cJSON_IsArray(v) ? plx_bin_check_tree(v, natt) : PLX_E_BAD_FIELD_TYPE;
    case PLX_FT_ANY:
        return plx_bin_check_tree(v, natt);
    case PLX_FT_STRINGS:
        return check_strings(v);
    case PLX_FT_BYTES:
        return check_bytes(v, natt);
    case PLX_FT_ARGV:
        return check_argv(v, natt);
    case PLX_FT_ARGVS:
        return check_argvs(v, natt);
    case PLX_FT_ERROR:
        return check_error_object(v, natt);
    }
    return PLX_E_INTERNAL;
}

static int check_enum(const cJSON *v, const plx_field_def *f) {
    for (size_t i = 0; i < f->nenum; i++) {
        if (!strcmp(v->valuestring, f->enum_values[i])) return 0;
    }
    return PLX_E_BAD_VALUE;
}

static int check_field(const cJSON *json, const plx_field_def *f, size_t natt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(json, f->name);
    if (!v) return f->required ? PLX_E_MISSING_FIELD : 0;
    int rc = check_type(v, f->type, natt);
    if (rc == 0 && f->nenum) rc = check_enum(v, f);
    return rc;
}

/* Exactly one of def's one_of fields must be present. On failure *field names the first
 * listed field when none is present, else the second present one. */
static int check_one_of(const cJSON *json, const plx_msg_def *def, const char **field) {
    size_t present = 0;
    for (size_t i = 0; i < def->none_of; i++) {
        if (!cJSON_GetObjectItemCaseSensitive(json, def->one_of[i])) continue;
        if (++present > 1) {
            *field = def->one_of[i];
            return PLX_E_BAD_VALUE;
        }
    }
    if (def->none_of && present == 0) {
        *field = def->one_of[0];
        return PLX_E_BAD_VALUE;
    }
    return 0;
}

static int validate(const cJSON *json, size_t natt, plx_dir dir, const char **field) {
    if (!cJSON_IsObject(json)) return PLX_E_NOT_OBJECT;
    *field = "t";
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(json, "t");
    if (!cJSON_IsString(t)) return PLX_E_MISSING_TYPE;
    int index = plx_msg_type_index(t->valuestring);
    if (index < 0) return PLX_E_UNKNOWN_TYPE;
    const plx_msg_def *def = &plx_msg_table[index];
    if (((unsigned)def->dir & (unsigned)dir) == 0) return PLX_E_WRONG_DIRECTION;
    for (size_t i = 0; i < def->nfields; i++) {
        *field = def->fields[i].name;
        int rc = check_field(json, &def->fields[i], natt);
        if (rc) return rc;
    }
    *field = NULL;
    return check_one_of(json, def, field);
}

int plx_msg_validate(const cJSON *json, size_t natt, plx_dir dir, plx_msg_error *err) {
    const char *field = NULL;
    int rc = validate(json, natt, dir, &field);
    if (err) {
        err->code = rc;
        err->field = rc ? field : NULL;
    }
    return rc;
}

int plx_msg_type_index(const char *t) {
    if (!t) return -1;
    for (size_t i = 0; i < plx_msg_table_len; i++) {
        if (!strcmp(plx_msg_table[i].name, t)) return (int)i;
    }
    return -1;
}

size_t plx_msg_type_count(void) {
    return plx_msg_table_len;
}

const char *plx_msg_type_name(size_t i) {
    return i < plx_msg_table_len ? plx_msg_table[i].name : NULL;
}
