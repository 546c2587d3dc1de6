/*
 * codecmode.c - `plexus-conform codec --adapter CMD`: runs spec/vectors through an adapter
 * process that speaks the JSON-lines protocol of conformance/ADAPTERS.md, and compares what the
 * codec under test decodes and encodes with each vector's expectation.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <plexus/codec.h>

#include "case.h"
#include "json.h"
#include "modes.h"

#define LINE_MAX_BYTES (512u << 20) /* longest adapter response line we read */
#define MAX_VECTORS    10000

typedef struct adapter {
    pid_t pid;
    int to, from; /* pipe ends: requests to the adapter, responses from it */
    cf_buf rbuf;
} adapter;

static void adapter_stop(adapter *a) {
    int st;

    if (a->to >= 0) close(a->to);
    if (a->from >= 0) close(a->from);
    a->to = a->from = -1;
    if (a->pid > 0) {
        uint64_t end = cf_now_ms() + 1000;

        while (waitpid(a->pid, &st, WNOHANG) == 0) {
            if (cf_now_ms() > end) {
                kill(a->pid, SIGKILL);
                waitpid(a->pid, &st, 0);
                break;
            }
            cf_sleep_ms(10);
        }
    }
    a->pid = 0;
    cf_buf_free(&a->rbuf);
}

static int adapter_start(adapter *a, const char *cmd, char *err, size_t errlen) {
    int in[2], out[2];

    memset(a, 0, sizeof(*a));
    a->to = a->from = -1;
    if (pipe(in) || pipe(out)) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    a->pid = fork();
    if (a->pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (a->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    a->to = in[1];
    a->from = out[0];
    return 0;
}

/* Sends one request line and reads one response line within timeout_ms. */
static cJSON *adapter_call(adapter *a, const cJSON *req, int timeout_ms, char *err, size_t errlen) {
    char *text = cJSON_PrintUnformatted(req);
    uint64_t end = cf_now_ms() + (uint64_t)timeout_ms;
    size_t len, off = 0;
    cJSON *resp;

    if (!text) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    len = strlen(text);
    text[len] = '\n';
    while (off < len + 1) {
        ssize_t n = write(a->to, text + off, len + 1 - off);

        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            snprintf(err, errlen, "the adapter does not read its input (%s)", strerror(errno));
            free(text);
            return NULL;
        }
        off += (size_t)n;
    }
    free(text);
    for (;;) {
        uint8_t *nl = a->rbuf.len ? memchr(a->rbuf.data, '\n', a->rbuf.len) : NULL;
        struct pollfd p = {a->from, POLLIN, 0};
        uint8_t buf[65536];
        uint64_t now = cf_now_ms();
        ssize_t n;

        if (nl) {
            size_t line = (size_t)(nl - a->rbuf.data);

            resp = cf_json_parse((char *)a->rbuf.data, line, NULL);
            cf_buf_consume(&a->rbuf, line + 1);
            if (!resp || !cJSON_IsObject(resp)) {
                snprintf(err, errlen, "the adapter answered with a line that is not a JSON object");
                cJSON_Delete(resp);
                return NULL;
            }
            return resp;
        }
        if (now >= end || poll(&p, 1, (int)(end - now)) <= 0) {
            snprintf(err, errlen, "the adapter did not answer within %d ms", timeout_ms);
            return NULL;
        }
        n = read(a->from, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            snprintf(err, errlen, "the adapter exited without answering");
            return NULL;
        }
        if (a->rbuf.len + (size_t)n > LINE_MAX_BYTES || cf_buf_add(&a->rbuf, buf, (size_t)n)) {
            snprintf(err, errlen, "the adapter's answer is longer than %u bytes", LINE_MAX_BYTES);
            return NULL;
        }
    }
}

/* ------------------------------------------------------------------ vectors */

typedef struct vec {
    char name[256];
    cJSON *root;
} vec;

static int cmp_vec(const void *a, const void *b) {
    return strcmp(((const vec *)a)->name, ((const vec *)b)->name);
}

static const char *vec_slug(const cJSON *root) {
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "name"));

    return s ? s : "";
}

static int vec_selected(const char *sel, const char *name, const cJSON *root) {
    return cf_selected(sel, name, cJSON_GetObjectItemCaseSensitive(root, "requirements")) ||
           (sel && *sel && cf_selected(sel, vec_slug(root), NULL));
}

