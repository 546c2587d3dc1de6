/*
 * match.c - matchers, byte specs and substitutions of conformance cases (see match.h and
 * FORMAT.md section 5).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "match.h"

static const char *const operators[] = {"$any",   "$absent", "$type",      "$capture",   "$ref",
                                        "$param", "$exact",  "$unordered", "$contains",  "$range",
                                        "$len",   "$bytes",  "$one_of",    "$substring", NULL};

static const char *const type_names[] = {"string", "number", "int", "uint",  "bool", "null",
                                         "object", "array",  "bin", "bytes", NULL};

static int in_list(const char *s, const char *const *list) {
    for (; *list; list++)
        if (strcmp(s, *list) == 0) return 1;
    return 0;
}

static int is_operator_object(const cJSON *m) {
    const cJSON *c;

    if (!cJSON_IsObject(m)) return 0;
    for (c = m->child; c; c = c->next)
        if (in_list(c->string, operators)) return 1;
    return 0;
}

static int valid_name(const char *s) {
    if (!s || !(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))) return 0;
    for (s++; *s; s++)
        if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
              (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

/* ------------------------------------------------------------------ context */

int cf_match_init(cf_match_ctx *ctx, const cJSON *captures, const cJSON *params,
                  const plx_bytes *att, size_t natt) {
    memset(ctx, 0, sizeof(*ctx));
    ctx->captures = captures;
    ctx->params = params;
    ctx->att = att;
    ctx->natt = natt;
    ctx->pending = cJSON_CreateObject();
    return ctx->pending ? 0 : -1;
}

void cf_match_free(cf_match_ctx *ctx) {
    cJSON_Delete(ctx->pending);
    ctx->pending = NULL;
    cf_buf_free(&ctx->why);
}

int cf_match_commit(cf_match_ctx *ctx, cJSON *captures) {
    cJSON *c;

    while ((c = ctx->pending->child) != NULL) {
        cJSON_DetachItemViaPointer(ctx->pending, c);
        cJSON_DeleteItemFromObjectCaseSensitive(captures, c->string);
        cJSON_AddItemToObject(captures, c->string, c);
    }
    return 0;
}

static void why(cf_match_ctx *ctx, const char *path, const char *fmt, const char *a,
                const cJSON *got) {
    char *g = got ? cf_json_print_max(got, 300) : NULL;

    ctx->why.len = 0;
    cf_buf_printf(&ctx->why, "at %s: ", *path ? path : "(message)");
    cf_buf_printf(&ctx->why, fmt, a ? a : "");
    if (got)
        cf_buf_printf(&ctx->why, ", got %s", g ? g : "?");
    else
        cf_buf_str(&ctx->why, ", member absent");
    free(g);
}

static cJSON *snapshot(cf_match_ctx *ctx) {
    return cJSON_Duplicate(ctx->pending, 1);
}

static void restore(cf_match_ctx *ctx, cJSON *snap) {
    cJSON *c;

    if (!snap) return;
    while ((c = ctx->pending->child) != NULL)
        cJSON_Delete(cJSON_DetachItemViaPointer(ctx->pending, c));
    ctx->pending->child = snap->child;
    snap->child = NULL;
    cJSON_Delete(snap);
}

static void drop(cJSON *snap) {
    cJSON_Delete(snap);
}

/* ------------------------------------------------------------------ values */

static int match_at(cf_match_ctx *ctx, const cJSON *m, const cJSON *v, const char *path);

static void sub_path(char *out, size_t n, const char *path, const char *member, int index) {
    if (member)
        snprintf(out, n, "%s.%s", path, member);
    else
        snprintf(out, n, "%s[%d]", path, index);
}

static int bin_index(const cf_match_ctx *ctx, const cJSON *v) {
    const cJSON *i;

    if (!cJSON_IsObject(v) || !v->child || v->child->next) return -1;
    i = cJSON_GetObjectItemCaseSensitive(v, "$bin");
    if (!i || !cf_json_is_int(i) || i->valuedouble < 0 || i->valuedouble >= (double)ctx->natt)
        return -1;
    return (int)i->valuedouble;
}

