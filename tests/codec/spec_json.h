/*
 * spec_json.h - test helper: loads a file of the source tree (the spec JSON files, headers) at run
 * time, so tests can compare the C tables with the spec files themselves.
 */
#ifndef PLX_TEST_SPEC_JSON_H
#define PLX_TEST_SPEC_JSON_H

#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

/* Reads PLX_SOURCE_DIR/rel into a NUL-terminated malloc'd buffer, or NULL. */
static inline char *source_file_read(const char *rel) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", PLX_SOURCE_DIR, rel);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* Parses PLX_SOURCE_DIR/rel as JSON; NULL if it cannot be read or parsed. */
static inline cJSON *spec_json_load(const char *rel) {
    char *text = source_file_read(rel);
    cJSON *json = text ? cJSON_Parse(text) : NULL;
    free(text);
    return json;
}

#endif