static int load_vectors(const cf_codec_config *cfg, vec **out, size_t *n, char *err,
                        size_t errlen) {
    DIR *d = opendir(cfg->vectors);
    struct dirent *e;
    vec *v;

    *n = 0;
    if (!d) {
        snprintf(err, errlen, "%s: %s", cfg->vectors, strerror(errno));
        return -1;
    }
    v = calloc(MAX_VECTORS, sizeof(*v));
    if (!v) {
        closedir(d);
        return -1;
    }
    while ((e = readdir(d)) != NULL && *n < MAX_VECTORS) {
        size_t l = strlen(e->d_name);
        char path[4096], lerr[512];
        cJSON *root;

        if (l < 6 || strcmp(e->d_name + l - 5, ".json") || l - 5 >= sizeof(v->name)) continue;
        snprintf(path, sizeof(path), "%s/%s", cfg->vectors, e->d_name);
        root = cf_json_load(path, lerr, sizeof(lerr));
        if (!root) {
            fprintf(stderr, "plexus-conform: %s\n", lerr);
            continue;
        }
        memcpy(v[*n].name, e->d_name, l - 5);
        v[*n].name[l - 5] = 0;
        if (!vec_selected(cfg->select, v[*n].name, root) ||
            (cfg->exclude && *cfg->exclude && vec_selected(cfg->exclude, v[*n].name, root))) {
            cJSON_Delete(root);
            continue;
        }
        v[*n].root = root;
        (*n)++;
    }
    closedir(d);
    qsort(v, *n, sizeof(*v), cmp_vec);
    *out = v;
    return 0;
}

static void free_vectors(vec *v, size_t n) {
    size_t i;

    for (i = 0; i < n; i++)
        cJSON_Delete(v[i].root);
    free(v);
}

static char *title_of(const cJSON *root) {
    const char *d = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "description"));
    const char *end;
    size_t n;
    char *t;

    if (!d) d = "";
    end = strstr(d, ". ");
    n = end ? (size_t)(end - d) : strlen(d);
    if (n > 160) n = 160;
    t = malloc(n + 1);
    if (t) {
        memcpy(t, d, n);
        t[n] = 0;
    }
    return t;
}

static cJSON *decode_request(const vec *v) {
    const cJSON *r = v->root, *lim = cJSON_GetObjectItemCaseSensitive(r, "limits"), *now;
    cJSON *req = cJSON_CreateObject(), *l, *ns;
    const char *k[] = {"max_frame", "max_message", "max_partial", "expiry_ms"};
    const double dv[] = {PLX_DEFAULT_MAX_FRAME, PLX_DEFAULT_MAX_MESSAGE, PLX_DEFAULT_MAX_PARTIAL,
                         PLX_DEFAULT_EXPIRY_MS};
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(lim, "gzip");
    int i, n;

    cJSON_AddStringToObject(req, "op", "decode");
    cJSON_AddStringToObject(req, "id", v->name);
    cJSON_AddItemToObject(req, "binding",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r, "binding"), 1));
    cJSON_AddItemToObject(req, "dir",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r, "dir"), 1));
    l = cJSON_AddObjectToObject(req, "limits");
    for (i = 0; i < 4; i++) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(lim, k[i]);

        cJSON_AddNumberToObject(l, k[i], x ? x->valuedouble : dv[i]);
    }
    cJSON_AddBoolToObject(l, "gzip", g ? cJSON_IsTrue(g) : 1);
    cJSON_AddItemToObject(req, "input",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r, "input"), 1));
    now = cJSON_GetObjectItemCaseSensitive(r, "now_ms");
    ns = cJSON_AddArrayToObject(req, "now_ms");
    n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "input"));
    for (i = 0; i < n; i++) {
        const cJSON *t = cJSON_GetArrayItem(now, i);

        cJSON_AddItemToArray(ns, cJSON_CreateNumber(cJSON_IsNumber(t) ? t->valuedouble : 0));
    }
    return req;
}