static int type_ok(const cf_match_ctx *ctx, const char *t, const cJSON *v) {
    if (!strcmp(t, "string")) return cJSON_IsString(v);
    if (!strcmp(t, "number")) return cJSON_IsNumber(v);
    if (!strcmp(t, "int")) return cf_json_is_int(v);
    if (!strcmp(t, "uint"))
        return cf_json_is_int(v) && v->valuedouble >= 0 && v->valuedouble <= 9007199254740991.0;
    if (!strcmp(t, "bool")) return cJSON_IsBool(v);
    if (!strcmp(t, "null")) return cJSON_IsNull(v);
    if (!strcmp(t, "object")) return cJSON_IsObject(v);
    if (!strcmp(t, "array")) return cJSON_IsArray(v);
    if (!strcmp(t, "bin")) return bin_index(ctx, v) >= 0;
    if (!strcmp(t, "bytes")) return cJSON_IsString(v) || bin_index(ctx, v) >= 0;
    return 0;
}

static const cJSON *lookup_ref(const cf_match_ctx *ctx, const char *path) {
    const cJSON *r = cf_json_path(ctx->pending, path);

    if (!r && ctx->captures) r = cf_json_path(ctx->captures, path);
    return r;
}

static int json_len(const cJSON *v, long *n) {
    if (cJSON_IsString(v))
        *n = (long)strlen(v->valuestring);
    else if (cJSON_IsArray(v) || cJSON_IsObject(v))
        *n = cJSON_GetArraySize(v);
    else
        return -1;
    return 0;
}

/* Assigns each element of arr to a distinct matcher of ms (all of ms used when `all`). */
static int assign(cf_match_ctx *ctx, const cJSON *ms, int nm, const cJSON *arr, int nv, char *used,
                  int mi, const char *path) {
    int vi;

    if (mi == nm) return 1;
    for (vi = 0; vi < nv; vi++) {
        cJSON *snap;
        char p[512];

        if (used[vi]) continue;
        if (++ctx->tries > CF_MAX_TRIES) return 0;
        snap = snapshot(ctx);
        sub_path(p, sizeof(p), path, NULL, vi);
        if (match_at(ctx, cJSON_GetArrayItem(ms, mi), cJSON_GetArrayItem(arr, vi), p)) {
            used[vi] = 1;
            if (assign(ctx, ms, nm, arr, nv, used, mi + 1, path)) {
                drop(snap);
                return 1;
            }
            used[vi] = 0;
        }
        restore(ctx, snap);
    }
    return 0;
}

static int match_set(cf_match_ctx *ctx, const cJSON *ms, const cJSON *v, const char *path,
                     int exact_count, const char *op) {
    int nm = cJSON_GetArraySize(ms), nv;
    char *used;
    int ok;

    if (!cJSON_IsArray(v)) {
        why(ctx, path, "expected an array (%s)", op, v);
        return 0;
    }
    nv = cJSON_GetArraySize(v);
    if (exact_count ? nv != nm : nv < nm) {
        char e[64];

        snprintf(e, sizeof(e), "%s%d", exact_count ? "" : "at least ", nm);
        why(ctx, path, "expected an array of %s elements", e, v);
        return 0;
    }
    used = calloc((size_t)nv + 1, 1);
    if (!used) return 0;
    ok = assign(ctx, ms, nm, v, nv, used, 0, path);
    free(used);
    if (!ok) why(ctx, path, "no element order satisfies %s", op, v);
    return ok;
}

