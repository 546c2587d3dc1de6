/*
 * modes.h - the subcommands of plexus-conform besides the runner core: `codec` (runs
 * spec/vectors through an adapter process, ADAPTERS.md) and `coverage` (requirements without a
 * server case, client case or vector).
 */
#ifndef CF_MODES_H
#define CF_MODES_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "runner.h"

typedef struct cf_codec_config {
    const char *adapter; /* shell command */
    const char *vectors; /* directory of NNN-slug.json */
    const char *select;  /* --cases: vector name or number prefixes, or requirement IDs */
    const char *exclude; /* --exclude: the same syntax, vectors left out */
    int timeout_ms;      /* per vector */
    int progress;        /* print a progress line to stderr */
} cf_codec_config;

/* Runs every selected vector through the adapter; results go to *out (owned array of *n).
 * Returns 0, or -1 with a message in err when the vectors cannot be read or the adapter cannot
 * start. */
int cf_codec_run(const cf_codec_config *cfg, cf_result **out, size_t *n, char *err, size_t errlen);
/* Lists the selected vectors (name and requirements) on stdout. */
int cf_codec_list(const cf_codec_config *cfg, char *err, size_t errlen);

typedef struct cf_coverage_config {
    const char *requirements; /* spec/requirements.json */
    const char *cases_dir;    /* server cases (conformance/cases) */
    const char *client_dir;   /* client cases (conformance/client-cases), NULL: not counted */
    const char *vectors;      /* spec/vectors, NULL: not counted */
    int show_all;             /* also list covered requirements and what covers them */
} cf_coverage_config;

/* Prints one `source ...` line per source (what was read, how many requirements it covers),
 * then `uncovered ID LEVEL summary` for each requirement no source names (with show_all,
 * `covered ...` lines too), then `coverage: X of Y requirements covered, Z MUST without a
 * case`. A client-cases folder that does not exist counts as empty. Returns Z (MUST and MUST
 * NOT requirements without coverage), or -1 on error (message in err). */
int cf_coverage(const cf_coverage_config *cfg, char *err, size_t errlen);

#endif
