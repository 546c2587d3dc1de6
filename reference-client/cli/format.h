/*
 * format.h - redis-cli's two ways of printing a reply (format.c) and plexus-cli's JSON
 * output (jsonout.c).
 */
#ifndef PLX_CLI_FORMAT_H
#define PLX_CLI_FORMAT_H

#include <stdio.h>

#include <plexus/client.h>

/* Prints r as redis-cli does: tty non-zero: the formatted style of a terminal; else raw. */
void fmt_reply(FILE *f, const plx_reply *r, int tty);
/* Prints s[0..len) quoted and escaped as redis-cli's formatted style does. */
void fmt_repr(FILE *f, const char *s, size_t len);
/* Prints an error reply's text: Redis's text for storage errors, else "NAME message". */
void fmt_error_text(FILE *f, const plx_reply *r);

/* Base64 (RFC 4648, padded) of data[0..len) as a new cJSON string; NULL on no memory. */
cJSON *json_base64(const uint8_t *data, size_t len);
/* Bytes as JSON: a string when valid UTF-8, else {"$base64": "..."}. */
cJSON *json_bytes(const void *data, size_t len);
/* A storage reply as JSON: null, integer, string or {"$base64"}, {"$status": s}, arrays,
 * and {"error": {code, name, message, detail?}} for an error. NULL on no memory. */
cJSON *json_reply(const plx_reply *r);
/* A copy of v where every {"$bin": i} is replaced by the attachment's bytes as json_bytes
 * gives them (an index out of range stays as it is). NULL when v is NULL or no memory. */
cJSON *json_resolve(const cJSON *v, const plx_bytes *att, size_t natt);
/* {"error": {code, name, message, detail?}} for an error (code positive on output). */
cJSON *json_error(const plx_error_info *e);
/* Prints v unformatted on one line of f and flushes. Consumes v. Returns 0, or -1 on no
 * memory. */
int json_print_line(FILE *f, cJSON *v);

/* Prints a call / call_all outcome on stdout: the result as one JSON line, or the error
 * ("(error) NAME message [detail]" / raw without "(error) ", or JSON with --json). */
void out_result(const plx_result *res, int rc, int json, int tty);

#endif