static int match_ops(cf_match_ctx *ctx, const cJSON *m, const cJSON *v, const char *path) {
    const cJSON *op, *capture = NULL;

    for (op = m->child; op; op = op->next) {
        const char *k = op->string;

        if (!strcmp(k, "$absent")) {
            if (v) {
                why(ctx, path, "expected the member to be absent%s", "", v);
                return 0;
            }
            continue;
        }
        if (!v && strcmp(k, "$one_of")) { /* $one_of: an alternative may be $absent */
            why(ctx, path, "expected a value%s", "", NULL);
            return 0;
        }
        if (!strcmp(k, "$any")) continue;
        if (!strcmp(k, "$capture")) {
            capture = op;
        } else if (!strcmp(k, "$type")) {
            if (!type_ok(ctx, op->valuestring, v)) {
                why(ctx, path, "expected type %s", op->valuestring, v);
                return 0;
            }
        } else if (!strcmp(k, "$ref")) {
            const cJSON *r = lookup_ref(ctx, op->valuestring);

            if (!r) {
                why(ctx, path, "nothing captured as %s", op->valuestring, v);
                return 0;
            }
            if (!cf_json_equal(r, v)) {
                char *rs = cf_json_print_max(r, 200);

                why(ctx, path, "expected the captured value %s", rs, v);
                free(rs);
                return 0;
            }
        } else if (!strcmp(k, "$param")) {
            const cJSON *p =
                ctx->params ? cJSON_GetObjectItemCaseSensitive(ctx->params, op->valuestring) : NULL;

            if (!p) {
                why(ctx, path, "parameter %s is not set", op->valuestring, v);
                return 0;
            }
            if (!cf_json_equal(p, v)) {
                why(ctx, path, "expected parameter %s", op->valuestring, v);
                return 0;
            }
        } else if (!strcmp(k, "$exact")) {
            const cJSON *c;

            if (!cJSON_IsObject(v)) {
                why(ctx, path, "expected an object%s", "", v);
                return 0;
            }
            if (!match_at(ctx, op, v, path)) return 0; /* members first: the clearer reason */
            for (c = v->child; c; c = c->next) {
                const cJSON *mm = cJSON_GetObjectItemCaseSensitive(op, c->string);

                if (!mm ||
                    (cJSON_IsObject(mm) && cJSON_GetObjectItemCaseSensitive(mm, "$absent"))) {
                    char p[512];

                    sub_path(p, sizeof(p), path, c->string, 0);
                    why(ctx, p, "unexpected member (the object must be exact)%s", "", c);
                    return 0;
                }
            }
        } else if (!strcmp(k, "$unordered")) {
            if (!match_set(ctx, op, v, path, 1, "$unordered")) return 0;
        } else if (!strcmp(k, "$contains")) {
            if (!match_set(ctx, op, v, path, 0, "$contains")) return 0;
        } else if (!strcmp(k, "$substring")) {
            if (!cJSON_IsString(v) || !strstr(v->valuestring, op->valuestring)) {
                why(ctx, path, "expected a string containing \"%s\"", op->valuestring, v);
                return 0;
            }
        } else if (!strcmp(k, "$one_of")) {
            const cJSON *alt;
            int ok = 0;

            for (alt = op->child; alt && !ok; alt = alt->next) {
                cJSON *snap = snapshot(ctx);

                ok = match_at(ctx, alt, v, path);
                if (ok)
                    drop(snap);
                else
                    restore(ctx, snap);
            }
            if (!ok) {
                why(ctx, path, "no alternative of $one_of matches%s", "", v);
                return 0;
            }
        } else if (!strcmp(k, "$range")) {
            const cJSON *lo = cJSON_GetArrayItem(op, 0), *hi = cJSON_GetArrayItem(op, 1);

            if (!cJSON_IsNumber(v) || (cJSON_IsNumber(lo) && v->valuedouble < lo->valuedouble) ||
                (cJSON_IsNumber(hi) && v->valuedouble > hi->valuedouble)) {
                char *r = cf_json_print(op);

                why(ctx, path, "expected a number in %s", r, v);
                free(r);
                return 0;
            }
        } else if (!strcmp(k, "$len")) {
            long n;

            if (json_len(v, &n) || n != (long)op->valuedouble) {
                char e[32];

                snprintf(e, sizeof(e), "%ld", (long)op->valuedouble);
                why(ctx, path, "expected length %s", e, v);
                return 0;
            }
        } else if (!strcmp(k, "$bytes")) {
            int bi = bin_index(ctx, v);

            if (cJSON_IsString(v)) {
                if (!cf_match_bytes(ctx, op, (const uint8_t *)v->valuestring,
                                    strlen(v->valuestring)))
                    return 0;
            } else if (bi >= 0) {
                if (!cf_match_bytes(ctx, op, ctx->att[bi].data, ctx->att[bi].len)) return 0;
            } else {
                why(ctx, path, "expected bytes (a string or a $bin reference)%s", "", v);
                return 0;
            }
        }
    }
    if (capture) {
        cJSON *copy = cJSON_Duplicate(v, 1);

        if (!copy) return 0;
        cJSON_DeleteItemFromObjectCaseSensitive(ctx->pending, capture->valuestring);
        cJSON_AddItemToObject(ctx->pending, capture->valuestring, copy);
    }
    return 1;
}

