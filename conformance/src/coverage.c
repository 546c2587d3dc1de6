/*
 * coverage.c - `plexus-conform coverage`: which requirement IDs of spec/requirements.json no
 * server case, client case or codec vector names; a MUST or MUST NOT without one is an error.
 * Each source is counted and shown, so a gap can be traced to the layer that lacks it.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "case.h"
#include "json.h"
#include "modes.h"

enum { SRC_SERVER, SRC_CLIENT, SRC_VECTOR, NSRC };

static const char *const src_name[NSRC] = {"server", "client", "vector"};

/* Per source: files read, and the requirements they name ({id: [file ids]}). */
typedef struct source {
    const char *dir; /* NULL: not counted */
    int files, present;
    cJSON *seen;
} source;

static void mark(cJSON *seen, const cJSON *reqs, const char *by) {
    const cJSON *r;

    cJSON_ArrayForEach(r, reqs) {
        const char *id = cJSON_GetStringValue(r);

        if (!id) continue;
        if (!cJSON_GetObjectItemCaseSensitive(seen, id)) cJSON_AddArrayToObject(seen, id);
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(seen, id), cJSON_CreateString(by));
    }
}

static int is_json(const char *name) {
    size_t n = strlen(name);

    return n > 5 && !strcmp(name + n - 5, ".json") && name[0] != '.';
}

/* Marks the requirements of every *.json file in dir and (depth > 0) its folders; the file's
 * "id" (or its name) is what covers them. */
static void mark_files(source *s, const char *dir, int depth) {
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d) return;
    s->present = 1;
    while ((e = readdir(d)) != NULL) {
        char path[4096], err[256];
        struct stat st;
        cJSON *v;

        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &st)) continue;
        if (S_ISDIR(st.st_mode)) {
            if (depth > 0) mark_files(s, path, depth - 1);
            continue;
        }
        if (!is_json(e->d_name)) continue;
        v = cf_json_load(path, err, sizeof(err));
        if (!v) continue;
        if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(v, "requirements"))) {
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "id"));

            s->files++;
            mark(s->seen, cJSON_GetObjectItemCaseSensitive(v, "requirements"), id ? id : e->d_name);
        }
        cJSON_Delete(v);
    }
    closedir(d);
}

/* Server cases go through the strict loader (a broken case covers nothing). */
static int mark_server(source *s, const cJSON *reqs, char *err, size_t errlen) {
    cf_caselist cases;
    cf_buf errors = {0};
    size_t i;

    if (cf_cases_load(s->dir, reqs, &cases, &errors)) {
        snprintf(err, errlen, "%s: cannot read the cases", s->dir);
        return -1;
    }
    s->present = 1;
    if (errors.len) fprintf(stderr, "%s", (char *)errors.data);
    for (i = 0; i < cases.n; i++)
        mark(s->seen, cases.v[i].requirements, cases.v[i].id);
    s->files = (int)cases.n;
    cf_cases_free(&cases);
    cf_buf_free(&errors);
    return 0;
}

static void print_sources(const source *src, const cJSON *reqs) {
    static const char *const what[NSRC] = {"server cases", "client cases", "codec vectors"};
    int k;

    for (k = 0; k < NSRC; k++) {
        const cJSON *r;
        int n = 0;

        if (!src[k].dir) {
            printf("source %-6s not counted\n", src_name[k]);
            continue;
        }
        cJSON_ArrayForEach(r, reqs) {
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "id"));

            n += id && cJSON_GetObjectItemCaseSensitive(src[k].seen, id) != NULL;
        }
        printf("source %-6s %4d %s in %s%s, covering %d requirements\n", src_name[k], src[k].files,
               what[k], src[k].dir, src[k].present ? "" : " (absent)", n);
    }
}

static void print_covered(const char *id, const char *level, const source *src) {
    int k;

    printf("covered   %-8s %-10s", id, level);
    for (k = 0; k < NSRC; k++) {
        const cJSON *by = cJSON_GetObjectItemCaseSensitive(src[k].seen, id), *s;
        int i = 0;

        if (!by) continue;
        printf(" %s %d:", src_name[k], cJSON_GetArraySize(by));
        cJSON_ArrayForEach(s, by) if (i++ < 4) printf(" %s", s->valuestring);
        printf("%s;", cJSON_GetArraySize(by) > 4 ? " ..." : "");
    }
    printf("\n");
}

int cf_coverage(const cf_coverage_config *cfg, char *err, size_t errlen) {
    cJSON *rroot = NULL;
    const cJSON *reqs = cf_requirements_load(cfg->requirements, &rroot, err, errlen), *r;
    source src[NSRC];
    int total = 0, covered = 0, must_missing = 0, k, rc = -1;

    memset(src, 0, sizeof(src));
    if (!reqs) return -1;
    src[SRC_SERVER].dir = cfg->cases_dir;
    src[SRC_CLIENT].dir = cfg->client_dir;
    src[SRC_VECTOR].dir = cfg->vectors;
    for (k = 0; k < NSRC; k++)
        if (!(src[k].seen = cJSON_CreateObject())) goto out;
    if (mark_server(&src[SRC_SERVER], reqs, err, errlen)) goto out;
    if (src[SRC_CLIENT].dir) mark_files(&src[SRC_CLIENT], src[SRC_CLIENT].dir, 1);
    if (src[SRC_VECTOR].dir) {
        mark_files(&src[SRC_VECTOR], src[SRC_VECTOR].dir, 0);
        if (!src[SRC_VECTOR].present) {
            snprintf(err, errlen, "%s: cannot read the vectors", src[SRC_VECTOR].dir);
            goto out;
        }
    }
    print_sources(src, reqs);
    cJSON_ArrayForEach(r, reqs) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "id"));
        const char *level = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "level"));
        const char *sum = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "summary"));
        int by = 0;

        if (!id || !level) continue;
        total++;
        for (k = 0; k < NSRC; k++)
            by += cJSON_GetObjectItemCaseSensitive(src[k].seen, id) != NULL;
        if (by) {
            covered++;
            if (cfg->show_all) print_covered(id, level, src);
            continue;
        }
        if (!strncmp(level, "MUST", 4)) must_missing++;
        printf("uncovered %-8s %-10s %.90s\n", id, level, sum ? sum : "");
    }
    printf("coverage: %d of %d requirements covered, %d MUST without a case\n", covered, total,
           must_missing);
    rc = must_missing;
out:
    for (k = 0; k < NSRC; k++)
        cJSON_Delete(src[k].seen);
    cJSON_Delete(rroot);
    return rc;
}
