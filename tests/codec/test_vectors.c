/*
 * test_vectors.c - runs every spec/vectors/NNN-name.json file both ways. Decode: the input through
 * plx_reader (WebSocket: one frame per element; stream: per element, as one buffer and one
 * byte at a time), comparing the messages (cJSON_Compare, attachment bytes) and the final
 * error. Encode: where a vector has "encode", the encoder must reproduce the input byte for
 * byte (and, for WebSocket, frame for frame). The end of a stream input is the end of a
 * recorded file: a frame cut short there is TRUNCATED (plx_reader_end). Fails when fewer than 40
 * vectors are found. PLX_VECTORS_DIR in the environment points it at another folder.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <plexus/codec.h>

#include "internal.h"

#define MIN_VECTORS 40

typedef struct bytes_list {
    uint8_t **p;
    size_t *len;
    size_t n;
} bytes_list;

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes a hex string into a malloc'd buffer; NULL if it is not hex. */
static uint8_t *unhex(const char *s, size_t *len) {
    size_t n = strlen(s);
    if (n % 2) return NULL;
    uint8_t *b = malloc(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(b);
            return NULL;
        }
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return b;
}

static int unhex_array(const cJSON *arr, bytes_list *out) {
    size_t n = (size_t)cJSON_GetArraySize(arr);
    out->p = calloc(n + 1, sizeof(uint8_t *));
    out->len = calloc(n + 1, sizeof(size_t));
    out->n = n;
    for (size_t i = 0; i < n; i++) {
        const cJSON *h = cJSON_GetArrayItem(arr, (int)i);
        if (!cJSON_IsString(h) || !(out->p[i] = unhex(h->valuestring, &out->len[i]))) return -1;
    }
    return 0;
}

static void free_list(bytes_list *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->p[i]);
    free(l->p);
    free(l->len);
}

static uint64_t num(const cJSON *obj, const char *key, uint64_t dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? (uint64_t)v->valuedouble : dflt;
}

static int flag(const cJSON *obj, const char *key, int dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : dflt;
}

/* One vector being checked: its parsed file and what the decoder saw. */
typedef struct vec {
    const char *file;
    cJSON *root;
    const cJSON *expect_msgs;
    int stream;
    bytes_list input;
    size_t got;     /* messages decoded */
    int error;      /* the error that stopped decoding, 0 if none */
    int mismatches; /* messages that differed */
} vec;

static void report(vec *v, const char *what, const char *how) {
    print_message("MISMATCH %s (%s): %s\n", v->file, how, what);
    v->mismatches++;
}

/* Compares a decoded message with the next expected one. */
static void check_msg(vec *v, const plx_msg *m, const char *how) {
    const cJSON *want = cJSON_GetArrayItem(v->expect_msgs, (int)v->got);
    v->got++;
    if (!want) {
        report(v, "more messages than expected", how);
        return;
    }
    if (!cJSON_Compare(m->json, cJSON_GetObjectItemCaseSensitive(want, "json"), 1)) {
        char *js = cJSON_PrintUnformatted(m->json);
        print_message("  got json %s\n", js);
        cJSON_free(js);
        report(v, "json differs", how);
    }
    bytes_list att;
    if (unhex_array(cJSON_GetObjectItemCaseSensitive(want, "attachments"), &att) != 0) {
        report(v, "bad attachments hex in the vector", how);
    } else if (att.n != m->natt) {
        report(v, "attachment count differs", how);
    } else {
        for (size_t i = 0; i < att.n; i++)
            if (att.len[i] != m->att[i].len ||
                (att.len[i] && memcmp(att.p[i], m->att[i].data, att.len[i]) != 0))
                report(v, "attachment bytes differ", how);
    }
    free_list(&att);
}

static plx_reader *make_reader(const cJSON *root) {
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(root, "limits");
    const cJSON *dir = cJSON_GetObjectItemCaseSensitive(root, "dir");
    plx_reader_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.max_frame = (uint32_t)num(lim, "max_frame", PLX_DEFAULT_MAX_FRAME);
    cfg.limits.max_message = (uint32_t)num(lim, "max_message", PLX_DEFAULT_MAX_MESSAGE);
    cfg.limits.max_partial = (uint32_t)num(lim, "max_partial", PLX_DEFAULT_MAX_PARTIAL);
    cfg.limits.expiry_ms = (uint32_t)num(lim, "expiry_ms", PLX_DEFAULT_EXPIRY_MS);
    cfg.limits.allow_gzip = flag(lim, "gzip", 1);
    cfg.dir =
        cJSON_IsString(dir) && strcmp(dir->valuestring, "s2c") == 0 ? PLX_DIR_S2C : PLX_DIR_C2S;
    return plx_reader_new(NULL, &cfg);
}