static int match_at(cf_match_ctx *ctx, const cJSON *m, const cJSON *v, const char *path) {
    const cJSON *c;

    if (is_operator_object(m)) return match_ops(ctx, m, v, path);
    if (!v) {
        why(ctx, path, "expected a value%s", "", NULL);
        return 0;
    }
    if (cJSON_IsObject(m)) {
        if (!cJSON_IsObject(v)) {
            why(ctx, path, "expected an object%s", "", v);
            return 0;
        }
        for (c = m->child; c; c = c->next) {
            char p[512];

            sub_path(p, sizeof(p), path, c->string, 0);
            if (!match_at(ctx, c, cJSON_GetObjectItemCaseSensitive(v, c->string), p)) return 0;
        }
        return 1;
    }
    if (cJSON_IsArray(m)) {
        const cJSON *d;
        int i = 0;

        if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != cJSON_GetArraySize(m)) {
            char e[32];

            snprintf(e, sizeof(e), "%d", cJSON_GetArraySize(m));
            why(ctx, path, "expected an array of %s elements", e, v);
            return 0;
        }
        for (c = m->child, d = v->child; c; c = c->next, d = d->next, i++) {
            char p[512];

            sub_path(p, sizeof(p), path, NULL, i);
            if (!match_at(ctx, c, d, p)) return 0;
        }
        return 1;
    }
    if (!cf_json_equal(m, v)) {
        char *e = cf_json_print_max(m, 200);

        why(ctx, path, "expected %s", e, v);
        free(e);
        return 0;
    }
    return 1;
}

int cf_match(cf_match_ctx *ctx, const cJSON *m, const cJSON *v) {
    cJSON *snap = snapshot(ctx);
    int ok;

    ctx->tries = 0;
    ok = match_at(ctx, m, v, "");
    if (ok)
        drop(snap);
    else
        restore(ctx, snap);
    return ok;
}

/* ------------------------------------------------------------------ bytes */

static int is_matcher_form(const cJSON *spec) {
    return cJSON_IsObject(spec) && (cJSON_GetObjectItemCaseSensitive(spec, "len") ||
                                    cJSON_GetObjectItemCaseSensitive(spec, "sha256") ||
                                    cJSON_GetObjectItemCaseSensitive(spec, "$any") ||
                                    cJSON_GetObjectItemCaseSensitive(spec, "$capture"));
}

int cf_bytes_build(const cJSON *spec, cf_buf *out, char *err, size_t errlen) {
    if (cJSON_IsString(spec)) {
        if (cf_hex_decode(spec->valuestring, out)) {
            snprintf(err, errlen, "bad hex \"%.40s\"", spec->valuestring);
            return -1;
        }
    } else if (cJSON_IsArray(spec)) {
        const cJSON *c;

        for (c = spec->child; c; c = c->next)
            if (cJSON_IsArray(c) || cf_bytes_build(c, out, err, errlen)) {
                if (cJSON_IsArray(c)) snprintf(err, errlen, "byte spec arrays do not nest");
                return -1;
            }
    } else if (cJSON_IsObject(spec) && cJSON_GetObjectItemCaseSensitive(spec, "repeat")) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(spec, "repeat");
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(spec, "count");
        cf_buf unit = {0};
        double i;

        if (!cJSON_IsString(r) || !cf_json_is_int(n) || n->valuedouble < 0 ||
            cJSON_GetArraySize(spec) != 2 || cf_hex_decode(r->valuestring, &unit)) {
            cf_buf_free(&unit);
            snprintf(err, errlen, "{\"repeat\": hex, \"count\": n} expected");
            return -1;
        }
        if (unit.len * n->valuedouble + out->len > CF_MAX_BUILD) {
            cf_buf_free(&unit);
            snprintf(err, errlen, "byte spec larger than %u bytes", CF_MAX_BUILD);
            return -1;
        }
        for (i = 0; i < n->valuedouble; i++)
            if (cf_buf_add(out, unit.data, unit.len)) {
                cf_buf_free(&unit);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
        cf_buf_free(&unit);
    } else if (cJSON_IsObject(spec) && cJSON_GetObjectItemCaseSensitive(spec, "text") &&
               cJSON_GetArraySize(spec) == 1) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(spec, "text");

        if (!cJSON_IsString(t) || cf_buf_str(out, t->valuestring)) {
            snprintf(err, errlen, "{\"text\": string} expected");
            return -1;
        }
    } else {
        snprintf(err, errlen, "not a byte spec (hex, {repeat,count}, {text} or an array)");
        return -1;
    }
    return 0;
}

