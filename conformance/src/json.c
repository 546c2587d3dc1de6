/*
 * json.c - exact numbers, loading, printing and equality for cJSON trees (see json.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

/* Scans JSON text and calls back for every number literal, in document order. */
typedef int (*num_cb)(const char *s, size_t n, void *ud);

static int scan_numbers(const char *t, size_t len, num_cb cb, void *ud) {
    size_t i = 0;

    while (i < len) {
        char c = t[i];

        if (c == '"') {
            for (i++; i < len && t[i] != '"'; i++)
                if (t[i] == '\\') i++;
            i++;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t s = i;

            while (i < len && (strchr("+-.eE", t[i]) || (t[i] >= '0' && t[i] <= '9')))
                i++;
            if (cb(t + s, i - s, ud)) return -1;
        } else {
            i++;
        }
    }
    return 0;
}

typedef struct num_list {
    const char **s;
    size_t *n;
    size_t count, cap;
} num_list;

static int collect(const char *s, size_t n, void *ud) {
    num_list *l = ud;

    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        const char **ns = realloc(l->s, cap * sizeof(*ns));
        size_t *nn;

        if (!ns) return -1;
        l->s = ns;
        nn = realloc(l->n, cap * sizeof(*nn));
        if (!nn) return -1;
        l->n = nn;
        l->cap = cap;
    }
    l->s[l->count] = s;
    l->n[l->count++] = n;
    return 0;
}

static size_t count_numbers(const cJSON *v) {
    size_t n = cJSON_IsNumber(v) ? 1 : 0;
    const cJSON *c;

    for (c = v->child; c; c = c->next)
        n += count_numbers(c);
    return n;
}

static int assign_numbers(cJSON *v, const num_list *l, size_t *next) {
    cJSON *c;

    if (cJSON_IsNumber(v)) {
        size_t i = (*next)++;
        char *s = malloc(l->n[i] + 1);

        if (!s) return -1;
        memcpy(s, l->s[i], l->n[i]);
        s[l->n[i]] = 0;
        free(v->valuestring);
        v->valuestring = s;
    }
    for (c = v->child; c; c = c->next)
        if (assign_numbers(c, l, next)) return -1;
    return 0;
}

int cf_json_keep_numbers(cJSON *root, const char *text, size_t len) {
    num_list l = {0};
    size_t next = 0;
    int rc = -1;

    if (scan_numbers(text, len, collect, &l) == 0 && l.count == count_numbers(root))
        rc = assign_numbers(root, &l, &next);
    free(l.s);
    free(l.n);
    return rc;
}

cJSON *cf_json_parse(const char *text, size_t len, size_t *err_at) {
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(text, len, &end, 0);

    if (!v) {
        if (err_at) *err_at = end && end >= text ? (size_t)(end - text) : 0;
        return NULL;
    }
    cf_json_keep_numbers(v, text, len);
    return v;
}

cJSON *cf_json_load(const char *path, char *err, size_t errlen) {
    size_t len, at = 0;
    char *text = cf_read_file(path, 64u << 20, &len);
    cJSON *v;

    if (!text) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    v = cf_json_parse(text, len, &at);
    if (!v) {
        size_t line = 1, i;

        for (i = 0; i < at && i < len; i++)
            if (text[i] == '\n') line++;
        snprintf(err, errlen, "%s:%zu: not valid JSON", path, line);
    }
    free(text);
    return v;
}

void cf_json_raw_numbers(cJSON *v) {
    cJSON *c;

    if (cJSON_IsNumber(v) && v->valuestring) v->type = cJSON_Raw;
    for (c = v->child; c; c = c->next)
        cf_json_raw_numbers(c);
}

char *cf_json_print(const cJSON *v) {
    cJSON *copy = cJSON_Duplicate(v, 1);
    char *s;

    if (!copy) return NULL;
    cf_json_raw_numbers(copy);
    s = cJSON_PrintUnformatted(copy);
    cJSON_Delete(copy);
    return s;
}

char *cf_json_print_max(const cJSON *v, size_t max) {
    char *s = cf_json_print(v);

    if (s && max >= 4 && strlen(s) > max) strcpy(s + cf_utf8_cut(s, max - 3), "...");
    return s;
}

static int text_is_int(const char *s) {
    return s && !strpbrk(s, ".eE");
}

int cf_json_is_int(const cJSON *n) {
    if (!cJSON_IsNumber(n)) return 0;
    if (n->valuestring && text_is_int(n->valuestring)) return 1;
    return isfinite(n->valuedouble) && n->valuedouble == trunc(n->valuedouble);
}

/* Integer text without a leading minus on zero. */
static const char *int_text(const char *s) {
    return strcmp(s, "-0") == 0 ? "0" : s;
}

int cf_json_num_equal(const cJSON *a, const cJSON *b) {
    if (text_is_int(a->valuestring) && text_is_int(b->valuestring))
        return strcmp(int_text(a->valuestring), int_text(b->valuestring)) == 0;
    return a->valuedouble == b->valuedouble;
}

int cf_json_equal(const cJSON *a, const cJSON *b) {
    const cJSON *c;
    int na = 0, nb = 0;

    if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) return cf_json_num_equal(a, b);
    if ((a->type & 0xff) != (b->type & 0xff)) {
        /* true and false are distinct cJSON types; so are the others */
        return 0;
    }
    if (cJSON_IsString(a)) return strcmp(a->valuestring, b->valuestring) == 0;
    if (cJSON_IsRaw(a)) return strcmp(a->valuestring, b->valuestring) == 0;
    if (cJSON_IsArray(a)) {
        const cJSON *d = b->child;

        for (c = a->child; c; c = c->next, d = d->next)
            if (!d || !cf_json_equal(c, d)) return 0;
        return d == NULL;
    }
    if (cJSON_IsObject(a)) {
        for (c = a->child; c; c = c->next) {
            const cJSON *d = cJSON_GetObjectItemCaseSensitive(b, c->string);

            if (!d || !cf_json_equal(c, d)) return 0;
            na++;
        }
        for (c = b->child; c; c = c->next)
            nb++;
        return na == nb;
    }
    return 1; /* null, true, false */
}

const cJSON *cf_json_path(const cJSON *root, const char *path) {
    const cJSON *v = root;
    char seg[256];

    while (v && *path) {
        size_t n = strcspn(path, ".");
        char *end;

        if (n >= sizeof(seg)) return NULL;
        memcpy(seg, path, n);
        seg[n] = 0;
        path += n + (path[n] == '.');
        if (cJSON_IsArray(v)) {
            long i = strtol(seg, &end, 10);

            if (*end || end == seg || i < 0) return NULL;
            v = cJSON_GetArrayItem(v, (int)i);
        } else if (cJSON_IsObject(v)) {
            v = cJSON_GetObjectItemCaseSensitive(v, seg);
        } else {
            return NULL;
        }
    }
    return v;
}