/* Feeds one result of the reader into v; returns 1 to stop. */
static int take(vec *v, int rc, plx_msg *m, const char *how) {
    if (rc == 1) check_msg(v, m, how);
    plx_msg_clear(m);
    if (rc < 0) {
        v->error = rc;
        return 1;
    }
    return 0;
}

/* Feeds the stream bytes in pieces of at most `piece` bytes (0: per input element). */
static void run_stream(vec *v, plx_reader *r, const uint8_t *all, size_t all_len, size_t piece,
                       const char *how) {
    const cJSON *now = cJSON_GetObjectItemCaseSensitive(v->root, "now_ms");
    size_t pos = 0, elem = 0, elem_end = v->input.n ? v->input.len[0] : 0;
    while (pos < all_len) {
        while (elem + 1 < v->input.n && pos >= elem_end)
            elem_end += v->input.len[++elem];
        size_t n = piece ? piece : elem_end - pos;
        if (n > all_len - pos) n = all_len - pos;
        const cJSON *t = cJSON_GetArrayItem(now, (int)elem);
        uint64_t now_ms = cJSON_IsNumber(t) ? (uint64_t)t->valuedouble : 0;
        size_t end = pos + n;
        while (pos < end) {
            plx_msg m;
            size_t used;
            int rc = plx_reader_stream(r, all + pos, end - pos, &used, now_ms, &m, NULL);
            pos += used;
            if (take(v, rc, &m, how)) return;
            if (rc == 0 && pos != end) {
                report(v, "reader returned 0 without consuming its input", how);
                return;
            }
        }
    }
}

/* Runs the decode side once; `mode` selects how the stream binding is fed. */
static void decode_once(vec *v, int mode) {
    static const char *modes[] = {"per element", "one buffer", "byte by byte"};
    plx_reader *r = make_reader(v->root);
    assert_non_null(r);
    v->got = 0;
    v->error = 0;
    if (!v->stream) {
        const cJSON *now = cJSON_GetObjectItemCaseSensitive(v->root, "now_ms");
        for (size_t i = 0; i < v->input.n; i++) {
            const cJSON *t = cJSON_GetArrayItem(now, (int)i);
            plx_msg m;
            int rc = plx_reader_frame(r, v->input.p[i], v->input.len[i],
                                      cJSON_IsNumber(t) ? (uint64_t)t->valuedouble : 0, &m, NULL);
            if (take(v, rc, &m, "websocket")) break;
        }
    } else {
        size_t total = 0;
        for (size_t i = 0; i < v->input.n; i++)
            total += v->input.len[i];
        uint8_t *all = malloc(total + 1);
        for (size_t i = 0, o = 0; i < v->input.n; i++, o += v->input.len[i - 1])
            memcpy(all + o, v->input.p[i], v->input.len[i]);
        run_stream(v, r, all, total, mode == 0 ? 0 : mode == 1 ? total : 1, modes[mode]);
        plx_msg none;
        memset(&none, 0, sizeof(none));
        if (!v->error) take(v, plx_reader_end(r), &none, modes[mode]); /* end of the file */
        free(all);
    }
    plx_reader_free(r);

    const char *how = v->stream ? modes[mode] : "websocket";
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(v->root, "expect");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(ex, "error");
    int want = cJSON_IsString(name) ? -(int)num(ex, "code", 0) : 0;
    if (cJSON_IsString(name) && plx_error_by_name(name->valuestring) != want)
        report(v, "error name and code disagree with the registry", how);
    if (v->got != (size_t)cJSON_GetArraySize(v->expect_msgs))
        report(v, "number of messages differs", how);
    if (v->error != want) {
        print_message("  got error %d (%s), want %d\n", v->error,
                      v->error ? plx_error_name(v->error) : "none", want);
        report(v, "error differs", how);
    }
}