int cf_bytes_check(const cJSON *spec, int allow_matchers, char *err, size_t errlen) {
    cf_buf b = {0};
    int rc;

    if (allow_matchers && is_matcher_form(spec)) {
        const cJSON *c;

        for (c = spec->child; c; c = c->next) {
            if (!strcmp(c->string, "len") && cf_json_is_int(c) && c->valuedouble >= 0) continue;
            if (!strcmp(c->string, "sha256") && cJSON_IsString(c) && strlen(c->valuestring) == 64)
                continue;
            if (!strcmp(c->string, "$any") && cJSON_IsTrue(c)) continue;
            if (!strcmp(c->string, "$capture") && cJSON_IsString(c) && valid_name(c->valuestring))
                continue;
            snprintf(err, errlen, "bad attachment matcher member \"%s\"", c->string);
            return -1;
        }
        return 0;
    }
    rc = cf_bytes_build(spec, &b, err, errlen);
    cf_buf_free(&b);
    return rc;
}

static void why_bytes(cf_match_ctx *ctx, const char *what, const uint8_t *b, size_t n) {
    char *h = cf_hex_str(b, n < 32 ? n : 32);

    ctx->why.len = 0;
    cf_buf_printf(&ctx->why, "bytes: expected %s, got %zu bytes %s%s", what, n, h ? h : "",
                  n > 32 ? "..." : "");
    free(h);
}

int cf_match_bytes(cf_match_ctx *ctx, const cJSON *spec, const uint8_t *b, size_t n) {
    if (is_matcher_form(spec)) {
        const cJSON *len = cJSON_GetObjectItemCaseSensitive(spec, "len");
        const cJSON *sha = cJSON_GetObjectItemCaseSensitive(spec, "sha256");
        const cJSON *cap = cJSON_GetObjectItemCaseSensitive(spec, "$capture");

        if (len && (double)n != len->valuedouble) {
            char e[48];

            snprintf(e, sizeof(e), "%.0f bytes", len->valuedouble);
            why_bytes(ctx, e, b, n);
            return 0;
        }
        if (sha) {
            uint8_t d[32];
            char *h;
            int ok;

            cf_sha256(b, n, d);
            h = cf_hex_str(d, 32);
            ok = h && strcasecmp(h, sha->valuestring) == 0;
            free(h);
            if (!ok) {
                why_bytes(ctx, "another sha256", b, n);
                return 0;
            }
        }
        if (cap) {
            char *h = cf_hex_str(b, n);
            cJSON *s = h ? cJSON_CreateString(h) : NULL;

            free(h);
            if (!s) return 0;
            cJSON_DeleteItemFromObjectCaseSensitive(ctx->pending, cap->valuestring);
            cJSON_AddItemToObject(ctx->pending, cap->valuestring, s);
        }
        return 1;
    } else {
        cf_buf want = {0};
        char err[128];
        int ok;

        if (cf_bytes_build(spec, &want, err, sizeof(err))) {
            why_bytes(ctx, err, b, n);
            cf_buf_free(&want);
            return 0;
        }
        ok = want.len == n && (n == 0 || memcmp(want.data, b, n) == 0);
        if (!ok) {
            char *h = cf_hex_str(want.data, want.len < 32 ? want.len : 32);
            char e[128];

            snprintf(e, sizeof(e), "%zu bytes %s%s", want.len, h ? h : "",
                     want.len > 32 ? "..." : "");
            free(h);
            why_bytes(ctx, e, b, n);
        }
        cf_buf_free(&want);
        return ok;
    }
}

