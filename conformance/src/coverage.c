/*
 * coverage.c - `plexus-conform coverage`: which requirement IDs of spec/requirements.json no
 * conformance case (or codec vector) names; a MUST or MUST NOT without one is an error.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "json.h"
#include "modes.h"

static void mark(cJSON *seen, const cJSON *reqs, const char *source) {
    const cJSON *r;

    cJSON_ArrayForEach(r, reqs) {
        const char *id = cJSON_GetStringValue(r);

        if (!id) continue;
        if (!cJSON_GetObjectItemCaseSensitive(seen, id)) cJSON_AddArrayToObject(seen, id);
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(seen, id),
                             cJSON_CreateString(source));
    }
}

static int mark_vectors(cJSON *seen, const char *dir, char *err, size_t errlen) {
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d) {
        snprintf(err, errlen, "%s: cannot read the vectors", dir);
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        char path[4096], lerr[256];
        size_t n = strlen(e->d_name);
        cJSON *v;

        if (n < 6 || strcmp(e->d_name + n - 5, ".json")) continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        v = cf_json_load(path, lerr, sizeof(lerr));
        if (!v) continue;
        mark(seen, cJSON_GetObjectItemCaseSensitive(v, "requirements"), "vector");
        cJSON_Delete(v);
    }
    closedir(d);
    return 0;
}

int cf_coverage(const char *requirements, const char *cases_dir, const char *vectors, int show_all,
                char *err, size_t errlen) {
    cJSON *rroot = NULL, *seen = cJSON_CreateObject();
    const cJSON *reqs = cf_requirements_load(requirements, &rroot, err, errlen), *r;
    cf_caselist cases;
    cf_buf errors = {0};
    int total = 0, covered = 0, must_missing = 0, missing = 0;
    size_t i;

    if (!reqs || !seen) {
        cJSON_Delete(seen);
        return -1;
    }
    if (cf_cases_load(cases_dir, reqs, &cases, &errors)) {
        snprintf(err, errlen, "%s: cannot read the cases", cases_dir);
        cJSON_Delete(rroot);
        cJSON_Delete(seen);
        return -1;
    }
    if (errors.len) fprintf(stderr, "%s", (char *)errors.data);
    for (i = 0; i < cases.n; i++)
        mark(seen, cases.v[i].requirements, cases.v[i].id);
    if (vectors && mark_vectors(seen, vectors, err, errlen)) {
        cf_cases_free(&cases);
        cJSON_Delete(rroot);
        cJSON_Delete(seen);
        cf_buf_free(&errors);
        return -1;
    }
    cJSON_ArrayForEach(r, reqs) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "id"));
        const char *level = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "level"));
        const char *sum = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "summary"));
        const cJSON *by;
        int must;

        if (!id || !level) continue;
        total++;
        must = !strncmp(level, "MUST", 4);
        by = cJSON_GetObjectItemCaseSensitive(seen, id);
        if (by) {
            covered++;
            if (show_all) {
                const cJSON *s;
                int k = 0;

                printf("covered   %-8s %-10s", id, level);
                cJSON_ArrayForEach(s, by) if (k++ < 8) printf(" %s", s->valuestring);
                printf("%s\n", cJSON_GetArraySize(by) > 8 ? " ..." : "");
            }
            continue;
        }
        missing++;
        if (must) must_missing++;
        printf("uncovered %-8s %-10s %.90s\n", id, level, sum ? sum : "");
    }
    printf("coverage: %d of %d requirements covered, %d MUST without a case\n", covered, total,
           must_missing);
    cf_cases_free(&cases);
    cf_buf_free(&errors);
    cJSON_Delete(rroot);
    cJSON_Delete(seen);
    (void)missing;
    return must_missing;
}