static cJSON *encode_request(const vec *v, const cJSON *enc) {
    cJSON *req = cJSON_Duplicate(enc, 1);
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(v->root, "expect"), "messages");

    cJSON_AddStringToObject(req, "op", "encode");
    cJSON_AddStringToObject(req, "id", v->name);
    cJSON_AddItemToObject(req, "binding",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(v->root, "binding"), 1));
    cJSON_AddItemToObject(
        req, "attachments",
        cJSON_Duplicate(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(msgs, 0), "attachments"), 1));
    return req;
}

static int hex_equal(const cJSON *a, const cJSON *b) {
    return cJSON_IsString(a) && cJSON_IsString(b) && !strcasecmp(a->valuestring, b->valuestring);
}

/* Compares the adapter's decode answer with the vector's expect. NULL when equal, else a
 * reason (static). */
static const char *compare_decode(const cJSON *expect, const cJSON *got) {
    const cJSON *em = cJSON_GetObjectItemCaseSensitive(expect, "messages");
    const cJSON *gm = cJSON_GetObjectItemCaseSensitive(got, "messages");
    const cJSON *ee = cJSON_GetObjectItemCaseSensitive(expect, "error");
    const cJSON *ge = cJSON_GetObjectItemCaseSensitive(got, "error");
    const cJSON *gc = cJSON_GetObjectItemCaseSensitive(got, "code");
    const cJSON *e, *g;

    if (!cJSON_IsArray(gm)) return "the answer has no \"messages\" array";
    if (cJSON_GetArraySize(em) != cJSON_GetArraySize(gm)) return "a different number of messages";
    for (e = em->child, g = gm->child; e; e = e->next, g = g->next) {
        const cJSON *ea = cJSON_GetObjectItemCaseSensitive(e, "attachments");
        const cJSON *ga = cJSON_GetObjectItemCaseSensitive(g, "attachments");
        const cJSON *x, *y;

        if (!cJSON_GetObjectItemCaseSensitive(g, "json") ||
            !cf_json_equal(cJSON_GetObjectItemCaseSensitive(e, "json"),
                           cJSON_GetObjectItemCaseSensitive(g, "json")))
            return "a decoded message differs";
        if (cJSON_GetArraySize(ea) != cJSON_GetArraySize(ga)) return "attachment counts differ";
        for (x = ea->child, y = ga->child; x; x = x->next, y = y->next)
            if (!hex_equal(x, y)) return "attachment bytes differ";
    }
    if (cJSON_IsString(ee)) {
        if (!cJSON_IsString(ge)) return "the input is invalid but the codec reported no error";
        if (strcmp(ee->valuestring, ge->valuestring)) return "a different error";
        if (gc && !cJSON_IsNull(gc) &&
            !cf_json_equal(gc, cJSON_GetObjectItemCaseSensitive(expect, "code")))
            return "the error name is right but its code differs";
    } else if (ge && !cJSON_IsNull(ge)) {
        return "the input is valid but the codec reported an error";
    }
    return NULL;
}

static void set_fail(cf_result *r, const char *reason, const cJSON *exp, const cJSON *got,
                     const char *raw_got) {
    r->verdict = CF_FAIL;
    r->reason = strdup(reason);
    r->expected = exp ? cf_json_print_max(exp, 6000) : NULL;
    r->received = got ? cf_json_print_max(got, 6000) : raw_got ? strdup(raw_got) : NULL;
}