int cf_match_attachments(cf_match_ctx *ctx, const cJSON *list) {
    const cJSON *c;
    size_t i = 0;
    cJSON *snap = snapshot(ctx);

    if ((size_t)cJSON_GetArraySize(list) != ctx->natt) {
        ctx->why.len = 0;
        cf_buf_printf(&ctx->why, "expected %d attachments, got %zu", cJSON_GetArraySize(list),
                      ctx->natt);
        restore(ctx, snap);
        return 0;
    }
    for (c = list->child; c; c = c->next, i++) {
        if (!cf_match_bytes(ctx, c, ctx->att[i].data, ctx->att[i].len)) {
            char *w = cf_buf_take_str(&ctx->why);

            cf_buf_printf(&ctx->why, "attachment %zu: %s", i, w ? w : "");
            free(w);
            restore(ctx, snap);
            return 0;
        }
    }
    drop(snap);
    return 1;
}

/* ------------------------------------------------------------------ checks */

static int check_at(const cJSON *m, const char *path, char *err, size_t errlen);

static int check_ops(const cJSON *m, const char *path, char *err, size_t errlen) {
    const cJSON *op;

    for (op = m->child; op; op = op->next) {
        const char *k = op->string;
        int ok = 1;

        if (!in_list(k, operators)) {
            snprintf(err, errlen, "%s: \"%s\" mixed with operators", path, k);
            return -1;
        }
        if (!strcmp(k, "$any") || !strcmp(k, "$absent"))
            ok = cJSON_IsTrue(op);
        else if (!strcmp(k, "$type"))
            ok = cJSON_IsString(op) && in_list(op->valuestring, type_names);
        else if (!strcmp(k, "$capture"))
            ok = cJSON_IsString(op) && valid_name(op->valuestring);
        else if (!strcmp(k, "$ref") || !strcmp(k, "$param") || !strcmp(k, "$substring"))
            ok = cJSON_IsString(op) && *op->valuestring;
        else if (!strcmp(k, "$exact"))
            ok = cJSON_IsObject(op) && !is_operator_object(op) && !check_at(op, path, err, errlen);
        else if (!strcmp(k, "$unordered") || !strcmp(k, "$contains") || !strcmp(k, "$one_of"))
            ok = cJSON_IsArray(op) && !check_at(op, path, err, errlen);
        else if (!strcmp(k, "$range"))
            ok = cJSON_IsArray(op) && cJSON_GetArraySize(op) == 2 &&
                 (cJSON_IsNumber(op->child) || cJSON_IsNull(op->child)) &&
                 (cJSON_IsNumber(op->child->next) || cJSON_IsNull(op->child->next));
        else if (!strcmp(k, "$len"))
            ok = cf_json_is_int(op) && op->valuedouble >= 0;
        else if (!strcmp(k, "$bytes"))
            ok = !cf_bytes_check(op, 1, err, errlen);
        if (!ok) {
            if (strncmp(err, path, strlen(path)) != 0 || !*err)
                snprintf(err, errlen, "%s: bad argument of %s", *path ? path : "(top)", k);
            return -1;
        }
    }
    return 0;
}

static int check_at(const cJSON *m, const char *path, char *err, size_t errlen) {
    const cJSON *c;
    int i = 0;

    if (is_operator_object(m)) return check_ops(m, path, err, errlen);
    for (c = m->child; c; c = c->next, i++) {
        char p[512];

        if (cJSON_IsObject(m)) {
            if (c->string[0] == '$' && strcmp(c->string, "$bin") && strcmp(c->string, "$status")) {
                snprintf(err, errlen, "%s: unknown operator \"%s\"", *path ? path : "(top)",
                         c->string);
                return -1;
            }
            sub_path(p, sizeof(p), path, c->string, 0);
        } else {
            sub_path(p, sizeof(p), path, NULL, i);
        }
        if (check_at(c, p, err, errlen)) return -1;
    }
    return 0;
}

