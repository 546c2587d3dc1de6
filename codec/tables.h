/*
 * tables.h - the codec's private tables generated from spec/errors.json and
 * spec/messages.json by tools/gentables.c (the output is gen/plx_tables.c). Not installed.
 */
#ifndef PLX_CODEC_TABLES_H
#define PLX_CODEC_TABLES_H

#include <stddef.h>

#include <plexus/codec.h>

/* One entry of the error registry. code is positive (the wire number). close_code is the
 * WebSocket close code used when fatal, 0 otherwise. */
typedef struct plx_error_entry {
    int code;
    const char *name;
    const char *message;
    int fatal;
    int close_code;
} plx_error_entry;

/* The registry, sorted by ascending code, and its length. */
extern const plx_error_entry plx_error_table[];
extern const size_t plx_error_table_len;

/* The field types of the message catalogue (the "type" strings of spec/messages.json). */
typedef enum plx_field_type {
    PLX_FT_STRING,  /* JSON string */
    PLX_FT_UINT,    /* integer-valued number in 0..2^53-1 */
    PLX_FT_BOOL,    /* true or false */
    PLX_FT_NUMBER,  /* any JSON number */
    PLX_FT_OBJECT,  /* JSON object */
    PLX_FT_ARRAY,   /* JSON array */
    PLX_FT_ANY,     /* any JSON value */
    PLX_FT_STRINGS, /* array of strings (may be empty) */
    PLX_FT_BYTES,   /* string or {"$bin": i} with i < natt */
    PLX_FT_ARGV,    /* non-empty array of bytes */
    PLX_FT_ARGVS,   /* non-empty array of argv */
    PLX_FT_ERROR    /* object with uint code, string name, string message */
} plx_field_type;

/* One field of a message type. enum_values (nenum entries) lists the allowed values of a
 * string field; nenum is 0 when any value is allowed. */
typedef struct plx_field_def {
    const char *name;
    plx_field_type type;
    int required;
    const char *const *enum_values;
    size_t nenum;
} plx_field_def;

/* One message type: its t, the directions it may travel, its fields and its one_of rule
 * (exactly one of the none_of listed fields must be present; none_of is 0 without a rule). */
typedef struct plx_msg_def {
    const char *name;
    plx_dir dir;
    const plx_field_def *fields;
    size_t nfields;
    const char *const *one_of;
    size_t none_of;
} plx_msg_def;

/* The catalogue in spec order (a type's index is its position here) and its length. */
extern const plx_msg_def plx_msg_table[];
extern const size_t plx_msg_table_len;

#endif