static void run_vector(const cf_codec_config *cfg, adapter *a, const vec *v, cf_result *r) {
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(v->root, "expect");
    const cJSON *enc = cJSON_GetObjectItemCaseSensitive(v->root, "encode");
    char *title = title_of(v->root);
    uint64_t t0 = cf_now_ms();
    cJSON *req, *resp;
    char err[512];
    const char *why;

    cf_result_init(r, v->name, title ? title : "", 0,
                   cJSON_GetObjectItemCaseSensitive(v->root, "requirements"));
    free(title);
    r->verdict = CF_PASS;
    req = decode_request(v);
    resp = req ? adapter_call(a, req, cfg->timeout_ms, err, sizeof(err)) : NULL;
    cJSON_Delete(req);
    if (!resp) {
        set_fail(r, err, expect, NULL, "no answer");
        goto out;
    }
    if (cJSON_GetObjectItemCaseSensitive(resp, "unsupported")) {
        r->verdict = CF_SKIP;
        r->reason = cf_json_print(cJSON_GetObjectItemCaseSensitive(resp, "unsupported"));
        cJSON_Delete(resp);
        goto out;
    }
    why = compare_decode(expect, resp);
    if (why) {
        char reason[256];

        snprintf(reason, sizeof(reason), "decode: %s", why);
        set_fail(r, reason, expect, resp, NULL);
        cJSON_Delete(resp);
        goto out;
    }
    cJSON_Delete(resp);
    if (enc) {
        const cJSON *in = cJSON_GetObjectItemCaseSensitive(v->root, "input"), *x;
        cf_buf want = {0};
        cJSON *w;

        req = encode_request(v, enc);
        resp = req ? adapter_call(a, req, cfg->timeout_ms, err, sizeof(err)) : NULL;
        cJSON_Delete(req);
        cJSON_ArrayForEach(x, in) cf_buf_str(&want, x->valuestring);
        w = cJSON_CreateString(want.data ? (char *)want.data : "");
        cf_buf_free(&want);
        if (!resp) {
            set_fail(r, err, w, NULL, "no answer");
        } else if (cJSON_GetObjectItemCaseSensitive(resp, "unsupported")) {
            r->verdict = CF_SKIP;
            r->reason = strdup("encode unsupported by the adapter");
        } else if (!hex_equal(w, cJSON_GetObjectItemCaseSensitive(resp, "output"))) {
            set_fail(r, "encode: the bytes differ from the vector's input", w,
                     cJSON_GetObjectItemCaseSensitive(resp, "output"), "no \"output\"");
        }
        cJSON_Delete(w);
        cJSON_Delete(resp);
    }
out:
    r->ms = cf_now_ms() - t0;
}

int cf_codec_run(const cf_codec_config *cfg, cf_result **out, size_t *n, char *err, size_t errlen) {
    adapter a;
    vec *v = NULL;
    size_t nv = 0, i;
    cf_result *res;
    cJSON *hello, *resp;

    if (load_vectors(cfg, &v, &nv, err, errlen)) return -1;
    res = calloc(nv ? nv : 1, sizeof(*res));
    if (!res || adapter_start(&a, cfg->adapter, err, errlen)) {
        free(res);
        free_vectors(v, nv);
        return -1;
    }
    hello = cJSON_CreateObject();
    cJSON_AddStringToObject(hello, "op", "info");
    resp = adapter_call(&a, hello, cfg->timeout_ms, err, errlen);
    cJSON_Delete(hello);
    if (!resp) {
        adapter_stop(&a);
        free(res);
        free_vectors(v, nv);
        return -1;
    }
    cJSON_Delete(resp);
    for (i = 0; i < nv; i++) {
        if (cfg->progress) fprintf(stderr, "\r\033[K[%zu/%zu] %s", i + 1, nv, v[i].name);
        run_vector(cfg, &a, &v[i], &res[i]);
        if (res[i].verdict == CF_FAIL && res[i].received && !strcmp(res[i].received, "no answer")) {
            /* the adapter died or hung: start a fresh one for the next vector */
            adapter_stop(&a);
            if (adapter_start(&a, cfg->adapter, err, errlen)) break;
        }
    }
    if (cfg->progress) fprintf(stderr, "\r\033[K");
    {
        cJSON *quit = cJSON_CreateObject();

        cJSON_AddStringToObject(quit, "op", "quit");
        {
            char *t = cJSON_PrintUnformatted(quit);

            if (t && write(a.to, t, strlen(t)) >= 0 && write(a.to, "\n", 1) >= 0) {
            }
            free(t);
        }
        cJSON_Delete(quit);
    }
    adapter_stop(&a);
    free_vectors(v, nv);
    *out = res;
    *n = i < nv ? i : nv;
    return 0;
}

int cf_codec_list(const cf_codec_config *cfg, char *err, size_t errlen) {
    vec *v = NULL;
    size_t nv = 0, i;

    if (load_vectors(cfg, &v, &nv, err, errlen)) return -1;
    for (i = 0; i < nv; i++) {
        char *reqs = cf_json_print(cJSON_GetObjectItemCaseSensitive(v[i].root, "requirements"));
        char *title = title_of(v[i].root);

        printf("%-48s %s  %s\n", v[i].name, reqs ? reqs : "", title ? title : "");
        free(reqs);
        free(title);
    }
    printf("%zu vectors\n", nv);
    free_vectors(v, nv);
    return 0;
}