int cf_match_check(const cJSON *m, char *err, size_t errlen) {
    if (errlen) *err = 0;
    return check_at(m, "", err, errlen);
}

/* ------------------------------------------------------------------ substitution */

static int subst_kind(const cJSON *t) {
    int n = cJSON_GetArraySize(t);

    if (!cJSON_IsObject(t)) return 0;
    if (n == 1 && cJSON_GetObjectItemCaseSensitive(t, "$ref")) return 1;
    if (n == 1 && cJSON_GetObjectItemCaseSensitive(t, "$param")) return 2;
    if (cJSON_GetObjectItemCaseSensitive(t, "$repeat")) return 3;
    if (cJSON_GetObjectItemCaseSensitive(t, "$ref") ||
        cJSON_GetObjectItemCaseSensitive(t, "$param"))
        return -1;
    return 0;
}

int cf_subst_check(const cJSON *t, char *err, size_t errlen) {
    const cJSON *c;
    int k = subst_kind(t);

    if (k == 1 || k == 2) {
        if (!cJSON_IsString(t->child) || !*t->child->valuestring) {
            snprintf(err, errlen, "%s needs a name", t->child->string);
            return -1;
        }
        return 0;
    }
    if (k == 3) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(t, "$repeat");
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(t, "count");

        if (cJSON_GetArraySize(t) != 2 || !cJSON_IsString(s) || !cf_json_is_int(n) ||
            n->valuedouble < 0 || strlen(s->valuestring) * n->valuedouble > CF_MAX_BUILD) {
            snprintf(err, errlen, "{\"$repeat\": string, \"count\": n} expected");
            return -1;
        }
        return 0;
    }
    if (k < 0) {
        snprintf(err, errlen, "$ref and $param must be the only member of their object");
        return -1;
    }
    for (c = t->child; c; c = c->next)
        if (cf_subst_check(c, err, errlen)) return -1;
    return 0;
}

cJSON *cf_subst(const cJSON *t, const cJSON *captures, const cJSON *params, char *err,
                size_t errlen) {
    int k = subst_kind(t);
    const cJSON *c;
    cJSON *out;

    if (k == 1) {
        const cJSON *r = captures ? cf_json_path(captures, t->child->valuestring) : NULL;

        if (!r) {
            snprintf(err, errlen, "nothing captured as \"%s\"", t->child->valuestring);
            return NULL;
        }
        return cJSON_Duplicate(r, 1);
    }
    if (k == 2) {
        const cJSON *p =
            params ? cJSON_GetObjectItemCaseSensitive(params, t->child->valuestring) : NULL;

        if (!p) {
            snprintf(err, errlen, "parameter \"%s\" is not set", t->child->valuestring);
            return NULL;
        }
        return cJSON_Duplicate(p, 1);
    }
    if (k == 3) {
        const char *s = cJSON_GetObjectItemCaseSensitive(t, "$repeat")->valuestring;
        double n = cJSON_GetObjectItemCaseSensitive(t, "count")->valuedouble, i;
        cf_buf b = {0};
        char *str;

        for (i = 0; i < n; i++)
            cf_buf_str(&b, s);
        str = cf_buf_take_str(&b);
        out = str ? cJSON_CreateString(str) : NULL;
        free(str);
        return out;
    }
    if (!cJSON_IsArray(t) && !cJSON_IsObject(t)) return cJSON_Duplicate(t, 0);
    out = cJSON_IsArray(t) ? cJSON_CreateArray() : cJSON_CreateObject();
    if (!out) return NULL;
    for (c = t->child; c; c = c->next) {
        cJSON *s = cf_subst(c, captures, params, err, errlen);

        if (!s) {
            cJSON_Delete(out);
            return NULL;
        }
        if (cJSON_IsArray(t))
            cJSON_AddItemToArray(out, s);
        else
            cJSON_AddItemToObject(out, c->string, s);
    }
    return out;
}