/* The encode side: the encoder must reproduce the input exactly. */
static void encode_check(vec *v) {
    const cJSON *enc = cJSON_GetObjectItemCaseSensitive(v->root, "encode");
    if (!enc) return;
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(enc, "json_text");
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(v->root, "limits");
    cJSON *json = cJSON_Parse(cJSON_IsString(text) ? text->valuestring : "");
    if (!json) {
        report(v, "encode.json_text does not parse", "encode");
        return;
    }
    char *printed = cJSON_PrintUnformatted(json);
    if (strcmp(printed, text->valuestring) != 0)
        report(v, "json_text is not what cJSON_PrintUnformatted prints", "encode");
    cJSON_free(printed);
    bytes_list att;
    const cJSON *m0 = cJSON_GetArrayItem(v->expect_msgs, 0);
    assert_int_equal(unhex_array(cJSON_GetObjectItemCaseSensitive(m0, "attachments"), &att), 0);
    plx_bytes *ab = calloc(att.n + 1, sizeof(plx_bytes));
    for (size_t i = 0; i < att.n; i++) {
        ab[i].data = att.p[i];
        ab[i].len = att.len[i];
    }
    plx_encoder_config cfg = {(uint32_t)num(enc, "max_frame", PLX_DEFAULT_MAX_FRAME),
                              (uint32_t)num(lim, "max_message", PLX_DEFAULT_MAX_MESSAGE),
                              (uint32_t)num(enc, "gzip_threshold", PLX_DEFAULT_GZIP_THRESHOLD),
                              flag(enc, "gzip", 1),
                              0,
                              v->stream,
                              0,
                              0};
    plx_encoder *e = plx_encoder_new(NULL, &cfg);
    int rc = plx_encoder_begin(e, (uint32_t)num(enc, "msg_id", 0), json, ab, att.n);
    if (rc != 0) report(v, "encoder_begin failed", "encode");
    plx_bytes iov[PLX_ENCODER_MAX_IOV];
    size_t niov, frame = 0, pos = 0, elem = 0, epos = 0;
    int bad = 0;
    while (rc == 0 && plx_encoder_next(e, iov, &niov) == 1) {
        size_t flen = 0;
        for (size_t i = 0; i < niov; i++) {
            for (size_t k = 0; k < iov[i].len && !bad; k++) {
                while (elem < v->input.n && epos == v->input.len[elem]) {
                    elem++;
                    epos = 0;
                }
                if (elem == v->input.n || v->input.p[elem][epos] != iov[i].data[k]) bad = 1;
                epos++;
            }
            flen += iov[i].len;
        }
        if (!v->stream && !bad && (frame >= v->input.n || flen != v->input.len[frame])) bad = 2;
        pos += flen;
        frame++;
    }
    size_t total = 0;
    for (size_t i = 0; i < v->input.n; i++)
        total += v->input.len[i];
    if (bad || pos != total) {
        print_message("  encoded %zu bytes in %zu frames, input %zu bytes\n", pos, frame, total);
        report(v, bad == 2 ? "frame boundaries differ" : "encoded bytes differ", "encode");
    }
    plx_encoder_free(e);
    free(ab);
    free_list(&att);
    cJSON_Delete(json);
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    fclose(f);
    s[got] = 0;
    return s;
}

static int run_vector(const char *dir, const char *file) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    char *text = slurp(path);
    vec v;
    memset(&v, 0, sizeof(v));
    v.file = file;
    v.root = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!v.root) {
        print_message("MISMATCH %s: unreadable JSON\n", file);
        return 1;
    }
    const cJSON *binding = cJSON_GetObjectItemCaseSensitive(v.root, "binding");
    v.stream = cJSON_IsString(binding) && strcmp(binding->valuestring, "stream") == 0;
    v.expect_msgs = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(v.root, "expect"), "messages");
    if (unhex_array(cJSON_GetObjectItemCaseSensitive(v.root, "input"), &v.input) != 0) {
        report(&v, "bad input hex", "load");
    } else {
        for (int mode = 0; mode < (v.stream ? 3 : 1); mode++)
            decode_once(&v, mode);
        encode_check(&v);
    }
    free_list(&v.input);
    cJSON_Delete(v.root);
    return v.mismatches;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_vectors(void **state) {
    (void)state;
    const char *dir = getenv("PLX_VECTORS_DIR");
    if (!dir) dir = PLX_SOURCE_DIR "/spec/vectors";
    DIR *d = opendir(dir);
    assert_non_null(d);
    char *names[4096];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 4096) {
        size_t l = strlen(de->d_name);
        if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0) names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), by_name);
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        failed += run_vector(dir, names[i]) ? 1 : 0;
        free(names[i]);
    }
    print_message("vectors: %zu run, %zu failed\n", n, failed);
    assert_true(n >= MIN_VECTORS);
    assert_int_equal(failed, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
