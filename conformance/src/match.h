/*
 * match.h - the matchers of conformance cases (FORMAT.md section 5): matching a received
 * message (JSON + attachments) against an expected pattern with captures, building the bytes
 * of byte specs, checking matchers when a case is loaded, and substituting captures and
 * parameters into messages to send.
 */
#ifndef CF_MATCH_H
#define CF_MATCH_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <plexus/codec.h>

#include "util.h"

/* Limits: a `$repeat` or byte spec builds at most CF_MAX_BUILD bytes; a backtracking match
 * ($unordered, $contains, expect_set) gives up after CF_MAX_TRIES attempts. */
#define CF_MAX_BUILD (256u << 20)
#define CF_MAX_TRIES 100000

/* The state of one match. captures and params are borrowed (either may be NULL); pending is an
 * object owned by the caller that receives the captures this match makes, and is read by
 * `$ref` before captures. why holds the first reason for a mismatch (text). */
typedef struct cf_match_ctx {
    const cJSON *captures;
    cJSON *pending;
    const cJSON *params;
    const plx_bytes *att;
    size_t natt;
    cf_buf why;
    long tries;
} cf_match_ctx;

/* Initialises ctx: pending is a new empty object. Returns 0 or -1 (no memory). */
int cf_match_init(cf_match_ctx *ctx, const cJSON *captures, const cJSON *params,
                  const plx_bytes *att, size_t natt);
/* Frees pending and why. */
void cf_match_free(cf_match_ctx *ctx);
/* Moves the pending captures into captures (replacing same names). 0 or -1. */
int cf_match_commit(cf_match_ctx *ctx, cJSON *captures);

/* Matches value v (NULL: an absent member) against matcher m. Returns 1 on a match, 0 on a
 * mismatch (reason in ctx->why). Captures of a failed match are rolled back. */
int cf_match(cf_match_ctx *ctx, const cJSON *m, const cJSON *v);
/* Matches ctx's attachments against an array of attachment matchers: same count, each
 * matching. 1 or 0 as cf_match. */
int cf_match_attachments(cf_match_ctx *ctx, const cJSON *list);
/* Matches bytes against one attachment matcher (byte spec, len, sha256, $any, $capture). */
int cf_match_bytes(cf_match_ctx *ctx, const cJSON *spec, const uint8_t *b, size_t n);

/* Checks a matcher when a case is loaded: known operators, well-formed arguments. Returns 0, or
 * -1 with a message in err naming the path. */
int cf_match_check(const cJSON *m, char *err, size_t errlen);
/* Checks an attachment matcher (byte spec or len/sha256/$any/$capture). 0 or -1 as above. */
int cf_bytes_check(const cJSON *spec, int allow_matchers, char *err, size_t errlen);
/* Appends the bytes of a byte spec (hex string, {"repeat","count"}, {"text"}, or an array of
 * those) to out. 0, or -1 with a message in err. */
int cf_bytes_build(const cJSON *spec, cf_buf *out, char *err, size_t errlen);

/* Copies template t with {"$ref": path}, {"$param": name} and {"$repeat": s, "count": n}
 * replaced. Returns the owned copy, or NULL with a message in err (unknown capture, missing
 * parameter, no memory). */
cJSON *cf_subst(const cJSON *t, const cJSON *captures, const cJSON *params, char *err,
                size_t errlen);
/* Checks a send template's substitution objects when a case is loaded. 0 or -1. */
int cf_subst_check(const cJSON *t, char *err, size_t errlen);

#endif
